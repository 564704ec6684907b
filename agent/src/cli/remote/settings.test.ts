import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRewindError } from "../../../../shared/errors.ts";
import { defaultConfigFile, resolveSettings } from "./settings.ts";

let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), "rewind-cli-home-"));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isRewindError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("operator CLI settings", () => {
  it("takes flags over the environment over the config file", async () => {
    const file = path.join(home, "explicit.json");
    await writeFile(file, JSON.stringify({ url: "http://file.example/", token: "file-token-123" }));
    const env = { REWIND_URL: "https://env.example", REWIND_TOKEN: "env-token-123" };
    expect(await resolveSettings({ flags: { cliConfig: file }, env: {}, home })).toEqual({ url: "http://file.example", token: "file-token-123" });
    expect(await resolveSettings({ flags: { cliConfig: file }, env, home })).toEqual({ url: "https://env.example", token: "env-token-123" });
    expect(await resolveSettings({ flags: { cliConfig: file, url: "http://flag.example:8787", token: "flag-token-1" }, env, home })).toEqual({
      url: "http://flag.example:8787",
      token: "flag-token-1",
    });
  });

  it("reads ~/.config/rewind/cli.json by default and ignores its absence", async () => {
    expect(await refusal(resolveSettings({ flags: {}, env: {}, home }))).toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("no control plane URL"),
    });
    await mkdir(path.dirname(defaultConfigFile(home)), { recursive: true });
    await writeFile(defaultConfigFile(home), JSON.stringify({ url: "http://default.example", token: "default-token" }));
    expect(await resolveSettings({ flags: {}, env: {}, home })).toEqual({ url: "http://default.example", token: "default-token" });
  });

  it("names the flag, variable or file that holds a bad value", async () => {
    expect(await refusal(resolveSettings({ flags: { url: "ftp://x", token: "long-enough" }, env: {}, home }))).toEqual({
      code: "CONFIG_INVALID",
      message: "--url must be an http:// or https:// URL",
    });
    expect(await refusal(resolveSettings({ flags: { url: "http://ok.example" }, env: { REWIND_TOKEN: "short" }, home }))).toMatchObject({
      message: "REWIND_TOKEN must be a Rewind API token (at least 8 characters)",
    });
    const bad = path.join(home, "bad.json");
    await writeFile(bad, JSON.stringify({ url: "http://ok.example", token: "fine-token", extra: 1 }));
    expect((await refusal(resolveSettings({ flags: { cliConfig: bad }, env: {}, home }))).message).toContain(`${bad}: (root): Unrecognized key`);
    expect((await refusal(resolveSettings({ flags: { cliConfig: path.join(home, "missing.json") }, env: {}, home }))).message).toContain(
      "cannot read the CLI config",
    );
  });
});
