import { describe, expect, it } from "vitest";
import { startOrder, stopOrder } from "./order.ts";
import { compareTableCounts, missingTables } from "./verify-checks.ts";

const services = [{ service: "minio" }, { service: "backend" }, { service: "postgres" }, { service: "frontend" }];

describe("stop and start order", () => {
  it("stops app services first, keeps the database up when data is swapped inside it", () => {
    expect(stopOrder(services, ["postgres", "minio"], "postgres").map((s) => s.service)).toEqual(["backend", "frontend", "minio"]);
    expect(stopOrder(services, ["postgres", "minio"]).map((s) => s.service)).toEqual(["backend", "frontend", "minio", "postgres"]);
  });

  it("starts infrastructure first", () => {
    expect(startOrder(services, ["postgres", "minio"]).map((s) => s.service)).toEqual(["minio", "postgres", "backend", "frontend"]);
  });
});

describe("compareTableCounts", () => {
  it("reports changed, missing and unexpected tables", () => {
    const t = (table: string, rows: number) => ({ schema: "public", table, rows });
    expect(compareTableCounts([t("jobs", 5), t("users", 3)], [t("jobs", 5), t("users", 3)])).toEqual([]);
    expect(compareTableCounts([t("jobs", 5), t("users", 3)], [t("jobs", 8), t("extra", 1)])).toEqual([
      { table: "public.jobs", expected: 5, actual: 8 },
      { table: "public.users", expected: 3 },
      { table: "public.extra", actual: 1 },
    ]);
  });
});

describe("missingTables", () => {
  it("names manifest tables absent from the live database, whatever their row counts", () => {
    const t = (table: string, rows: number) => ({ schema: "public", table, rows });
    expect(missingTables([t("jobs", 5), t("users", 3)], new Set(["public.jobs", "public.users", "public.extra"]))).toEqual([]);
    expect(missingTables([t("jobs", 5), t("users", 3)], new Set(["public.jobs"]))).toEqual(["public.users"]);
  });
});
