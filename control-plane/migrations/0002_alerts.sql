CREATE TABLE `alert_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL,
	`source` text NOT NULL,
	`host` text,
	`alertname` text NOT NULL,
	`status` text NOT NULL,
	`episode_key` text NOT NULL,
	`decision` text NOT NULL,
	`reason_code` text NOT NULL,
	`reason` text NOT NULL,
	`rollback_id` text,
	`deliveries` integer DEFAULT 1 NOT NULL,
	`last_delivery_at` integer NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_decisions_episode` ON `alert_decisions` (`episode_key`,`status`);--> statement-breakpoint
CREATE INDEX `alert_decisions_received` ON `alert_decisions` (`received_at`);--> statement-breakpoint
CREATE INDEX `alert_decisions_host` ON `alert_decisions` (`host`,`received_at`);--> statement-breakpoint
CREATE TABLE `alert_host_state` (
	`host` text PRIMARY KEY NOT NULL,
	`last_automatic_at` integer,
	`streak` integer DEFAULT 0 NOT NULL,
	`reset_at` integer,
	`reset_by` text
);
--> statement-breakpoint
CREATE TABLE `host_request_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`used_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_marks` (
	`key` text PRIMARY KEY NOT NULL,
	`sent_at` integer NOT NULL
);
