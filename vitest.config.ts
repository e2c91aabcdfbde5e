import { defineConfig } from "vitest/config";

/**
 * Server test files that start a whole `./keyhaven cluster` and time Sentinel failovers against
 * 1-second down-after periods: they run on their own, after the rest, as they did when the server
 * project ran one file at a time (alongside another file a Sentinel once saw a freshly promoted
 * master as down and failed over a second time).
 */
const CLUSTER_FILES = ["test/integration/cluster-*.test.ts"];

export default defineConfig({
  test: {
    projects: [
      "packages/*",
      "tests/*",
      {
        root: "packages/server",
        resolve: { conditions: ["keyhaven-source"] },
        test: {
          name: "server-cluster",
          include: CLUSTER_FILES,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
    reporters: ["default"],
    // Vitest's default is one worker less than the cores: one on the 2-core machines CI runs on,
    // where most test files spend their time waiting for the servers they start. Projects with a
    // group of their own (sentinel, chaos, server-cluster) set their own.
    maxWorkers: 2,
  },
});
