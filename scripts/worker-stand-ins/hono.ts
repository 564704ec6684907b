// Stands in for hono's main entry in the Worker bundle (see scripts/worker-bundle-trims.ts): the same
// Hono class, whose default router is SmartRouter over RegExpRouter and TrieRouter (it keeps the first
// that accepts every route), routing with TrieRouter alone (~4 KB less). Hono's routers answer alike
// (its presets swap them freely); TrieRouter is the one SmartRouter falls back to for any route.
import type { BlankEnv, BlankSchema, Env, Schema } from "hono/types";
import { HonoBase, type HonoOptions } from "hono/hono-base";
import { TrieRouter } from "hono/router/trie-router";

export class Hono<E extends Env = BlankEnv, S extends Schema = BlankSchema, BasePath extends string = "/"> extends HonoBase<E, S, BasePath> {
  constructor(options: HonoOptions<E> = {}) {
    super(options);
    this.router = options.router ?? new TrieRouter();
  }
}
