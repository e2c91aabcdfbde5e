/**
 * 07-down-conditions (tests/sentinel/tests/07-down-conditions.tcl and friends): no eligible
 * replica (-failover-abort-no-good-slave / NOGOODSLAVE), the failover-timeout paths (a paused
 * replica: -failover-abort-slave-timeout, +failover-end-for-timeout), TILT after the Sentinel
 * process was paused (SIGSTOP/SIGCONT), and a Sentinel that was down during a failover adopting
 * the new configuration from the others' hellos when it comes back.
 */

import { afterAll, describe, expect, it } from "vitest";
import {
  errorText,
  type Group,
  MASTER,
  portOf,
  RespClient,
  sleep,
  startGroup,
  TARGET,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

const groups: Group[] = [];
afterAll(async () => {
  for (const g of groups) for (const s of g.sentinels) await s.kill();
});

describe("07-down-conditions", () => {
  it("aborts with -failover-abort-no-good-slave when no replica may be promoted", async () => {
    const g = await startGroup({ replicas: 1, replicaArgs: [["--replica-priority", "0"]] });
    groups.push(g);
    const s = g.sentinels[0];
    expect(errorText(await s.call("SENTINEL", "FAILOVER", MASTER))).toBe(
      "NOGOODSLAVE No suitable replica to promote",
    );
    const addr = await s.masterAddr();
    await g.master.kill();
    let aborted = false;
    await waitFor(
      () => {
        aborted = g.sentinels.some((x) =>
          x.hasEvent("-failover-abort-no-good-slave", new RegExp(`^master ${MASTER} `)),
        );
        return aborted;
      },
      "-failover-abort-no-good-slave",
      20_000,
    );
    for (const x of g.sentinels) expect(await x.masterAddr()).toBe(addr);
    expect(g.sentinels.some((x) => x.hasEvent("+switch-master"))).toBe(false);
  }, 40_000);

  it("aborts with -failover-abort-slave-timeout when the promotion takes longer than failover-timeout", async () => {
    const g = await startGroup({ replicas: 1, sentinels: [TARGET], quorum: 1, failoverTimeout: 1500 });
    groups.push(g);
    const s = g.sentinels[0];
    const addr = await s.masterAddr();
    // The paused replica never confirms its promotion.
    process.kill(g.replicas[0].pid, "SIGSTOP");
    try {
      expect(await s.call("SENTINEL", "FAILOVER", MASTER)).toBe("OK");
      await s.waitEvent("+failover-state-wait-promotion", /.*/, 5000);
      const e = await s.waitEvent("-failover-abort-slave-timeout", /.*/, 5000);
      expect(e.message).toBe(`master ${MASTER} ${addr.replace(":", " ")}`);
      expect((await s.master()).flags).toBe("master");
      expect(await s.masterAddr()).toBe(addr);
    } finally {
      process.kill(g.replicas[0].pid, "SIGCONT");
    }
    expect(s.hasEvent("+switch-master")).toBe(false);
  }, 40_000);

  it("ends with +failover-end-for-timeout when a replica is not reconfigured within failover-timeout", async () => {
    // The second replica may not be promoted, and down-after is long enough that it is not
    // SDOWN (which would excuse it) while paused.
    const g = await startGroup({
      replicas: 2,
      replicaArgs: [[], ["--replica-priority", "0"]],
      sentinels: [TARGET],
      quorum: 1,
      downAfter: 5000,
      failoverTimeout: 1500,
    });
    groups.push(g);
    const s = g.sentinels[0];
    const [promoted, stuck] = g.replicas;
    const master = `${MASTER} 127.0.0.1 ${g.master.port}`;
    process.kill(stuck.pid, "SIGSTOP");
    try {
      expect(await s.call("SENTINEL", "FAILOVER", MASTER)).toBe("OK");
      await s.waitEvent(
        "+slave-reconf-sent",
        `slave 127.0.0.1:${stuck.port} 127.0.0.1 ${stuck.port} @ ${master}`,
        5000,
      );
      const end = await s.waitEvent("+failover-end-for-timeout", /.*/, 5000);
      expect(end.message).toBe(`master ${master}`);
      expect((await s.waitEvent("+failover-end", /.*/, 1000)).message).toBe(`master ${master}`);
      expect((await s.waitEvent("+switch-master", /.*/, 2000)).message).toBe(
        `${MASTER} 127.0.0.1 ${g.master.port} 127.0.0.1 ${promoted.port}`,
      );
      expect(s.hasEvent("+slave-reconf-done", new RegExp(`:${stuck.port} `))).toBe(false);
    } finally {
      process.kill(stuck.pid, "SIGCONT");
    }
  }, 40_000);

  it("enters TILT after being paused, answers is-master-down with 0, and leaves it", async () => {
    const g = await startGroup({ replicas: 1, sentinels: [TARGET] });
    groups.push(g);
    const s = g.sentinels[0];
    expect(await s.call("SENTINEL", "DEBUG", "tilt-period", "3000")).toBe("OK");
    process.kill(s.pid, "SIGSTOP");
    await sleep(2500);
    process.kill(s.pid, "SIGCONT");
    expect((await s.waitEvent("+tilt", /.*/, 5000)).message).toBe("#tilt mode entered");
    const text = String(await s.call("INFO", "sentinel"));
    expect(text).toContain("sentinel_tilt:1");
    expect(text).toMatch(/sentinel_tilt_since_seconds:\d+/);
    expect(await s.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", g.master.port, 0, "*")).toEqual([
      0,
      "*",
      0,
    ]);
    expect((await s.waitEvent("-tilt", /.*/, 10_000)).message).toBe("#tilt mode exited");
    expect(String(await s.call("INFO", "sentinel"))).toContain(
      "sentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1",
    );
  }, 40_000);

  it("a Sentinel that was down during the failover adopts the new configuration", async () => {
    const g = await startGroup({ replicas: 1 });
    groups.push(g);
    const [a, b, late] = g.sentinels;
    await late.kill();
    const oldAddr = `127.0.0.1:${g.master.port}`;
    await g.master.kill();
    const newAddr = await waitNewMaster([a, b], oldAddr);
    await waitMasterAddr([a, b], newAddr);
    const epoch = (await a.master())["config-epoch"];
    await late.start();
    // The update can come before our event subscriber is connected: read the log instead.
    const switchLine = `+switch-master ${MASTER} 127.0.0.1 ${g.master.port} 127.0.0.1 ${portOf(newAddr)}`;
    await waitFor(
      () => late.out.includes("+config-update-from sentinel "),
      "+config-update-from logged",
      20_000,
    );
    await waitFor(() => late.out.includes(switchLine), "+switch-master logged");
    await waitMasterAddr([late], newAddr);
    expect((await late.master())["config-epoch"]).toBe(epoch);
    // It never announces the stale address again.
    await sleep(2500);
    expect(late.out.split("+switch-master ").length - 1).toBe(1);
    await waitFor(
      () => late.conf().includes(`sentinel monitor ${MASTER} 127.0.0.1 ${portOf(newAddr)} 2`),
      "conf",
    );
  }, 60_000);

  it("a master that keeps reporting itself as a replica is SDOWN after down-after + 2 INFO periods", async () => {
    const g = await startGroup({ replicas: 1, sentinels: [TARGET], quorum: 1 });
    groups.push(g);
    const s = g.sentinels[0];
    expect(await s.call("SENTINEL", "DEBUG", "info-period", "300")).toBe("OK");
    // Point the master at an address where nothing listens: it answers PING but says role:slave.
    const c = await RespClient.connect(g.master.port);
    expect(await c.call("REPLICAOF", "127.0.0.1", "1")).toBe("OK");
    c.close();
    const t0 = Date.now();
    const e = await s.waitEvent("+sdown", `master ${MASTER} 127.0.0.1 ${g.master.port}`, 10_000);
    // down-after-milliseconds (1000) + 2 * info-period (300), measured from the role change.
    expect(e.at - t0).toBeGreaterThanOrEqual(1000);
    expect((await s.master())["role-reported"]).toBe("slave");
  }, 40_000);
});
