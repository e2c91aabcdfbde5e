/**
 * A partition isolating the master together with the writer from the majority (both replicas and
 * the three Sentinels), through the fault proxies (blackhole: nothing is refused, nothing
 * arrives). The isolated master keeps accepting the writer's SETs, but WAIT 2 never confirms
 * them; the majority fails over to a replica. When the partition heals, the Sentinels turn the
 * old master into a replica of the new one (CLIENT KILL moves the writer over) and it
 * resynchronizes from scratch, dropping what it accepted alone: Redis's documented behaviour.
 * Checked: every write WAIT confirmed on both replicas survives on every node, the nodes converge
 * (DEBUG DIGEST), and the isolated master did lose the SETs it accepted alone (counted, printed).
 * Figures: the writer's counts, unconfirmed writes lost, failover time (cut -> the Sentinels agree),
 * partition length, recovery time (heal -> old master a replica of the new one, link up).
 */

import { describe, expect, it } from "vitest";
import { waitFor } from "../src/cluster.js";
import { outcome, writerFigures } from "../src/outcome.js";
import { startScenario } from "../src/scenario.js";
import { printFigures } from "../src/writer.js";

describe("partition isolating the master and one client from the majority", () => {
  it("the majority fails over; healed, the old master becomes a replica; acknowledged writes survive", async () => {
    const { cluster, writer, stop } = await startScenario(
      { replicas: 2, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 3000 },
      100,
    );
    try {
      const old = cluster.nodes[0];
      const cutAt = Date.now();
      cluster.partition([old.name, "client"]);
      const ackedBeforeCut = writer.acknowledged.size;
      const master = await cluster.waitNewMaster(old.addr);
      const failoverMs = Date.now() - cutAt;
      expect(master).not.toBe(old);
      const other = cluster.nodes.find((n) => n !== old && n !== master)!;
      await cluster.waitReplicasOnline(master, [other]);
      // The isolated master went on accepting the writer's SETs (unconfirmed by WAIT).
      await writer.waitSetOk(5, "the isolated master to accept writes", 10_000);
      // Nothing WAIT 2 confirmed during the cut (the replicas were out of reach, then elsewhere).
      expect(writer.acknowledged.size).toBeLessThanOrEqual(ackedBeforeCut + 1);
      cluster.heal();
      const healedAt = Date.now();
      const partitionMs = healedAt - cutAt;
      await waitFor(
        () => old.isReplicaOf(master),
        "the Sentinels to turn the old master into a replica of the new one",
        30_000,
        () => cluster.describe(),
      );
      const recoveryMs = Date.now() - healedAt;
      await writer.waitAcknowledged(100, 30_000);
      const report = await writer.stop();

      const o = await outcome(cluster, master, writer);
      expect(o.acknowledgedLost).toEqual([]);
      expect(o.unconfirmedLost).toBeGreaterThanOrEqual(5);
      printFigures("partition", { ...writerFigures(report, o), failoverMs, partitionMs, recoveryMs });
    } finally {
      await stop();
    }
  });
});
