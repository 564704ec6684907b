// GET / serves the operator console. It is public static content: every action it takes goes
// through the token-checked API, so the page itself holds no secret.
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import { consoleCsp, consoleEtag, consolePage } from "./page.ts";

const headers = {
  "content-security-policy": consoleCsp,
  // Revalidate every time (a new deploy shows at once); the ETag makes that a bodiless 304.
  "cache-control": "no-cache",
  etag: consoleEtag,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

export const consoleRoutes = new Hono<AppEnv>().get("/", (c) => {
  if (c.req.header("if-none-match") === consoleEtag) return c.body(null, 304, headers);
  return c.html(consolePage, 200, headers);
});
