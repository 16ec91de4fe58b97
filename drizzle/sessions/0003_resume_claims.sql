ALTER TABLE `paused_turns` ADD `resuming_by` text;--> statement-breakpoint
ALTER TABLE `paused_turns` ADD `resuming_at` integer;--> statement-breakpoint
CREATE INDEX `paused_turns_resuming_idx` ON `paused_turns` (`resuming_at`);