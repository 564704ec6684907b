ALTER TABLE `enrollment_tokens` ADD `reenroll` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `needs_approval` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `approved_by` text;--> statement-breakpoint
ALTER TABLE `enrollment_tokens` ADD `approved_at` integer;