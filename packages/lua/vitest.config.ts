import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "lua",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The comparison tests run scripts through a real lua5.1 or redis-server.
    testTimeout: 60000,
    hookTimeout: 60000,
  },
  resolve: { conditions: ["keyhaven-source"] },
});
