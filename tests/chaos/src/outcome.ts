/**
 * The verdict of a scenario once the faults are over: what the final master and every replica
 * hold compared with what the writer was told. `acknowledgedLost` (writes WAIT confirmed on every
 * replica, missing or changed on some node) must be empty in every scenario; `unconfirmedLost`
 * (SETs answered OK whose WAIT fell short, missing on the final master) is what Redis documents as
 * losable after a failover or a partition, and is only counted. Waits (bounded) until the
 * replicas converged on `master` with one DEBUG DIGEST first. Called by the scenario files.
 */

import { type Cluster, converged, type DataNode, missingOn } from "./cluster.js";
import type { Writer, WriterReport } from "./writer.js";

export interface Outcome {
  acknowledgedLost: string[];
  unconfirmedLost: number;
  digest: string;
}

export async function outcome(cluster: Cluster, master: DataNode, writer: Writer): Promise<Outcome> {
  const replicas = cluster.nodes.filter((n) => n !== master);
  const digest = await converged(master, replicas);
  const acknowledgedLost = new Set<string>();
  for (const n of [master, ...replicas])
    for (const k of await missingOn(n.port, writer.acknowledged)) acknowledgedLost.add(k);
  const unconfirmedLost = (await missingOn(master.port, writer.unconfirmed)).length;
  return { acknowledgedLost: [...acknowledgedLost], unconfirmedLost, digest };
}

/** The figures line's common part: the writer's counts and unavailability windows. */
export function writerFigures(report: WriterReport, o: Outcome): Record<string, unknown> {
  return {
    attempts: report.attempts,
    setOk: report.setOk,
    acknowledged: report.acknowledged,
    lost: o.acknowledgedLost.length,
    unconfirmedLost: o.unconfirmedLost,
    maxSetGapMs: report.maxSetGapMs,
    maxAckGapMs: report.maxAckGapMs,
    errors: Object.fromEntries(report.errors),
    clientRestarts: report.clientRestarts,
  };
}
