// Stands in for @aws-sdk/credential-provider-node in the Worker bundle (see scripts/build-worker.ts).
// A Worker has no ambient credential source (no ~/.aws, no instance role, no process env), and every
// S3/SNS client the control plane builds passes explicit credentials, so the SDK's default chain
// (~120 KB minified, mostly code that reads files Workers cannot reach) would never run. If a client
// is ever built without credentials, this fails its requests with a message saying what to set.
export function defaultProvider(): () => Promise<never> {
  return () =>
    Promise.reject(new Error("no AWS credentials: a Worker has no ambient credential source; pass accessKeyId/secretAccessKey (S3_* or SNS_* secrets)"));
}
