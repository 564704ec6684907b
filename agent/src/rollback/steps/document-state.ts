// Step 3: write down what runs now, before anything changes: every service's logs to a file, the
// commit, the image ids, and each container's create spec (what the undo recreates them from).
// Each image those containers run is held by a tag of its own (hold-images.ts) here, before any step
// moves a tag off it or replaces its container: from then on `docker image prune` cannot take what
// the undo must start. Before the downtime, so a failure to tag stops the rollback with nothing changed.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { listProjectContainers } from "../../host/compose.ts";
import { captureSpec, containerLogs } from "../../host/docker-start.ts";
import { gitHead } from "../../host/git.ts";
import { holdImages } from "../hold-images.ts";
import { logSharingOf, shareLog } from "../log-share.ts";
import type { StepContext, StepOutput } from "../step-context.ts";

export async function documentState(ctx: StepContext): Promise<StepOutput> {
  const { config, docker } = ctx;
  const containers = await listProjectContainers(docker, config.project.name);
  const logsDir = path.join(ctx.dir, "logs-before");
  await mkdir(logsDir, { recursive: true });
  const specs = [];
  for (const container of containers) {
    specs.push(await captureSpec(docker, container.id, container.service));
    const logs = await containerLogs(docker, container.id);
    const logFile = path.join(logsDir, `${container.name}.log`);
    await writeFile(logFile, logs);
    // The log itself stays here: a signed report carries only what the config lets out (log-share.ts).
    ctx.progress(`${container.service}: ${container.state}/${container.health}, logs saved`, shareLog(logs, logSharingOf(config), logFile));
  }
  const head = await gitHead(config.project.dir, { signal: ctx.signal });
  const images = Object.fromEntries(containers.map((c) => [c.service, c.imageId]));
  const held = await holdImages(docker, config.project.name, ctx.request.rollbackId, specs);
  ctx.progress(
    `${containers.length} containers at commit ${head.commit.slice(0, 12)}; logs in ${logsDir}${held.length > 0 ? `; images held as ${held.join(", ")}` : ""}`,
  );
  return { commit: head.commit, branch: head.branch, containers: specs, images, logsDir, held };
}
