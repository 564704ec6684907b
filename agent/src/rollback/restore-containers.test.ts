import { describe, expect, it } from "vitest";
import { outside, runningServices } from "./restore-containers.ts";

const spec = (name: string, service: string, running?: boolean) => ({
  name,
  service,
  imageId: `sha256:${"a".repeat(64)}`,
  imageRef: "app",
  create: {},
  extraNetworks: {},
  ...(running === undefined ? {} : { running }),
});

describe("which containers a restored release has no place for", () => {
  it("retires containers by name: an added service, and another Compose's name for the same service", () => {
    const bad = [spec("shop-web-1", "web"), spec("shop-extra-1", "extra"), spec("shop_db_1", "db")];
    const backup = [spec("shop_web_1", "web"), spec("shop_db_1", "db"), spec("shop_legacy_1", "legacy")];
    expect(outside(bad, backup).map((c) => c.name)).toEqual(["shop-web-1", "shop-extra-1"]);
  });

  it("expects running only what ran when captured: a finished one-shot job is not awaited", () => {
    const specs = [spec("a", "web", true), spec("b", "migrate", false), spec("c", "worker"), spec("d", "web", true)];
    expect(runningServices(specs)).toEqual(["web", "worker"]);
  });
});
