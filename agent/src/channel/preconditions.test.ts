import { describe, expect, it } from "vitest";
import { preconditionDifferences } from "./preconditions.ts";

const imageA = `sha256:${"a".repeat(64)}`;
const imageB = `sha256:${"b".repeat(64)}`;
const commit = "0123456789abcdef0123456789abcdef01234567";

describe("preconditions", () => {
  it.each([
    ["no preconditions", undefined, []],
    ["same commit and images", { commit, images: { backend: imageA } }, []],
    ["abbreviated commit", { commit: "0123456" }, []],
    ["other commit", { commit: "fedcba9" }, [`commit is ${commit}, command expected fedcba9`]],
    ["other image", { images: { backend: imageB } }, [`service backend runs ${imageA}, command expected ${imageB}`]],
    ["service gone", { images: { worker: imageA } }, [`service worker runs no container, command expected ${imageA}`]],
  ])("%s", (_label, pre, expected) => {
    expect(preconditionDifferences(pre, { commit, images: { backend: imageA, frontend: imageB } })).toEqual(expected);
  });

  it("an unknown commit fails a commit precondition", () => {
    expect(preconditionDifferences({ commit: "0123456" }, { images: {} })).toEqual(["commit is unknown, command expected 0123456"]);
  });
});
