import { describe, expect, it } from "vitest";
import { dockerCallBound } from "./docker-timeouts.ts";

const timeouts = { callSeconds: 20, longCallSeconds: 900 };

describe("the deadline of a Docker Engine call", () => {
  it("is the ordinary bound for quick calls", () => {
    for (const call of [
      { method: "GET", path: "/_ping" },
      { method: "GET", path: "/containers/json?" },
      { method: "GET", path: "/containers/abc/json?" },
      { method: "POST", path: "/containers/create?" },
      { method: "POST", path: "/containers/abc/start?" },
      { method: "DELETE", path: "/containers/abc?", options: { force: true } },
      { method: "GET", path: "/containers/abc/logs?", options: { follow: false, tail: 200 } },
      { method: "POST", path: "/images/sha256:1/tag?" },
    ]) {
      expect(dockerCallBound(call, timeouts), `${call.method} ${call.path}`).toEqual({ seconds: 20, setting: "docker.timeouts.callSeconds" });
    }
  });

  it("is the long bound for builds, loads, pulls, exports, waits and followed logs", () => {
    for (const call of [
      { method: "POST", path: "/build?" },
      { method: "POST", path: "/images/load?" },
      { method: "POST", path: "/images/create?" },
      { method: "GET", path: "/images/app:1/get" },
      { method: "POST", path: "/containers/abc/wait?" },
      { method: "GET", path: "/containers/abc/logs?", options: { follow: true } },
    ]) {
      expect(dockerCallBound(call, timeouts), `${call.method} ${call.path}`).toEqual({ seconds: 900, setting: "docker.timeouts.longCallSeconds" });
    }
  });

  it("gives a stop its grace period first (the engine's 10 s when none is named)", () => {
    expect(dockerCallBound({ method: "POST", path: "/containers/abc/stop?", options: { t: 30 } }, timeouts).seconds).toBe(50);
    expect(dockerCallBound({ method: "POST", path: "/containers/abc/restart?", options: {} }, timeouts).seconds).toBe(30);
    expect(dockerCallBound({ method: "POST", path: "/containers/abc/stop?", options: { t: -1 } }, timeouts).seconds).toBe(900);
  });
});
