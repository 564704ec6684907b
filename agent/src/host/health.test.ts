import { describe, expect, it } from "vitest";
import type { ProjectContainer } from "./compose.ts";
import { serviceStatuses } from "./health.ts";

const container = (service: string, state: string, exitCode?: number): ProjectContainer => ({
  id: service,
  name: `p_${service}_1`,
  service,
  imageId: "sha256:1",
  imageRef: "app",
  state,
  health: "none",
  ...(exitCode === undefined ? {} : { exitCode }),
});

describe("serviceStatuses", () => {
  it("counts a one-shot job done once it exited 0, never a failed one nor a long-running service that exited", () => {
    const containers = [container("setup", "exited", 0), container("seed", "exited", 1), container("web", "exited", 0)];
    const ok = serviceStatuses(containers, ["setup", "seed", "web"], ["setup", "seed"]).map((s) => [s.service, s.ok]);
    expect(ok).toEqual([
      ["setup", true],
      ["seed", false],
      ["web", false],
    ]);
  });
});
