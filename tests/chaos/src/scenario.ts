/**
 * The frame every scenario file runs in: a cluster on loopback and the ioredis Sentinel-mode
 * writer (SET + WAIT for every replica), with `warmup` acknowledged writes made before the fault;
 * the writer and the cluster are stopped afterwards, also when the scenario fails.
 */

import { Cluster, type ClusterOptions } from "./cluster.js";
import { Writer } from "./writer.js";

export async function runScenario(
  options: ClusterOptions & { replicas: number },
  warmup: number,
  scenario: (cluster: Cluster, writer: Writer) => Promise<void>,
): Promise<void> {
  const cluster = await Cluster.start(options);
  const writer = new Writer({
    sentinelPorts: cluster.sentinels.map((s) => s.proxy.port),
    replicas: options.replicas,
  });
  try {
    await writer.start();
    await writer.waitAcknowledged(warmup);
    await scenario(cluster, writer);
  } finally {
    await writer.stop().catch(() => {});
    await cluster.stop();
  }
}
