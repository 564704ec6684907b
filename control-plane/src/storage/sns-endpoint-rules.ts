// Stands in for @aws-sdk/client-sns's endpoint resolver in the Worker bundle (see
// scripts/worker-bundle-trims.ts): SNS's endpoint ruleset written out as code, so that, with S3's
// (s3-endpoint-rules.ts), the Worker leaves out the SDK's rules engine. It is the whole ruleset, not a
// part: test/unit/endpoint-rules.test.ts compares it with the SDK's over every AWS region.
import { partition } from "@aws-sdk/core/client";
import type { EndpointV2 } from "@smithy/types";

export interface SnsEndpointParams {
  Region?: string;
  Endpoint?: string;
  UseFIPS?: boolean;
  UseDualStack?: boolean;
}

function endpoint(url: string): EndpointV2 {
  return { url: new URL(url), properties: {}, headers: {} };
}

export function defaultEndpointResolver(params: SnsEndpointParams): EndpointV2 {
  const { Region: region, Endpoint: custom, UseFIPS: fips, UseDualStack: dualStack } = params;
  if (custom !== undefined) {
    if (fips) throw new Error("Invalid Configuration: FIPS and custom endpoint are not supported");
    if (dualStack) throw new Error("Invalid Configuration: Dualstack and custom endpoint are not supported");
    return endpoint(custom);
  }
  if (region === undefined) throw new Error("Invalid Configuration: Missing Region");
  const { dnsSuffix, dualStackDnsSuffix, supportsFIPS, supportsDualStack } = partition(region);
  if (fips && dualStack) {
    if (!supportsFIPS || !supportsDualStack) throw new Error("FIPS and DualStack are enabled, but this partition does not support one or both");
    return endpoint(`https://sns-fips.${region}.${dualStackDnsSuffix}`);
  }
  if (fips) {
    if (!supportsFIPS) throw new Error("FIPS is enabled but this partition does not support FIPS");
    if (region === "us-gov-east-1" || region === "us-gov-west-1") return endpoint(`https://sns.${region}.amazonaws.com`);
    return endpoint(`https://sns-fips.${region}.${dnsSuffix}`);
  }
  if (dualStack) {
    if (!supportsDualStack) throw new Error("DualStack is enabled but this partition does not support DualStack");
    return endpoint(`https://sns.${region}.${dualStackDnsSuffix}`);
  }
  return endpoint(`https://sns.${region}.${dnsSuffix}`);
}
