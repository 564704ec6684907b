// Issue 14.10: application logs hold secrets, and the rollback used to put each service's last 20 log
// lines into signed reports, so into the immutable audit log that viewers read. A secret written to a
// running service's log must now stay on the host: by default the reports carry only each log's
// sha256 and size; with `reports.logs: "redacted"` the last lines go out with the configured patterns
// redacted. Control plane in workerd, the demo stack in Docker, the real `rewind agent run`.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rollbackDir } from "../../agent/src/rollback/journal-file.ts";
import { type AgentProcess, spawnAgent } from "../world/agent.ts";
import { type Json, startTriggerWorld, type TriggerWorld } from "./alerts-fixture.ts";

let world: TriggerWorld;
let operator: string;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  world = await startTriggerWorld();
  operator = await world.token("operator");
});

afterAll(async () => {
  await agent?.stop();
  await world?.stop();
});

/** Writes `line` into the backend's log, as the application would (to its PID 1's stdout). */
async function logLine(line: string): Promise<void> {
  const project = world.scenario.config.project.name;
  const [backend] = await world.docker.listContainers({
    filters: { label: [`com.docker.compose.project=${project}`, "com.docker.compose.service=backend"] },
  });
  if (backend === undefined) throw new Error("no backend container running");
  const exec = await world.docker.getContainer(backend.Id).exec({ Cmd: ["sh", "-c", `echo '${line}' > /proc/1/fd/1`] });
  const stream = await exec.start({});
  await new Promise((resolve) => stream.on("end", resolve).resume());
}

async function rollBack(reason: string): Promise<string> {
  const response = await world.controlPlane.api("/v1/rollbacks", {
    method: "POST",
    headers: { authorization: `Bearer ${operator}` },
    body: JSON.stringify({ host: world.host, reason, confirm: world.host }),
  });
  expect(response.status).toBe(202);
  const rollbackId = String(((await response.json()) as Json).rollbackId);
  expect(await world.waitForFinal(rollbackId, 240_000)).toMatchObject({ state: "succeeded" });
  return rollbackId;
}

/** Everything the control plane holds from the agent: audit entries with their signed reports decoded, and the stored reports. */
async function whatLeftTheHost(): Promise<string> {
  const text = await (await world.controlPlane.api("/v1/audit?limit=10000")).text();
  const decoded = text
    .trim()
    .split("\n")
    .map((line) => {
      const entry = JSON.parse(line) as { agentJws?: string };
      const payload = entry.agentJws?.split(".")[1];
      return payload === undefined ? line : `${line}\n${Buffer.from(payload, "base64url").toString("utf8")}`;
    });
  const rows = await (await world.controlPlane.d1()).prepare("SELECT body FROM command_reports").all<{ body: string }>();
  return [...decoded, ...rows.results.map((row) => row.body)].join("\n");
}

async function hostLogs(rollbackId: string): Promise<string> {
  const dir = path.join(rollbackDir(world.scenario.config.stateDir, rollbackId), "logs-before");
  const files = await readdir(dir);
  return (await Promise.all(files.map((file) => readFile(path.join(dir, file), "utf8")))).join("\n");
}

it("keeps a secret logged by a service on the host: digests by default, redacted lines on opt-in", async () => {
  await logLine("connecting with password=S3cr3t-default-7f1c to the billing API");
  const first = await rollBack("v2 broke invoices");
  expect(await hostLogs(first)).toContain("password=S3cr3t-default-7f1c");
  let shared = await whatLeftTheHost();
  expect(shared).not.toContain("S3cr3t-default-7f1c");
  expect(shared).toMatch(/sha256 [0-9a-f]{64}, \d+ bytes, kept on the host at [^"\n]*logs-before/);

  // The operator opts in to redacted lines, and the agent restarts with that config.
  const raw = JSON.parse(await readFile(world.scenario.configFile, "utf8")) as Json;
  await writeFile(world.scenario.configFile, JSON.stringify({ ...raw, reports: { logs: "redacted", redact: ["password=\\S+"] } }, null, 2));
  await world.agent.stop();
  agent = spawnAgent(world.scenario.configFile);
  await logLine("connecting with password=S3cr3t-optin-9d2e to the billing API");
  const second = await rollBack("again, with log lines");
  expect(await hostLogs(second)).toContain("password=S3cr3t-optin-9d2e");
  shared = await whatLeftTheHost();
  expect(shared).not.toContain("S3cr3t-optin-9d2e");
  expect(shared).toContain("connecting with [redacted] to the billing API");
}, 600_000);
