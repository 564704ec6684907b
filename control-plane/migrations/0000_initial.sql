CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`role` text NOT NULL,
	`label` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_secret_hash_unique` ON `api_tokens` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_role` ON `api_tokens` (`role`);--> statement-breakpoint
CREATE TABLE `command_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`command_id` text,
	`host` text NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `command_reports_command` ON `command_reports` (`command_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `commands` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`action_type` text NOT NULL,
	`action` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer,
	`acknowledged_at` integer,
	`finished_at` integer,
	`outcome` text
);
--> statement-breakpoint
CREATE INDEX `commands_host_created` ON `commands` (`host`,`created_at`);--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`host` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_secret_hash_unique` ON `enrollment_tokens` (`secret_hash`);--> statement-breakpoint
CREATE TABLE `hosts` (
	`name` text PRIMARY KEY NOT NULL,
	`public_jwk` text NOT NULL,
	`fingerprint` text NOT NULL,
	`enrolled_at` integer NOT NULL,
	`agent_version` text NOT NULL,
	`last_seen_at` integer,
	`online` integer DEFAULT false NOT NULL,
	`connection_id` text
);
--> statement-breakpoint
CREATE TABLE `audit_checkpoints` (
	`tree_size` integer PRIMARY KEY NOT NULL,
	`root_hash` text NOT NULL,
	`note` text NOT NULL,
	`signed_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`seq` integer PRIMARY KEY NOT NULL,
	`entry` text NOT NULL,
	`leaf_hash` text NOT NULL
);
