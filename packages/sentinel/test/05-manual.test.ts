/**
 * 05-manual (tests/sentinel/tests/05-manual.tcl): SENTINEL FAILOVER with the master up: no
 * agreement needed, the replica is promoted, the old master is turned into a replica of it.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import {
  errorText,
  type Group,
  info,
  MASTER,
  portOf,
  startGroup,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;

beforeAll(async () => {
  g = await startGroup({ replicas: 1 });
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("forces a failover, refuses a second one meanwhile, and demotes the old master", async () => {
  const s = g.sentinels[0];
  const oldAddr = `127.0.0.1:${g.master.port}`;
  expect(await s.call("SENTINEL", "FAILOVER", MASTER)).toBe("OK");
  expect(errorText(await s.call("SENTINEL", "FAILOVER", MASTER))).toBe("INPROG Failover already in progress");
  const newAddr = await waitNewMaster([s], oldAddr);
  expect(portOf(newAddr)).toBe(g.replicas[0].port);
  expect(s.hasEvent("+elected-leader")).toBe(true);
  expect((await s.waitEvent("+switch-master")).message).toBe(
    `${MASTER} 127.0.0.1 ${g.master.port} 127.0.0.1 ${g.replicas[0].port}`,
  );
  await waitMasterAddr(g.sentinels, newAddr);
  // The old master is alive and still a master: Sentinel converts it after its grace period.
  await waitFor(
    async () => (await info(g.master.port)).includes(`master_port:${g.replicas[0].port}`),
    "old master demoted",
    30_000,
  );
  const desc = `slave ${oldAddr} 127.0.0.1 ${g.master.port} @ ${MASTER} ${newAddr.replace(":", " ")}`;
  await waitFor(
    () =>
      g.sentinels.some((x) => x.events.some((e) => e.channel === "+convert-to-slave" && e.message === desc)),
    "+convert-to-slave from one of the Sentinels",
  );
}, 60_000);
