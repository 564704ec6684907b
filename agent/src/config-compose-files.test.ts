import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config.ts";

const base = { host: "web-1", stateDir: "/var/lib/rewind", project: { name: "schedgen", dir: "/srv/app" } };
const withFiles = (composeFiles: unknown) => ({ ...base, project: { ...base.project, composeFiles } });

const refused = (composeFiles: unknown, message: RegExp) =>
  expect(() => parseAgentConfig(withFiles(composeFiles), "agent.json", "/")).toThrow(
    expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(message) }),
  );

describe("project.composeFiles", () => {
  it("is absent unless configured: Compose's default file names", () => {
    expect(parseAgentConfig(base, "agent.json", "/").project.composeFiles).toBeUndefined();
  });

  it("keeps the files in their order, normalized", () => {
    const config = parseAgentConfig(withFiles(["compose.yaml", "./deploy/../compose.prod.yaml", "ops/extra.yml"]), "agent.json", "/");
    expect(config.project.composeFiles).toEqual(["compose.yaml", "compose.prod.yaml", "ops/extra.yml"]);
  });

  it("refuses an empty list, naming the field", () => {
    refused([], /project\.composeFiles: must name at least one file/);
  });

  it("refuses an absolute path", () => {
    refused(["compose.yaml", "/etc/compose.yaml"], /project\.composeFiles\.1: must be relative to project\.dir/);
  });

  it("refuses a path whose .. leads out of project.dir", () => {
    refused(["deploy/../../other/compose.yaml"], /project\.composeFiles\.0: must stay inside project\.dir/);
    refused([".."], /project\.composeFiles\.0: must stay inside project\.dir/);
  });

  it("refuses a directory, an empty name, and a name Compose would read as stdin or an option", () => {
    refused(["."], /project\.composeFiles\.0: must name a file/);
    refused(["deploy/"], /project\.composeFiles\.0: must name a file/);
    refused([""], /project\.composeFiles\.0/);
    refused(["-"], /project\.composeFiles\.0: must not start with -/);
    refused(["./-f.yaml"], /project\.composeFiles\.0: must not start with -/);
  });

  it("refuses a file named twice, also when written two ways", () => {
    refused(["compose.yaml", "compose.prod.yaml", "./compose.yaml"], /project\.composeFiles: names compose\.yaml twice/);
  });
});
