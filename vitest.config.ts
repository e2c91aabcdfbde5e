import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "tests/*"],
    reporters: ["default"],
    // Vitest's default is one worker less than the cores: one on the 2-core machines CI runs on,
    // where most test files spend their time waiting for the servers they start. Projects with a
    // group of their own (sentinel, chaos) set their own.
    maxWorkers: 2,
  },
});
