// What the demo hands its deploy script (through a JSON file, since `rewind deploy` runs it as a
// separate process): where the checkout, the database and MinIO's data are, and the running stack.
import * as z from "zod";
import { demoServices } from "../../infra/demo-stack/services.ts";

const container = z.strictObject({ service: z.enum(demoServices), id: z.string(), name: z.string(), image: z.string() });
const url = z.string();
const stack = z.strictObject({
  project: z.string(),
  network: z.string(),
  minioVolume: z.string(),
  labels: z.record(z.string(), z.string()),
  urls: z.strictObject({ minio: url, backend: url, frontend: url }),
  containers: z.strictObject({ minio: container, backend: container, frontend: container, "pdf-worker": container }),
});

export const deployState = z.strictObject({
  projectDir: z.string().min(1),
  databaseUrl: z.string().min(1),
  minioDir: z.string().min(1),
  /** The running stack as upStack returned it. */
  stack,
});
export type DeployState = z.output<typeof deployState>;
