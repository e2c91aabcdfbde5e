import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorText, type RespClient, type ServerProcess, startTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;

beforeAll(async () => {
  server = await startTarget();
  c = await server.client();
});
afterAll(async () => {
  c?.close();
  await server?.stop();
});

describe("strings", () => {
  it("SET/GET round-trip binary values", async () => {
    expect(await c.call("SET", "bin", "a\r\n\0\xff")).toBe("OK");
    expect(await c.call("GET", "bin")).toBe("a\r\n\0\xff");
    expect(await c.call("GET", "missing")).toBeNull();
  });

  it("SET options NX/XX/GET/KEEPTTL/EX and their errors", async () => {
    expect(await c.call("SET", "s1", "v", "NX")).toBe("OK");
    expect(await c.call("SET", "s1", "w", "NX")).toBeNull();
    expect(await c.call("SET", "s1", "w", "XX", "GET")).toBe("v");
    expect(await c.call("SET", "s2", "w", "XX")).toBeNull();
    expect(await c.call("SET", "s1", "x", "EX", "100")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(100);
    expect(await c.call("SET", "s1", "y", "KEEPTTL")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(100);
    expect(await c.call("SET", "s1", "y")).toBe("OK");
    expect(await c.call("TTL", "s1")).toBe(-1);
    expect(errorText(await c.call("SET", "s1", "v", "EX", "0"))).toBe(
      "ERR invalid expire time in 'set' command",
    );
    expect(errorText(await c.call("SET", "s1", "v", "EX", "abc"))).toBe(
      "ERR value is not an integer or out of range",
    );
    expect(errorText(await c.call("SET", "s1", "v", "NX", "XX"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SET", "s1", "v", "EX", "10", "PX", "10"))).toBe("ERR syntax error");
    expect(errorText(await c.call("SET", "s1"))).toBe("ERR wrong number of arguments for 'set' command");
  });

  it("counters with Redis's int64 limits and errors", async () => {
    expect(await c.call("SET", "n", "9223372036854775806")).toBe("OK");
    expect(await c.call("INCR", "n")).toBe(9223372036854775807n);
    expect(errorText(await c.call("INCR", "n"))).toBe("ERR increment or decrement would overflow");
    expect(await c.call("SET", "n", "abc")).toBe("OK");
    expect(errorText(await c.call("INCR", "n"))).toBe("ERR value is not an integer or out of range");
    expect(await c.call("DECRBY", "counter", "5")).toBe(-5);
    expect(errorText(await c.call("DECRBY", "counter", "-9223372036854775808"))).toBe(
      "ERR decrement would overflow",
    );
  });

  it("INCRBYFLOAT formats like Redis's long doubles", async () => {
    expect(await c.call("SET", "f", "10.50")).toBe("OK");
    expect(await c.call("INCRBYFLOAT", "f", "0.1")).toBe("10.6");
    expect(await c.call("INCRBYFLOAT", "f", "-5.0e3")).toBe("-4989.39999999999999991");
    expect(await c.call("INCRBYFLOAT", "fz", "3.0e3")).toBe("3000");
    expect(errorText(await c.call("INCRBYFLOAT", "f", "abc"))).toBe("ERR value is not a valid float");
  });

  it("WRONGTYPE errors", async (ctx) => {
    // Hashes come from another subsystem: skip while this build does not have HSET.
    const [hset] = (await c.call("COMMAND", "INFO", "hset")) as unknown[];
    if (hset === null) ctx.skip();
    expect(await c.call("HSET", "ahash", "f", "v")).toBe(1);
    expect(errorText(await c.call("GET", "ahash"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });
});
