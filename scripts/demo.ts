// The local demo (the README's first command): the control plane in workerd on a loopback port,
// with D1, Durable Object and R2 state on local disk, running until Ctrl-C. `--smoke` starts it,
// checks it answers, and stops (what the test suite uses to prove the first command works).
import { startControlPlane } from "../test/world/control-plane.ts";

const smoke = process.argv.includes("--smoke");
const cp = await startControlPlane();
try {
  const health = await fetch(`${cp.url}/health`);
  if (!health.ok) throw new Error(`control plane at ${cp.url} answered /health with ${health.status}`);
  process.stdout.write(
    [
      `Rewind control plane listening on ${cp.url}`,
      `  health:      ${cp.url}/health`,
      `  public keys: ${cp.url}/.well-known/jwks.json`,
      `  console:     ${cp.url}/`,
      `  admin token: ${cp.adminToken}`,
      smoke ? "smoke check passed; stopping" : "Ctrl-C stops it.",
      "",
    ].join("\n"),
  );
} catch (error) {
  await cp.stop();
  throw error;
}

// Without --smoke the listening server keeps the process alive; on Ctrl-C Miniflare's own exit
// hook disposes workerd and exits with 130.
if (smoke) await cp.stop();
