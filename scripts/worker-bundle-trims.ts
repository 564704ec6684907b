// esbuild plugins that let the Worker bundle leave out AWS SDK code the control plane never runs
// (issue 15): rewrites that only spell a value differently, the SDK's own builds for fetch-based
// platforms (its packages' `browser` maps), and stand-ins for SDK modules a Worker never reaches.
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

/**
 * The SDK packages whose `browser` map the Worker follows, what they ship for fetch platforms: each
 * client's runtimeConfig.browser (the fetch request handler and plain defaults, where Node's reads
 * ~/.aws/config and AWS_* variables; region and credentials are passed) and each submodule's
 * index.browser.js (WebCrypto and web streams, not node:crypto, node:os and node:stream helpers).
 * Not @aws-sdk/xml-builder's: its browser XML parser needs DOMParser, which workerd lacks.
 */
const browserBuildPackages = ["@aws-sdk/client-s3", "@aws-sdk/client-sns", "@smithy/core", "@aws-sdk/core", "@aws-sdk/checksums", "@aws-sdk/middleware-sdk-s3"];
/** A bare import of one of their submodules ("@smithy/core/serde"): resolved through its exports map first. */
const browserBuildImport = new RegExp(`^(${browserBuildPackages.join("|").replace(/[/-]/g, "\\$&")})/[\\w-]+$`);

/** What a package's `browser` field maps `file` (inside the package at `root`) to, if anything; keys may omit ".js". */
export function browserFile(root: string, browser: unknown, file: string): string | undefined {
  if (typeof browser !== "object" || browser === null) return undefined;
  const key = `./${path.relative(root, file).split(path.sep).join("/")}`;
  for (const candidate of [key, key.replace(/\.js$/, ""), `${key}.js`]) {
    const mapped: unknown = (browser as Record<string, unknown>)[candidate];
    if (typeof mapped === "string") return path.join(root, mapped.endsWith(".js") ? mapped : `${mapped}.js`);
  }
  return undefined;
}

/** The browser-build package a file belongs to: its root directory, or undefined. */
function browserBuildRoot(file: string): string | undefined {
  for (const name of browserBuildPackages) {
    const marker = `${path.sep}node_modules${path.sep}${name.split("/").join(path.sep)}${path.sep}`;
    const at = file.lastIndexOf(marker);
    if (at >= 0) return file.slice(0, at + marker.length - 1);
  }
  return undefined;
}

async function readBrowserMap(root: string): Promise<unknown> {
  return (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { browser?: unknown }).browser;
}

export const awsSdkTrims: Plugin = {
  name: "rewind-aws-sdk-trims",
  setup(build) {
    const browserMaps = new Map<string, Promise<unknown>>();
    const mapped = async (file: string): Promise<string | undefined> => {
      const root = browserBuildRoot(file);
      if (root === undefined) return undefined;
      if (!browserMaps.has(root)) browserMaps.set(root, readBrowserMap(root));
      return browserFile(root, await browserMaps.get(root), file);
    };
    build.onResolve({ filter: browserBuildImport }, async (args) => {
      if (args.pluginData === browserBuildImport) return undefined;
      const { kind, resolveDir, importer } = args;
      const resolved = await build.resolve(args.path, { kind, resolveDir, importer, pluginData: browserBuildImport });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const file = (await mapped(resolved.path)) ?? resolved.path;
      return { path: file, namespace: resolved.namespace, sideEffects: resolved.sideEffects };
    });
    // Their relative imports too: a client's ./runtimeConfig, middleware-sdk-s3's toStream (a web stream).
    build.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (browserBuildRoot(args.importer) === undefined) return undefined;
      const file = await mapped(path.resolve(args.resolveDir, args.path));
      return file === undefined ? undefined : { path: file };
    });
    // The clients' endpoint rulesets and the rules engine, for the Worker's own rules (S3: the addressing
    // the control plane uses; SNS: its whole ruleset), which test/unit/endpoint-rules.test.ts compares with them.
    build.onResolve({ filter: /\/endpoint\/endpointResolver$/ }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const client = /[\\/]@aws-sdk[\\/]client-(s3|sns)[\\/]dist-es[\\/]endpoint[\\/]endpointResolver$/.exec(file)?.[1];
      return client === undefined ? undefined : { path: path.join(storage, `${client}-endpoint-rules.ts`) };
    });
    build.onResolve({ filter: /^@aws-sdk\/checksums\/(flexible-checksums|sha)$/ }, () => ({ path: path.join(storage, "no-flexible-checksums.ts") }));
    build.onResolve({ filter: /^@noble\/hashes\/(sha2|utils)\.js$/ }, () => ({ path: path.join(import.meta.dirname, "worker-stand-ins/node-sha256.ts") }));
    build.onResolve({ filter: /^hono$/ }, (args) =>
      args.importer.includes(`${path.sep}control-plane${path.sep}src${path.sep}`)
        ? { path: path.join(import.meta.dirname, "worker-stand-ins/hono.ts") }
        : undefined,
    );
    build.onResolve({ filter: /^@smithy\/core\/checksum$/ }, (args) =>
      args.importer === path.join(storage, "no-md5.ts") ? undefined : { path: path.join(storage, "no-md5.ts") },
    );
    build.onResolve({ filter: /\/util-retry\/AdaptiveRetryStrategy$/ }, (args) =>
      args.importer.includes(`${path.sep}@smithy${path.sep}core${path.sep}`) ? { path: path.join(storage, "no-adaptive-retry.ts") } : undefined,
    );
    build.onResolve({ filter: /\/(classes\/S3ExpressIdentityProviderImpl|commands\/CreateSessionCommand)$/ }, (args) =>
      browserBuildRoot(args.importer) === undefined ? undefined : { path: path.join(storage, "no-s3-express.ts") },
    );
    build.onResolve({ filter: /^\.\/XmlShapeSerializer$/ }, (args) =>
      args.importer.includes(`${path.sep}@aws-sdk${path.sep}core${path.sep}`) ? { path: path.join(storage, "no-xml-serializer.ts") } : undefined,
    );
    build.onResolve({ filter: /^@aws-sdk\/signature-v4-multi-region$/ }, () => ({ path: path.join(storage, "no-sigv4a.ts") }));
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({ path: path.join(storage, "no-event-streams.ts") }));
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
