/**
 * kill -9 of the master under write load. An ioredis client in Sentinel mode writes unique keys,
 * each SET followed by WAIT 2 (every replica); the master is SIGKILLed in the middle. The
 * Sentinels fail over to a replica and the client follows by itself (its SETs succeed on the new
 * master; WAIT 2 falls short while only one replica is left). The killed master then comes back
 * (empty, as a replica of the new one, as an operator would restart it) and WAIT 2 succeeds
 * again. Checked: every acknowledged write is on the new master and on every replica, and the
 * nodes converge to the same DEBUG DIGEST. Figures: attempts, SETs answered OK, acknowledged,
 * lost, failover time (kill -> every Sentinel names the new master), longest time without a
 * successful SET and without an acknowledged write, and how often ioredis ended itself during
 * the switch and needed connect() again (clientRestarts, an ioredis race: see writer.ts).
 */

import { describe, expect, it } from "vitest";
import { info, waitFor } from "../src/cluster.js";
import { outcome, writerFigures } from "../src/outcome.js";
import { startScenario } from "../src/scenario.js";
import { printFigures } from "../src/writer.js";

describe("kill -9 of the master under write load", () => {
  it("fails over, the client follows, no acknowledged write is lost, nodes converge", async () => {
    const { cluster, writer, stop } = await startScenario(
      { replicas: 2, sentinels: 3, downAfterMs: 1000 },
      200,
    );
    try {
      const old = cluster.nodes[0];
      const killedAt = Date.now();
      await old.kill();
      const master = await cluster.waitNewMaster(old.addr);
      const failoverMs = Date.now() - killedAt;
      expect(master).not.toBe(old);
      // The client follows the failover by itself: SETs succeed on the new master.
      await writer.waitSetOk(10, "the writer to write on the new master", 15_000);
      // The killed master restarts (empty: no persistence here) as a replica of the new master.
      await old.start(master.proxy.port);
      await waitFor(
        async () => (await info(old.port, "replication")).get("master_link_status") === "up",
        "the old master to sync",
      );
      await writer.waitAcknowledged(100);
      const report = await writer.stop();

      const o = await outcome(cluster, master, writer);
      expect(o.acknowledgedLost).toEqual([]);
      printFigures("kill -9", { ...writerFigures(report, o), failoverMs });
    } finally {
      await stop();
    }
  });
});
