#!/usr/bin/env node
// The process entry of `rewind`: bin/rewind.js loads it through tsx in a checkout, and
// `npm run build:agent` bundles it into dist/rewind.mjs for hosts.
import { main } from "./main.ts";

// Node 20 is a runtime this release supports, and the AWS SDK it carries does not change on a host:
// the SDK's notice that its future versions need a newer Node would only clutter `rewind backup
// --offsite` and the agent's log (issue 16 §13). The SDK's documented switch, read when a client is made.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

process.exitCode = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
