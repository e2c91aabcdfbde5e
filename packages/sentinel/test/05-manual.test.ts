/**
 * 05-manual (tests/sentinel/tests/05-manual.tcl): SENTINEL FAILOVER with the master up: no
 * agreement needed, the replica is promoted, the old master is turned into a replica of it.
 * SENTINEL MASTER shows `failover-state` while the failover runs (the replica is paused to hold
 * it in wait_promotion). Then SENTINEL SIMULATE-FAILURE: the leader crashes after its election,
 * then after the promotion, and the group converges once it is restarted.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import {
  errorText,
  type Group,
  info,
  MASTER,
  portOf,
  RespClient,
  role,
  sleep,
  startGroup,
  toRecord,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

beforeAll(async () => {
  g = await startGroup({ replicas: 1 });
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("forces a failover, refuses a second one meanwhile, and demotes the old master", async () => {
  const s = g.sentinels[0];
  const oldAddr = `127.0.0.1:${g.master.port}`;
  expect((await s.master())["failover-state"]).toBeUndefined();
  // A paused replica cannot answer REPLICAOF NO ONE: the failover waits in wait_promotion.
  const replicaPid = g.replicas[0].pid;
  process.kill(replicaPid, "SIGSTOP");
  const states: string[] = [];
  try {
    // Both commands in one write are processed in one turn, before the timer moves the state on.
    const c = await RespClient.connect(s.port);
    const [ok, first] = await c.raw(
      `${resp("SENTINEL", "FAILOVER", MASTER)}${resp("SENTINEL", "MASTER", MASTER)}`,
      2,
    );
    c.close();
    expect(ok).toBe("OK");
    const fields = Object.keys(toRecord(first));
    expect(fields.slice(fields.indexOf("link-refcount"), fields.indexOf("link-refcount") + 3)).toEqual([
      "link-refcount",
      "failover-state",
      "last-ping-sent",
    ]);
    states.push(toRecord(first)["failover-state"]);
    expect(errorText(await s.call("SENTINEL", "FAILOVER", MASTER))).toBe(
      "INPROG Failover already in progress",
    );
    await waitFor(
      async () => {
        const state = (await s.master())["failover-state"];
        if (state !== states[states.length - 1]) states.push(state);
        return state === "wait_promotion";
      },
      "failover-state wait_promotion",
      5000,
    );
  } finally {
    process.kill(replicaPid, "SIGCONT");
  }
  expect(states[0]).toBe("wait_start");
  // Only Redis's state names, in the state machine's order.
  const order = ["wait_start", "select_slave", "send_slaveof_noone", "wait_promotion"];
  expect(states.map((x) => order.indexOf(x))).toEqual([...states.map((x) => order.indexOf(x))].sort());
  expect(states.every((x) => order.includes(x))).toBe(true);
  const newAddr = await waitNewMaster([s], oldAddr);
  expect(portOf(newAddr)).toBe(g.replicas[0].port);
  expect(s.hasEvent("+elected-leader")).toBe(true);
  expect((await s.waitEvent("+switch-master")).message).toBe(
    `${MASTER} 127.0.0.1 ${g.master.port} 127.0.0.1 ${g.replicas[0].port}`,
  );
  await waitMasterAddr(g.sentinels, newAddr);
  await waitFor(
    async () => (await s.master())["failover-state"] === undefined,
    "failover-state gone after the failover",
  );
  // The old master is alive and still a master: Sentinel converts it after its grace period.
  await waitFor(
    async () => (await info(g.master.port)).includes(`master_port:${g.replicas[0].port}`),
    "old master demoted",
    30_000,
  );
  const desc = `slave ${oldAddr} 127.0.0.1 ${g.master.port} @ ${MASTER} ${newAddr.replace(":", " ")}`;
  const seen = (channel: string, message: string) =>
    g.sentinels.some((x) => x.events.some((e) => e.channel === channel && e.message === message));
  await waitFor(() => seen("+convert-to-slave", desc), "+convert-to-slave from one of the Sentinels");
  // Listed as a replica while still reporting itself a master, then reporting the right role.
  expect(seen("-role-change", `${desc} new reported role is master`)).toBe(true);
  await waitFor(() => seen("+role-change", `${desc} new reported role is slave`), "+role-change");
}, 60_000);

it("SIMULATE-FAILURE crash-after-election / crash-after-promotion: the group converges after a restart", async () => {
  const s = g.sentinels[0];
  const crash = async (mode: string) => {
    expect(await s.call("SENTINEL", "SIMULATE-FAILURE", mode)).toBe("OK");
    expect(await s.call("SENTINEL", "FAILOVER", MASTER)).toBe("OK");
    expect(await Promise.race([s.exited, sleep(10_000).then(() => "still running")])).toBe(99);
    await s.start();
  };
  const before = await s.masterAddr();
  const [master, replica] =
    portOf(before) === g.master.port ? [g.master, g.replicas[0]] : [g.replicas[0], g.master];
  await waitFor(async () => (await info(replica.port)).includes("master_link_status:up"), "replica in sync");

  // Crashed once elected, before anything was changed: everything stays as it was.
  await crash("crash-after-election");
  expect(await role(replica.port)).toBe("slave");
  await waitMasterAddr(g.sentinels, before);
  await waitFor(async () => Number((await s.master())["num-other-sentinels"]) === 2, "sentinels known again");
  // The restarted Sentinel promotes only a replica whose INFO it has seen.
  await waitFor(async () => {
    const r = (await s.replicas()).find((x) => Number(x.port) === replica.port);
    return r !== undefined && r.flags === "slave" && r["master-link-status"] === "ok";
  }, "the replica seen again");

  // Crashed right after the promotion: the restarted leader brings the new configuration (saved
  // before the crash) to the others, and the old master is turned into a replica.
  const epoch = Number((await g.sentinels[1].master())["config-epoch"]);
  await crash("crash-after-promotion");
  const after = `127.0.0.1:${replica.port}`;
  expect(s.conf()).toContain(`sentinel monitor ${MASTER} 127.0.0.1 ${replica.port} 2`);
  await waitMasterAddr(g.sentinels, after);
  await waitFor(async () => {
    const epochs = await Promise.all(
      g.sentinels.map(async (x) => Number((await x.master())["config-epoch"])),
    );
    return epochs.every((e) => e === epochs[0] && e > epoch);
  }, "one newer config epoch everywhere");
  // The conversion comes after 8 s of role:master reports in INFO asked every 10 s, and on a
  // loaded machine (the whole suite on 2 cores) possibly after a 30 s TILT as well.
  await waitFor(
    async () => (await info(master.port)).includes(`master_port:${replica.port}`),
    "old master demoted",
    60_000,
  );
}, 120_000);
