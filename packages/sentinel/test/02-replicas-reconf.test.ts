/**
 * 02-replicas-reconf (tests/sentinel/tests/02-slaves-reconf.tcl): a failover reconfigures every
 * replica (parallel-syncs 1), and a replica with replica-priority 0 is never promoted.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Group,
  info,
  MASTER,
  portOf,
  RespClient,
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
  // The promotion ran as MULTI / REPLICAOF NO ONE / CONFIG REWRITE / CLIENT KILL TYPE normal
  // and pubsub / EXEC, and its clients were disconnected.
  const stats = await info(portOf(newAddr), "commandstats");
  // (Redis 7.0 sends SLAVEOF, Keyhaven its current name REPLICAOF: same command.)
  for (const re of [
    /cmdstat_multi:calls=[1-9]/,
    /cmdstat_exec:calls=[1-9]/,
    /cmdstat_(replicaof|slaveof):calls=[1-9]/,
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
    await leader.waitEvent("+slave-reconf-done", desc);
  }
  // parallel-syncs 1: the second REPLICAOF is sent only after the first replica finished.
  const sent = leader.events.filter((e) => e.channel === "+slave-reconf-sent");
  const done = leader.events.filter((e) => e.channel === "+slave-reconf-done");
  expect(sent[1].at).toBeGreaterThanOrEqual(done[0].at);
}, 60_000);
