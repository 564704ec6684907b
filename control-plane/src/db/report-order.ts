// The order a command's reports arrived in, for every reader of command_reports. received_at alone
// leaves reports stamped in one millisecond unordered (a Worker's clock only moves between I/O); the
// host's Durable Object handles its agent's frames and mirrors them to D1 one at a time, in arrival
// order, so the row's rowid breaks those ties.
import { asc, sql } from "drizzle-orm";
import { commandReports } from "./schema.ts";

export const reportArrivalOrder = [asc(commandReports.receivedAt), sql`${commandReports}.rowid`] as const;
