// What the HostChannel's parts share: the object's storage and bindings, its command store, the
// ordered D1 mirror, the audit log, and the alarm. The class builds one and hands it to each part.
import type { NewAuditEntry } from "../../../shared/schemas/audit.ts";
import type { Env } from "../env.ts";
import type { QueueStore } from "./queue-store.ts";

export interface ChannelContext {
  readonly env: Env;
  readonly state: DurableObjectState;
  readonly store: QueueStore;
  /** Names this object in logs: its host once known. */
  identity(): string;
  /** D1 writes run one after another so the mirror never ends on an older state than the queue's. */
  mirror(task: () => Promise<void>): Promise<void>;
  audit(entry: NewAuditEntry): Promise<unknown>;
  scheduleAlarm(): Promise<void>;
}
