import { beforeEach, describe, expect, it } from "vitest";
import { errorText, type RespClient, withTarget } from "../helpers.js";

let c: RespClient;

withTarget({}, (t) => ({ c } = t));
beforeEach(async () => {
  await c.call("SELECT", "0");
  await c.call("FLUSHALL");
});

describe("generic key commands", () => {
  it("DEL/UNLINK/EXISTS/TYPE/TOUCH count what exists", async () => {
    await c.call("MSET", "a", "1", "b", "2", "c", "3");
    expect(await c.call("DEL", "a", "b", "nokey")).toBe(2);
    expect(await c.call("EXISTS", "a", "c", "c", "c")).toBe(3);
    expect(await c.call("UNLINK", "c")).toBe(1);
    await c.call("SET", "a", "1");
    expect(await c.call("TYPE", "a")).toBe("string");
    expect(await c.call("TYPE", "nokey")).toBe("none");
    expect(await c.call("TOUCH", "a", "a", "nokey")).toBe(2);
    expect(errorText(await c.call("DEL"))).toBe("ERR wrong number of arguments for 'del' command");
  });

  it("KEYS uses Redis's glob semantics", async () => {
    await c.call("MSET", "a", "1", "ab", "2", "b", "3", "a*", "4", "[x]", "5");
    const keys = async (p: string) => ((await c.call("KEYS", p)) as string[]).sort();
    expect(await keys("*")).toEqual(["[x]", "a", "a*", "ab", "b"]);
    expect(await keys("a?")).toEqual(["a*", "ab"]);
    expect(await keys("[^a]")).toEqual(["b"]);
    expect(await keys("[a-b]")).toEqual(["a", "b"]);
    expect(await keys("a\\*")).toEqual(["a*"]);
    expect(await keys("\\[x\\]")).toEqual(["[x]"]);
    expect(await keys("nomatch*")).toEqual([]);
  });

  it("SCAN returns every key present for the whole iteration, even while keys change", async () => {
    const stable: string[] = [];
    for (let i = 0; i < 300; i++) stable.push(`stable:${i}`);
    await c.call("MSET", ...stable.flatMap((k) => [k, "v"]));
    const seen = new Set<string>();
    let cursor = "0";
    let round = 0;
    do {
      const [next, batch] = (await c.call("SCAN", cursor, "COUNT", "20")) as [string, string[]];
      for (const k of batch) seen.add(k);
      cursor = next;
      // Churn: add and remove other keys between calls.
      await c.call("SET", `churn:${round}`, "x");
      if (round > 2) await c.call("DEL", `churn:${round - 2}`);
      round++;
    } while (cursor !== "0" && round < 10_000);
    for (const k of stable) expect(seen.has(k)).toBe(true);
  });

  it("SCAN options and errors", async () => {
    await c.call("MSET", "s1", "a", "s2", "b", "t1", "c");
    const all = async (...opts: string[]) => {
      const out: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = (await c.call("SCAN", cursor, ...opts)) as [string, string[]];
        out.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      return out.sort();
    };
    expect(await all("MATCH", "s*")).toEqual(["s1", "s2"]);
    expect(await all("TYPE", "string", "COUNT", "1")).toEqual(["s1", "s2", "t1"]);
    expect(await all("TYPE", "list")).toEqual([]);
    expect(errorText(await c.call("SCAN", "abc"))).toBe("ERR invalid cursor");
    expect(errorText(await c.call("SCAN", "18446744073709551616"))).toBe("ERR invalid cursor");
    expect(errorText(await c.call("SCAN", "0", "COUNT", "0"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SCAN", "0", "COUNT", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("SCAN", "0", "MATCH"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SCAN", "0", "FOO", "bar"))).toBe("ERR syntax error");
  });

  it("RENAME/RENAMENX keep the TTL and report errors", async () => {
    expect(errorText(await c.call("RENAME", "nokey", "x"))).toBe("ERR no such key");
    expect(errorText(await c.call("RENAMENX", "nokey", "x"))).toBe("ERR no such key");
    await c.call("SET", "a", "1", "EX", "100");
    expect(await c.call("RENAME", "a", "a")).toBe("OK");
    expect(await c.call("RENAME", "a", "b")).toBe("OK");
    expect(await c.call("TTL", "b")).toBe(100);
    await c.call("SET", "c", "3");
    expect(await c.call("RENAMENX", "b", "c")).toBe(0);
    expect(await c.call("RENAMENX", "b", "b")).toBe(0);
    expect(await c.call("RENAMENX", "b", "d")).toBe(1);
    expect(await c.call("GET", "d")).toBe("1");
  });

  it("MOVE, COPY and SWAPDB across databases", async () => {
    await c.call("SET", "m", "v", "EX", "100");
    expect(await c.call("MOVE", "m", "1")).toBe(1);
    expect(await c.call("MOVE", "m", "1")).toBe(0);
    expect(errorText(await c.call("MOVE", "x", "0"))).toBe("ERR source and destination objects are the same");
    expect(errorText(await c.call("MOVE", "x", "16"))).toBe("ERR DB index is out of range");
    expect(errorText(await c.call("MOVE", "x", "abc"))).toBe("ERR value is not an integer or out of range");
    await c.call("SELECT", "1");
    expect(await c.call("TTL", "m")).toBe(100);
    expect(await c.call("COPY", "m", "m2")).toBe(1);
    expect(await c.call("COPY", "m", "m2")).toBe(0);
    expect(await c.call("COPY", "m", "m2", "REPLACE")).toBe(1);
    expect(await c.call("COPY", "m", "m", "DB", "0")).toBe(1);
    expect(errorText(await c.call("COPY", "m", "m"))).toBe("ERR source and destination objects are the same");
    expect(errorText(await c.call("COPY", "m", "x", "DB", "16"))).toBe("ERR DB index is out of range");
    expect(errorText(await c.call("COPY", "m", "x", "FOO"))).toBe("ERR syntax error");
    expect(await c.call("COPY", "nokey", "x")).toBe(0);
    expect(await c.call("SWAPDB", "0", "1")).toBe("OK");
    expect(await c.call("DBSIZE")).toBe(1);
    expect(await c.call("GET", "m")).toBe("v");
    expect(errorText(await c.call("SWAPDB", "a", "1"))).toBe("ERR invalid first DB index");
    expect(errorText(await c.call("SWAPDB", "0", "b"))).toBe("ERR invalid second DB index");
    expect(errorText(await c.call("SWAPDB", "0", "16"))).toBe("ERR DB index is out of range");
  });

  it("DBSIZE, FLUSHDB/FLUSHALL options, RANDOMKEY", async () => {
    expect(await c.call("RANDOMKEY")).toBeNull();
    await c.call("MSET", "a", "1", "b", "2");
    expect(["a", "b"]).toContain(await c.call("RANDOMKEY"));
    expect(await c.call("DBSIZE")).toBe(2);
    expect(errorText(await c.call("FLUSHDB", "FOO"))).toBe("ERR syntax error");
    expect(errorText(await c.call("FLUSHDB", "ASYNC", "SYNC"))).toBe("ERR syntax error");
    expect(await c.call("FLUSHDB", "async")).toBe("OK");
    expect(await c.call("DBSIZE")).toBe(0);
    await c.call("SET", "a", "1");
    expect(await c.call("FLUSHALL", "SYNC")).toBe("OK");
    expect(await c.call("DBSIZE")).toBe(0);
  });

  it("OBJECT subcommands", async () => {
    await c.call("SET", "o", "100");
    expect(await c.call("OBJECT", "ENCODING", "o")).toBe("int");
    expect(await c.call("OBJECT", "ENCODING", "nokey")).toBeNull();
    expect(await c.call("OBJECT", "REFCOUNT", "o")).toBe(2147483647);
    await c.call("SET", "o", "100000");
    expect(await c.call("OBJECT", "REFCOUNT", "o")).toBe(1);
    // The LRU clock counts whole seconds: a second may begin between the SET and this.
    expect(await c.call("OBJECT", "IDLETIME", "o")).toBeLessThanOrEqual(1);
    expect(errorText(await c.call("OBJECT", "FREQ", "o"))).toMatch(
      /^ERR An LFU maxmemory policy is not selected/,
    );
    expect(errorText(await c.call("OBJECT", "FOO"))).toBe("ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    expect(errorText(await c.call("OBJECT"))).toBe("ERR wrong number of arguments for 'object' command");
    expect(((await c.call("OBJECT", "HELP")) as string[])[0]).toBe(
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    );
  });

  it("binary-safe keys", async () => {
    const k = "k\0\r\n\xff";
    expect(await c.call("SET", k, "v")).toBe("OK");
    expect(await c.call("KEYS", "k*")).toEqual([k]);
    expect(await c.call("GET", k)).toBe("v");
  });
});
