// The console's one HTML document, with its script and style inlined (one round trip on a weak
// network), and the strict CSP that allows exactly those two, by hash, plus same-origin API calls.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { consoleScript, consoleStyle } from "./assets.gen.ts";

const encoder = new TextEncoder();

function cspHash(source: string): string {
  return `'sha256-${btoa(String.fromCharCode(...sha256(encoder.encode(source))))}'`;
}

/** Where the page lives among the Worker's static assets. */
export const consoleAssetPath = "/console.html";

export const consolePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Rewind console</title>
<link rel="icon" href="data:,">
<style>${consoleStyle}</style>
</head>
<body>
<div id="app"><noscript>The Rewind console needs JavaScript.</noscript></div>
<script>${consoleScript}</script>
</body>
</html>
`;

export const consoleCsp = [
  "default-src 'none'",
  `script-src ${cspHash(consoleScript)}`,
  `style-src ${cspHash(consoleStyle)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Changes whenever the page does, so a revalidating phone gets a 304 instead of the page again. */
export const consoleEtag = `"${bytesToHex(sha256(encoder.encode(consolePage))).slice(0, 32)}"`;
