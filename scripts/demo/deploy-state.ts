// What the demo hands its deploy script (through a JSON file, since `rewind deploy` runs it as a
// separate process): where the checkout, the database and MinIO's data are, and the running stack.
import * as z from "zod";
import { demoStack } from "../../infra/demo-stack/stack.ts";

export const deployState = z.strictObject({
  projectDir: z.string().min(1),
  databaseUrl: z.string().min(1),
  minioDir: z.string().min(1),
  /** The running stack as upStack returned it. */
  stack: demoStack,
});
export type DeployState = z.output<typeof deployState>;
