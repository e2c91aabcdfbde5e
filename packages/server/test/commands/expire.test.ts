import { beforeEach, describe, expect, it } from "vitest";
import { errorText, type RespClient, sleep, waitFor, withTarget } from "../helpers.js";

let c: RespClient;

withTarget({ args: ["--enable-debug-command", "yes"] }, (t) => ({ c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
});

describe("expiry", () => {
  it("EXPIRE family with NX/XX/GT/LT", async () => {
    await c.call("SET", "x", "1");
    expect(await c.call("EXPIRE", "nokey", "100")).toBe(0);
    expect(await c.call("EXPIRE", "x", "100", "XX")).toBe(0);
    expect(await c.call("EXPIRE", "x", "100", "NX")).toBe(1);
    expect(await c.call("EXPIRE", "x", "200", "NX")).toBe(0);
    expect(await c.call("EXPIRE", "x", "50", "GT")).toBe(0);
    expect(await c.call("EXPIRE", "x", "200", "GT")).toBe(1);
    expect(await c.call("EXPIRE", "x", "300", "LT")).toBe(0);
    expect(await c.call("EXPIRE", "x", "100", "LT")).toBe(1);
    expect(await c.call("TTL", "x")).toBe(100);
    expect(await c.call("PERSIST", "x")).toBe(1);
    expect(await c.call("PERSIST", "x")).toBe(0);
    // No TTL counts as infinite: LT sets one, GT does not.
    expect(await c.call("EXPIRE", "x", "100", "GT")).toBe(0);
    expect(await c.call("EXPIRE", "x", "100", "LT")).toBe(1);
    expect(errorText(await c.call("EXPIRE", "x", "100", "FOO"))).toBe("ERR Unsupported option FOO");
    expect(errorText(await c.call("EXPIRE", "x", "100", "NX", "XX"))).toBe(
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    expect(errorText(await c.call("EXPIRE", "x", "100", "GT", "LT"))).toBe(
      "ERR GT and LT options at the same time are not compatible",
    );
    expect(errorText(await c.call("EXPIRE", "x", "abc"))).toBe("ERR value is not an integer or out of range");
    expect(errorText(await c.call("EXPIRE", "x", "9223372036854775807"))).toBe(
      "ERR invalid expire time in 'expire' command",
    );
    expect(errorText(await c.call("PEXPIRE", "x", "9223372036854775807"))).toBe(
      "ERR invalid expire time in 'pexpire' command",
    );
  });

  it("TTL/PTTL/EXPIRETIME/PEXPIRETIME", async () => {
    expect(await c.call("TTL", "nokey")).toBe(-2);
    expect(await c.call("PTTL", "nokey")).toBe(-2);
    expect(await c.call("EXPIRETIME", "nokey")).toBe(-2);
    expect(await c.call("PEXPIRETIME", "nokey")).toBe(-2);
    await c.call("SET", "x", "1");
    expect(await c.call("TTL", "x")).toBe(-1);
    expect(await c.call("EXPIRETIME", "x")).toBe(-1);
    expect(await c.call("EXPIREAT", "x", "4000000000")).toBe(1);
    expect(await c.call("EXPIRETIME", "x")).toBe(4000000000);
    expect(await c.call("PEXPIRETIME", "x")).toBe(4000000000000);
    expect(await c.call("PEXPIREAT", "x", "4000000000123")).toBe(1);
    expect(await c.call("EXPIRETIME", "x")).toBe(4000000000);
    expect(await c.call("PEXPIRETIME", "x")).toBe(4000000000123);
    await c.call("PEXPIRE", "x", "5000");
    const pttl = (await c.call("PTTL", "x")) as number;
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it("an expiry in the past deletes the key at once", async () => {
    for (const argv of [
      ["EXPIRE", "x", "0"],
      ["EXPIRE", "x", "-1"],
      ["PEXPIREAT", "x", "1"],
      ["EXPIREAT", "x", "1", "LT"],
    ]) {
      await c.call("SET", "x", "1");
      expect(await c.call(...argv)).toBe(1);
      expect(await c.call("EXISTS", "x")).toBe(0);
    }
    await c.call("SET", "x", "1");
    expect(await c.call("EXPIREAT", "x", "1", "GT")).toBe(0);
    expect(await c.call("TTL", "x")).toBe(-1);
  });

  it("lazy expiry on access", async () => {
    await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await c.call("SET", "lazy", "v", "PX", "50");
    await sleep(120);
    expect(await c.call("DBSIZE")).toBe(1); // still in the dict: nobody touched it
    expect(await c.call("GET", "lazy")).toBeNull();
    expect(await c.call("DBSIZE")).toBe(0);
  });

  it("active expiry removes keys nobody reads", async () => {
    for (let i = 0; i < 50; i++) await c.call("SET", `act:${i}`, "v", "PX", "30");
    await c.call("SET", "keep", "v");
    await waitFor(async () => (await c.call("DBSIZE")) === 1, "active expiry", 5000);
    const info = (await c.call("INFO", "stats")) as string;
    expect(Number(/expired_keys:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(50);
  });

  it("SET KEEPTTL, GETEX and PERSIST manage the TTL", async () => {
    await c.call("SET", "k", "v", "EX", "100");
    await c.call("SET", "k", "w", "KEEPTTL");
    expect(await c.call("TTL", "k")).toBe(100);
    await c.call("SET", "k", "w");
    expect(await c.call("TTL", "k")).toBe(-1);
    expect(await c.call("GETEX", "k", "PX", "200000")).toBe("w");
    expect(await c.call("TTL", "k")).toBe(200);
    await c.call("APPEND", "k", "x");
    expect(await c.call("TTL", "k")).toBe(200);
    await c.call("INCRBYFLOAT", "n", "1");
    await c.call("EXPIRE", "n", "100");
    await c.call("INCRBYFLOAT", "n", "1");
    expect(await c.call("TTL", "n")).toBe(100);
  });
});
