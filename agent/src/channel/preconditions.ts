// A command may carry the host state its decision was made on (commit, image per service). If the
// host has moved on since, the decision is stale: this lists every difference, empty when it holds.
import type { Preconditions } from "../../../shared/schemas/command.ts";

export interface HostState {
  /** Full HEAD commit of the project checkout, when known. */
  commit?: string;
  /** compose service → image id of its container. */
  images: Record<string, string>;
}

export function preconditionDifferences(pre: Preconditions | undefined, current: HostState): string[] {
  if (pre === undefined) return [];
  const differences: string[] = [];
  // The control plane may send an abbreviated commit (7+ hex chars), as git itself accepts.
  if (pre.commit !== undefined && !(current.commit ?? "").startsWith(pre.commit)) {
    differences.push(`commit is ${current.commit ?? "unknown"}, command expected ${pre.commit}`);
  }
  // Only the services the decision named are compared: a service added since did not shape it.
  for (const [service, expected] of Object.entries(pre.images ?? {})) {
    const actual = current.images[service];
    if (actual !== expected) {
      differences.push(`service ${service} runs ${actual ?? "no container"}, command expected ${expected}`);
    }
  }
  return differences;
}
