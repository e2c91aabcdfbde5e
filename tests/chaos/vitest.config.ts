import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "chaos",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file at a time: each scenario runs a whole HA group (6 processes, plus the proxies in
    // the test process) whose timings (down-after, elections) must not depend on a neighbour's
    // CPU use on a 2-core machine. The package takes about a minute this way.
    maxWorkers: 1,
    fileParallelism: false,
    // A project with its own maxWorkers runs as its own group in a whole-workspace run; vitest
    // wants a distinct groupOrder for each (the sentinel project has 1).
    sequence: { groupOrder: 2 },
  },
  resolve: { conditions: ["keyhaven-source"] },
});
