// Stands in for S3 Express One Zone sessions in the Worker bundle (see scripts/worker-bundle-trims.ts):
// @aws-sdk/middleware-sdk-s3's session identity provider with its cache, and the CreateSession command
// it sends. A session is asked for only for a directory bucket, which the Worker's S3 endpoint rules
// refuse (s3-endpoint-rules.ts); the S3 client still builds the provider, so this one builds, and fails
// any use, saying why.
function leftOut(): Error {
  return new Error(
    "S3 Express One Zone sessions are left out of the Rewind Worker bundle (control-plane/src/storage/no-s3-express.ts); the control plane addresses general purpose buckets",
  );
}

export class S3ExpressIdentityProviderImpl {
  async getS3ExpressIdentity(): Promise<never> {
    throw leftOut();
  }
}

export class CreateSessionCommand {
  constructor() {
    throw leftOut();
  }
}
