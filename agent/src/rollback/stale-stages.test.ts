import { describe, expect, it } from "vitest";
import { staleStages } from "./stale-stages.ts";

const dir = (name: string) => ({ name, isDirectory: () => true });
const file = (name: string) => ({ name, isDirectory: () => false });

describe("staleStages", () => {
  it("picks Rewind's staged copies no open rollback owns, never this rollback's, a set-aside copy, a file or a stranger", () => {
    const entries = [
      dir("_data"),
      dir("_data.rewind-stage-old1"),
      dir("_data.rewind-stage-rbnow"),
      dir("_data.rewind-stage-rbopen"),
      dir("_data.rewind-old2"),
      dir("_data.rewind-post-old3"),
      dir("_data.rewind-stage-Not_Ours"),
      file("_data.rewind-stage-link"),
      dir("_data.bak"),
    ];
    expect(staleStages(entries, "rb-now", ["rb-open"])).toEqual({
      stale: ["_data.rewind-stage-old1"],
      kept: [{ name: "_data.rewind-stage-rbopen", rollbackId: "rb-open" }],
    });
  });
});
