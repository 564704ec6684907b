#!/usr/bin/env node
// Entry point of the `rewind` CLI in a checkout: runs the TypeScript sources through tsx (a runtime
// dependency). Hosts run the bundle instead (npm run build:agent → dist/rewind.mjs).
import { register } from "tsx/esm/api";

register();
await import("../agent/src/cli/entry.ts");
