// Stands in for @smithy/core's AdaptiveRetryStrategy in the Worker bundle (see
// scripts/worker-bundle-trims.ts), and so for the client-side rate limiter only it uses (~3 KB). The
// control plane's S3 and SNS clients retry in the SDK's standard mode: neither sets retryMode, and the
// Worker's clients (their browser runtime configuration, "legacy" defaults) then take "standard".
export class AdaptiveRetryStrategy {
  constructor() {
    throw new Error(
      'the AWS SDK\'s "adaptive" retry mode is left out of the Rewind Worker bundle (control-plane/src/storage/no-adaptive-retry.ts); its clients retry in "standard" mode',
    );
  }
}
