// The user-defined networks a project's containers join, captured with the containers so a restore
// can create one the bad release took away (a renamed network, a `down` before its `up`) exactly as
// Compose had made it: driver, options, IPAM, flags and labels.
import type Docker from "dockerode";
import { isRewindError } from "../../../shared/errors.ts";
import type { ContainerSpec } from "./docker-start.ts";

export type NetworkSpec = Docker.NetworkCreateOptions & { Name: string };

const builtIn = new Set(["bridge", "host", "none", "default"]);

/** Networks the specs join by name (not Docker's own, not `container:<id>`). */
export function networksOf(specs: readonly ContainerSpec[]): string[] {
  const names = new Set<string>();
  for (const spec of specs) {
    for (const name of Object.keys(spec.create.NetworkingConfig?.EndpointsConfig ?? {})) names.add(name);
    for (const name of Object.keys(spec.extraNetworks)) names.add(name);
    const mode = spec.create.HostConfig?.NetworkMode;
    if (mode && !mode.includes(":")) names.add(mode);
  }
  return [...names].filter((name) => !builtIn.has(name)).sort();
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export async function captureNetwork(docker: Docker, name: string): Promise<NetworkSpec | undefined> {
  try {
    const info = await docker.getNetwork(name).inspect();
    return {
      Name: info.Name,
      Driver: info.Driver,
      ...(info.Options ? { Options: info.Options } : {}),
      ...(info.IPAM ? { IPAM: info.IPAM } : {}),
      Internal: info.Internal,
      Attachable: info.Attachable,
      EnableIPv6: info.EnableIPv6,
      ...(info.Labels ? { Labels: info.Labels } : {}),
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Create each network that is gone; one still there is left as it is. Returns the names created. */
export async function ensureNetworks(docker: Docker, networks: readonly NetworkSpec[]): Promise<string[]> {
  const created: string[] = [];
  for (const network of networks) {
    if (await captureNetwork(docker, network.Name)) continue;
    try {
      await docker.createNetwork({ ...network, CheckDuplicate: true });
    } catch (error) {
      // A subnet Docker picked back then may be another network's now: let Docker pick again.
      if (!network.IPAM?.Config?.length || isRewindError(error, "TIMED_OUT")) throw error;
      await docker.createNetwork({ ...network, IPAM: { ...network.IPAM, Config: [] }, CheckDuplicate: true });
    }
    created.push(network.Name);
  }
  return created;
}
