CREATE TABLE `paused_turns` (
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`turn_id` text NOT NULL,
	`state` text,
	`retain_until` integer,
	PRIMARY KEY(`tenant_id`, `session_id`, `turn_id`)
);
--> statement-breakpoint
CREATE INDEX `paused_turns_retain_idx` ON `paused_turns` (`retain_until`);--> statement-breakpoint
CREATE TABLE `turn_approvals` (
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`turn_id` text NOT NULL,
	`call_id` text NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `session_id`, `turn_id`, `call_id`)
);
--> statement-breakpoint
CREATE INDEX `turn_approvals_tenant_status_idx` ON `turn_approvals` (`tenant_id`,`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `turn_approvals_status_idx` ON `turn_approvals` (`status`,`expires_at`);