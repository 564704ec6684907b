-- IF NOT EXISTS: the object deployed before migrations made these same tables on first use.
CREATE TABLE IF NOT EXISTS `budgets` (
	`minute` integer NOT NULL,
	`key` text NOT NULL,
	`used` integer NOT NULL,
	`denied` integer NOT NULL,
	PRIMARY KEY(`minute`, `key`)
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `refusals` (
	`minute` integer NOT NULL,
	`action` text NOT NULL,
	`address` text NOT NULL,
	`host` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`minute`, `action`, `address`, `host`)
);
