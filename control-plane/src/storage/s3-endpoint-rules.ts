// Stands in for @aws-sdk/client-s3's endpoint resolver in the Worker bundle (see
// scripts/worker-bundle-trims.ts): S3's whole endpoint ruleset (access points, Outposts, S3 Express,
// Object Lambda, accelerate, dual-stack; ~25 KB with the rules engine) for the addressing the control
// plane uses: a general purpose bucket, path-style at S3_ENDPOINT (R2, MinIO, s3rver) or at AWS S3 in
// S3_REGION. It answers those exactly as the ruleset does (test/unit/endpoint-rules.test.ts compares
// both over every AWS region and many bucket names and endpoints) and refuses anything else, saying so.
import { isVirtualHostableS3Bucket, partition } from "@aws-sdk/core/client";
import { isValidHostLabel } from "@smithy/core/endpoints";
import { customEndpointUrl, uriEncode } from "./endpoint-url.ts";

/** The ruleset's parameters, as the SDK's endpoint middleware passes them. */
export interface S3EndpointParams {
  Bucket?: string;
  Region?: string;
  Endpoint?: string;
  ForcePathStyle?: boolean;
  UseFIPS?: boolean;
  UseDualStack?: boolean;
  Accelerate?: boolean;
  UseGlobalEndpoint?: boolean;
  UseObjectLambdaEndpoint?: boolean;
  UseS3ExpressControlEndpoint?: boolean;
  [other: string]: unknown;
}

function leftOut(what: string): Error {
  return new Error(
    `${what} is left out of the Rewind Worker bundle's S3 endpoint rules (control-plane/src/storage/s3-endpoint-rules.ts): the control plane addresses a general purpose bucket, at S3_ENDPOINT or at AWS S3 in S3_REGION`,
  );
}

// Names S3 keeps for other kinds of bucket: ARNs (access points, Outposts), directory buckets
// (S3 Express, "--x-s3", "--xa-s3") and Outposts aliases ("--op-s3"). A general purpose bucket
// cannot end so.
const otherBucketKind = /^arn:|--(x|xa|op)-s3$/;

/** An endpoint as the ruleset answers it (its auth scheme has keys @smithy/types' EndpointV2 lacks). */
export interface S3Endpoint {
  url: URL;
  properties: { authSchemes: { disableDoubleEncoding: boolean; name: "sigv4"; signingName: "s3"; signingRegion: string }[] };
  headers: Record<string, string[]>;
}

function endpoint(url: string, signingRegion: string): S3Endpoint {
  return { url: new URL(url), properties: { authSchemes: [{ disableDoubleEncoding: true, name: "sigv4", signingName: "s3", signingRegion }] }, headers: {} };
}

export function defaultEndpointResolver(params: S3EndpointParams): S3Endpoint {
  const { Bucket: bucket, Region: region, Endpoint: custom } = params;
  if (params.UseDualStack || params.Accelerate || params.UseGlobalEndpoint || params.UseObjectLambdaEndpoint || params.UseS3ExpressControlEndpoint) {
    throw leftOut("a dual-stack, accelerate, global, Object Lambda or S3 Express control endpoint");
  }
  if (bucket === undefined) throw leftOut("a request without a bucket");
  if (otherBucketKind.test(bucket)) throw leftOut(`bucket ${JSON.stringify(bucket)} (an ARN, directory bucket or Outposts alias)`);
  if (region === undefined) throw new Error("A region must be set when sending requests to S3.");
  const signingRegion = region === "aws-global" ? "us-east-1" : region;
  if (custom !== undefined) {
    if (params.UseFIPS) throw new Error("A custom endpoint cannot be combined with FIPS");
    if (!params.ForcePathStyle) throw leftOut("virtual-hosted addressing at a custom endpoint");
    const url = customEndpointUrl(custom);
    return endpoint(`${url.scheme}://${url.authority}${url.normalizedPath}${uriEncode(bucket)}`, signingRegion);
  }
  const { name, dnsSuffix, supportsFIPS } = partition(region);
  // S3 has no FIPS endpoints in China, whatever the partition says.
  if (params.UseFIPS && (!supportsFIPS || name === "aws-cn")) throw new Error("Partition does not support FIPS");
  const service = params.UseFIPS ? "s3-fips" : "s3";
  const host =
    region === "aws-global" ? (params.UseFIPS ? `${service}.us-east-1.${dnsSuffix}` : `${service}.${dnsSuffix}`) : `${service}.${region}.${dnsSuffix}`;
  if (params.ForcePathStyle || !isVirtualHostableS3Bucket(bucket, false)) return endpoint(`https://${host}/${uriEncode(bucket)}`, signingRegion);
  // Only a bucket in the host name needs the region to be a DNS label; a path-style URL is only parsed.
  if (!isValidHostLabel(region)) throw new Error("Invalid region: region was not a valid DNS name.");
  return endpoint(`https://${bucket}.${host}`, signingRegion);
}
