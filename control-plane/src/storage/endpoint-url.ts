// The two helpers of the AWS endpoint rules that the Worker's own S3 and SNS endpoint rules need
// (s3-endpoint-rules.ts, sns-endpoint-rules.ts), as the rules engine defines them (@smithy/core's
// parseURL and uriEncode), so a custom endpoint is taken apart exactly as the SDK would.

export interface EndpointUrl {
  scheme: "http" | "https";
  /** Host and port, the port kept when the input spelled out the scheme's default one. */
  authority: string;
  /** The path, ending in "/". */
  normalizedPath: string;
}

const defaultPorts = { http: 80, https: 443 } as const;

export function customEndpointUrl(value: string): EndpointUrl {
  const invalid = new Error(`Custom endpoint \`${value}\` was not a valid URI`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid;
  }
  const scheme = url.protocol.slice(0, -1);
  if (url.search !== "" || (scheme !== "http" && scheme !== "https")) throw invalid;
  const defaultPort = `${url.host}:${defaultPorts[scheme]}`;
  const authority = url.href.includes(defaultPort) || value.includes(defaultPort) ? defaultPort : url.host;
  return { scheme, authority, normalizedPath: url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/` };
}

export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
