/**
 * 12-interop-data-nodes: each implementation's Sentinels over the other's data nodes, whatever
 * KEYHAVEN_DATA_NODES and KEYHAVEN_TEST_TARGET say: real redis-sentinels fail over Keyhaven
 * servers, and Keyhaven Sentinels fail over real redis-servers. The whole cycle: promotion, the
 * other replica re-pointed, config files rewritten (a restart keeps the new roles), the old
 * master rejoining as a replica, and the data set identical everywhere (DEBUG DIGEST) before and
 * after. (09-interop mixes the Sentinels themselves.)
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type DataNodeKind,
  describeEvents,
  type Group,
  info,
  MASTER,
  portOf,
  RespClient,
  type SentinelKind,
  startDataNode,
  startGroup,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

const groups: Group[] = [];
afterAll(async () => {
  for (const g of groups) for (const s of g.sentinels) await s.kill();
});

const DEBUG_ARGS = ["--enable-debug-command", "local"];

async function digestOf(port: number): Promise<string> {
  const c = await RespClient.connect(port);
  try {
    return String(await c.call("DEBUG", "DIGEST"));
  } finally {
    c.close();
  }
}

async function inSyncWith(port: number, masterPort: number): Promise<boolean> {
  const text = await info(port);
  return text.includes(`master_port:${masterPort}`) && text.includes("master_link_status:up");
}

/** Three Sentinels of `sentinels` over a master and two replicas of `dataNodes`: the full cycle. */
async function crossFailover(sentinels: SentinelKind, dataNodes: DataNodeKind): Promise<void> {
  // down-after-milliseconds 2000 (as Redis's own Sentinel tests use), not the helpers' 1000: on
  // switch-master a Sentinel drops its link to the master and restarts its ping clock, but
  // reconnects at most once a second (the ping period), so with 1000 it may find the node just
  // promoted silent for down-after at once; and the other Sentinels' "master is down" replies
  // about the old master still count (for 5 s), so that SDOWN is an instant ODOWN and a second
  // failover. Seen here in 5 of ~100 runs on a loaded machine: each time one Sentinel's +sdown and
  // +odown #quorum 3/2 of the new master in the same ms, 1.0-1.1 s after its switch-master, no
  // other Sentinel SDOWN on it, and -sdown within 100 ms.
  const g = await startGroup({
    sentinels: [sentinels, sentinels, sentinels],
    dataNodes,
    nodeArgs: DEBUG_ARGS,
    downAfter: 2000,
  });
  groups.push(g);
  const m = await RespClient.connect(g.master.port);
  for (const cmd of [
    ["SET", "str", "v"],
    ["INCRBY", "n", "41"],
    ["RPUSH", "list", "a", "b", "c"],
    ["HSET", "hash", "f1", "1", "f2", "2"],
    ["SADD", "set", "x", "y"],
    ["ZADD", "zset", "1", "one", "2.5", "two"],
    ["SET", "ttl", "t", "EX", "100000"],
    ["SELECT", "3"],
    ["SET", "db3", "v3"],
  ]) {
    expect(await m.call(...cmd)).not.toBeInstanceOf(Error);
  }
  expect(await m.call("WAIT", 2, 5000)).toBe(2);
  const before = String(await m.call("DEBUG", "DIGEST"));
  m.close();
  expect(before).toMatch(/^[0-9a-f]{40}$/);
  expect(before).not.toBe("0".repeat(40));
  for (const r of g.replicas) expect(await digestOf(r.port)).toBe(before);

  const oldPort = g.master.port;
  await g.master.kill();
  const newAddr = await waitNewMaster(g.sentinels, `127.0.0.1:${oldPort}`);
  await waitMasterAddr(g.sentinels, newAddr);
  const newPort = portOf(newAddr);
  for (const s of g.sentinels) {
    expect((await s.waitEvent("+switch-master")).message).toBe(
      `${MASTER} 127.0.0.1 ${oldPort} 127.0.0.1 ${newPort}`,
    );
  }
  const promoted = g.replicas.find((r) => r.port === newPort)!;
  const other = g.replicas.find((r) => r.port !== newPort)!;
  expect(await info(newPort)).toMatch(/^role:master\r$/m);
  await waitFor(() => inSyncWith(other.port, newPort), "the other replica re-pointed and in sync", 20_000);
  // Promotion and reconfiguration ended with CONFIG REWRITE: a restart keeps the new roles.
  await waitFor(
    () => readFileSync(join(other.dir, "node.conf"), "latin1").includes(`replicaof 127.0.0.1 ${newPort}`),
    "the re-pointed replica's config rewritten",
  );
  expect(readFileSync(join(promoted.dir, "node.conf"), "latin1")).not.toMatch(/^replicaof /m);
  expect(await digestOf(newPort)).toBe(before);
  expect(await digestOf(other.port)).toBe(before);

  const w = await RespClient.connect(newPort);
  expect(await w.call("SET", "after", "failover")).toBe("OK");
  expect(await w.call("WAIT", 1, 5000)).toBe(1);
  const after = String(await w.call("DEBUG", "DIGEST"));
  w.close();
  expect(after).not.toBe(before);

  // The old master comes back (empty, as a master, from its own config file): the Sentinels
  // turn it into a replica of the new master and it syncs the whole data set.
  // A Sentinel converts it only after seeing it report role:master for 8 s (4 publish periods)
  // in the INFO it asks of a replica every 10 s: up to ~20 s before the sync even starts. And on
  // a loaded machine a Sentinel whose timer ran over 2 s late enters TILT for 30 s, converting
  // nothing meanwhile: runs of the whole suite with other load took over 60 s and 100 s here.
  // SENTINEL DEBUG (both implementations have it) asks INFO every second and moves the TILT
  // trigger to 10 s; the conversion rule itself is unchanged.
  for (const s of g.sentinels) {
    expect(await s.call("SENTINEL", "DEBUG", "info-period", 1000, "tilt-trigger", 10_000)).toBe("OK");
  }
  const back = await startDataNode({ port: oldPort, dir: g.master.dir, args: DEBUG_ARGS }, dataNodes);
  g.nodes.push(back);
  // Of the master promoted above, normally. On a loaded machine (other scenarios running side by
  // side on 2 cores) a Sentinel may still miss the new master's replies for down-after-milliseconds
  // right after the promotion and start a second failover (see startGroup above): the old master
  // then rejoins whichever node the Sentinels now name.
  const currentMasterPort = async () =>
    Number(((await g.sentinels[0].call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)) as string[])[1]);
  await waitFor(
    async () => inSyncWith(back.port, await currentMasterPort()),
    "the old master rejoined as a replica",
    90_000,
  ).catch(async (err: Error) => {
    const replication = await info(back.port).catch((e: Error) => e.message);
    const log = back.output().split("\n").slice(-40).join("\n");
    throw new Error(
      `${err.message}\n${describeEvents(g.sentinels)}\nold master, INFO:\n${replication}\nold master, log:\n${log}`,
    );
  });
  await waitFor(async () => (await digestOf(back.port)) === after, "the old master's data set", 10_000);
  expect(await digestOf(other.port)).toBe(after);
  // A Sentinel re-pointed it: normally with +convert-to-slave, published before the REPLICAOF is
  // even sent, so seen by now. But a second failover under way while the old master was back
  // re-points it in its reconfiguration step (+slave-reconf-sent; -be at its timeout), and then
  // no +convert-to-slave names it ever; the one to come is for the master that failover
  // replaced, still reporting role:master: 8 s of such reports (and an INFO) after its
  // switch-master, later than the old master's sync. A single read of the events here failed
  // once in a full CI run, the data checks above passed: what that case looks like.
  const oldReplica = new RegExp(`^slave 127\\.0\\.0\\.1:${oldPort} 127\\.0\\.0\\.1 ${oldPort} @ ${MASTER} `);
  await waitFor(
    () =>
      g.sentinels.some((s) =>
        ["+convert-to-slave", "+slave-reconf-sent", "+slave-reconf-sent-be"].some((e) =>
          s.hasEvent(e, oldReplica),
        ),
      ),
    () => `a Sentinel to re-point the old master\n${describeEvents(g.sentinels)}`,
    10_000,
  );
  // And a Sentinel converted a master it lists as a replica (the old master, or the one a second
  // failover replaced): within the conversion delay, or after a TILT (30 s) on a loaded machine.
  await waitFor(
    () => g.sentinels.some((s) => s.hasEvent("+convert-to-slave")),
    () => `+convert-to-slave from a Sentinel\n${describeEvents(g.sentinels)}`,
    60_000,
  );
  await waitFor(async () => {
    for (const s of g.sentinels) {
      const reps = await s.replicas();
      const old = reps.find((r) => Number(r.port) === oldPort);
      if (old === undefined || old.flags !== "slave" || old["master-link-status"] !== "ok") return false;
    }
    return true;
  }, "every Sentinel to list the old master as a healthy replica");
}

describe("12-interop-data-nodes", () => {
  it("real redis-sentinels fail over Keyhaven servers; data intact (DEBUG DIGEST)", async () => {
    await crossFailover("redis", "keyhaven");
  }, 150_000);

  it("Keyhaven Sentinels fail over real redis-servers; data intact (DEBUG DIGEST)", async () => {
    await crossFailover("keyhaven", "redis");
  }, 150_000);
});
