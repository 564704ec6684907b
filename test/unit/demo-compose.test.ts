// compose.yaml documents the demo stack for humans; the stack itself is built from services.ts.
// This keeps the two from drifting: same services, same images, same health checks.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildContext, containerPorts, demoServices } from "../../infra/demo-stack/services.ts";

const composeFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra/demo-stack/compose.yaml");

/** The indented block of one top-level service in compose.yaml. */
function serviceBlock(compose: string, service: string): string {
  const start = compose.indexOf(`\n  ${service}:\n`);
  if (start < 0) return "";
  const rest = compose.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}\S|\n\S/);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

describe("infra/demo-stack/compose.yaml", () => {
  it.each(demoServices)("describes %s with the image, port and health check the stack really uses", async (service) => {
    const block = serviceBlock(await readFile(composeFile, "utf8"), service);
    expect(block).toContain(`image: rewind-demo/${service}:\${REWIND_DEMO_VERSION:-v1}`);
    const health = /HEALTHCHECK .* CMD (.*)/.exec(buildContext(service, "v1").dockerfile)?.[1];
    // Compose interpolates `$`, so the file spells each one `$$`.
    expect(block).toContain(JSON.stringify(["CMD-SHELL", health?.replaceAll("$", () => "$$")]).replaceAll('","', '", "'));
    const port = containerPorts[service];
    if (port !== undefined) expect(block).toContain(`:${port}"]`);
  });
});
