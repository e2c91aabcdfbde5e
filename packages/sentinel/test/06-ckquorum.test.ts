/**
 * 06-ckquorum (tests/sentinel/tests/06-ckquorum.tcl): CKQUORUM's answers as Sentinels go down,
 * and a minority of Sentinels that reaches ODOWN (quorum 1) still cannot get elected, so it
 * never fails over (-failover-abort-not-elected).
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import { errorText, type Group, MASTER, sleep, startDataNode, startGroup, waitFor } from "./helpers.js";

let g: Group;

beforeAll(async () => {
  g = await startGroup({ replicas: 1, quorum: 1, failoverTimeout: 3000 });
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

it("CKQUORUM reports usable Sentinels, quorum and majority", async () => {
  const s = g.sentinels[0];
  expect(await s.call("SENTINEL", "CKQUORUM", MASTER)).toBe(
    "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
  );
  expect(await s.call("SENTINEL", "SET", MASTER, "quorum", "4")).toBe("OK");
  expect(errorText(await s.call("SENTINEL", "CKQUORUM", MASTER))).toBe(
    "NOQUORUM 3 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master",
  );
  expect(await s.call("SENTINEL", "SET", MASTER, "quorum", "1")).toBe("OK");
  await g.sentinels[1].kill();
  await g.sentinels[2].kill();
  await waitFor(async () => {
    const r = errorText(await s.call("SENTINEL", "CKQUORUM", MASTER));
    return (
      r ===
      "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover"
    );
  }, "CKQUORUM to see two Sentinels down");
}, 40_000);

it("a minority reaching ODOWN cannot be elected and does not fail over", async () => {
  const s = g.sentinels[0];
  const addr = await s.masterAddr();
  await g.master.kill();
  await s.waitEvent("+odown", `master ${MASTER} ${addr.replace(":", " ")} #quorum 1/1`);
  await s.waitEvent("+try-failover");
  // Election timeout is min(10 s, failover-timeout = 3 s).
  await s.waitEvent("-failover-abort-not-elected", /.*/, 15_000);
  await sleep(500);
  expect(s.hasEvent("+elected-leader")).toBe(false);
  expect(s.hasEvent("+switch-master")).toBe(false);
  expect(await s.masterAddr()).toBe(addr);
  // Back on its port: no longer down, subjectively or objectively.
  const back = await startDataNode({ port: g.master.port, dir: g.master.dir });
  g.nodes.push(back);
  await s.waitEvent("-odown", `master ${MASTER} ${addr.replace(":", " ")}`, 10_000);
  await s.waitEvent("-sdown", `master ${MASTER} ${addr.replace(":", " ")}`, 10_000);
}, 40_000);
