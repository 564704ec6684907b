#!/usr/bin/env node
// Entry point of the `rewind` CLI: loads the TypeScript sources through tsx (a runtime dependency).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../agent/src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
