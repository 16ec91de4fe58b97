CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`turn_id` text NOT NULL,
	`request_id` text NOT NULL,
	`actor_role` text NOT NULL,
	`actor_via` text NOT NULL,
	`actor_id` text,
	`customer_ref` text,
	`tool` text NOT NULL,
	`arguments` text NOT NULL,
	`status` text NOT NULL,
	`duration_ms` integer NOT NULL,
	`error` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_tenant_created_idx` ON `audit_log` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_tenant_session_idx` ON `audit_log` (`tenant_id`,`session_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_tenant_tool_idx` ON `audit_log` (`tenant_id`,`tool`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_created_idx` ON `audit_log` (`created_at`);