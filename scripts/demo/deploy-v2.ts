// The deploy command the demo hands to `rewind deploy`: ships the broken v2 the way a deploy script
// would — a new commit (sources and compose.yaml), the bad migration and new uploads, then
// `docker compose up -d`, which recreates the app services from v2's images and environment.
// Usage: node --import tsx scripts/demo/deploy-v2.ts STATE.json (written by the demo).
import { readFile } from "node:fs/promises";
import Docker from "dockerode";
import { deployVersion } from "../../infra/demo-stack/stack.ts";
import { seedDemoDatabase, seedMinioData } from "../../test/world/demo-data.ts";
import { deployState } from "./deploy-state.ts";
import { commitRelease, writeRelease } from "./project.ts";

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write("usage: deploy-v2.ts STATE.json\n");
  process.exit(2);
}
const state = deployState.parse(JSON.parse(await readFile(file, "utf8")));
await writeRelease(state.projectDir, "v2", state.stack);
const commit = await commitRelease(state.projectDir, "v2");
process.stdout.write(`deploy: committed release v2 (${commit.slice(0, 12)}): new images and SCHEDGEN_RELEASE=v2 in compose.yaml\n`);
await seedDemoDatabase(state.databaseUrl, "v2");
process.stdout.write("deploy: ran migration 003_job_priority, new signups and jobs\n");
await seedMinioData(state.minioDir, "v2");
process.stdout.write("deploy: new uploads in the schedgen bucket\n");
await deployVersion(new Docker(), state.stack, "v2");
process.stdout.write("deploy: compose up -d recreated backend, frontend and pdf-worker from release v2\n");
