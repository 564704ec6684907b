-- IF NOT EXISTS: objects deployed before migrations made these same tables in their constructor.
CREATE TABLE IF NOT EXISTS `commands` (
	`id` text PRIMARY KEY NOT NULL,
	`jws` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer,
	`deliveries` integer DEFAULT 0 NOT NULL,
	`acknowledged_at` integer,
	`finished_at` integer,
	`outcome` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `commands_state` ON `commands` (`state`,`expires_at`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `connect_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `rollbacks` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`command_id` text,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `rollbacks_state` ON `rollbacks` (`state`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `rollbacks_command` ON `rollbacks` (`command_id`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `seen_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
