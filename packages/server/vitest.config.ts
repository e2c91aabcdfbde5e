import { configDefaults, defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "server",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The whole-cluster files run in a group of their own (the root vitest.config.ts).
    exclude: [...configDefaults.exclude, "test/integration/cluster-*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
  resolve: { conditions: ["keyhaven-source"] },
});
