CREATE TABLE "feedback" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "feedback_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text NOT NULL,
	"session_id" text NOT NULL,
	"turn_id" text NOT NULL,
	"rating" integer NOT NULL,
	"comment" text,
	"request_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_via" text NOT NULL,
	"actor_id" text,
	"customer_ref" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "feedback_rating_check" CHECK (rating BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "feedback_target_idx" ON "feedback" USING btree ("tenant_id","session_id","turn_id");--> statement-breakpoint
CREATE INDEX "feedback_tenant_created_idx" ON "feedback" USING btree ("tenant_id","created_at","id");