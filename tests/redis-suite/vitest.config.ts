import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "redis-suite",
    include: ["test/**/*.test.ts"],
    // A unit of Redis's suite runs its own servers one test after the other; the longest chosen
    // take under a minute alone, more beside the rest of the suite on 2 cores.
    testTimeout: 300_000,
    // The first run downloads and unpacks the source (3 MB).
    hookTimeout: 180_000,
  },
});
