import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "protocol",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The interop tests start real redis-server processes.
    testTimeout: 60000,
    hookTimeout: 60000,
  },
  resolve: { conditions: ["keyhaven-source"] },
});
