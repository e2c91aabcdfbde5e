/**
 * Stream commands over the wire: replies in RESP2 and RESP3, exact error texts, trimming, consumer
 * groups, XINFO, and blocking XREAD/XREADGROUP (woken by XADD, timeouts, `$`, the group being
 * destroyed, the key being deleted or changing type, MULTI). Runs against Keyhaven, or against
 * real Redis with KEYHAVEN_TEST_TARGET=redis (the specification); random sequences compared with
 * Redis reply by reply are in ../differential/streams.test.ts.
 *
 * Every wait is bounded: blocked state is polled through INFO, and every blocking call uses a
 * timeout or is released by the test.
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

async function waitBlocked(n: number): Promise<void> {
  await waitFor(
    async () => Number((await infoSection(ctl, "clients")).get("blocked_clients")) === n,
    `${n} blocked clients`,
    5000,
  );
}

beforeAll(async () => {
  server = await startTarget();
  ctl = await RespClient.connect(server.port, { typed: true });
});
afterEach(async () => {
  for (const c of opened.splice(0)) c.close();
  await ctl.call("FLUSHALL");
  await ctl.call("CONFIG", "SET", "stream-node-max-entries", "100");
  await ctl.call("CONFIG", "SET", "stream-node-max-bytes", "4096");
});
afterAll(async () => {
  ctl?.close();
  await server?.stop();
});

const ID_ERR = "-ERR Invalid stream ID specified as stream command argument";

describe("XADD, XLEN, XRANGE, XREVRANGE", () => {
  it("adds entries with explicit, ms-* and generated IDs, and reads them back", async () => {
    const c = await client();
    expect(await r(c, "XADD", "s", "1-1", "a", "1", "b", "2")).toBe("1-1");
    expect(await r(c, "XADD", "s", "1-*", "a", "3")).toBe("1-2");
    expect(await r(c, "XADD", "s", "5-*", "a", "4")).toBe("5-0");
    const auto = await r(c, "XADD", "s", "*", "x", "y");
    expect(auto).toMatch(/^\d{13}-0$/);
    expect(await r(c, "XLEN", "s")).toBe(":4");
    expect(await r(c, "XRANGE", "s", "-", "+", "COUNT", "2")).toBe("[[1-1,[a,1,b,2]],[1-2,[a,3]]]");
    expect(await r(c, "XRANGE", "s", "(1-1", "5")).toBe("[[1-2,[a,3]],[5-0,[a,4]]]");
    expect(await r(c, "XREVRANGE", "s", "5", "(1-1")).toBe("[[5-0,[a,4]],[1-2,[a,3]]]");
    expect(await r(c, "XRANGE", "s", "-", "+", "COUNT", "0")).toBe("*-1");
    expect(await r(c, "XRANGE", "nokey", "-", "+")).toBe("[]");
    expect(await r(c, "TYPE", "s")).toBe("+stream");
    expect(await r(c, "OBJECT", "ENCODING", "s")).toBe("stream");
  });

  it("refuses IDs that do not grow, bad IDs and bad options with Redis's texts", async () => {
    const c = await client();
    await r(c, "XADD", "s", "5-5", "a", "1");
    expect(await r(c, "XADD", "s", "5-5", "a", "1")).toBe(
      "-ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    expect(await r(c, "XADD", "s", "0-0", "a", "1")).toBe(
      "-ERR The ID specified in XADD must be greater than 0-0",
    );
    expect(await r(c, "XADD", "s", "abc", "a", "1")).toBe(ID_ERR);
    expect(await r(c, "XADD", "s", "-", "a", "1")).toBe(ID_ERR);
    expect(await r(c, "XADD", "s", "*", "a")).toBe("-ERR wrong number of arguments for 'xadd' command");
    expect(await r(c, "XADD", "s", "MAXLEN", "-1", "*", "a", "1")).toBe(
      "-ERR The MAXLEN argument must be >= 0.",
    );
    expect(await r(c, "XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "1")).toBe(
      "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
    );
    expect(await r(c, "XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "a", "1")).toBe(
      "-ERR syntax error, LIMIT cannot be used without the special ~ option",
    );
    expect(await r(c, "XADD", "s", "LIMIT", "5", "*", "a", "1")).toBe(
      "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
    expect(await r(c, "XADD", "nokey", "NOMKSTREAM", "*", "a", "1")).toBe("$-1");
    expect(await r(c, "EXISTS", "nokey")).toBe(":0");
    expect(await r(c, "XADD", "m", "18446744073709551615-18446744073709551615", "a", "1")).toBe(
      "18446744073709551615-18446744073709551615",
    );
    expect(await r(c, "XADD", "m", "*", "a", "1")).toBe(
      "-ERR The stream has exhausted the last possible ID, unable to add more items",
    );
    expect(await r(c, "XADD", "o", "1-18446744073709551615", "a", "1")).toBe("1-18446744073709551615");
    // streamAppendItem fails here without setting errno: redis-server 7.0 answers this.
    expect(await r(c, "XADD", "o", "1-*", "a", "1")).toBe("-ERR Elements are too large to be stored");
    expect(await r(c, "XRANGE", "s", "(-", "+")).toBe(ID_ERR);
    expect(await r(c, "XRANGE", "s", "(18446744073709551615-18446744073709551615", "+")).toBe(
      "-ERR invalid start ID for the interval",
    );
    expect(await r(c, "XRANGE", "s", "-", "(0-0")).toBe("-ERR invalid end ID for the interval");
    expect(await r(c, "XRANGE", "s", "-", "+", "FOO")).toBe("-ERR syntax error");
    await r(c, "SET", "str", "x");
    expect(await r(c, "XADD", "str", "*", "a", "1")).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("trims exactly with = and by whole nodes with ~, and keeps empty streams", async () => {
    const c = await client();
    await r(c, "CONFIG", "SET", "stream-node-max-entries", "10");
    for (let i = 1; i <= 35; i++) await r(c, "XADD", "s", `${i}-0`, "f", String(i));
    expect(await r(c, "XTRIM", "s", "MAXLEN", "~", "20")).toBe(":10");
    expect(await r(c, "XLEN", "s")).toBe(":25");
    expect(await r(c, "XTRIM", "s", "MAXLEN", "~", "20")).toBe(":0");
    expect(await r(c, "XTRIM", "s", "MAXLEN", "=", "20")).toBe(":5");
    expect(await r(c, "XTRIM", "s", "MINID", "25")).toBe(":9");
    expect(await r(c, "XADD", "s", "MAXLEN", "0", "36-0", "f", "x")).toBe("36-0");
    expect(await r(c, "XLEN", "s")).toBe(":0");
    expect(await r(c, "EXISTS", "s")).toBe(":1");
    expect(await r(c, "XTRIM", "s", "FOO", "1")).toBe("-ERR syntax error");
    expect(await r(c, "XTRIM", "s", "LIMIT", "1")).toBe(
      "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
  });
});

describe("XDEL, XSETID and XINFO STREAM", () => {
  it("tracks first, last and max deleted IDs and entries added", async () => {
    const c = await client();
    for (let i = 1; i <= 5; i++) await r(c, "XADD", "s", `${i}-0`, "f", String(i));
    expect(await r(c, "XDEL", "s", "1-0", "3-0", "9-0")).toBe(":2");
    expect(await r(c, "XDEL", "s", "bad")).toBe(ID_ERR);
    expect(await r(c, "XINFO", "STREAM", "s")).toBe(
      "[length,:3,radix-tree-keys,:1,radix-tree-nodes,:2,last-generated-id,5-0,max-deleted-entry-id,3-0,entries-added,:5,recorded-first-entry-id,2-0,groups,:0,first-entry,[2-0,[f,2]],last-entry,[5-0,[f,5]]]",
    );
    expect(await r(c, "XSETID", "s", "4-0")).toBe(
      "-ERR The ID specified in XSETID is smaller than the target stream top item",
    );
    expect(await r(c, "XSETID", "s", "9-0", "ENTRIESADDED", "2")).toBe(
      "-ERR The entries_added specified in XSETID is smaller than the target stream length",
    );
    expect(await r(c, "XSETID", "s", "9-0", "MAXDELETEDID", "10-0")).toBe(
      "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
    );
    expect(await r(c, "XSETID", "s", "9-0", "ENTRIESADDED", "10", "MAXDELETEDID", "7-0")).toBe("+OK");
    expect(await r(c, "XSETID", "nokey", "1-0")).toBe("-ERR no such key");
    expect(await r(c, "XADD", "s", "8-0", "f", "x")).toBe(
      "-ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    expect(await r(c, "XINFO", "STREAM", "nokey")).toBe("-ERR no such key");
    // The key comes before the options: a missing key is reported even with bad options.
    expect(await r(c, "XINFO", "STREAM", "nokey", "BOGUS")).toBe("-ERR no such key");
    expect(await r(c, "XINFO", "STREAM", "s", "FULL", "COUNT")).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.",
    );
  });

  it("is a map in RESP3 and lists groups, PELs and consumers with FULL", async () => {
    const c = await client(true);
    await r(c, "XADD", "s", "1-0", "a", "1");
    await r(c, "XADD", "s", "2-0", "b", "2");
    await r(c, "XGROUP", "CREATE", "s", "g", "0");
    await r(c, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">");
    const full = await r(c, "XINFO", "STREAM", "s", "FULL");
    expect(full).toMatch(
      /^%\{length::2,radix-tree-keys::1,radix-tree-nodes::2,last-generated-id:2-0,max-deleted-entry-id:0-0,entries-added::2,recorded-first-entry-id:1-0,entries:\[\[1-0,\[a,1\]\],\[2-0,\[b,2\]\]\],groups:\[%\{name:g,last-delivered-id:1-0,entries-read::1,lag::1,pel-count::1,pending:\[\[1-0,alice,:\d+,:1\]\],consumers:\[%\{name:alice,seen-time::\d+,pel-count::1,pending:\[\[1-0,:\d+,:1\]\]\}\]\}\]\}$/,
    );
    expect(await r(c, "XINFO", "GROUPS", "s")).toBe(
      "[%{name:g,consumers::1,pending::1,last-delivered-id:1-0,entries-read::1,lag::1}]",
    );
    expect(await r(c, "XINFO", "CONSUMERS", "s", "g")).toMatch(/^\[%\{name:alice,pending::1,idle::\d+\}\]$/);
    expect(await r(c, "XINFO", "CONSUMERS", "s", "nog")).toBe(
      "-NOGROUP No such consumer group 'nog' for key name 's'",
    );
  });
});

describe("consumer groups", () => {
  it("XGROUP creates, sets, destroys and manages consumers, with Redis's errors", async () => {
    const c = await client();
    expect(await r(c, "XGROUP", "CREATE", "s", "g", "$")).toBe(
      "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    );
    expect(await r(c, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")).toBe("+OK");
    expect(await r(c, "XGROUP", "CREATE", "s", "g", "$")).toBe(
      "-BUSYGROUP Consumer Group name already exists",
    );
    expect(await r(c, "XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "-5")).toBe(
      "-ERR value for ENTRIESREAD must be positive or -1",
    );
    expect(await r(c, "XGROUP", "CREATE", "s", "h", "$", "FOO")).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.",
    );
    expect(await r(c, "XGROUP", "SETID", "s", "nog", "0")).toBe(
      "-NOGROUP No such consumer group 'nog' for key name 's'",
    );
    expect(await r(c, "XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "3")).toBe("+OK");
    expect(await r(c, "XGROUP", "CREATECONSUMER", "s", "g", "alice")).toBe(":1");
    expect(await r(c, "XGROUP", "CREATECONSUMER", "s", "g", "alice")).toBe(":0");
    expect(await r(c, "XGROUP", "DELCONSUMER", "s", "g", "alice")).toBe(":0");
    expect(await r(c, "XGROUP", "DESTROY", "s", "g")).toBe(":1");
    expect(await r(c, "XGROUP", "DESTROY", "s", "g")).toBe(":0");
    expect(await r(c, "XGROUP", "FOO", "s", "g")).toBe("-ERR unknown subcommand 'FOO'. Try XGROUP HELP.");
  });

  it("XREADGROUP delivers, XPENDING reports, XACK acknowledges, history replays", async () => {
    const c = await client();
    for (let i = 1; i <= 4; i++) await r(c, "XADD", "s", `${i}-0`, "f", String(i));
    await r(c, "XGROUP", "CREATE", "s", "g", "0");
    expect(await r(c, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")).toBe(
      "[[s,[[1-0,[f,1]],[2-0,[f,2]]]]]",
    );
    expect(await r(c, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")).toBe(
      "[[s,[[3-0,[f,3]],[4-0,[f,4]]]]]",
    );
    expect(await r(c, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")).toBe("*-1");
    expect(await r(c, "XPENDING", "s", "g")).toBe("[:4,1-0,4-0,[[alice,2],[bob,2]]]");
    expect(await r(c, "XACK", "s", "g", "1-0", "3-0", "9-0")).toBe(":2");
    expect(await r(c, "XPENDING", "s", "g", "-", "+", "10", "bob")).toMatch(/^\[\[4-0,bob,:\d+,:1\]\]$/);
    await r(c, "XDEL", "s", "2-0");
    expect(await r(c, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")).toBe("[[s,[[2-0,*-1]]]]");
    expect(await r(c, "XPENDING", "s", "g", "IDLE", "0", "-", "+", "10")).toMatch(
      /^\[\[2-0,alice,:\d+,:1\],\[4-0,bob,:\d+,:1\]\]$/,
    );
    expect(await r(c, "XPENDING", "s", "nog")).toBe("-NOGROUP No such key 's' or consumer group 'nog'");
    expect(await r(c, "XREADGROUP", "GROUP", "nog", "x", "STREAMS", "s", ">")).toBe(
      "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option",
    );
    expect(await r(c, "XREADGROUP", "GROUP", "g", "x", "STREAMS", "s", "$")).toMatch(
      /^-ERR The \$ ID is meaningless/,
    );
    expect(await r(c, "XREAD", "STREAMS", "s", ">")).toBe(
      "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
    );
    expect(await r(c, "XREAD", "STREAMS", "s")).toBe("-ERR wrong number of arguments for 'xread' command");
    expect(await r(c, "XREAD", "STREAMS", "s", "t", "0")).toBe(
      "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
    );
  });

  it("XCLAIM and XAUTOCLAIM move pending entries and drop deleted ones", async () => {
    const c = await client();
    for (let i = 1; i <= 4; i++) await r(c, "XADD", "s", `${i}-0`, "f", String(i));
    await r(c, "XGROUP", "CREATE", "s", "g", "0");
    await r(c, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
    expect(await r(c, "XCLAIM", "s", "g", "bob", "0", "1-0", "2-0")).toBe("[[1-0,[f,1]],[2-0,[f,2]]]");
    expect(await r(c, "XCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID", "RETRYCOUNT", "7")).toBe("[3-0]");
    expect(await r(c, "XCLAIM", "s", "g", "bob", "x", "3-0")).toBe(
      "-ERR Invalid min-idle-time argument for XCLAIM",
    );
    expect(await r(c, "XCLAIM", "s", "g", "bob", "0", "3-0", "FOO")).toBe(
      "-ERR Unrecognized XCLAIM option 'FOO'",
    );
    expect(await r(c, "XCLAIM", "s", "g", "bob", "3600000", "3-0")).toBe("[]");
    await r(c, "XDEL", "s", "2-0");
    expect(await r(c, "XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2")).toBe(
      "[3-0,[[1-0,[f,1]]],[2-0]]",
    );
    expect(await r(c, "XAUTOCLAIM", "s", "g", "carol", "0", "3-0", "JUSTID")).toBe("[0-0,[3-0,4-0],[]]");
    expect(await r(c, "XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0")).toBe(
      "-ERR COUNT must be > 0",
    );
    expect(await r(c, "XPENDING", "s", "g")).toBe("[:3,1-0,4-0,[[carol,3]]]");
    expect(await r(c, "XCLAIM", "nokey", "g", "bob", "0", "1-0")).toBe(
      "-NOGROUP No such key 'nokey' or consumer group 'g'",
    );
  });
});

describe("XREAD and blocking", () => {
  it("XREAD serves several streams, as a map in RESP3", async () => {
    const c2 = await client();
    const c3 = await client(true);
    await r(c2, "XADD", "a", "1-0", "f", "1");
    await r(c2, "XADD", "b", "2-0", "f", "2");
    expect(await r(c2, "XREAD", "COUNT", "5", "STREAMS", "a", "b", "0", "0")).toBe(
      "[[a,[[1-0,[f,1]]]],[b,[[2-0,[f,2]]]]]",
    );
    expect(await r(c3, "XREAD", "STREAMS", "a", "b", "0", "1-0")).toBe("%{a:[[1-0,[f,1]]],b:[[2-0,[f,2]]]}");
    expect(await r(c3, "XREAD", "STREAMS", "a", "$")).toBe("_");
    expect(await r(c2, "XREAD", "STREAMS", "a", "$")).toBe("*-1");
  });

  it("a blocked XREAD with $ is woken by the next XADD only", async () => {
    const c = await client();
    const w = await client();
    await r(c, "XADD", "s", "1-0", "f", "old");
    const reply = r(w, "XREAD", "BLOCK", "5000", "STREAMS", "s", "$");
    await waitBlocked(1);
    await r(c, "XADD", "s", "2-0", "f", "new");
    expect(await reply).toBe("[[s,[[2-0,[f,new]]]]]");
  });

  it("a blocked XREAD times out with a null array, and does not block inside MULTI", async () => {
    const w = await client();
    expect(await r(w, "XREAD", "BLOCK", "50", "STREAMS", "s", "$")).toBe("*-1");
    await r(w, "MULTI");
    await r(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    expect(await r(w, "EXEC")).toBe("[*-1]");
    expect(await r(w, "XREAD", "BLOCK", "-1", "STREAMS", "s", "$")).toBe("-ERR timeout is negative");
  });

  it("a blocked XREADGROUP is served by XADD and creates the pending entry", async () => {
    const c = await client();
    const w = await client();
    await r(c, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    const reply = r(w, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "5000", "STREAMS", "s", ">");
    await waitBlocked(1);
    await r(c, "XADD", "s", "1-0", "f", "v");
    expect(await reply).toBe("[[s,[[1-0,[f,v]]]]]");
    expect(await r(c, "XPENDING", "s", "g")).toBe("[:1,1-0,1-0,[[alice,1]]]");
  });

  it("blocked XREADGROUP clients learn that their group or key is gone", async () => {
    const c = await client();
    const w1 = await client();
    const w2 = await client();
    const w3 = await client();
    const x = await client();
    await r(c, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await r(c, "XGROUP", "CREATE", "t", "g", "$", "MKSTREAM");
    await r(c, "XGROUP", "CREATE", "u", "g", "$", "MKSTREAM");
    const destroyed = r(w1, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "5000", "STREAMS", "s", ">");
    const deleted = r(w2, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "5000", "STREAMS", "t", ">");
    const retyped = r(w3, "XREADGROUP", "GROUP", "g", "a", "BLOCK", "5000", "STREAMS", "u", ">");
    const plain = r(x, "XREAD", "BLOCK", "5000", "STREAMS", "t", "$");
    await waitBlocked(4);
    await r(c, "XGROUP", "DESTROY", "s", "g");
    expect(await destroyed).toBe("-NOGROUP the consumer group this client was blocked on no longer exists");
    await r(c, "DEL", "t");
    expect(await deleted).toBe("-UNBLOCKED the stream key no longer exists");
    await r(c, "SET", "u", "x");
    expect(await retyped).toBe("-UNBLOCKED the stream key no longer exists");
    // A plain XREAD keeps waiting through the deletion, and is served by a new stream.
    await waitBlocked(1);
    await r(c, "XADD", "t", "1-0", "f", "v");
    expect(await plain).toBe("[[t,[[1-0,[f,v]]]]]");
  });

  it("CLIENT UNBLOCK ends a blocked XREAD with a null array or an error", async () => {
    const w = await client();
    const id = await r(w, "CLIENT", "ID");
    const reply = r(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    await waitBlocked(1);
    expect(await r(ctl, "CLIENT", "UNBLOCK", id.slice(1))).toBe(":1");
    expect(await reply).toBe("*-1");
  });
});

describe("streams as keys", () => {
  it("COPY, RENAME, SCAN TYPE, MEMORY USAGE, SORT and keyspace events treat them as streams", async () => {
    const c = await client();
    const sub = await client();
    await r(c, "CONFIG", "SET", "notify-keyspace-events", "Kt");
    await r(sub, "PSUBSCRIBE", "__keyspace@0__:*");
    await r(c, "XADD", "s", "1-0", "f", "v");
    await r(c, "XGROUP", "CREATE", "s", "g", "0");
    await r(c, "XTRIM", "s", "MAXLEN", "0");
    const events = (await sub.waitPushed(3)).map((m) => render(m as RespValue));
    expect(events).toEqual([
      "[pmessage,__keyspace@0__:*,__keyspace@0__:s,xadd]",
      "[pmessage,__keyspace@0__:*,__keyspace@0__:s,xgroup-create]",
      "[pmessage,__keyspace@0__:*,__keyspace@0__:s,xtrim]",
    ]);
    await r(c, "CONFIG", "SET", "notify-keyspace-events", "");
    await r(c, "XADD", "s", "2-0", "f", "v");
    expect(await r(c, "COPY", "s", "t")).toBe(":1");
    expect(await r(c, "XINFO", "GROUPS", "t")).toBe(
      "[[name,g,consumers,:0,pending,:0,last-delivered-id,0-0,entries-read,$-1,lag,:1]]",
    );
    expect(await r(c, "RENAME", "t", "u")).toBe("+OK");
    expect(await r(c, "SCAN", "0", "TYPE", "stream", "COUNT", "100")).toMatch(/^\[0,\[(s,u|u,s)\]\]$/);
    expect(Number((await r(c, "MEMORY", "USAGE", "s")).slice(1))).toBeGreaterThan(0);
    expect(await r(c, "SORT", "s")).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(await r(c, "LPUSH", "s", "x")).toBe(
      "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });
});

describe("help and introspection", () => {
  it("XINFO HELP and XGROUP HELP list their subcommands", async () => {
    const c = await client();
    const help = await r(c, "XINFO", "HELP");
    expect(help).toContain("STREAM <key> [FULL [COUNT <count>]");
    expect(await r(c, "XGROUP", "HELP")).toContain(
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    );
    expect(await r(c, "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0")).toBe(
      "[a,b]",
    );
  });
});
