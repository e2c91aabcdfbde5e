/**
 * SIGSTOP of the master for longer than down-after-milliseconds, then SIGCONT. The frozen master
 * keeps its sockets open (nothing is refused, nothing answers), so the Sentinels see it SDOWN,
 * agree on ODOWN and fail over; the ioredis Sentinel-mode writer (SET + WAIT 2) times out on the
 * frozen connection and follows +switch-master to the new master. When the old master wakes up it
 * still believes it is a master; the Sentinels, which list it as a replica of the new master,
 * reconfigure it (REPLICAOF, after failover-timeout without being down: sentinelRefreshInstanceInfo)
 * and it resynchronizes. Checked: every acknowledged write survives on every node, the nodes
 * converge (DEBUG DIGEST). Figures: the writer's counts, failover time (SIGSTOP -> every Sentinel
 * names the new master), demotion time (SIGCONT -> replica of the new master with its link up).
 */

import { describe, expect, it } from "vitest";
import { sleep, waitFor } from "../src/cluster.js";
import { outcome, writerFigures } from "../src/outcome.js";
import { startScenario } from "../src/scenario.js";
import { printFigures } from "../src/writer.js";

describe("SIGSTOP of the master beyond down-after", () => {
  it("fails over; the old master comes back as a replica; no acknowledged write is lost", async () => {
    const { cluster, writer, stop } = await startScenario(
      { replicas: 2, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 3000 },
      100,
    );
    try {
      const old = cluster.nodes[0];
      const stoppedAt = Date.now();
      old.pause();
      const master = await cluster.waitNewMaster(old.addr);
      const failoverMs = Date.now() - stoppedAt;
      expect(master).not.toBe(old);
      // Stay frozen a little past the switch, so the old master wakes up to a finished failover.
      await sleep(500);
      old.resume();
      const resumedAt = Date.now();
      await writer.waitSetOk(10, "the writer to write on the new master", 15_000);
      // On a loaded machine a second failover can follow the first (a new master that misses
      // down-after too): the old master must end up a replica of whichever master the Sentinels
      // agree on by then.
      let current = master;
      await waitFor(
        async () => {
          const named = cluster.nodeAt(await cluster.agreedMasterAddr());
          if (named === undefined || named === old) return false;
          current = named;
          return old.isReplicaOf(current);
        },
        "the Sentinels to turn the old master into a replica of the new one",
        30_000,
        () => cluster.describe(),
      );
      const demotionMs = Date.now() - resumedAt;
      await writer.waitAcknowledged(100, 30_000);
      const report = await writer.stop();

      const o = await outcome(cluster, current, writer);
      expect(o.acknowledgedLost).toEqual([]);
      printFigures("SIGSTOP", { ...writerFigures(report, o), failoverMs, demotionMs });
    } finally {
      await stop();
    }
  });
});
