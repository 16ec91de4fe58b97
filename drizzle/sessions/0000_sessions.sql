CREATE TABLE `session_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_ref` integer NOT NULL,
	`role` text NOT NULL,
	`body` text NOT NULL,
	FOREIGN KEY (`session_ref`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `session_messages_session_idx` ON `session_messages` (`session_ref`,`id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_activity` integer NOT NULL,
	`activity_seq` integer NOT NULL,
	`message_count` integer DEFAULT 0 NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_tenant_session_idx` ON `sessions` (`tenant_id`,`session_id`);--> statement-breakpoint
CREATE INDEX `sessions_tenant_activity_idx` ON `sessions` (`tenant_id`,`activity_seq`);--> statement-breakpoint
CREATE INDEX `sessions_activity_idx` ON `sessions` (`activity_seq`);--> statement-breakpoint
CREATE INDEX `sessions_last_activity_idx` ON `sessions` (`last_activity`);