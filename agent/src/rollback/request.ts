// What a caller asks the engine for (the CLI, or the channel's signed `rollback` command), as a
// schema: the journal stores it so a resumed run does exactly what was asked, nothing looser.
import * as z from "zod";
import { gitCommit, id, sha256Hex } from "../../../shared/schemas/common.ts";

export const backupSelector = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("manifest"), dir: z.string().min(1) }),
  z.strictObject({ kind: z.literal("last") }),
  /** `manifestSha256`: what a manifest fetched back from the off-site copy must hash to (signed command). */
  z.strictObject({ kind: z.literal("id"), backupId: id, manifestSha256: z.optional(sha256Hex) }),
]);
export type BackupSelector = z.output<typeof backupSelector>;

export const rollbackRequest = z.strictObject({
  rollbackId: id,
  backup: backupSelector,
  mode: z.enum(["full", "code-only"]),
  reason: z.string().min(1).max(500),
  dryRun: z.boolean().optional(),
  /** Code-only: the commit to return to instead of the backup's. */
  commit: z.optional(gitCommit),
  /** The signed command that asked for it, if any: a run resumed after a restart reports as that command. */
  commandId: z.optional(id),
});
export type RollbackRequest = z.output<typeof rollbackRequest>;
