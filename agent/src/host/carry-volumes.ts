// A recreated container keeps the data of the one it replaces, as Compose does on recreate: an
// anonymous volume (a 64-hex name Docker made for an image's VOLUME) at a path the new spec also
// declares and does not bind otherwise is mounted again, instead of a fresh empty one.
import type Docker from "dockerode";

interface Mount {
  Type?: string;
  Name?: string;
  Destination: string;
}

const anonymous = /^[0-9a-f]{64}$/;

/** Binds (`volume:path`) carrying the old container's anonymous volumes into `create`. */
export function carriedVolumes(oldMounts: readonly Mount[], create: Docker.ContainerCreateOptions): string[] {
  const bound = new Set<string>([
    ...(create.HostConfig?.Binds ?? []).map((bind) => bind.split(":")[1] ?? ""),
    ...(create.HostConfig?.Mounts ?? []).map((mount) => mount.Target),
  ]);
  const declared = new Set(Object.keys(create.Volumes ?? {}));
  return oldMounts
    .filter((m) => m.Type === "volume" && m.Name !== undefined && anonymous.test(m.Name) && declared.has(m.Destination) && !bound.has(m.Destination))
    .map((m) => `${m.Name}:${m.Destination}`);
}

/** `create` with the old container's anonymous volumes bound again. */
export function withCarriedVolumes(create: Docker.ContainerCreateOptions, oldMounts: readonly Mount[]): Docker.ContainerCreateOptions {
  const carried = carriedVolumes(oldMounts, create);
  if (carried.length === 0) return create;
  return { ...create, HostConfig: { ...create.HostConfig, Binds: [...(create.HostConfig?.Binds ?? []), ...carried] } };
}
