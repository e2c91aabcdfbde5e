import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "sentinel",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The scenarios mostly wait (down-after, elections): CPU stays low, so run files side by
    // side to keep the suite within a few minutes on 2 cores.
    maxWorkers: 3,
    // A project with its own maxWorkers runs as its own group (after the others) in a
    // whole-workspace run; vitest requires a distinct groupOrder for that.
    sequence: { groupOrder: 1 },
  },
  resolve: { conditions: ["keyhaven-source"] },
});
