// Stands in for @smithy/core/checksum in the Worker bundle (see scripts/worker-bundle-trims.ts): all of
// it but MD5 in JavaScript (~1.4 KB). The S3 client hashes MD5 only for a server-side encryption key
// the caller supplies (SSE-C), which the control plane never sends; its checksums are left out too
// (no-flexible-checksums.ts). SHA-256, which signs every request, is the SDK's own.
export * from "@smithy/core/checksum";

export class Md5 {
  constructor() {
    throw new Error(
      "MD5 is left out of the Rewind Worker bundle (control-plane/src/storage/no-md5.ts); the control plane sends no SSE-C key and asks for no checksum",
    );
  }
}
