import { describe, expect, it } from "vitest";
import { carriedVolumes } from "./carry-volumes.ts";

const anon = "f".repeat(64);

describe("volumes a recreated container keeps", () => {
  it("mounts the replaced container's anonymous volume again where the new spec declares one", () => {
    const create = { Volumes: { "/var/lib/postgresql/data": {}, "/cache": {} }, HostConfig: { Binds: ["media:/cache:rw"] } };
    const mounts = [
      { Type: "volume", Name: anon, Destination: "/var/lib/postgresql/data" },
      { Type: "volume", Name: "e".repeat(64), Destination: "/cache" },
      { Type: "volume", Name: "media", Destination: "/media" },
      { Type: "bind", Destination: "/etc/app" },
    ];
    expect(carriedVolumes(mounts, create)).toEqual([`${anon}:/var/lib/postgresql/data`]);
  });

  it("carries nothing to a spec that no longer declares the path", () => {
    expect(carriedVolumes([{ Type: "volume", Name: anon, Destination: "/data" }], { HostConfig: {} })).toEqual([]);
  });
});
