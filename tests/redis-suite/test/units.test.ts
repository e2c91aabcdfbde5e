/**
 * Units of Redis 7.0.15's own test suite that keyhaven-server passes whole, run as Redis runs
 * them (`./runtest --single <unit>`), servers started by the suite's harness from its default
 * configuration. Every unit listed here passes against redis-server too: a failure is ours.
 *
 * The list is what fits the suite's time budget: the units that check what this project fixed
 * after running Redis's suite (and a few quick ones). Others that Keyhaven passes whole (string,
 * hash, zset, scan, sort, stream, aofrw, redis-cli, psync2-reg, replication-psync...) and the
 * rest of the sweep are in docs/redis-test-suite.md, with how to run any unit by hand.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisTestSuite } from "../src/source.js";

const UNITS = [
  "unit/protocol",
  "unit/keyspace",
  "unit/info-command",
  "unit/info",
  "unit/type/incr",
  "unit/bitops",
  "unit/pubsub",
  "unit/type/stream-cgroups",
  "unit/multi",
  "unit/expire",
  "unit/acl",
  "unit/acl-v2",
  "unit/introspection-2",
  "integration/replication-4",
  "integration/psync2-master-restart",
  "integration/shutdown",
];

/** How long one unit may take before it is stopped (Redis's own --timeout is per test). */
const UNIT_LIMIT_MS = 240_000;

let tree = "";
const running = new Set<ChildProcess>();

beforeAll(async () => {
  tree = await redisTestSuite();
});

afterAll(() => {
  for (const p of running) stopGroup(p);
});

/** runtest, its Tcl test client and every server they started share one process group. */
function stopGroup(p: ChildProcess): void {
  if (p.pid === undefined || p.exitCode !== null) return;
  try {
    process.kill(-p.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function runUnit(unit: string, basePort: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const args = ["--single", unit, "--clients", "1", "--baseport", String(basePort), "--portcount", "400"];
    const p = spawn("./runtest", [...args, "--timeout", "120"], {
      cwd: tree,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(p);
    let output = "";
    p.stdout.on("data", (d) => {
      output += d;
    });
    p.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\n(stopped after ${UNIT_LIMIT_MS} ms)`;
      stopGroup(p);
    }, UNIT_LIMIT_MS);
    p.on("close", (code) => {
      clearTimeout(timer);
      running.delete(p);
      // Whatever the harness left behind when it failed.
      stopGroup(p);
      resolve({ code, output });
    });
  });
}

/** The lines that say what failed, without the colour codes. */
function failures(output: string): string {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n");
  const picked: string[] = [];
  lines.forEach((line, i) => {
    if (/^\[(err|exception)\]/.test(line)) picked.push(line, ...lines.slice(i + 1, i + 4));
  });
  return picked.length > 0 ? picked.join("\n") : plain.slice(-3000);
}

describe("Redis 7.0.15's own test units against keyhaven-server", () => {
  // Each file of this project runs in its own worker: ports apart from any other runtest. The
  // harness also probes port+10000 of each port it takes, which must stay below 65536.
  const basePort = 21000 + Math.floor(Math.random() * 20) * 1000;
  for (const unit of UNITS) {
    it(unit, async () => {
      const { code, output } = await runUnit(unit, basePort);
      expect(output.includes("All tests passed without errors!") && code === 0, failures(output)).toBe(true);
    });
  }
});
