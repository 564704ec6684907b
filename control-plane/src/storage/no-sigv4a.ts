// Stands in for @aws-sdk/signature-v4-multi-region in the Worker bundle (see
// scripts/worker-bundle-trims.ts). The S3 client signs through it: SigV4 for a region, SigV4a for "*"
// (multi-region access points) and with session credentials for S3 Express. The Worker's S3 endpoint
// rules only ever answer SigV4 for one region (s3-endpoint-rules.ts), and the Worker has no SigV4a
// implementation to load anyway; so this is the SDK's SigV4 signer, and fails the rest, saying why.
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest, RequestPresigningArguments, RequestSigningArguments } from "@smithy/types";

function leftOut(what: string): Error {
  return new Error(
    `${what} is left out of the Rewind Worker bundle (control-plane/src/storage/no-sigv4a.ts); the control plane signs SigV4 requests for one region`,
  );
}

type Signer = SignatureV4;
type SignerOptions = ConstructorParameters<typeof SignatureV4>[0];

export class SignatureV4MultiRegion {
  private readonly sigv4: Signer;

  /** As the SDK's answers where neither SigV4a implementation is loaded: the S3 client then prefers SigV4. */
  static sigv4aDependency(): "none" {
    return "none";
  }

  constructor(options: SignerOptions) {
    this.sigv4 = new SignatureV4(options);
  }

  async sign(request: HttpRequest, options: RequestSigningArguments = {}): Promise<HttpRequest> {
    if (options.signingRegion === "*") throw leftOut("SigV4a signing (signingRegion *)");
    return this.sigv4.sign(request, options);
  }

  async presign(request: HttpRequest, options: RequestPresigningArguments = {}): Promise<HttpRequest> {
    if (options.signingRegion === "*") throw leftOut("SigV4a presigning (signingRegion *)");
    return this.sigv4.presign(request, options);
  }

  async signWithCredentials(): Promise<never> {
    throw leftOut("signing with S3 Express session credentials");
  }

  async presignWithCredentials(): Promise<never> {
    throw leftOut("presigning with S3 Express session credentials");
  }
}

/** The S3 Express signer's base (@aws-sdk/middleware-sdk-s3), built only for an S3 Express session. */
export class SignatureV4SignWithCredentials {
  constructor() {
    throw leftOut("signing with S3 Express session credentials");
  }
}
