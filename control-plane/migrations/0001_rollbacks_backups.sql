CREATE TABLE `backups` (
	`host` text NOT NULL,
	`backup_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`timestamp` text NOT NULL,
	`git_commit` text NOT NULL,
	`git_branch` text NOT NULL,
	`storage` text NOT NULL,
	`object_key` text NOT NULL,
	`sha256` text NOT NULL,
	`verified` integer NOT NULL,
	`indexed_at` integer NOT NULL,
	PRIMARY KEY(`host`, `backup_id`)
);
--> statement-breakpoint
CREATE INDEX `backups_host_created` ON `backups` (`host`,`created_at`);--> statement-breakpoint
CREATE TABLE `rollbacks` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`backup_id` text NOT NULL,
	`mode` text NOT NULL,
	`reason` text NOT NULL,
	`state` text NOT NULL,
	`requested_by` text NOT NULL,
	`requester` text NOT NULL,
	`automatic` integer NOT NULL,
	`source` text,
	`command_id` text,
	`approvals_required` integer NOT NULL,
	`approvals` text NOT NULL,
	`expires_at` integer,
	`downtime_ms` integer,
	`outcome` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollbacks_host_created` ON `rollbacks` (`host`,`created_at`);--> statement-breakpoint
CREATE INDEX `rollbacks_state` ON `rollbacks` (`state`);--> statement-breakpoint
ALTER TABLE `hosts` ADD `require_approval` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `hosts` ADD `approvals_required` integer DEFAULT 1 NOT NULL;