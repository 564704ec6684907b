// `npm run build:agent`: the agent and the whole `rewind` CLI as one ES module, dist/rewind.mjs, for
// hosts (infra/install-agent.sh installs it): Node 20 and this file, no node_modules, no tsx.
// Only optional native add-ons stay out (ssh2's sshcrypto.node and cpu-features, for dockerode's SSH
// transport, which the agent never uses); their loaders fall back to JavaScript when they are absent.
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");

// CommonJS dependencies call require(), __dirname and __filename, which an ES module lacks.
const banner = [
  "import { createRequire as __rewindCreateRequire } from 'node:module';",
  "import { fileURLToPath as __rewindFileURLToPath } from 'node:url';",
  "import { dirname as __rewindDirname } from 'node:path';",
  "const require = __rewindCreateRequire(import.meta.url);",
  "const __filename = __rewindFileURLToPath(import.meta.url);",
  "const __dirname = __rewindDirname(__filename);",
].join("\n");

export async function buildAgent(outfile = path.join(root, "dist/rewind.mjs")): Promise<string> {
  await build({
    entryPoints: [path.join(root, "agent/src/cli/entry.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["cpu-features", "*.node"],
    banner: { js: banner },
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === import.meta.filename) {
  const outfile = await buildAgent(process.argv[2] === undefined ? undefined : path.resolve(process.argv[2]));
  process.stdout.write(
    `built ${path.relative(process.cwd(), outfile)}: run it with node (>= 20), e.g. node ${path.relative(process.cwd(), outfile)} --version\n`,
  );
}
