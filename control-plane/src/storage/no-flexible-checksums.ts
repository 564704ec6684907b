// Stands in for @aws-sdk/checksums' flexible checksums and SHA-1 in the Worker bundle (see
// scripts/worker-bundle-trims.ts): CRC32, CRC32C, CRC64NVME and SHA-1 in JavaScript, checksum streams
// and the middleware that picks them. The control plane's S3 client computes and validates checksums
// only when an operation requires one (s3.ts: WHEN_REQUIRED), and PutObject and GetObject do not:
// for them the SDK's middleware then does nothing but note the setting in the user agent, as this
// one does. Anything that would need a checksum fails, saying why.

interface ChecksumSettings {
  requestChecksumCalculation?: unknown;
  responseChecksumValidation?: unknown;
}

/** The part of an operation's checksum traits (@aws-sdk/client-s3 commandBuilder.js) this reads. */
interface ChecksumTraits {
  requestChecksumRequired: boolean;
  requestAlgorithmMember?: { name: string };
  requestValidationModeMember?: string;
}

interface HandlerContext {
  __aws_sdk_context?: { features?: Record<string, string> };
}
type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Middleware = (next: Handler, context: HandlerContext) => Handler;
interface Stack {
  addRelativeTo(middleware: Middleware, options: Record<string, unknown>): void;
}

function leftOut(what: string): Error {
  return new Error(
    `${what}: AWS SDK checksums are left out of the Rewind Worker bundle (control-plane/src/storage/no-flexible-checksums.ts); the control plane's S3 operations need none`,
  );
}

const whenRequired = "WHEN_REQUIRED";

interface ResolvedChecksumSettings {
  requestChecksumCalculation: () => Promise<string>;
  responseChecksumValidation: () => Promise<string>;
  requestStreamBufferSize: number;
  checksumAlgorithms: Record<string, never>;
}

/** As the SDK's, for the one setting this bundle supports: checksums only where an operation requires them. */
export function resolveFlexibleChecksumsConfig<T extends ChecksumSettings>(input: T): Omit<T, keyof ResolvedChecksumSettings> & ResolvedChecksumSettings {
  if (input.requestChecksumCalculation !== whenRequired || input.responseChecksumValidation !== whenRequired) {
    throw leftOut("an S3 client must set requestChecksumCalculation and responseChecksumValidation to WHEN_REQUIRED");
  }
  const resolved: ResolvedChecksumSettings = {
    requestChecksumCalculation: async () => whenRequired,
    responseChecksumValidation: async () => whenRequired,
    requestStreamBufferSize: 0,
    checksumAlgorithms: {},
  };
  return Object.assign(input, resolved);
}

/** Where the SDK's input middleware sits, doing what it does under WHEN_REQUIRED; refuses what would need a checksum. */
export function getFlexibleChecksumsPlugin(_config: unknown, traits: ChecksumTraits): { applyToStack(stack: Stack): void } {
  const middleware: Middleware = (next, context) => async (args) => {
    const { input } = args;
    const algorithm = traits.requestAlgorithmMember === undefined ? undefined : input[traits.requestAlgorithmMember.name];
    const validation = traits.requestValidationModeMember === undefined ? undefined : input[traits.requestValidationModeMember];
    if (traits.requestChecksumRequired || algorithm || validation === "ENABLED") {
      throw leftOut("this S3 request asks for a checksum");
    }
    context.__aws_sdk_context ??= {};
    context.__aws_sdk_context.features ??= {};
    Object.assign(context.__aws_sdk_context.features, { FLEXIBLE_CHECKSUMS_REQ_WHEN_REQUIRED: "a", FLEXIBLE_CHECKSUMS_RES_WHEN_REQUIRED: "c" });
    return next(args);
  };
  const options = {
    name: "flexibleChecksumsInputMiddleware",
    toMiddleware: "serializerMiddleware",
    relation: "before",
    tags: ["BODY_CHECKSUM"],
    override: true,
  };
  return { applyToStack: (stack) => stack.addRelativeTo(middleware, options) };
}

/** The S3 client's SHA-1 hash, used by nothing but checksums. */
export class Sha1 {
  constructor() {
    throw leftOut("SHA-1");
  }
}
