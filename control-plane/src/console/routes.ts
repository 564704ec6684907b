// GET / serves the operator console. It is public static content: every action it takes goes
// through the token-checked API, so the page itself holds no secret. The page is a Workers static
// asset (ASSETS, written by scripts/build-worker.ts), not part of the script, so its ~50 KB do not
// count against the Worker's size (issue 15); the Worker runs first for every path (wrangler.toml
// run_worker_first), so the page is only ever served from here, with these headers.
import { Hono } from "hono";
import { RewindError } from "../../../shared/errors.ts";
import type { AppEnv } from "../http/app-env.ts";
// In the Worker bundle this import is the two header values, computed from the page at build time.
import { consoleAssetPath, consoleCsp, consoleEtag } from "./page.ts";

const headers = {
  "content-security-policy": consoleCsp,
  // Revalidate every time (a new deploy shows at once); the ETag makes that a bodiless 304.
  "cache-control": "no-cache",
  etag: consoleEtag,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

export const consoleRoutes = new Hono<AppEnv>().get("/", async (c) => {
  if (c.req.header("if-none-match") === consoleEtag) return c.body(null, 304, headers);
  const assets = c.env.ASSETS;
  if (assets === undefined) {
    throw new RewindError(
      "UNAVAILABLE",
      "the console page is not deployed: the Worker has no ASSETS binding (wrangler.toml [assets], built by npm run build:worker)",
    );
  }
  const page = await assets.fetch(new URL(consoleAssetPath, c.req.url));
  if (!page.ok)
    throw new RewindError("UNAVAILABLE", `the console page is missing from the Worker's static assets (${consoleAssetPath} answered ${page.status})`);
  return c.html(await page.text(), 200, headers);
});
