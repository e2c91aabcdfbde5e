import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { errorText, type RespClient, sleep, withTarget } from "../helpers.js";

let c: RespClient;
let other: RespClient;

withTarget({ args: ["--enable-debug-command", "yes"] }, async (t) => {
  c = t.c;
  other = await t.server.client();
});
afterAll(() => other?.close());
beforeEach(async () => {
  await c.call("RESET");
  await other.call("RESET");
  await c.call("FLUSHALL");
});

describe("MULTI/EXEC/DISCARD/WATCH", () => {
  it("EXEC replies with each queued command's reply, errors included", async () => {
    expect(await c.call("MULTI")).toBe("OK");
    expect(await c.call("SET", "a", "x")).toBe("QUEUED");
    expect(await c.call("INCR", "a")).toBe("QUEUED");
    expect(await c.call("GET", "a")).toBe("QUEUED");
    const replies = (await c.call("EXEC")) as unknown[];
    expect(replies[0]).toBe("OK");
    expect(errorText(replies[1])).toBe("ERR value is not an integer or out of range");
    expect(replies[2]).toBe("x");
    expect(await c.call("MULTI")).toBe("OK");
    expect(await c.call("EXEC")).toEqual([]);
  });

  it("a command refused while queuing aborts EXEC with EXECABORT", async () => {
    await c.call("MULTI");
    expect(await c.call("SET", "a", "1")).toBe("QUEUED");
    expect(errorText(await c.call("NOSUCH"))).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: ",
    );
    expect(errorText(await c.call("SET", "a"))).toBe("ERR wrong number of arguments for 'set' command");
    expect(errorText(await c.call("EXEC"))).toBe(
      "EXECABORT Transaction discarded because of previous errors.",
    );
    expect(await c.call("EXISTS", "a")).toBe(0);
    // EXEC itself refused: the reason follows EXECABORT and the transaction is gone.
    await c.call("MULTI");
    expect(errorText(await c.call("EXEC", "extra"))).toBe(
      "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    );
    expect(errorText(await c.call("EXEC"))).toBe("ERR EXEC without MULTI");
  });

  it("MULTI/EXEC/DISCARD/WATCH errors", async () => {
    expect(errorText(await c.call("EXEC"))).toBe("ERR EXEC without MULTI");
    expect(errorText(await c.call("DISCARD"))).toBe("ERR DISCARD without MULTI");
    await c.call("MULTI");
    expect(errorText(await c.call("MULTI"))).toBe("ERR MULTI calls can not be nested");
    expect(errorText(await c.call("WATCH", "a"))).toBe("ERR WATCH inside MULTI is not allowed");
    expect(await c.call("SET", "a", "1")).toBe("QUEUED");
    expect(await c.call("DISCARD")).toBe("OK");
    expect(await c.call("EXISTS", "a")).toBe(0);
    await c.call("MULTI");
    expect(errorText(await c.call("SHUTDOWN"))).toBe("ERR Command not allowed inside a transaction");
    await c.call("DISCARD");
    await c.call("MULTI");
    await c.call("MONITOR");
    expect(errorText(((await c.call("EXEC")) as unknown[])[0])).toBe(
      "ERR MONITOR isn't allowed for DENY BLOCKING client",
    );
  });

  it("EXEC with arguments is refused as an aborted transaction, in MULTI or not", async () => {
    const aborted =
      "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command";
    // Outside MULTI too, and it forgets WATCHed keys (rejectCommand's execCommandAbort).
    expect(await c.call("WATCH", "w")).toBe("OK");
    expect(errorText(await c.call("EXEC", "x"))).toBe(aborted);
    await other.call("SET", "w", "changed");
    await c.call("MULTI");
    await c.call("SET", "w", "mine");
    expect(await c.call("EXEC")).toEqual(["OK"]);
    expect(await c.call("GET", "w")).toBe("mine");
    // Inside MULTI it discards the transaction.
    await c.call("MULTI");
    expect(await c.call("SET", "w", "queued")).toBe("QUEUED");
    expect(errorText(await c.call("EXEC", "x"))).toBe(aborted);
    expect(errorText(await c.call("EXEC"))).toBe("ERR EXEC without MULTI");
    expect(await c.call("GET", "w")).toBe("mine");
  });

  it("SELECT inside MULTI applies to the commands after it", async () => {
    await c.call("MULTI");
    await c.call("SELECT", "1");
    await c.call("SET", "indb1", "v");
    await c.call("SELECT", "0");
    expect(await c.call("EXEC")).toEqual(["OK", "OK", "OK"]);
    expect(await c.call("EXISTS", "indb1")).toBe(0);
    await c.call("SELECT", "1");
    expect(await c.call("GET", "indb1")).toBe("v");
  });

  it("WATCH is invalidated by a write from another client", async () => {
    await c.call("SET", "w", "1");
    expect(await c.call("WATCH", "w")).toBe("OK");
    await other.call("SET", "w", "2");
    await c.call("MULTI");
    await c.call("SET", "w", "3");
    expect(await c.call("EXEC")).toBeNull();
    expect(await c.call("GET", "w")).toBe("2");
  });

  it("WATCH is not invalidated by reads, and UNWATCH forgets it", async () => {
    await c.call("SET", "w", "1");
    await c.call("WATCH", "w");
    await other.call("GET", "w");
    await c.call("MULTI");
    await c.call("INCR", "w");
    expect(await c.call("EXEC")).toEqual([2]);
    await c.call("WATCH", "w");
    await other.call("SET", "w", "9");
    expect(await c.call("UNWATCH")).toBe("OK");
    await c.call("MULTI");
    await c.call("INCR", "w");
    expect(await c.call("EXEC")).toEqual([10]);
  });

  it("WATCH is invalidated by expiry, FLUSHDB, FLUSHALL, SWAPDB, DEL and EXPIRE", async () => {
    const invalidators: [string, ...string[]][] = [
      ["FLUSHDB"],
      ["FLUSHALL"],
      ["SWAPDB", "0", "1"],
      ["DEL", "w"],
      ["EXPIRE", "w", "100"],
      ["RENAME", "w", "w2"],
      ["APPEND", "w", "x"],
    ];
    for (const argv of invalidators) {
      await c.call("FLUSHALL");
      await c.call("SET", "w", "1");
      await c.call("WATCH", "w");
      await other.call(...argv);
      await c.call("MULTI");
      await c.call("PING");
      expect([argv[0], await c.call("EXEC")]).toEqual([argv[0], null]);
    }
    // A key that expires between WATCH and EXEC.
    await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await c.call("SET", "w", "1", "PX", "50");
    await c.call("WATCH", "w");
    await sleep(100);
    await c.call("MULTI");
    await c.call("PING");
    expect(await c.call("EXEC")).toBeNull();
    await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
  });

  it("WATCH of a missing key is invalidated when it is created", async () => {
    await c.call("WATCH", "nokey");
    await other.call("SET", "nokey", "x");
    await c.call("MULTI");
    await c.call("PING");
    expect(await c.call("EXEC")).toBeNull();
  });

  it("FLUSHALL of an empty database leaves the WATCH of a missing key valid", async () => {
    await c.call("WATCH", "nokey");
    await other.call("FLUSHALL");
    await c.call("MULTI");
    await c.call("PING");
    expect(await c.call("EXEC")).toEqual(["PONG"]);
  });
});
