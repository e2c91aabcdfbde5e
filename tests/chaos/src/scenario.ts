/**
 * The frame every scenario file runs in: a cluster on loopback and the ioredis Sentinel-mode
 * writer (SET + WAIT for every replica), with `warmup` acknowledged writes made before the fault.
 * The scenario calls `stop()` in a finally; a failed start stops what it started itself.
 */

import { Cluster, type ClusterOptions } from "./cluster.js";
import { Writer } from "./writer.js";

export interface Scenario {
  cluster: Cluster;
  writer: Writer;
  /** Stops the writer (again, if the scenario did), then the cluster. */
  stop(): Promise<void>;
}

export async function startScenario(
  options: ClusterOptions & { replicas: number },
  warmup: number,
): Promise<Scenario> {
  const cluster = await Cluster.start(options);
  const writer = new Writer({
    sentinelPorts: cluster.sentinels.map((s) => s.proxy.port),
    replicas: options.replicas,
  });
  const stop = async () => {
    await writer.stop().catch(() => {});
    await cluster.stop();
  };
  try {
    await writer.start();
    await writer.waitAcknowledged(warmup);
  } catch (err) {
    await stop();
    throw err;
  }
  return { cluster, writer, stop };
}
