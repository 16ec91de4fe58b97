CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text NOT NULL,
	"session_id" text NOT NULL,
	"turn_id" text NOT NULL,
	"request_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_via" text NOT NULL,
	"actor_id" text,
	"customer_ref" text,
	"tool" text NOT NULL,
	"arguments" text NOT NULL,
	"status" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"error" text,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_tenant_created_idx" ON "audit_log" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "audit_tenant_session_idx" ON "audit_log" USING btree ("tenant_id","session_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_tenant_tool_idx" ON "audit_log" USING btree ("tenant_id","tool","created_at");--> statement-breakpoint
CREATE INDEX "audit_created_idx" ON "audit_log" USING btree ("created_at");