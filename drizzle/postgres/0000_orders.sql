CREATE TABLE "orders" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "orders_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text NOT NULL,
	"customer_name" text NOT NULL,
	"customer_email" text,
	"billing_address" text NOT NULL,
	"product_sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"amount_cents" integer NOT NULL,
	"remarks" text,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "orders_status_check" CHECK (status IN ('PENDING', 'CONFIRMED', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
	CONSTRAINT "orders_quantity_check" CHECK (quantity > 0),
	CONSTRAINT "orders_amount_check" CHECK (amount_cents > 0)
);
--> statement-breakpoint
CREATE INDEX "orders_tenant_customer_name_idx" ON "orders" USING btree ("tenant_id",lower("customer_name"),"created_at","id");--> statement-breakpoint
CREATE INDEX "orders_tenant_customer_email_idx" ON "orders" USING btree ("tenant_id",lower("customer_email"),"created_at","id");--> statement-breakpoint
CREATE INDEX "orders_tenant_status_idx" ON "orders" USING btree ("tenant_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_tenant_created_at_idx" ON "orders" USING btree ("tenant_id","created_at","id");