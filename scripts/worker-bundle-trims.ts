// esbuild plugins that let the Worker bundle leave out AWS SDK code the control plane never runs
// (issue 15): rewrites that only spell a value differently, the clients' own runtime configuration
// for fetch-based platforms, and stand-ins for SDK modules a Worker never reaches.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Plugin } from "esbuild";

const storage = path.resolve(import.meta.dirname, "../control-plane/src/storage");
const db = path.resolve(import.meta.dirname, "../control-plane/src/db");

/**
 * The SDK clients' generated schema modules key their objects by module constants
 * (`const _h = "http"; … { [_h]: [...] }`). esbuild cannot tell such a computed key is a plain
 * string, so it keeps every operation's schema, used or not (S3's ~60 KB for 2 of ~100 commands).
 * Writing each key as the string literal it names lets it drop the unused ones.
 */
export function inlineSchemaKeys(source: string): string {
  const strings = new Map<string, string>();
  for (const match of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    if (match[1] !== undefined && match[2] !== undefined) strings.set(match[1], match[2]);
  }
  return source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `[${literal}]:`;
  });
}

/** Of its whole package.json, an SDK client reads only `version` (for its user agent). */
export function versionOnly(packageJson: string): string {
  const { version } = JSON.parse(packageJson) as { version?: unknown };
  if (typeof version !== "string") throw new Error("AWS SDK client package.json has no version");
  return JSON.stringify({ version });
}

export const awsSdkTrims: Plugin = {
  name: "rewind-aws-sdk-trims",
  setup(build) {
    // Each client's runtimeConfig.browser (what its package.json maps for fetch platforms): the fetch
    // request handler and plain defaults, instead of Node's http handler and the readers of
    // ~/.aws/config and AWS_* variables a Worker has no use for (region and credentials are passed).
    build.onResolve({ filter: /^\.\/runtimeConfig$/ }, (args) =>
      /[\\/]@aws-sdk[\\/]client-[\w-]+[\\/]dist-es$/.test(args.resolveDir) ? { path: path.join(args.resolveDir, "runtimeConfig.browser.js") } : undefined,
    );
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({ path: path.join(storage, "no-event-streams.ts") }));
    build.onResolve({ filter: /^@aws\/lambda-invoke-store$/ }, () => ({ path: path.join(storage, "no-lambda-invoke-store.ts") }));
    build.onResolve({ filter: /^\.\.?\/pg-core\/(primary-keys|columns\/enum)\.js$/ }, (args) =>
      /[\\/]drizzle-orm([\\/]sql)?$/.test(args.resolveDir) ? { path: path.join(db, "no-pg-core.ts") } : undefined,
    );
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[\w-]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => ({
      contents: inlineSchemaKeys(await readFile(args.path, "utf8")),
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[\w-]+[\\/]package\.json$/ }, async (args) => ({
      contents: versionOnly(await readFile(args.path, "utf8")),
      loader: "json",
    }));
  },
};
