#!/usr/bin/env node
/**
 * Stream throughput, Keyhaven against real Redis in the same run. redis-benchmark with custom
 * commands against each server, alternating which goes first every round (prepare before each
 * run), median requests per second and the ratio keyhaven/redis:
 *
 *   XADD           XADD s * f <rand> (one growing stream, default node limits)
 *   XRANGE         XRANGE of 10 entries from the start of a 100k-entry stream
 *   XREVRANGE      XREVRANGE of 10 entries from its end
 *   XREAD          XREAD COUNT 10 STREAMS big 0
 *
 * then XREADGROUP+XACK, which redis-benchmark cannot express (the ID to acknowledge comes from
 * the read): 10 connections, each reading its own 20k-entry stream through a group one entry at
 * a time and acknowledging it, pipelined 100 pairs deep; pairs per second.
 *
 * Every server is killed by PID at the end. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/stream-throughput.mjs [rounds=3] [requests=100000]
 */

import { Socket } from "node:net";
import { REPLY_VALUE, ReplyParser } from "../packages/protocol/dist/index.js";
import { cleanup, compareCommands, median, start } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 100_000);

const TESTS = [
  ["XADD", ["-r", "100000"], ["XADD", "s", "*", "f", "__rand_int__"], 1],
  ["XRANGE", [], ["XRANGE", "big", "-", "+", "COUNT", "10"], 1],
  ["XREVRANGE", [], ["XREVRANGE", "big", "+", "-", "COUNT", "10"], 1],
  ["XREAD", [], ["XREAD", "COUNT", "10", "STREAMS", "big", "0"], 1],
];

function encode(argv) {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** A pipelining client that parses every reply (shapes vary). */
class Client {
  constructor(socket) {
    this.socket = socket;
    this.parser = new ReplyParser({ strings: "latin1" });
    this.want = 0;
    this.got = 0;
    this.done = null;
    socket.on("data", (d) => {
      this.parser.feed(d);
      while (this.parser.next() === REPLY_VALUE) this.got++;
      if (this.done !== null && this.got >= this.want) {
        const r = this.done;
        this.done = null;
        r();
      }
    });
  }
  static connect(port) {
    return new Promise((res, rej) => {
      const s = new Socket();
      s.setNoDelay(true);
      s.once("error", rej);
      s.connect(port, "127.0.0.1", () => res(new Client(s)));
    });
  }
  send(payload, replies) {
    this.want += replies;
    const p = new Promise((r) => (this.done = r));
    this.socket.write(payload);
    if (this.got >= this.want) this.done = null;
    return this.got >= this.want ? Promise.resolve() : p;
  }
}

/** Adds entries 1-0 .. n-0 to `key`, pipelined 1000 at a time. */
async function fill(client, key, n, fields) {
  for (let i = 1; i <= n; i += 1000) {
    const end = Math.min(n, i + 999);
    let payload = "";
    for (let j = i; j <= end; j++) payload += encode(["XADD", key, `${j}-0`, ...fields(j)]);
    await client.send(payload, end - i + 1);
  }
}

async function prepare(server) {
  const c = await Client.connect(server.port);
  await c.send(encode(["FLUSHALL"]), 1);
  await fill(c, "big", 100_000, (j) => ["f", String(j), "g", "payload"]);
  c.socket.destroy();
}

const CONNS = 10;
const PER_CONN = 20_000;
const DEPTH = 100;

/** XREADGROUP COUNT 1 + XACK pairs per second over CONNS connections. */
async function readAck(port) {
  const setup = await Client.connect(port);
  await setup.send(encode(["FLUSHALL"]), 1);
  for (let k = 0; k < CONNS; k++) {
    await fill(setup, `q${k}`, PER_CONN, (j) => ["f", String(j)]);
    await setup.send(encode(["XGROUP", "CREATE", `q${k}`, "g", "0"]), 1);
  }
  setup.socket.destroy();
  const clients = await Promise.all(Array.from({ length: CONNS }, () => Client.connect(port)));
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, k) => {
      for (let i = 1; i <= PER_CONN; i += DEPTH) {
        let payload = "";
        for (let j = i; j < i + DEPTH; j++) {
          payload += encode(["XREADGROUP", "GROUP", "g", `c${k}`, "COUNT", "1", "STREAMS", `q${k}`, ">"]);
          payload += encode(["XACK", `q${k}`, "g", `${j}-0`]);
        }
        await c.send(payload, 2 * DEPTH);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const c of clients) c.socket.destroy();
  return (CONNS * PER_CONN) / secs;
}

await compareCommands({
  title: "Stream throughput",
  tests: TESTS,
  rounds: ROUNDS,
  requests: REQUESTS,
  prepare,
});

try {
  const servers = [await start("redis"), await start("keyhaven")];
  const samples = { redis: [], keyhaven: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      samples[server.kind].push(await readAck(server.port));
    }
  }
  const r = median(samples.redis);
  const k = median(samples.keyhaven);
  console.log(
    `${"XREADGROUP+XACK".padEnd(16)} redis ${r.toFixed(0).padStart(8)} pairs/s keyhaven ${k.toFixed(0).padStart(8)} pairs/s ratio ${(k / r).toFixed(2)}x`,
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  cleanup();
}
