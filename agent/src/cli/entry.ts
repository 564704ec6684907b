#!/usr/bin/env node
// The process entry of `rewind`: bin/rewind.js loads it through tsx in a checkout, and
// `npm run build:agent` bundles it into dist/rewind.mjs for hosts.
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
