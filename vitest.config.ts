import { defineConfig } from "vitest/config";

// Two projects: pure logic (fast, parallel) first, then integration against real servers (Docker,
// PostgreSQL, workerd, S3). Integration files create their own labelled resources on free ports, so
// three run at once: most of their time is spent waiting on containers and servers, not on the CPU.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["shared/**/*.test.ts", "agent/**/*.test.ts", "control-plane/**/*.test.ts", "test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/world/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
          maxWorkers: 3,
        },
      },
    ],
  },
});
