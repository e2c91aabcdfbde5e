/**
 * 09-interop: Keyhaven Sentinels and real redis-sentinel 7.0 processes in one group. Each group
 * is arranged so that a chosen side wins the election: with quorum 1, the Sentinel with the
 * shortest down-after-milliseconds reaches ODOWN alone, asks for votes, and the others vote for
 * it (a vote does not need the voter to see the master down). So both "a Keyhaven leader with
 * real followers" and "a real leader with Keyhaven followers" are exercised, in both mixes
 * (two real + one Keyhaven, and the other way round).
 * (12-interop-data-nodes pins each implementation's Sentinels over the other's data nodes.)
 */

import { afterAll, describe, expect, it } from "vitest";
import {
  type Group,
  info,
  MASTER,
  portOf,
  type SentinelKind,
  type SentinelProcess,
  startDataNode,
  startSentinel,
  waitDiscovery,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

const groups: Group[] = [];
afterAll(async () => {
  for (const g of groups) for (const s of g.sentinels) await s.kill();
});

/** With `hostnames`, the master is monitored as `localhost` with resolve- and announce-hostnames. */
async function mixedGroup(kinds: SentinelKind[], leaderIndex: number, hostnames = false): Promise<Group> {
  const master = await startDataNode();
  const replicas = [];
  for (let i = 0; i < 2; i++) {
    replicas.push(await startDataNode({ args: ["--replicaof", "127.0.0.1", String(master.port)] }));
  }
  await waitFor(async () => {
    for (const r of replicas) if (!(await info(r.port)).includes("master_link_status:up")) return false;
    return true;
  }, "replicas in sync");
  const sentinels: SentinelProcess[] = [];
  for (let i = 0; i < kinds.length; i++) {
    sentinels.push(
      await startSentinel(kinds[i], {
        masterPort: master.port,
        quorum: 1,
        downAfter: i === leaderIndex ? 1000 : 6000,
        ...(hostnames
          ? {
              masterHost: "localhost",
              extra: ["sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"],
            }
          : {}),
      }),
    );
  }
  const g = { master, replicas, sentinels, nodes: [master, ...replicas] };
  groups.push(g);
  await waitDiscovery(g);
  return g;
}

/** `oldHost`: how the master is announced (localhost in the hostname groups). */
async function failOverAndCheck(g: Group, leaderIndex: number, oldHost = "127.0.0.1"): Promise<void> {
  const oldAddr = `${oldHost}:${g.master.port}`;
  await g.master.kill();
  const newAddr = await waitNewMaster(g.sentinels, oldAddr);
  await waitMasterAddr(g.sentinels, newAddr);
  const leader = g.sentinels[leaderIndex];
  await leader.waitEvent("+elected-leader", `master ${MASTER} ${oldHost} ${g.master.port}`);
  for (const s of g.sentinels) {
    // The replicas were discovered by IP (their masters' INFO): the new master is announced so.
    expect((await s.waitEvent("+switch-master")).message).toBe(
      `${MASTER} ${oldHost} ${g.master.port} 127.0.0.1 ${portOf(newAddr)}`,
    );
    if (s !== leader) expect(s.hasEvent("+elected-leader")).toBe(false);
  }
  const other = g.replicas.find((r) => r.port !== portOf(newAddr))!;
  await waitFor(
    async () => (await info(other.port)).includes(`master_port:${portOf(newAddr)}`),
    "re-pointed",
  );
  await waitFor(async () => {
    const epochs = await Promise.all(g.sentinels.map(async (s) => (await s.master())["config-epoch"]));
    return epochs.every((e) => e === epochs[0] && e !== "0");
  }, "one config epoch");
}

describe("09-interop", () => {
  it("two real + one Keyhaven Sentinel: the Keyhaven one leads the failover", async () => {
    const g = await mixedGroup(["redis", "redis", "keyhaven"], 2);
    // The real Sentinels list the Keyhaven one, and vice versa.
    const real = await g.sentinels[0].sentinels();
    expect(real.map((s) => Number(s.port))).toContain(g.sentinels[2].port);
    await failOverAndCheck(g, 2);
  }, 60_000);

  it("two real + one Keyhaven Sentinel: a real one leads, Keyhaven follows", async () => {
    const g = await mixedGroup(["redis", "redis", "keyhaven"], 0);
    await failOverAndCheck(g, 0);
  }, 60_000);

  it("two Keyhaven + one real Sentinel: the real one leads", async () => {
    const g = await mixedGroup(["keyhaven", "keyhaven", "redis"], 2);
    await failOverAndCheck(g, 2);
  }, 60_000);

  it("two Keyhaven + one real Sentinel: a Keyhaven one leads", async () => {
    const g = await mixedGroup(["keyhaven", "keyhaven", "redis"], 1);
    await failOverAndCheck(g, 1);
  }, 60_000);

  it("announce-hostnames, master monitored as localhost: a real one leads, Keyhaven follows", async () => {
    const g = await mixedGroup(["keyhaven", "redis", "keyhaven"], 1, true);
    for (const s of g.sentinels) expect(await s.masterAddr()).toBe(`localhost:${g.master.port}`);
    await failOverAndCheck(g, 1, "localhost");
  }, 60_000);

  it("announce-hostnames, master monitored as localhost: a Keyhaven one leads", async () => {
    const g = await mixedGroup(["redis", "keyhaven", "redis"], 1, true);
    await failOverAndCheck(g, 1, "localhost");
  }, 60_000);
});
