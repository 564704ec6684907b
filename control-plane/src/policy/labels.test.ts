import { describe, expect, it } from "vitest";
import { environmentFromLabels, hostFromLabels, parseNumber, valueFromValueString } from "./labels.ts";

describe("hostFromLabels", () => {
  it.each([
    [{ rewind_host: "app-1", host: "other", instance: "x:1" }, "app-1"],
    [{ host: "App-2" }, "app-2"],
    [{ instance: "app-3:9100" }, "app-3"],
    [{ instance: "app-4.prod.example.com:9100" }, "app-4"],
    [{ instance: "https://web-5.example.org/healthz" }, "web-5"],
    [{ host: "", instance: "app-6:9100" }, "app-6"],
    [{ host: "not a host!", instance: "app-7" }, "app-7"],
    [{ instance: "10.0.0.8:9100" }, null],
    [{ instance: "[::1]:9100" }, null],
    [{ job: "backend" }, null],
    [{ host: "-bad-" }, null],
  ])("%j names host %s", (labels, expected) => {
    expect(hostFromLabels(labels)).toBe(expected);
  });
});

describe("environmentFromLabels", () => {
  it.each([
    [{ environment: "Production" }, "production"],
    [{ env: "prod" }, "prod"],
    [{ environment: "staging", env: "prod" }, "staging"],
    [{ environment: " " }, undefined],
    [{}, undefined],
  ])("%j → %s", (labels, expected) => {
    expect(environmentFromLabels(labels)).toBe(expected);
  });
});

describe("numbers", () => {
  it.each([
    ["0.142", 0.142],
    ["14.2%", 14.2],
    [" 17 ", 17],
    ["", undefined],
    ["n/a", undefined],
    [undefined, undefined],
  ])("parseNumber(%j) = %s", (raw, expected) => {
    expect(parseNumber(raw)).toBe(expected);
  });

  it("reads the first value out of Grafana's valueString", () => {
    expect(valueFromValueString("[ var='B' labels={host=app-4} value=17.5 ], [ var='C' labels={} value=1 ]")).toBe(17.5);
    expect(valueFromValueString("[ metric='' labels={} value=1.4151331895396988e+04 ]")).toBe(14151.331895396988);
    expect(valueFromValueString("")).toBeUndefined();
  });
});
