CREATE TABLE `feedback` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`turn_id` text NOT NULL,
	`rating` integer NOT NULL,
	`comment` text,
	`request_id` text NOT NULL,
	`actor_role` text NOT NULL,
	`actor_via` text NOT NULL,
	`actor_id` text,
	`customer_ref` text,
	`created_at` text NOT NULL,
	CONSTRAINT "feedback_rating_check" CHECK(rating BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `feedback_target_idx` ON `feedback` (`tenant_id`,`session_id`,`turn_id`);--> statement-breakpoint
CREATE INDEX `feedback_tenant_created_idx` ON `feedback` (`tenant_id`,`created_at`,`id`);