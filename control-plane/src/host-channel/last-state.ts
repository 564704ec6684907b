// The host's state as its agent last reported it (git commit, image per service), kept in the host's
// Durable Object so a rollback command can carry it as its precondition: an agent that finds its
// host changed since (fixed forward, rolled back by hand) refuses the command as PRECONDITION_FAILED.
import type { Preconditions } from "../../../shared/schemas/command.ts";
import type { Report } from "../../../shared/schemas/report.ts";

export const lastStateKey = "last-reported-state";

export function preconditionsOf(report: Report & { kind: "state" }): Preconditions | undefined {
  const images = report.images ?? {};
  if (report.commit === undefined && Object.keys(images).length === 0) return undefined;
  return { ...(report.commit === undefined ? {} : { commit: report.commit }), ...(Object.keys(images).length === 0 ? {} : { images }) };
}
