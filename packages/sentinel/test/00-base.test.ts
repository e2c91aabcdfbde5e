/**
 * 00-base (tests/sentinel/tests/00-base.tcl): discovery, the Sentinel-mode server (commands,
 * INFO, ROLE, HELLO), SENTINEL replies with Redis's fields, the hello format on the wire, and
 * the instance links' client names. Then the basic failover after SIGKILL of the master.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeEvents,
  errorText,
  type Group,
  info,
  MASTER,
  portOf,
  RespClient,
  role,
  startDataNode,
  startGroup,
  toRecord,
  waitFor,
  waitMasterAddr,
  waitNewMaster,
} from "./helpers.js";

let g: Group;

beforeAll(async () => {
  g = await startGroup();
});
afterAll(async () => {
  for (const s of g?.sentinels ?? []) await s.kill();
});

describe("00-base: discovery and the Sentinel-mode server", () => {
  it("SENTINEL MASTER has Redis's fields and values", async () => {
    const m = await g.sentinels[0].master();
    expect(Object.keys(m)).toEqual([
      "name",
      "ip",
      "port",
      "runid",
      "flags",
      "link-pending-commands",
      "link-refcount",
      "last-ping-sent",
      "last-ok-ping-reply",
      "last-ping-reply",
      "down-after-milliseconds",
      "info-refresh",
      "role-reported",
      "role-reported-time",
      "config-epoch",
      "num-slaves",
      "num-other-sentinels",
      "quorum",
      "failover-timeout",
      "parallel-syncs",
    ]);
    expect(m.name).toBe(MASTER);
    expect(m.ip).toBe("127.0.0.1");
    expect(m.port).toBe(String(g.master.port));
    expect(m.runid).toMatch(/^[0-9a-f]{40}$/);
    expect(m.flags).toBe("master");
    expect(m["role-reported"]).toBe("master");
    expect(m["down-after-milliseconds"]).toBe("1000");
    expect(m["failover-timeout"]).toBe("10000");
    expect(m.quorum).toBe("2");
    expect(m["num-slaves"]).toBe("2");
    expect(m["num-other-sentinels"]).toBe("2");
    for (const k of [
      "link-pending-commands",
      "last-ping-sent",
      "last-ok-ping-reply",
      "info-refresh",
      "config-epoch",
    ]) {
      expect(m[k]).toMatch(/^\d+$/);
    }
  });

  it("SENTINEL REPLICAS and SENTINELS list what was discovered", async () => {
    const reps = await g.sentinels[0].replicas();
    expect(reps.map((r) => Number(r.port)).sort()).toEqual(g.replicas.map((r) => r.port).sort());
    for (const r of reps) {
      expect(r.name).toBe(`127.0.0.1:${r.port}`);
      expect(r.flags).toBe("slave");
      expect(r["role-reported"]).toBe("slave");
      expect(r["master-host"]).toBe("127.0.0.1");
      expect(r["master-port"]).toBe(String(g.master.port));
      expect(r["slave-priority"]).toBe("100");
      expect(r["replica-announced"]).toBe("1");
      expect(Object.keys(r).slice(-7)).toEqual([
        "master-link-down-time",
        "master-link-status",
        "master-host",
        "master-port",
        "slave-priority",
        "slave-repl-offset",
        "replica-announced",
      ]);
    }
    const sens = await g.sentinels[0].sentinels();
    expect(sens.map((s) => Number(s.port)).sort()).toEqual([g.sentinels[1].port, g.sentinels[2].port].sort());
    const ids = await Promise.all(g.sentinels.slice(1).map((s) => s.call("SENTINEL", "MYID")));
    for (const s of sens) {
      expect(ids).toContain(s.runid);
      expect(s.name).toBe(s.runid);
      expect(s.flags).toBe("sentinel");
      expect(s["voted-leader"]).toBe("?");
      expect(Object.keys(s).slice(-3)).toEqual(["last-hello-message", "voted-leader", "voted-leader-epoch"]);
    }
    // The first Sentinel was listening when the last one started: it saw it arrive.
    const last = g.sentinels[2];
    expect(
      g.sentinels[0].events.find((e) => e.channel === "+sentinel" && e.message.includes(ids[1] as string))
        ?.message,
    ).toBe(`sentinel ${ids[1]} 127.0.0.1 ${last.port} @ ${MASTER} 127.0.0.1 ${g.master.port}`);
  });

  it("answers only Sentinel commands, with Redis's errors", async () => {
    const s = g.sentinels[0];
    expect(errorText(await s.call("GET", "x"))).toBe(
      "ERR unknown command 'GET', with args beginning with: 'x' ",
    );
    expect(errorText(await s.call("SENTINEL"))).toBe("ERR wrong number of arguments for 'sentinel' command");
    expect(errorText(await s.call("SENTINEL", "foo"))).toBe(
      "ERR unknown subcommand 'foo'. Try SENTINEL HELP.",
    );
    expect(errorText(await s.call("SENTINEL", "MASTER", "nope"))).toBe("ERR No such master with that name");
    expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope")).toBeNull();
    expect(await s.call("ROLE")).toEqual(["sentinel", [MASTER]]);
    expect(await s.call("PING")).toBe("PONG");
    expect(errorText(await s.call("PUBLISH", "foo", "bar"))).toBe(
      "ERR Only HELLO messages are accepted by Sentinel instances.",
    );
    const c = await RespClient.connect(s.port);
    const hello = toRecord(await c.call("HELLO", "3"));
    expect(hello.mode).toBe("sentinel");
    c.close();
    const text = String(await s.call("INFO"));
    expect(text).toContain("redis_mode:sentinel");
    expect(text.match(/^# \w+/gm)).toEqual(["# Server", "# Clients", "# Stats", "# CPU", "# Sentinel"]);
    expect(text).toContain(
      `master0:name=${MASTER},status=ok,address=127.0.0.1:${g.master.port},slaves=2,sentinels=3`,
    );
    expect(text).toMatch(/sentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n/);
    expect(await s.call("SENTINEL", "CKQUORUM", MASTER)).toBe(
      "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
    );
    expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)).toEqual([
      "127.0.0.1",
      String(g.master.port),
    ]);
    expect(await s.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", g.master.port, 0, "*")).toEqual([
      0,
      "*",
      0,
    ]);
    expect(toRecord(await s.call("SENTINEL", "CONFIG", "GET", "*"))).toEqual({
      "resolve-hostnames": "no",
      "announce-hostnames": "no",
      "announce-ip": "",
      "announce-port": "0",
      "sentinel-user": "",
      "sentinel-pass": "",
    });
    expect(toRecord(await s.call("SENTINEL", "DEBUG"))["TILT-PERIOD"]).toBe("30000");
    const cache = (await s.call("SENTINEL", "INFO-CACHE", MASTER)) as unknown[];
    expect(cache[0]).toBe(MASTER);
    expect((cache[1] as unknown[]).length).toBe(3);
    const commands = ((await s.call("COMMAND", "LIST")) as string[]).sort();
    expect(commands).toContain("sentinel");
    expect(commands).not.toContain("get");
  });

  it("publishes hello messages in Redis's format and names its links", async () => {
    const sub = await RespClient.connect(g.master.port);
    await sub.call("SUBSCRIBE", "__sentinel__:hello");
    const msgs = (await sub.waitPushed(3, 6000)) as string[][];
    sub.close();
    const ids = (await Promise.all(g.sentinels.map((s) => s.call("SENTINEL", "MYID")))) as string[];
    for (const m of msgs) {
      const f = m[2].split(",");
      expect(f).toHaveLength(8);
      expect(f[0]).toBe("127.0.0.1");
      expect(g.sentinels.map((s) => String(s.port))).toContain(f[1]);
      expect(ids).toContain(f[2]);
      expect(f.slice(3)).toEqual(["0", MASTER, "127.0.0.1", String(g.master.port), "0"]);
    }
    const c = await RespClient.connect(g.master.port);
    const list = String(await c.call("CLIENT", "LIST"));
    c.close();
    for (const id of ids) {
      expect(list).toContain(`name=sentinel-${id.slice(0, 8)}-cmd`);
      expect(list).toContain(`name=sentinel-${id.slice(0, 8)}-pubsub`);
    }
  });
});

describe("00-base: failover after SIGKILL of the master", () => {
  it("promotes a replica, re-points the other, converges, and the old master rejoins as a replica", async () => {
    const oldAddr = `127.0.0.1:${g.master.port}`;
    const t0 = Date.now();
    await g.master.kill();
    const newAddr = await waitNewMaster(g.sentinels, oldAddr);
    // down-after (1 s) + ODOWN + election + promotion: a few seconds, not more; unless the first
    // election was split (every candidate voted for itself), which Redis retries later too.
    if (!g.sentinels.some((s) => s.hasEvent("-failover-abort-not-elected"))) {
      expect(Date.now() - t0, describeEvents(g.sentinels)).toBeLessThan(10_000);
    }
    const newPort = portOf(newAddr);
    expect(g.replicas.map((r) => r.port)).toContain(newPort);
    await waitMasterAddr(g.sentinels, newAddr);
    for (const s of g.sentinels) {
      const e = await s.waitEvent("+switch-master");
      expect(e.message).toBe(`${MASTER} 127.0.0.1 ${portOf(oldAddr)} 127.0.0.1 ${newPort}`);
    }
    expect(await role(newPort)).toBe("master");
    const other = g.replicas.find((r) => r.port !== newPort)!;
    await waitFor(
      async () => (await info(other.port)).includes(`master_port:${newPort}`),
      "other replica re-pointed",
    );
    // Every Sentinel ends with the same config epoch.
    await waitFor(async () => {
      const epochs = await Promise.all(g.sentinels.map(async (s) => (await s.master())["config-epoch"]));
      return epochs.every((e) => e === epochs[0] && e !== "0");
    }, "same config epoch everywhere");
    const leaders = g.sentinels.filter((s) => s.hasEvent("+elected-leader"));
    expect(leaders.length).toBeGreaterThanOrEqual(1);
    // The leader is the one whose failover epoch won: the highest +elected-leader.
    leaders.sort(
      (a, b) =>
        b.events.find((e) => e.channel === "+elected-leader")!.at -
        a.events.find((e) => e.channel === "+elected-leader")!.at,
    );
    const leader = leaders[0];
    for (const ev of [
      "+sdown",
      "+odown",
      "+try-failover",
      "+failover-state-select-slave",
      "+selected-slave",
      "+failover-state-send-slaveof-noone",
      "+failover-state-wait-promotion",
      "+promoted-slave",
      "+failover-state-reconf-slaves",
      "+slave-reconf-sent",
      "+failover-end",
    ]) {
      expect(leader.hasEvent(ev), ev).toBe(true);
    }
    expect(leader.events.find((e) => e.channel === "+odown")!.message).toMatch(
      new RegExp(`^master ${MASTER} 127\\.0\\.0\\.1 ${portOf(oldAddr)} #quorum [23]/2$`),
    );
    expect(leader.events.find((e) => e.channel === "+selected-slave")!.message).toBe(
      `slave 127.0.0.1:${newPort} 127.0.0.1 ${newPort} @ ${MASTER} 127.0.0.1 ${portOf(oldAddr)}`,
    );
    const finalEpoch = (await leader.master())["config-epoch"];
    for (const s of g.sentinels.filter((x) => x !== leader)) {
      expect(s.hasEvent("+config-update-from")).toBe(true);
      // The epoch of the winning election reached every Sentinel (a vote or a hello).
      expect(s.events.filter((e) => e.channel === "+new-epoch").map((e) => e.message)).toContain(finalEpoch);
    }
    // After the switch, the old master is listed as a replica of the new one.
    for (const s of g.sentinels) {
      await s.waitEvent(
        "+slave",
        `slave 127.0.0.1:${portOf(oldAddr)} 127.0.0.1 ${portOf(oldAddr)} @ ${MASTER} 127.0.0.1 ${newPort}`,
      );
    }
    // Config files carry the new master and epoch.
    const epoch = (await leader.master())["config-epoch"];
    for (const s of g.sentinels) {
      await waitFor(
        () => s.conf().includes(`sentinel monitor ${MASTER} 127.0.0.1 ${newPort} 2`),
        "conf rewritten",
      );
      expect(s.conf()).toContain(`sentinel config-epoch ${MASTER} ${epoch}`);
      expect(s.conf()).toContain(`sentinel known-replica ${MASTER} 127.0.0.1 ${portOf(oldAddr)}`);
    }
    // The old master comes back as a master; Sentinel converts it into a replica.
    const back = await startDataNode({ port: portOf(oldAddr), dir: g.master.dir });
    g.nodes.push(back);
    await waitFor(
      async () => (await info(back.port)).includes(`master_port:${newPort}`),
      "old master rejoined",
      30_000,
    );
    expect(g.sentinels.some((s) => s.hasEvent("+convert-to-slave"))).toBe(true);
    const backDesc = `slave 127.0.0.1:${back.port} 127.0.0.1 ${back.port} @ ${MASTER} 127.0.0.1 ${newPort}`;
    expect(
      g.sentinels.some((s) => s.events.some((e) => e.channel === "-sdown" && e.message === backDesc)),
    ).toBe(true);
    await back.kill();
  }, 120_000);

  it("a restarted Sentinel reloads its rewritten config (same id, address and epoch)", async () => {
    const s = g.sentinels[1];
    const id = await s.call("SENTINEL", "MYID");
    const before = await s.master();
    expect(await s.stop()).toBe(0);
    await s.start();
    expect(await s.call("SENTINEL", "MYID")).toBe(id);
    const after = await s.master();
    expect(after.port).toBe(before.port);
    expect(after["config-epoch"]).toBe(before["config-epoch"]);
    await waitFor(async () => Number((await s.master())["num-other-sentinels"]) === 2, "sentinels known");
  }, 40_000);
});
