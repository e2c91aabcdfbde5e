/**
 * Scripting as users meet it beyond single replies (those are compared with Redis in
 * ../differential/scripting.test.ts): MONITOR's view of a script, the script cache in INFO,
 * EVAL inside transactions and against WATCH, keyspace events of script writes, blocking
 * commands refused inside scripts, the real clients' script helpers (ioredis defineCommand with
 * its EVALSHA-then-EVAL fallback, node-redis scripts), and a script running past
 * busy-reply-threshold (-BUSY for others, SCRIPT KILL, UNKILLABLE, SHUTDOWN NOSAVE). Runs against
 * Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import Redis from "ioredis";
import { createClient, defineScript } from "redis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { errorText, infoSection, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
withTarget({}, (t) => ({ server, c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("SCRIPT", "FLUSH");
});

describe("EVAL and the rest of the server", () => {
  it("MONITOR shows the EVAL, then each command of the script as coming from lua", async () => {
    const mon = await RespClient.connect(server.port);
    try {
      expect(await mon.call("MONITOR")).toBe("OK");
      await c.call(
        "EVAL",
        "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])",
        "1",
        "mk",
        "mv",
      );
      const lines = (await mon.waitPushed(3)) as string[];
      expect(lines[0]).toMatch(/\[0 127\.0\.0\.1:\d+\] "EVAL" ".*" "1" "mk" "mv"$/);
      expect(lines[1]).toMatch(/\[0 lua\] "SET" "mk" "mv"$/);
      expect(lines[2]).toMatch(/\[0 lua\] "GET" "mk"$/);
    } finally {
      mon.close();
    }
  });

  it("INFO counts cached scripts until SCRIPT FLUSH", async () => {
    await c.call("SCRIPT", "LOAD", "return 1");
    await c.call("EVAL", "return 2", "0");
    await c.call("EVAL", "return 2", "0");
    let memory = await infoSection(c, "memory");
    expect(memory.get("number_of_cached_scripts")).toBe("2");
    expect(Number(memory.get("used_memory_scripts_eval"))).toBeGreaterThan(0);
    await c.call("SCRIPT", "FLUSH");
    memory = await infoSection(c, "memory");
    expect(memory.get("number_of_cached_scripts")).toBe("0");
  });

  it("runs inside MULTI/EXEC, and a script's write to a WATCHed key fails the watcher's EXEC", async () => {
    expect(await c.call("MULTI")).toBe("OK");
    expect(await c.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "tx")).toBe("QUEUED");
    expect(await c.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "tx")).toBe("QUEUED");
    expect(await c.call("EXEC")).toEqual([1, 2]);

    const other = await RespClient.connect(server.port);
    try {
      await c.call("WATCH", "tx");
      await other.call("EVAL", "return redis.call('SET', KEYS[1], 'changed')", "1", "tx");
      await c.call("MULTI");
      await c.call("GET", "tx");
      expect(await c.call("EXEC")).toBeNull();
    } finally {
      other.close();
    }
  });

  // Found by Redis's own unit/scripting ("EVAL - Return _G"): the reply conversion consulted _G's
  // strict metatable and failed with an internal error.
  it("a returned table is read raw: _G is an empty array, a metatable's fields are not seen", async () => {
    expect(await c.call("EVAL", "return _G", "0")).toEqual([]);
    const proxied = "return setmetatable({}, {__index = function() return 'x' end})";
    expect(await c.call("EVAL", proxied, "0")).toEqual([]);
  });

  // Found by Redis's own unit/scripting ("Script return recursive object").
  it("a reply nested too deep ends in 'reached lua stack limit', and the connection stays", async () => {
    let reply = await c.call("EVAL", "local a = {}; local b = {a}; a[1] = b; return a", "0");
    let depth = 0;
    while (Array.isArray(reply) && reply.length === 1) {
      reply = reply[0];
      depth++;
    }
    expect(errorText(reply)).toBe("ERR reached lua stack limit");
    expect(depth).toBeGreaterThan(100);
    expect(await c.call("PING")).toBe("PONG");
  });

  // Found by Redis's own unit/scripting.
  it("SORT of a set BY a constant is ordered ALPHA inside a script", async () => {
    await c.call("DEL", "myset");
    await c.call("SADD", "myset", "b", "aa", "c", "a", "azz");
    expect(await c.call("EVAL", "return redis.call('sort',KEYS[1],'by','_')", "1", "myset")).toEqual([
      "a",
      "aa",
      "azz",
      "b",
      "c",
    ]);
  });

  // Found by Redis's own unit/scripting.
  it("XREAD and XREADGROUP with BLOCK are refused inside a script", async () => {
    for (const call of [
      "return redis.pcall('xread','BLOCK',0,'STREAMS','s','$')",
      "return redis.pcall('xreadgroup','group','g','c','BLOCK',0,'STREAMS','s','>')",
    ]) {
      const name = call.includes("xreadgroup") ? "xreadgroup" : "xread";
      expect(errorText(await c.call("EVAL", call, "0"))).toMatch(
        new RegExp(`${name} command is not allowed with BLOCK option from scripts$`),
      );
    }
  });

  it("blocking list commands are refused inside a script, as in Redis 7.0", async () => {
    const reply = await c.call("EVAL", "return redis.call('BLPOP', 'nolist', 0)", "0");
    expect(errorText(reply)).toMatch(
      /^ERR This Redis command is not allowed from script script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
  });

  it("script writes fire keyspace events like the same commands sent directly", async () => {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const sub = await RespClient.connect(server.port);
    try {
      await sub.call("PSUBSCRIBE", "__keyspace@0__:ev*");
      await c.call("EVAL", "redis.call('SET', 'ev1', 'x') redis.call('LPUSH', 'ev2', 'y') return 1", "0");
      const messages = (await sub.waitPushed(2)) as string[][];
      expect(messages.map((m) => [m[2], m[3]])).toEqual([
        ["__keyspace@0__:ev1", "set"],
        ["__keyspace@0__:ev2", "lpush"],
      ]);
    } finally {
      sub.close();
      await c.call("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });

  it("SELECT inside a script changes only the script's database", async () => {
    await c.call("SELECT", "2");
    expect(await c.call("EVAL", "redis.call('SELECT', 3) redis.call('SET', 'x', 'in3') return 1", "0")).toBe(
      1,
    );
    expect(await c.call("GET", "x")).toBeNull();
    await c.call("SELECT", "3");
    expect(await c.call("GET", "x")).toBe("in3");
    await c.call("SELECT", "0");
  });

  it("the script cache survives the script's error and EVALSHA finds it", async () => {
    const reply = await c.call("EVAL", "return redis.call('INCR', 'cnt') + nil", "0");
    expect(errorText(reply)).toMatch(
      /^ERR user_script:1: attempt to perform arithmetic on a nil value script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
    // The INCR before the error stays done.
    expect(await c.call("GET", "cnt")).toBe("1");
    const sha = /script: ([0-9a-f]{40})/.exec(errorText(reply) ?? "")?.[1] ?? "";
    expect(await c.call("SCRIPT", "EXISTS", sha)).toEqual([1]);
  });

  it("COMMAND GETKEYS finds EVAL's keys from numkeys", async () => {
    expect(await c.call("COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c")).toEqual(["a", "b"]);
    // EVAL is no_mandatory_keys: no keys is an empty list, not an error.
    expect(await c.call("COMMAND", "GETKEYS", "EVAL", "return 1", "0")).toEqual([]);
  });
});

describe("real clients' script helpers", () => {
  const clients: { quit(): Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const client of clients) await client.quit().catch(() => undefined);
  });

  it("ioredis defineCommand: EVALSHA, falling back to EVAL on NOSCRIPT, with keys and args", async () => {
    const io = new Redis({ port: server.port, lazyConnect: true });
    clients.push(io);
    await io.connect();
    io.defineCommand("casSet", {
      numberOfKeys: 1,
      lua: "local cur = redis.call('GET', KEYS[1]) if cur == ARGV[1] or (not cur and ARGV[1] == '') then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0",
    });
    const casSet = (
      io as unknown as { casSet(k: string, a: string, b: string): Promise<number> }
    ).casSet.bind(io);
    expect(await casSet("lock", "", "owner-1")).toBe(1);
    expect(await casSet("lock", "someone-else", "owner-2")).toBe(0);
    await io.script("FLUSH");
    expect(await casSet("lock", "owner-1", "owner-3")).toBe(1);
    expect(await io.get("lock")).toBe("owner-3");
    // A lock release in the style of Redlock.
    const released = await io.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
      1,
      "lock",
      "owner-3",
    );
    expect(released).toBe(1);
  });

  it("node-redis scripts: EVALSHA with the script's SHA1, typed replies", async () => {
    const client = createClient({
      socket: { port: server.port, host: "127.0.0.1", reconnectStrategy: false },
      scripts: {
        addAndGet: defineScript({
          NUMBER_OF_KEYS: 1,
          SCRIPT: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
          parseCommand(parser, key: string, by: number) {
            parser.pushKey(key);
            parser.push(String(by));
          },
          transformReply: (reply: unknown) => reply as number,
        }),
      },
    });
    clients.push(client);
    await client.connect();
    expect(await client.addAndGet("n", 5)).toBe(5);
    expect(await client.addAndGet("n", 7)).toBe(12);
    await waitFor(async () => (await c.call("GET", "n")) === "12", 2000);
  });
});

describe("a script running past busy-reply-threshold", () => {
  /** Starts `script` on a client of its own; resolves with its EVAL reply once it ends. */
  async function runSlow(
    script: string,
    ...call: string[]
  ): Promise<{ reply: Promise<unknown>; runner: RespClient }> {
    const runner = await RespClient.connect(server.port);
    const reply = call.length > 0 ? runner.call(...call) : runner.call("EVAL", script, "0");
    // The busy state starts at the threshold: wait until other clients are answered -BUSY.
    await waitFor(async () => errorText(await c.call("PING"))?.startsWith("BUSY") === true, 5000);
    return { reply, runner };
  }

  beforeEach(async () => {
    await c.call("CONFIG", "SET", "busy-reply-threshold", "100");
  });
  afterAll(async () => {
    await c.call("CONFIG", "SET", "busy-reply-threshold", "5000");
  });

  it("answers BUSY to other clients and stops the script on SCRIPT KILL", async () => {
    const { reply, runner } = await runSlow("local i = 0 while true do i = i + 1 end");
    try {
      expect(errorText(await c.call("GET", "x"))).toBe(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
      );
      expect(await c.call("SCRIPT", "KILL")).toBe("OK");
      expect(errorText(await reply)).toMatch(
        /^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/,
      );
      expect(await c.call("PING")).toBe("PONG");
      expect(errorText(await c.call("SCRIPT", "KILL"))).toBe("NOTBUSY No scripts in execution right now.");
    } finally {
      runner.close();
    }
  });

  it("a pcall inside the script cannot swallow the kill", async () => {
    const { reply, runner } = await runSlow(
      "local n = 0 while true do pcall(function() while true do n = n + 1 end end) end",
    );
    try {
      expect(await c.call("SCRIPT", "KILL")).toBe("OK");
      expect(errorText(await reply)).toMatch(/^ERR Script killed by user with SCRIPT KILL\.\.\./);
    } finally {
      runner.close();
    }
  });

  it("FUNCTION KILL stops a slow function, which FUNCTION STATS shows meanwhile", async () => {
    await c.call(
      "FUNCTION",
      "LOAD",
      "REPLACE",
      "#!lua name=spinlib\nredis.register_function('spin', function(keys, args)\n  while true do end\nend)",
    );
    const { reply, runner } = await runSlow("", "FCALL", "spin", "0");
    try {
      expect(errorText(await c.call("GET", "x"))).toBe(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
      );
      const stats = (await c.call("FUNCTION", "STATS")) as unknown[];
      const running = stats[1] as unknown[];
      expect(running.slice(0, 4)).toEqual(["name", "spin", "command", ["FCALL", "spin", "0"]]);
      expect(running[4]).toBe("duration_ms");
      expect(errorText(await c.call("SCRIPT", "KILL"))).toBe(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
      );
      expect(await c.call("FUNCTION", "KILL")).toBe("OK");
      expect(errorText(await reply)).toBe(
        "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:3.",
      );
      expect((await c.call("FUNCTION", "STATS")) as unknown[]).toContain(null);
    } finally {
      runner.close();
      await c.call("FUNCTION", "FLUSH");
    }
  });

  // Last in the file: it ends with the server shut down.
  it("refuses to kill a script that already wrote; SHUTDOWN NOSAVE stops the server", async () => {
    const { reply, runner } = await runSlow("redis.call('SET', 'written', '1') while true do end");
    try {
      expect(errorText(await c.call("SCRIPT", "KILL"))).toBe(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
      );
      expect(errorText(await c.call("SHUTDOWN"))).toBe(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
      );
      // Only SHUTDOWN NOSAVE ends it; the server goes away with the script.
      await c.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
      await reply.catch(() => undefined);
      await waitFor(async () => server.proc.exitCode !== null, 10_000);
      expect(server.proc.exitCode).toBe(0);
    } finally {
      runner.close();
    }
  });
});
