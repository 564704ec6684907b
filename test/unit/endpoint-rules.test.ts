// The Worker's own S3 and SNS endpoint rules (control-plane/src/storage/*-endpoint-rules.ts) stand in
// for the SDK clients' rulesets in the Worker bundle. Here the SDK's real resolvers decide the same
// parameters: every AWS region, bucket names of each shape, custom endpoints as S3_ENDPOINT may give
// them. Both must give the same endpoint, or both refuse; ours refuses alone only what it leaves out.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultEndpointResolver as s3Rules, type S3EndpointParams } from "../../control-plane/src/storage/s3-endpoint-rules.ts";
import { defaultEndpointResolver as snsRules, type SnsEndpointParams } from "../../control-plane/src/storage/sns-endpoint-rules.ts";

const require = createRequire(import.meta.url);
type Resolver<P> = (params: P) => { url: URL; properties?: unknown; headers?: unknown };
let realS3: Resolver<S3EndpointParams>;
let realSns: Resolver<SnsEndpointParams>;
let regions: string[];

/** A module inside an installed package, past its exports map (the SDK does not export these). */
async function packageModule<T>(name: string, file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(path.dirname(require.resolve(`${name}/package.json`)), file)).href)) as T;
}

beforeAll(async () => {
  type Real<P> = { defaultEndpointResolver: Resolver<P> };
  realS3 = (await packageModule<Real<S3EndpointParams>>("@aws-sdk/client-s3", "dist-es/endpoint/endpointResolver.js")).defaultEndpointResolver;
  realSns = (await packageModule<Real<SnsEndpointParams>>("@aws-sdk/client-sns", "dist-es/endpoint/endpointResolver.js")).defaultEndpointResolver;
  const { partitionsInfo } = await packageModule<{ partitionsInfo: { partitions: { regions: Record<string, unknown> }[] } }>(
    "@aws-sdk/core",
    "dist-es/submodules/client/util-endpoints/lib/aws/partitions.js",
  );
  const known = partitionsInfo.partitions.flatMap((partition) => Object.keys(partition.regions));
  // Regions only the partitions' patterns know, and ones no partition knows (AWS's by default).
  regions = [...known, "us-west-9", "cn-east-7", "us-gov-central-3", "us-iso-south-2", "us-isob-west-4", "eu-isoe-north-2", "us-isof-east-3"];
  regions.push("eusc-de-west-2", "auto", "local", "foo", "", "bad region", "UPPER-1", "a.b", "x-", "us_east_1", "a/b");
  expect(known.length).toBeGreaterThan(30);
});

type Outcome = { url: string; properties: unknown; headers: unknown } | "refused";

function outcome<P>(resolver: Resolver<P>, params: P): Outcome {
  const quiet = console.error;
  // The SDK's URL parser logs what it cannot parse; its refusal is what counts here.
  console.error = () => undefined;
  try {
    const { url, properties, headers } = resolver(params);
    return { url: url.href, properties, headers };
  } catch {
    return "refused";
  } finally {
    console.error = quiet;
  }
}

const buckets = [
  "my-bucket",
  "rewind",
  "my.bucket",
  "My-Bucket",
  "ab",
  "abc",
  "a".repeat(63),
  "a".repeat(64),
  "192.168.0.1",
  "my_bucket",
  "bucket-",
  "-bucket",
];
buckets.push("a b", "b!*'()~", "b/c", "b?c", "üñí", "my--bucket", "xn--abc", "bucket..x", "", "-s3", "x-s3", "b--ol-s3", "b-s3alias", "b.mrap", "b--table-s3");
const otherKinds = ["arn:aws:s3:us-west-2:123456789012:accesspoint/ap", "arn:aws:s3:::my-bucket", "b--usw2-az1--x-s3", "b--use1-az4--xa-s3"];
otherKinds.push(`${"a".repeat(20)}--op-s3`, "myaccesspoint-ab1cd2ef3gh4ij5kl6mn7op8qr9st--op-s3");
const endpoints = ["http://127.0.0.1:9000", "http://127.0.0.1:9000/", "https://acc.r2.cloudflarestorage.com", "https://h.example:443", "http://h.example:80/"];
endpoints.push(
  "https://h.example:443/base",
  "http://h.example:8080/base",
  "http://h.example/base/",
  "http://[::1]:9000",
  "http://h.example/p%20q",
  "HTTP://H.EXAMPLE:9000",
);
endpoints.push("https://h.example?x=1", "ftp://h.example", "not a url", "http://10.0.0.1:80");

/** Bucket-like names from a seeded generator: letters of both cases, digits, dots, dashes, underscores. */
function randomBuckets(count: number): string[] {
  const alphabet = "abcxyz0189.-_AZ";
  let seed = 15;
  const next = (below: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % below;
  };
  return Array.from({ length: count }, () => Array.from({ length: 1 + next(70) }, () => alphabet[next(alphabet.length)]).join(""));
}

describe("the Worker's S3 endpoint rules", () => {
  it("give the SDK's endpoint for a general purpose bucket at AWS S3, in every region, with and without FIPS", () => {
    let compared = 0;
    for (const Region of regions) {
      for (const Bucket of buckets) {
        for (const UseFIPS of [false, true]) {
          for (const ForcePathStyle of [false, true]) {
            const params: S3EndpointParams = {
              Bucket,
              Region,
              UseFIPS,
              UseDualStack: false,
              ForcePathStyle,
              Accelerate: false,
              UseGlobalEndpoint: false,
              Key: "k",
            };
            expect(outcome(s3Rules, params), JSON.stringify(params)).toEqual(outcome(realS3, params));
            compared += 1;
          }
        }
      }
    }
    for (const Region of ["us-east-1", "aws-global", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "foo", "bad region"]) {
      for (const Bucket of randomBuckets(300)) {
        for (const [UseFIPS, ForcePathStyle] of [
          [false, false],
          [true, false],
          [false, true],
        ]) {
          const params: S3EndpointParams = {
            Bucket,
            Region,
            UseFIPS,
            UseDualStack: false,
            ForcePathStyle,
            Accelerate: false,
            UseGlobalEndpoint: false,
            Key: "k",
          };
          expect(outcome(s3Rules, params), JSON.stringify(params)).toEqual(outcome(realS3, params));
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it("give the SDK's endpoint at a custom endpoint, path-style as the Worker configures it", () => {
    for (const Endpoint of endpoints) {
      for (const Region of ["us-east-1", "auto", "aws-global", "eu-west-1", "cn-north-1", "bad region", ""]) {
        for (const Bucket of buckets) {
          for (const UseFIPS of [false, true]) {
            const params: S3EndpointParams = { Bucket, Region, Endpoint, ForcePathStyle: true, UseFIPS, UseDualStack: false, Accelerate: false, Key: "k" };
            expect(outcome(s3Rules, params), JSON.stringify(params)).toEqual(outcome(realS3, params));
          }
        }
      }
    }
    // s3rver and R2 as the test world and a deployment configure them.
    expect(outcome(s3Rules, { Bucket: "rewind", Region: "auto", Endpoint: "https://acc.r2.cloudflarestorage.com", ForcePathStyle: true })).toEqual({
      url: "https://acc.r2.cloudflarestorage.com/rewind",
      properties: { authSchemes: [{ disableDoubleEncoding: true, name: "sigv4", signingName: "s3", signingRegion: "auto" }] },
      headers: {},
    });
  });

  it("refuse, saying why, what they leave out: ARNs, directory buckets, Outposts, dual-stack, accelerate", () => {
    const leftOut = /left out of the Rewind Worker bundle's S3 endpoint rules/;
    for (const Bucket of otherKinds) {
      for (const Endpoint of [undefined, "http://127.0.0.1:9000"]) {
        const params = { Bucket, Region: "us-west-2", ForcePathStyle: Endpoint !== undefined, ...(Endpoint === undefined ? {} : { Endpoint }) };
        expect(() => s3Rules(params), Bucket).toThrow(leftOut);
      }
    }
    for (const flag of ["UseDualStack", "Accelerate", "UseGlobalEndpoint", "UseObjectLambdaEndpoint", "UseS3ExpressControlEndpoint"]) {
      expect(() => s3Rules({ Bucket: "my-bucket", Region: "us-east-1", [flag]: true }), flag).toThrow(leftOut);
    }
    expect(() => s3Rules({ Region: "us-east-1" })).toThrow(leftOut);
  });
});

describe("the Worker's SNS endpoint rules", () => {
  it("give the SDK's endpoint in every region, with FIPS, dual-stack, both, and at a custom endpoint", () => {
    for (const Region of [...regions, undefined]) {
      for (const Endpoint of [undefined, "http://127.0.0.1:4566", "https://sns.example/x", "not a url"]) {
        for (const UseFIPS of [false, true]) {
          for (const UseDualStack of [false, true]) {
            const params: SnsEndpointParams = {
              UseFIPS,
              UseDualStack,
              ...(Region === undefined ? {} : { Region }),
              ...(Endpoint === undefined ? {} : { Endpoint }),
            };
            expect(outcome(snsRules, params), JSON.stringify(params)).toEqual(outcome(realSns, params));
          }
        }
      }
    }
  });
});
