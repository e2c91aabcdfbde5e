import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  errorText,
  infoSection,
  RespClient,
  type ServerProcess,
  startTarget,
  waitFor,
  withTarget,
} from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

withTarget({ args: ["--enable-debug-command", "yes"] }, (t) => ({ server, c } = t));

describe("administration", () => {
  it("TIME, LASTSAVE, ROLE", async () => {
    const [sec, usec] = (await c.call("TIME")) as string[];
    expect(Math.abs(Number(sec) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(usec)).toBeLessThan(1_000_000);
    expect(typeof (await c.call("LASTSAVE"))).toBe("number");
    expect(await c.call("ROLE")).toEqual(["master", 0, []]);
  });

  it("SLOWLOG records commands slower than the threshold", async () => {
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    expect(await c.call("SLOWLOG", "RESET")).toBe("OK");
    await c.call("SET", "slow", "v", "EX", "100");
    const entries = (await c.call("SLOWLOG", "GET", "-1")) as unknown[][];
    const set = entries.find((e) => (e[3] as string[])[0] === "SET")!;
    // The command as sent, not its propagation form.
    expect(set[3]).toEqual(["SET", "slow", "v", "EX", "100"]);
    expect(typeof set[0]).toBe("number");
    expect(typeof set[4]).toBe("string");
    expect((await c.call("SLOWLOG", "LEN")) as number).toBeGreaterThan(0);
    expect(errorText(await c.call("SLOWLOG", "GET", "abc"))).toBe(
      "ERR count should be greater than or equal to -1",
    );
    expect(errorText(await c.call("SLOWLOG", "GET", "1", "2"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
    );
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    await c.call("SLOWLOG", "RESET");
    await c.call("GET", "x");
    expect(await c.call("SLOWLOG", "LEN")).toBe(0);
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
  });

  it("slowlog-max-len keeps only the newest entries", async () => {
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3");
    await c.call("SLOWLOG", "RESET");
    for (let i = 0; i < 6; i++) await c.call("SET", `ml${i}`, "v");
    const entries = (await c.call("SLOWLOG", "GET", "-1")) as unknown[][];
    expect(entries.map((e) => e[3])).toEqual([
      ["SET", "ml5", "v"],
      ["SET", "ml4", "v"],
      ["SET", "ml3", "v"],
    ]);
    const ids = entries.map((e) => e[0] as number);
    expect(ids).toEqual([ids[0], ids[0] - 1, ids[0] - 2]);
    // SLOWLOG GET itself was logged after replying, pushing the oldest SET out.
    expect(await c.call("SLOWLOG", "LEN")).toBe(3);
    // A smaller limit applies from the next entry on (CONFIG SET logs itself).
    await c.call("CONFIG", "SET", "slowlog-max-len", "1");
    expect(await c.call("SLOWLOG", "LEN")).toBe(1);
    await c.call("CONFIG", "SET", "slowlog-max-len", "0");
    expect(await c.call("SLOWLOG", "LEN")).toBe(0);
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128");
  });

  it("MONITOR streams every other client's commands", async () => {
    const mon = await server.client();
    expect(await mon.call("MONITOR")).toBe("OK");
    await c.call("SET", "mon", "a b");
    const [line] = (await mon.waitPushed(1)) as string[];
    expect(line).toMatch(/^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mon" "a b"$/);
    // RESET leaves MONITOR mode.
    expect(await mon.call("RESET")).toBe("RESET");
    await c.call("SET", "mon", "after");
    expect(await mon.call("PING")).toBe("PONG");
    expect(mon.pushed).toEqual([]);
    mon.close();
  });

  it("MONITOR and SLOWLOG hide secrets, and MONITOR leaves out administrative commands", async () => {
    expect(await c.call("ACL", "SETUSER", "mon-user", "on", ">mon-pw", "+@all", "~*")).toBe("OK");
    const mon = await server.client();
    expect(await mon.call("MONITOR")).toBe("OK");
    const other = await server.client();
    expect(await other.call("AUTH", "mon-user", "mon-pw")).toBe("OK");
    expect(await other.call("CONFIG", "SET", "maxmemory-samples", "6")).toBe("OK");
    expect(await other.call("ACL", "SETUSER", "mon-user2", "on", ">secret2")).toBe("OK");
    expect(errorText(await other.call("HELLO", "2", "AUTH", "mon-user", "wrong", "SETNAME", "n"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(await other.call("SET", "mon2", "x")).toBe("OK");
    const lines = (await mon.waitPushed(3)) as string[];
    expect(lines.map((l) => l.replace(/^\S+ \[0 \S+\] /, ""))).toEqual([
      '"AUTH" "(redacted)" "(redacted)"',
      '"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n"',
      '"SET" "mon2" "x"',
    ]);
    mon.close();
    expect(await c.call("SLOWLOG", "RESET")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")).toBe("OK");
    expect(await other.call("AUTH", "mon-user", "mon-pw")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")).toBe("OK");
    const entries = (await c.call("SLOWLOG", "GET", "10")) as unknown[][];
    expect(entries.map((e) => e[3])).toContainEqual(["AUTH", "(redacted)", "(redacted)"]);
    other.close();
    expect(await c.call("ACL", "DELUSER", "mon-user", "mon-user2")).toBe(2);
    expect(await c.call("CONFIG", "SET", "maxmemory-samples", "5")).toBe("OK");
  });

  it("SLOWLOG shows the values of CONFIG SET's sensitive options as (redacted), as configSetCommand leaves them", async () => {
    expect(await c.call("SLOWLOG", "RESET")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")).toBe("OK");
    await c.call("CONFIG", "SET", "masterauth", "s1", "maxmemory-samples", "5", "MASTERUSER", "u1");
    await c.call("CONFIG", "SET", "requirepass", "");
    // Also after a name that fails; not with an odd count (a syntax error before any pair is read).
    await c.call("CONFIG", "SET", "no-such-option", "1", "masterauth", "s2");
    await c.call("CONFIG", "SET", "masterauth", "s3", "maxmemory");
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")).toBe("OK");
    const logged = ((await c.call("SLOWLOG", "GET", "10")) as unknown[][]).map((e) => e[3]).reverse();
    expect(logged.slice(1, 5)).toEqual([
      ["CONFIG", "SET", "masterauth", "(redacted)", "maxmemory-samples", "5", "MASTERUSER", "(redacted)"],
      ["CONFIG", "SET", "requirepass", "(redacted)"],
      ["CONFIG", "SET", "no-such-option", "1", "masterauth", "(redacted)"],
      ["CONFIG", "SET", "masterauth", "s3", "maxmemory"],
    ]);
    expect(await c.call("CONFIG", "SET", "masterauth", "", "masteruser", "")).toBe("OK");
  });

  it("MEMORY subcommands", async () => {
    await c.call("SET", "m", "x".repeat(100));
    expect((await c.call("MEMORY", "USAGE", "m")) as number).toBeGreaterThan(100);
    expect(await c.call("MEMORY", "USAGE", "nokey")).toBeNull();
    expect(errorText(await c.call("MEMORY", "USAGE", "m", "FOO", "1"))).toBe("ERR syntax error");
    // SAMPLES may repeat (0 means all); a negative count is a syntax error, checked before the key.
    expect((await c.call("MEMORY", "USAGE", "m", "SAMPLES", "0", "samples", "5")) as number).toBeGreaterThan(
      100,
    );
    for (const key of ["m", "nokey"]) {
      expect(errorText(await c.call("MEMORY", "USAGE", key, "SAMPLES", "-1"))).toBe("ERR syntax error");
    }
    expect(errorText(await c.call("MEMORY", "USAGE", "m", "SAMPLES"))).toBe("ERR syntax error");
    expect(errorText(await c.call("MEMORY", "USAGE", "m", "SAMPLES", "x"))).toBe(
      "ERR value is not an integer or out of range",
    );
    const stats = (await c.call("MEMORY", "STATS")) as unknown[];
    expect(stats.filter((_, i) => i % 2 === 0)).toEqual([
      "peak.allocated",
      "total.allocated",
      "startup.allocated",
      "replication.backlog",
      "clients.slaves",
      "clients.normal",
      "cluster.links",
      "aof.buffer",
      "lua.caches",
      "functions.caches",
      "db.0",
      "overhead.total",
      "keys.count",
      "keys.bytes-per-key",
      "dataset.bytes",
      "dataset.percentage",
      "peak.percentage",
      "allocator.allocated",
      "allocator.active",
      "allocator.resident",
      "allocator-fragmentation.ratio",
      "allocator-fragmentation.bytes",
      "allocator-rss.ratio",
      "allocator-rss.bytes",
      "rss-overhead.ratio",
      "rss-overhead.bytes",
      "fragmentation",
      "fragmentation.bytes",
    ]);
    expect(await c.call("MEMORY", "DOCTOR")).toMatch(/^Hi Sam, .*\.\n$/);
    expect(await c.call("MEMORY", "PURGE")).toBe("OK");
    if (process.env.KEYHAVEN_TEST_TARGET !== "redis") {
      // Keyhaven says what it did in its log, at the default loglevel (Redis logs nothing).
      await waitFor(() => server.output().includes("MEMORY PURGE:"), "MEMORY PURGE log line", 5000);
      expect(server.output()).toMatch(
        /"level":"notice".*"msg":"MEMORY PURGE: ran a full V8 garbage collection; heap used \d+\.\d -> \d+\.\d MB, committed \d+\.\d -> \d+\.\d MB"/,
      );
    }
    expect(typeof (await c.call("MEMORY", "MALLOC-STATS"))).toBe("string");
    expect(errorText(await c.call("MEMORY", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try MEMORY HELP.");
  });

  it("DEBUG DIGEST, DIGEST-VALUE, POPULATE, OBJECT, SLEEP, LOG", async () => {
    await c.call("FLUSHALL");
    expect(await c.call("DEBUG", "DIGEST")).toBe("0".repeat(40));
    expect(await c.call("DEBUG", "POPULATE", "3")).toBe("OK");
    expect(await c.call("DBSIZE")).toBe(3);
    expect(await c.call("GET", "key:1")).toBe("value:1");
    expect(await c.call("DEBUG", "POPULATE", "2", "bar", "3")).toBe("OK");
    expect(await c.call("GET", "bar:1")).toBe("val");
    expect(await c.call("DEBUG", "POPULATE", "1", "baz", "10")).toBe("OK");
    expect(await c.call("GET", "baz:0")).toBe("value:0\0\0\0");
    expect(errorText(await c.call("DEBUG", "POPULATE", "-1"))).toBe(
      "ERR value is out of range, must be positive",
    );
    await c.call("FLUSHALL");
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "hello", "EX", "1000");
    // The digest of this exact dataset, as Redis 7.0 computes it.
    expect(await c.call("DEBUG", "DIGEST")).toBe("669dc7955c0119edb82e7cfeb40ea4a28f89f902");
    expect(await c.call("DEBUG", "DIGEST-VALUE", "a", "nokey")).toEqual([
      "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da",
      "0".repeat(40),
    ]);
    expect(await c.call("DEBUG", "OBJECT", "a")).toMatch(/^Value at:0x[0-9a-f]+ refcount:\d+ encoding:int /);
    expect(errorText(await c.call("DEBUG", "OBJECT", "nokey"))).toBe("ERR no such key");
    expect(await c.call("DEBUG", "SLEEP", "0")).toBe("OK");
    expect(await c.call("DEBUG", "LOG", "hello from the test")).toBe("OK");
  });

  it("DEBUG argument counts and HELP", async () => {
    // debugCommand checks each subcommand's count itself; a mismatch reads as an unknown subcommand.
    for (const args of [
      ["SLEEP"],
      ["object"],
      ["DIGEST", "x"],
      ["LOG"],
      ["SET-ACTIVE-EXPIRE"],
      ["POPULATE"],
      ["HELP", "x"],
      ["ERROR"],
      ["LEAK", "a", "b"],
      ["STRINGMATCH-TEST", "x"],
      ["REPLICATE"],
      ["CONFIG-REWRITE-FORCE-ALL", "x"],
      ["SET-SKIP-CHECKSUM-VALIDATION"],
      ["AOF-FLUSH-SLEEP"],
    ]) {
      expect(errorText(await c.call("DEBUG", ...args))).toBe(
        `ERR unknown subcommand or wrong number of arguments for '${args[0]}'. Try DEBUG HELP.`,
      );
    }
    const help = (await c.call("DEBUG", "HELP")) as string[];
    expect(help[0]).toBe("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    // Implemented here, so listed, with Redis's text.
    for (const line of [
      "LOADAOF",
      "    Flush the AOF buffers on disk and reload the AOF in memory.",
      "RELOAD [option ...]",
      "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
      "CHANGE-REPL-ID",
      "DIGEST-VALUE <key> [<key> ...]",
      "OBJECT <key>",
      "    Show low level info about `key` and associated value.",
      "SLEEP <seconds>",
      "AOF-FLUSH-SLEEP <microsec>",
      "ASSERT",
      "CONFIG-REWRITE-FORCE-ALL",
      "ERROR <string>",
      "LEAK <string>",
      "REPLICATE <string>",
      "OOM",
      "PANIC",
      "SEGFAULT",
      "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
      "STRINGMATCH-TEST",
    ]) {
      expect(help).toContain(line);
    }
    expect(help.slice(-2)).toEqual(["HELP", "    Prints this help."]);
  });

  it("DEBUG ERROR, LEAK, STRINGMATCH-TEST and the test hooks", async () => {
    const errors = async () => (await infoSection(c, "stats")).get("total_error_replies");
    const before = await errors();
    expect(errorText(await c.call("DEBUG", "ERROR", "MYERR two\nlines"))).toBe("MYERR two lines");
    // A raw protocol reply, not an error reply: INFO counts nothing.
    expect(await errors()).toBe(before);
    expect(await c.call("DEBUG", "LEAK", "kept forever")).toBe("OK");
    expect(await c.call("DEBUG", "STRINGMATCH-TEST")).toBe("Apparently Redis did not crash: test passed");
    expect(await c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")).toBe("OK");
    expect(await c.call("DEBUG", "AOF-FLUSH-SLEEP", "0")).toBe("OK");
    // Without replicas nor backlog it goes nowhere, and never runs here.
    expect(await c.call("DEBUG", "REPLICATE", "SET", "replicated-only", "1")).toBe("OK");
    expect(await c.call("EXISTS", "replicated-only")).toBe(0);
    expect(errorText(await c.call("DEBUG", "CONFIG-REWRITE-FORCE-ALL"))).toBe(
      "ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address",
    );
  });

  it("DEBUG PROTOCOL: one reply of each type, in RESP2 and RESP3", async () => {
    const r2 = await RespClient.connect(server.port);
    const r3 = await RespClient.connect(server.port, { typed: true });
    try {
      const v2: unknown[] = [];
      for (const type of ["string", "integer", "double", "bignum", "null", "array", "set", "map"])
        v2.push(await r2.call("DEBUG", "PROTOCOL", type));
      expect(v2).toEqual([
        "Hello World",
        12345,
        "3.141",
        "1234567999999999999999999999999999999",
        null,
        [0, 1, 2],
        [0, 1, 2],
        [0, 0, 1, 1, 2, 0],
      ]);
      // RESP2 has no attributes: only the real reply that follows one.
      expect(await r2.call("DEBUG", "PROTOCOL", "attrib")).toBe("Some real reply following the attribute");
      expect(errorText(await r2.call("DEBUG", "PROTOCOL", "push"))).toBe(
        "ERR RESP2 is not supported by this command",
      );
      expect(await r2.call("DEBUG", "PROTOCOL", "verbatim")).toBe("This is a verbatim\nstring");
      expect([
        await r2.call("DEBUG", "PROTOCOL", "true"),
        await r2.call("DEBUG", "PROTOCOL", "false"),
      ]).toEqual([1, 0]);
      expect(errorText(await r2.call("DEBUG", "PROTOCOL", "nope"))).toBe(
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
      );
      await r3.call("HELLO", "3");
      expect(await r3.call("DEBUG", "PROTOCOL", "bignum")).toEqual({
        type: "bignum",
        value: 1234567999999999999999999999999999999n,
      });
      const double = (await r3.call("DEBUG", "PROTOCOL", "double")) as { type: string; value: number };
      expect([double.type, String(double.value)]).toEqual(["double", "3.141"]);
      expect(await r3.call("DEBUG", "PROTOCOL", "false")).toEqual({ type: "boolean", value: false });
      expect(await r3.call("DEBUG", "PROTOCOL", "null")).toEqual({ type: "null" });
    } finally {
      r2.close();
      r3.close();
    }
  });

  it("DEBUG is refused unless enable-debug-command allows it", async () => {
    const plain = await startTarget();
    const p = await plain.client();
    expect(errorText(await p.call("DEBUG", "DIGEST"))).toBe(
      `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
    );
    p.close();
    await plain.stop();
  });

  it("SHUTDOWN variants", async () => {
    expect(errorText(await c.call("SHUTDOWN", "FOO"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SHUTDOWN", "ABORT"))).toBe("ERR No shutdown in progress.");
    // ABORT may be repeated but not combined; SAVE and NOSAVE contradict each other.
    expect(errorText(await c.call("SHUTDOWN", "ABORT", "abort"))).toBe("ERR No shutdown in progress.");
    for (const args of [
      ["NOSAVE", "SAVE"],
      ["save", "NOW", "nosave"],
      ["NOSAVE", "FORCE", "SAVE", "NOW"],
      ["ABORT", "NOW"],
      ["NOSAVE", "ABORT"],
    ]) {
      expect(errorText(await c.call("SHUTDOWN", ...args))).toBe("ERR syntax error");
    }
    // Still running, and nothing was saved.
    expect(await c.call("PING")).toBe("PONG");
    expect(existsSync(join(server.dir, "dump.rdb"))).toBe(false);
    const victim = await startTarget();
    const v = await RespClient.connect(victim.port);
    await v.call("SHUTDOWN", "NOSAVE", "NOW");
    await waitFor(() => victim.proc.exitCode !== null, "server exit", 10_000);
    expect(victim.proc.exitCode).toBe(0);
  });
});
