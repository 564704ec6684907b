CREATE TABLE `agent_key_pins` (
	`host` text NOT NULL,
	`kid` text NOT NULL,
	`pinned_at` integer NOT NULL,
	PRIMARY KEY(`host`, `kid`)
);
--> statement-breakpoint
CREATE TABLE `signing_key_promotions` (
	`kid` text PRIMARY KEY NOT NULL,
	`promoted_at` integer NOT NULL,
	`promoted_by` text NOT NULL,
	`forced` integer NOT NULL
);
