import { describe, expect, it } from "vitest";
import { keepTag } from "../backup/keep-images.ts";
import { heldTagShortId, holdsFor } from "./hold-names.ts";
import { shortId } from "./names.ts";

const a = `sha256:${"a".repeat(64)}`;
const b = `sha256:${"b".repeat(64)}`;

describe("holdsFor", () => {
  it("holds each service's image once by a tag naming the project, the service and the rollback", () => {
    const holds = holdsFor("Shop_App", "rb-2026-12-03T12:00:00Z", [
      { service: "web", imageId: a },
      { service: "web", imageId: a },
      { service: "worker", imageId: a },
    ]);
    expect(holds).toEqual([
      { tag: "rewind-keep/shop_app/web:before-rb20261203t12000", imageId: a },
      { tag: "rewind-keep/shop_app/worker:before-rb20261203t12000", imageId: a },
    ]);
  });

  it("gives a service whose containers ran different images one tag per image, so neither moves the other", () => {
    const holds = holdsFor("shop", "rb-1", [
      { service: "web", imageId: a },
      { service: "web", imageId: b },
    ]);
    expect(holds.map((h) => h.tag)).toEqual(["rewind-keep/shop/web:before-rb1", "rewind-keep/shop/web:before-rb1-2"]);
    expect(new Set(holds.map((h) => h.imageId))).toEqual(new Set([a, b]));
  });

  it("makes tags Docker accepts: lowercase repository, tag of at most 128 characters", () => {
    const [hold] = holdsFor("My Project!", `RB_${"x".repeat(200)}`, [{ service: "Web.API", imageId: a }]);
    const [repo, tag] = (hold?.tag ?? "").split(":");
    expect(repo).toMatch(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/);
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
  });
});

describe("heldTagShortId", () => {
  it("recognises the project's hold tags, with or without an image index", () => {
    for (const hold of holdsFor("shop", "rb-abc123", [
      { service: "web", imageId: a },
      { service: "web", imageId: b },
    ])) {
      expect(heldTagShortId(hold.tag, "shop")).toBe(shortId("rb-abc123"));
    }
  });

  it("ignores another project's holds, backup keep tags and other images", () => {
    const [other] = holdsFor("shop-2", "rb-abc123", [{ service: "web", imageId: a }]);
    expect(heldTagShortId(other?.tag ?? "", "shop")).toBeUndefined();
    expect(heldTagShortId(keepTag("shop", "web", "20261203T120000Z"), "shop")).toBeUndefined();
    expect(heldTagShortId("shop_web:latest", "shop")).toBeUndefined();
    expect(heldTagShortId("rewind-keep/shop/web:before-", "shop")).toBeUndefined();
  });
});
