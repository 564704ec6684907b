// The engine as operators run it (`node bin/rewind.js rollback --local`, its own process), SIGKILLed
// while each step is running, then `--resume` finishes the job with nothing lost. Load-backup and a
// half-loaded staged database are in rollback-resume-power.test.ts (a file each, so they run in parallel).
import { describe, expect, it } from "vitest";
import { scenarioPerTest } from "./rollback-fixture.ts";
import { expectRolledBack, killDuring, rewind } from "./resume-helpers.ts";

const world = scenarioPerTest();

describe("rollback killed with SIGKILL, then resumed", () => {
  for (const step of ["preflight", "document-state", "stage", "stop-services", "swap", "revert-code", "start", "verify"]) {
    it(`finishes after a kill during ${step}`, async () => {
      const s = await world.prepare();
      const seen = await killDuring(s, step);
      expect(seen).toEqual(expect.objectContaining({ kind: "start", step }));

      if (step === "stage") {
        // The killed run still holds the host: a new rollback is refused and told to resume.
        const refused = await rewind(["rollback", "--local", "--config", s.configFile, "--backup", s.backupDir, "--yes"]).done;
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("LOCKED");
        expect(refused.stderr).toContain("--resume");
      }

      const resumed = await rewind(["rollback", "--local", "--config", s.configFile, "--resume"]).done;
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^✓ verify +succeeded/m);
      const report = await expectRolledBack(world, s);
      expect(report.steps.find((r) => r.id === step)?.state).toBe("succeeded");
    });
  }
});
