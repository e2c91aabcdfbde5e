/**
 * In-process checks of what list/hash/set commands propagate (the stream that feeds the AOF and
 * replicas), with a sink attached to the server's propagator. The expected forms are those a
 * real Redis 7.0.15 writes to its AOF for the same commands (observed with appendonly yes):
 * served blocking pops become LPOP/RPOP [n], LMOVE or RPOPLPUSH; SPOP becomes SREM (several in
 * MULTI/EXEC) or DEL; HINCRBYFLOAT becomes HSET; no-op writes propagate nothing.
 *
 * Also checks SORT over a sorted set through the ZSetValue interface alone, with a stand-in
 * zset, so this branch does not depend on the sorted-set implementation.
 */

import { REPLY_VALUE, ReplyParser } from "@keyhaven/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Config } from "../../src/config/config.js";
import type { ZSetValue } from "../../src/keyspace/value.js";
import { Client } from "../../src/network/client.js";
import { Server } from "../../src/server.js";

let server: Server;
let fed: string[];

/** Decodes one RESP multibulk command into a space-joined line. */
function decodeCommand(bytes: Buffer): string {
  const text = bytes.toString("latin1");
  const parts: string[] = [];
  let pos = text.indexOf("\r\n") + 2;
  const n = Number(text.slice(1, pos - 2));
  for (let i = 0; i < n; i++) {
    const end = text.indexOf("\r\n", pos);
    const len = Number(text.slice(pos + 1, end));
    parts.push(text.slice(end + 2, end + 2 + len));
    pos = end + 2 + len + 2;
  }
  return parts.join(" ");
}

function newClient(): Client {
  return new Client(server, null, server.dbs[0], "127.0.0.1:1", "127.0.0.1:2");
}

/** Runs one command and returns its reply as a plain value (latin1 strings). */
function run(c: Client, ...argv: (string | number)[]): unknown {
  c.argv = argv.map(String);
  server.processCommand(c);
  return takeReply(c);
}

function takeReply(c: Client): unknown {
  const data = c.out.take();
  if (data === null) return undefined;
  const parser = new ReplyParser({ strings: "latin1" });
  parser.feed(Array.isArray(data) ? Buffer.concat(data) : data);
  expect(parser.next()).toBe(REPLY_VALUE);
  return parser.value;
}

beforeEach(() => {
  server = new Server(new Config());
  fed = [];
  server.propagator.addSink({ kind: "repl", feed: (_db, bytes) => fed.push(decodeCommand(bytes)) });
});
afterEach(() => {
  server.stop();
});

describe("propagation forms", () => {
  it("blocking pops served at once propagate as their non-blocking forms", () => {
    const c = newClient();
    run(c, "RPUSH", "a", 1, 2, 3, 4, 5);
    fed.length = 0;
    expect(run(c, "BLMOVE", "a", "b", "left", "left", 0)).toBe("1");
    expect(run(c, "BRPOPLPUSH", "a", "b", 0)).toBe("5");
    expect(run(c, "BLMPOP", 0, 2, "x", "a", "LEFT")).toEqual(["a", ["2"]]);
    expect(run(c, "BLPOP", "x", "a", 0)).toEqual(["a", "3"]);
    expect(run(c, "BRPOP", "a", 0)).toEqual(["a", "4"]);
    expect(run(c, "LMPOP", 1, "b", "RIGHT", "COUNT", 10)).toEqual(["b", ["1", "5"]]);
    expect(fed).toEqual(["LMOVE a b left left", "RPOPLPUSH a b", "LPOP a 1", "LPOP a", "RPOP a", "RPOP b 2"]);
  });

  it("blocking pops served after blocking propagate after the push that woke them", () => {
    const waiter = newClient();
    const pusher = newClient();
    for (const [argv, expected] of [
      [
        ["BLPOP", "k", 0],
        ["k", "x"],
      ],
      [
        ["BLMPOP", 0, 1, "k", "RIGHT", "COUNT", 3],
        ["k", ["x"]],
      ],
      [["BRPOPLPUSH", "k", "d", 0], "x"],
      [["BLMOVE", "k", "d", "RIGHT", "LEFT", 0], "x"],
    ] as const) {
      fed.length = 0;
      expect(run(waiter, ...argv)).toBeUndefined();
      expect(server.blocking.count).toBe(1);
      run(pusher, "RPUSH", "k", "x");
      expect(takeReply(waiter)).toEqual(expected);
      expect(server.blocking.count).toBe(0);
      const served = fed;
      expect(served[0]).toBe("RPUSH k x");
      expect(served.length).toBe(2);
      expect(served[1]).toBe(
        {
          BLPOP: "LPOP k",
          BLMPOP: "RPOP k 1",
          BRPOPLPUSH: "RPOPLPUSH k d",
          BLMOVE: "LMOVE k d RIGHT LEFT",
        }[argv[0]],
      );
      run(pusher, "DEL", "d");
    }
  });

  it("SPOP becomes SREM (wrapped in MULTI/EXEC when several) or DEL", () => {
    const c = newClient();
    run(c, "SADD", "s", 1, 2, 3, 4, 5, 6);
    fed.length = 0;
    const one = run(c, "SPOP", "s") as string;
    expect(fed).toEqual([`SREM s ${one}`]);
    fed.length = 0;
    const two = run(c, "SPOP", "s", 2) as string[];
    expect(fed).toEqual(["MULTI", ...two.map((m) => `SREM s ${m}`), "EXEC"]);
    fed.length = 0;
    run(c, "SPOP", "s", 0);
    run(c, "SPOP", "s", 10);
    expect(fed).toEqual(["DEL s"]);
  });

  it("HINCRBYFLOAT becomes HSET of the result; no-op writes propagate nothing", () => {
    const c = newClient();
    run(c, "HSET", "h", "f", "1.5");
    run(c, "RPUSH", "l", "a");
    fed.length = 0;
    expect(run(c, "HINCRBYFLOAT", "h", "f", "1")).toBe("2.5");
    run(c, "HSETNX", "h", "f", "x");
    run(c, "HDEL", "h", "nope");
    run(c, "LREM", "l", 0, "nope");
    run(c, "SREM", "nokey", "a");
    run(c, "SINTERSTORE", "dst", "nokey", "l2");
    run(c, "LTRIM", "l", 0, -1);
    run(c, "SORT", "l", "ALPHA");
    expect(fed).toEqual(["HSET h f 2.5"]);
  });

  it("a served blocked pop is not counted twice in commandstats", () => {
    const waiter = newClient();
    const pusher = newClient();
    run(waiter, "BLPOP", "k", 0);
    run(pusher, "RPUSH", "k", "x");
    expect(takeReply(waiter)).toEqual(["k", "x"]);
    expect(server.commands.get("blpop")!.calls).toBe(1);
  });
});

/** A stand-in sorted set offering only what ZSetValue promises. */
function fakeZset(entries: [string, number][]): ZSetValue {
  const sorted = [...entries].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const z: ZSetValue = {
    type: "zset",
    mem: 100,
    accountedMem: 0,
    encoding: () => "skiplist",
    size: () => sorted.length,
    clone: () => fakeZset(sorted),
    entries: () => sorted[Symbol.iterator]() as IterableIterator<[string, number]>,
  };
  return z;
}

describe("SORT over the ZSetValue interface", () => {
  it("keeps score order with BY constant, sorts by member otherwise", () => {
    const c = newClient();
    server.dbs[0].add(
      "z",
      fakeZset([
        ["a", 3],
        ["c", 1],
        ["b", 2],
        ["10", 5],
        ["9", 4],
      ]),
    );
    expect(run(c, "SORT", "z", "BY", "nosort")).toEqual(["c", "b", "a", "9", "10"]);
    expect(run(c, "SORT", "z", "BY", "nosort", "DESC", "LIMIT", 0, 2)).toEqual(["10", "9"]);
    expect(run(c, "SORT", "z", "BY", "nosort", "LIMIT", 1, 2)).toEqual(["b", "a"]);
    expect(run(c, "SORT", "z", "ALPHA")).toEqual(["10", "9", "a", "b", "c"]);
    expect(run(c, "SORT", "z", "ALPHA", "DESC", "LIMIT", 0, 1)).toEqual(["c"]);
    expect((run(c, "SORT", "z") as Error).message).toBe(
      "ERR One or more scores can't be converted into double",
    );
    expect(run(c, "SORT", "z", "BY", "nosort", "STORE", "zl")).toBe(5);
    expect(run(c, "LRANGE", "zl", 0, -1)).toEqual(["c", "b", "a", "9", "10"]);
  });
});
