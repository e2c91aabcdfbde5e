/**
 * Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) across connections: serving
 * at once, waking on pushes, FIFO fairness, timeouts, MULTI/EXEC, LMOVE as a waker, CLIENT
 * UNBLOCK, and the effect that shows the propagated form (the pushed key as seen afterwards).
 * Runs against Keyhaven, or real Redis with KEYHAVEN_TEST_TARGET=redis.
 *
 * Every wait is bounded: blocked state is polled through INFO (blocked_clients), and every
 * blocking call in a test uses a timeout or is released by the test itself.
 */

import type { RespValue } from "@keyhaven/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { infoSection, RespClient, type ServerProcess, startTarget, waitFor } from "../helpers.js";
import { render } from "./resp-shapes.js";

let server: ServerProcess;
let ctl: RespClient;
const opened: RespClient[] = [];

async function client(resp3 = false): Promise<RespClient> {
  const c = await RespClient.connect(server.port, { typed: true });
  opened.push(c);
  if (resp3) await c.call("HELLO", "3");
  return c;
}

async function r(c: RespClient, ...args: (string | number)[]): Promise<string> {
  return render((await c.call(...args)) as RespValue);
}

async function blockedClients(): Promise<number> {
  return Number((await infoSection(ctl, "clients")).get("blocked_clients") ?? -1);
}

/** Waits until exactly `n` clients are blocked. */
async function waitBlocked(n: number): Promise<void> {
  await waitFor(async () => (await blockedClients()) === n, `${n} blocked clients`, 5000);
}

beforeAll(async () => {
  server = await startTarget();
  ctl = await RespClient.connect(server.port, { typed: true });
});
afterEach(async () => {
  for (const c of opened.splice(0)) c.close();
  await ctl.call("FLUSHALL");
});
afterAll(async () => {
  ctl?.close();
  await server?.stop();
});

describe("serving without blocking", () => {
  it("BLPOP/BRPOP take from the first non-empty key", async () => {
    const c = await client();
    await r(c, "RPUSH", "b", "x", "y");
    expect(await r(c, "BLPOP", "a", "b", 0)).toBe("[b,x]");
    expect(await r(c, "BRPOP", "a", "b", 0)).toBe("[b,y]");
    expect(await r(c, "EXISTS", "b")).toBe(":0");
    await r(c, "SET", "s", "v");
    expect(await r(c, "BLPOP", "a", "s", 0)).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("BLMOVE/BRPOPLPUSH/BLMPOP act like their non-blocking forms", async () => {
    const c = await client();
    await r(c, "RPUSH", "src", "1", "2", "3", "4");
    expect(await r(c, "BLMOVE", "src", "dst", "LEFT", "LEFT", 0)).toBe("1");
    expect(await r(c, "BRPOPLPUSH", "src", "dst", 0)).toBe("4");
    expect(await r(c, "LRANGE", "dst", 0, -1)).toBe("[4,1]");
    expect(await r(c, "BLMPOP", 0, 2, "none", "src", "RIGHT", "COUNT", 5)).toBe("[src,[3,2]]");
    expect(await r(c, "EXISTS", "src")).toBe(":0");
    await r(c, "SET", "s", "v");
    await r(c, "RPUSH", "src", "x");
    expect(await r(c, "BLMOVE", "src", "s", "LEFT", "LEFT", 0)).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(await r(c, "LRANGE", "src", 0, -1)).toBe("[x]");
  });

  it("argument errors", async () => {
    const c = await client();
    expect(await r(c, "BLPOP", "k", "x")).toBe("-ERR timeout is not a float or out of range");
    expect(await r(c, "BLPOP", "k", "-1")).toBe("-ERR timeout is negative");
    expect(await r(c, "BLPOP", "k", "inf")).toBe("-ERR timeout is negative");
    expect(await r(c, "BLPOP", "k", "1e20")).toBe("-ERR timeout is negative");
    expect(await r(c, "BLMOVE", "a", "b", "UP", "LEFT", 0)).toBe("-ERR syntax error");
    expect(await r(c, "BLMPOP", 0, 0, "k", "LEFT")).toBe("-ERR numkeys should be greater than 0");
    expect(await r(c, "BLMPOP", "x", 1, "k", "LEFT")).toBe("-ERR timeout is not a float or out of range");
    expect(await r(c, "BLMPOP", 0, 1, "k", "LEFT", "COUNT", 0)).toBe("-ERR count should be greater than 0");
    expect(await r(c, "BLMPOP", 0, 2, "k", "LEFT")).toBe("-ERR syntax error");
  });
});

describe("blocking and waking", () => {
  it("a push from another client wakes BLPOP; the element is gone from the list", async () => {
    const a = await client();
    const pending = a.call("BLPOP", "k1", "k2", 0);
    await waitBlocked(1);
    expect(await r(ctl, "RPUSH", "k2", "x", "y")).toBe(":2");
    expect(render((await pending) as RespValue)).toBe("[k2,x]");
    expect(await r(ctl, "LRANGE", "k2", 0, -1)).toBe("[y]");
    expect(await blockedClients()).toBe(0);
  });

  it("serves three blocked clients in FIFO order", async () => {
    const cs = [await client(), await client(), await client()];
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      pending.push(cs[i].call("BRPOP", "fifo", 0));
      await waitBlocked(i + 1);
    }
    expect(await r(ctl, "RPUSH", "fifo", "a")).toBe(":1");
    expect(render((await pending[0]) as RespValue)).toBe("[fifo,a]");
    expect(await r(ctl, "RPUSH", "fifo", "b", "c")).toBe(":2");
    // RPUSH returns the length after the push; each waiter then pops from the tail in turn.
    expect(render((await pending[1]) as RespValue)).toBe("[fifo,c]");
    expect(render((await pending[2]) as RespValue)).toBe("[fifo,b]");
    expect(await r(ctl, "EXISTS", "fifo")).toBe(":0");
  });

  it("a client woken on one key is served from that key (7.0)", async () => {
    const a = await client();
    const pending = a.call("BLPOP", "ka", "kb", 0);
    await waitBlocked(1);
    expect(await r(ctl, "MULTI")).toBe("+OK");
    await r(ctl, "RPUSH", "kb", "x");
    await r(ctl, "RPUSH", "ka", "y");
    expect(await r(ctl, "EXEC")).toBe("[:1,:1]");
    expect(render((await pending) as RespValue)).toBe("[kb,x]");
    expect(await r(ctl, "LRANGE", "ka", 0, -1)).toBe("[y]");
  });

  it("MULTI/EXEC wakes only after EXEC, with the transaction's final state", async () => {
    const a = await client();
    const pending = a.call("BLPOP", "mk", 0);
    await waitBlocked(1);
    await r(ctl, "MULTI");
    await r(ctl, "RPUSH", "mk", "1", "2");
    await r(ctl, "LPOP", "mk");
    expect(await r(ctl, "EXEC")).toBe("[:2,1]");
    expect(render((await pending) as RespValue)).toBe("[mk,2]");
    expect(await r(ctl, "EXISTS", "mk")).toBe(":0");
  });

  it("a push that is popped again within the same transaction wakes nobody", async () => {
    const a = await client();
    const pending = a.call("BLPOP", "gone", 5);
    await waitBlocked(1);
    await r(ctl, "MULTI");
    await r(ctl, "RPUSH", "gone", "1");
    await r(ctl, "DEL", "gone");
    await r(ctl, "EXEC");
    expect(await blockedClients()).toBe(1);
    await r(ctl, "RPUSH", "gone", "2");
    expect(render((await pending) as RespValue)).toBe("[gone,2]");
  });

  it("LMOVE onto a watched key wakes the blocked client; BLMOVE chains", async () => {
    const a = await client();
    const b = await client();
    const pa = a.call("BLPOP", "target", 0);
    await waitBlocked(1);
    const pb = b.call("BLMOVE", "chain", "target2", "RIGHT", "LEFT", 0);
    await waitBlocked(2);
    await r(ctl, "RPUSH", "src", "e1");
    expect(await r(ctl, "LMOVE", "src", "target", "LEFT", "RIGHT")).toBe("e1");
    expect(render((await pa) as RespValue)).toBe("[target,e1]");
    await r(ctl, "RPUSH", "chain", "e2");
    expect(render((await pb) as RespValue)).toBe("e2");
    expect(await r(ctl, "LRANGE", "target2", 0, -1)).toBe("[e2]");
    expect(await r(ctl, "EXISTS", "chain")).toBe(":0");
  });

  it("BRPOPLPUSH served from a block pushes onto its destination and wakes its waiters", async () => {
    const a = await client();
    const b = await client();
    const pb = b.call("BLPOP", "d2", 0);
    await waitBlocked(1);
    const pa = a.call("BRPOPLPUSH", "s2", "d2", 0);
    await waitBlocked(2);
    await r(ctl, "RPUSH", "s2", "v");
    expect(render((await pa) as RespValue)).toBe("v");
    expect(render((await pb) as RespValue)).toBe("[d2,v]");
    expect(await r(ctl, "EXISTS", "d2")).toBe(":0");
  });

  it("BLMPOP woken with COUNT", async () => {
    const a = await client(true);
    const pa = a.call("BLMPOP", 0, 2, "m1", "m2", "LEFT", "COUNT", 2);
    await waitBlocked(1);
    await r(ctl, "RPUSH", "m2", "a", "b", "c");
    expect(render((await pa) as RespValue)).toBe("[m2,[a,b]]");
    expect(await r(ctl, "LRANGE", "m2", 0, -1)).toBe("[c]");
  });

  it("a key that becomes another type does not wake a list waiter", async () => {
    const a = await client();
    const pa = a.call("BLPOP", "ty", 5);
    await waitBlocked(1);
    await r(ctl, "SET", "ty", "string");
    await r(ctl, "PING");
    expect(await blockedClients()).toBe(1);
    await r(ctl, "DEL", "ty");
    await r(ctl, "RPUSH", "ty", "ok");
    expect(render((await pa) as RespValue)).toBe("[ty,ok]");
  });
});

describe("timeouts and unblocking", () => {
  it("times out with a null array (RESP2 *-1, RESP3 _) after about the timeout", async () => {
    const a = await client();
    const a3 = await client(true);
    const started = Date.now();
    const [r2, r3] = await Promise.all([
      a.call("BLPOP", "none", "0.3"),
      a3.call("BLMPOP", "0.3", 1, "none", "LEFT"),
    ]);
    const elapsed = Date.now() - started;
    expect(render(r2 as RespValue)).toBe("*-1");
    expect(render(r3 as RespValue)).toBe("_");
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(await blockedClients()).toBe(0);
  });

  it("BLMOVE and BRPOPLPUSH time out with a null array too", async () => {
    const a = await client();
    const a3 = await client(true);
    expect(await r(a, "BRPOPLPUSH", "none", "d", "0.1")).toBe("*-1");
    expect(await r(a, "BLMOVE", "none", "d", "LEFT", "LEFT", "0.1")).toBe("*-1");
    expect(await r(a3, "BLMOVE", "none", "d", "LEFT", "LEFT", "0.1")).toBe("_");
  });

  it("never blocks inside MULTI: the reply is the timeout reply", async () => {
    const a = await client();
    await r(a, "MULTI");
    await r(a, "BLPOP", "none", 0);
    await r(a, "BRPOPLPUSH", "none", "d", 0);
    await r(a, "BLMPOP", 0, 1, "none", "LEFT");
    await r(a, "RPUSH", "there", "x");
    await r(a, "BLPOP", "there", 0);
    expect(await r(a, "EXEC")).toBe("[*-1,$-1,*-1,:1,[there,x]]");
    expect(await blockedClients()).toBe(0);
  });

  it("CLIENT UNBLOCK ends a block as a timeout, or with an error", async () => {
    const a = await client();
    const id = render((await a.call("CLIENT", "ID")) as RespValue).slice(1);
    const p1 = a.call("BLPOP", "none", 0);
    await waitBlocked(1);
    expect(await r(ctl, "CLIENT", "UNBLOCK", id)).toBe(":1");
    expect(render((await p1) as RespValue)).toBe("*-1");
    const p2 = a.call("BLMOVE", "none", "d", "LEFT", "LEFT", 0);
    await waitBlocked(1);
    expect(await r(ctl, "CLIENT", "UNBLOCK", id, "ERROR")).toBe(":1");
    expect(render((await p2) as RespValue)).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
    expect(await r(ctl, "CLIENT", "UNBLOCK", id)).toBe(":0");
    // The connection is usable afterwards.
    expect(await r(a, "PING")).toBe("+PONG");
  });

  it("a disconnected waiter is forgotten and does not swallow an element", async () => {
    const a = await client();
    const b = await client();
    void a.call("BLPOP", "dc", 0);
    await waitBlocked(1);
    const pb = b.call("BLPOP", "dc", 0);
    await waitBlocked(2);
    a.close();
    await waitBlocked(1);
    await r(ctl, "RPUSH", "dc", "v");
    expect(render((await pb) as RespValue)).toBe("[dc,v]");
  });
});

describe("what the served pop leaves behind", () => {
  it("the blocked pop is counted once in commandstats and seen once by MONITOR", async () => {
    const mon = await client();
    expect(await r(mon, "MONITOR")).toBe("+OK");
    await r(ctl, "CONFIG", "RESETSTAT");
    const a = await client();
    const pa = a.call("BLPOP", "ms", 0);
    await waitBlocked(1);
    await r(ctl, "RPUSH", "ms", "v");
    expect(render((await pa) as RespValue)).toBe("[ms,v]");
    const stats = render((await ctl.call("INFO", "commandstats")) as RespValue);
    expect(/cmdstat_blpop:calls=(\d+)/.exec(stats)?.[1]).toBe("1");
    await r(ctl, "ECHO", "end-marker");
    const lines: string[] = [];
    while (!lines.some((l) => l.includes("end-marker"))) {
      for (const m of await mon.waitPushed(1)) lines.push(render(m as RespValue));
    }
    expect(lines.filter((l) => l.includes('"BLPOP"')).length).toBe(1);
    expect(lines.filter((l) => l.includes('"RPUSH"')).length).toBe(1);
  });
});
