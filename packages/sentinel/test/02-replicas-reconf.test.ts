/**
 * 02-replicas-reconf (tests/sentinel/tests/02-slaves-reconf.tcl): a failover reconfigures every
 * replica (parallel-syncs 1), and a replica with replica-priority 0 is never promoted. Then the
 * replicas after it: a restarted one is seen rebooted (+reboot), one pointed elsewhere by hand is
 * pointed back (+fix-slave-config).
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Group,
  info,
  MASTER,
  portOf,
  RespClient,
  startDataNode,
  startGroup,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;

beforeAll(async () => {
  // Two of three replicas may never be promoted: the choice is forced.
  g = await startGroup({
    replicas: 3,
    replicaArgs: [["--replica-priority", "0"], ["--replica-priority", "0"], []],
  });
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("promotes the only replica with a non-zero priority and re-points the others", async () => {
  const reps = await g.sentinels[0].replicas();
  expect(reps.map((r) => r["slave-priority"]).sort()).toEqual(["0", "0", "100"]);
  const oldAddr = `127.0.0.1:${g.master.port}`;
  // A client of the replica that will be promoted: the promotion disconnects it.
  const bystander = await RespClient.connect(g.replicas[2].port);
  expect(await bystander.call("PING")).toBe("PONG");
  await g.master.kill();
  const newAddr = await waitNewMaster(g.sentinels, oldAddr);
  expect(portOf(newAddr)).toBe(g.replicas[2].port);
  await waitMasterAddr(g.sentinels, newAddr);
  // The promotion ran as MULTI / SLAVEOF NO ONE / CONFIG REWRITE / CLIENT KILL TYPE normal
  // and pubsub / EXEC, and its clients were disconnected.
  const stats = await info(portOf(newAddr), "commandstats");
  for (const re of [
    /cmdstat_multi:calls=[1-9]/,
    /cmdstat_exec:calls=[1-9]/,
    /cmdstat_slaveof:calls=[1-9]/,
    /cmdstat_config\|rewrite:calls=[1-9]/,
    /cmdstat_client\|kill:calls=[1-9]/,
  ]) {
    expect(stats).toMatch(re);
  }
  await waitFor(() => bystander.isClosed, "the replica's clients disconnected");
  for (const r of g.replicas.slice(0, 2)) {
    await waitFor(async () => {
      const text = await info(r.port);
      return text.includes(`master_port:${portOf(newAddr)}`) && text.includes("master_link_status:up");
    }, `replica ${r.port} re-pointed and in sync`);
  }
  const leader = g.sentinels.find((s) => s.hasEvent("+elected-leader"))!;
  for (const r of g.replicas.slice(0, 2)) {
    const desc = `slave 127.0.0.1:${r.port} 127.0.0.1 ${r.port} @ ${MASTER} 127.0.0.1 ${g.master.port}`;
    await leader.waitEvent("+slave-reconf-sent", desc);
    await leader.waitEvent("+slave-reconf-inprog", desc);
    await leader.waitEvent("+slave-reconf-done", desc);
  }
  // parallel-syncs 1: the second SLAVEOF is sent only after the first replica finished.
  const sent = leader.events.filter((e) => e.channel === "+slave-reconf-sent");
  const done = leader.events.filter((e) => e.channel === "+slave-reconf-done");
  expect(sent[1].at).toBeGreaterThanOrEqual(done[0].at);
}, 60_000);

it("+reboot for a restarted replica, +fix-slave-config for one pointed elsewhere by hand", async () => {
  const newPort = portOf(await g.sentinels[0].masterAddr());
  const at = (port: number) => `slave 127.0.0.1:${port} 127.0.0.1 ${port} @ ${MASTER} 127.0.0.1 ${newPort}`;
  // Replicas' INFO comes every 10 s and a replica's setting is fixed failover-timeout after it
  // changed: shorten both so each event comes within a second or two.
  for (const s of g.sentinels) {
    expect(await s.call("SENTINEL", "DEBUG", "info-period", "300")).toBe("OK");
    expect(await s.call("SENTINEL", "SET", MASTER, "failover-timeout", "1000")).toBe("OK");
  }
  const [rebooted, moved] = g.replicas;
  await rebooted.stop();
  // Its config file (rewritten when Sentinel re-pointed it) makes it a replica of the new master.
  const back = await startDataNode({
    port: rebooted.port,
    dir: rebooted.dir,
    args: ["--replica-priority", "0"],
  });
  g.nodes.push(back);
  const since = Date.now();
  await waitFor(
    () =>
      g.sentinels.some((s) =>
        s.events.some((e) => e.at >= since && e.channel === "+reboot" && e.message === at(back.port)),
      ),
    "+reboot",
  );
  const c = await RespClient.connect(moved.port);
  try {
    expect(await c.call("REPLICAOF", "127.0.0.1", String(back.port))).toBe("OK");
  } finally {
    c.close();
  }
  await waitFor(
    () => g.sentinels.some((s) => s.hasEvent("+fix-slave-config", new RegExp(`^${at(moved.port)}$`))),
    "+fix-slave-config",
  );
  await waitFor(async () => (await info(moved.port)).includes(`master_port:${newPort}`), "pointed back");
}, 40_000);
