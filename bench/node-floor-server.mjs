#!/usr/bin/env node
/**
 * The least a Node.js server can do for redis-benchmark's SET test: the floor under which no
 * server built on Node's `net` sockets can go, for bench/node-floor.mjs. It parses nothing: it
 * counts the commands in each chunk (a RESP command starts with `*` at the start of a line; SET's
 * arguments from redis-benchmark never do) and answers each with +OK, once per event-loop turn
 * per client, as keyhaven-server's beforeSleep does. With `--appendfsync always` it also appends
 * the turn's requests to a file with one write and one fdatasync before answering, as a group
 * commit does. Not a Redis server: nothing is stored. It reads the way keyhaven-server does, into
 * one shared buffer (packages/server's network/shared-reads.ts; a built server is needed).
 *
 *   node bench/node-floor-server.mjs --port N [--dir D] [--appendfsync always]
 */

import { closeSync, constants, fdatasyncSync, openSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readIntoSharedBuffer } from "../packages/server/dist/network/shared-reads.js";

// Not strict: bench/lib.mjs passes every server redis-server's options (--bind, --save...).
const { values: opts } = parseArgs({
  strict: false,
  options: {
    port: { type: "string" },
    dir: { type: "string", default: "." },
    appendfsync: { type: "string", default: "no" },
  },
});
const OK = Buffer.from("+OK\r\n");
const always = opts.appendfsync === "always";
const aof = always
  ? openSync(join(opts.dir, "floor.aof"), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o644)
  : -1;

/** Sockets with replies owed this turn, and how many each. */
const owed = new Map();
const received = [];
let turnScheduled = false;

function endOfTurn() {
  turnScheduled = false;
  if (always && received.length > 0) {
    const data = Buffer.concat(received);
    received.length = 0;
    let off = 0;
    while (off < data.length) off += writeSync(aof, data, off);
    fdatasyncSync(aof);
  }
  for (const [socket, n] of owed) socket.write(n === 1 ? OK : Buffer.concat(new Array(n).fill(OK)));
  owed.clear();
}

const server = createServer({ pauseOnConnect: true }, (accepted) => {
  let lastByte = 10;
  const socket = readIntoSharedBuffer(accepted, (chunk) => {
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 42 && lastByte === 10) n++;
      lastByte = chunk[i];
    }
    if (n === 0) return;
    // The shared buffer is reused by the next read: keep a copy.
    if (always) received.push(Buffer.from(chunk));
    owed.set(socket, (owed.get(socket) ?? 0) + n);
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(endOfTurn);
    }
  });
  socket.setNoDelay(true);
  socket.on("error", () => socket.destroy());
});
server.listen(Number(opts.port), "127.0.0.1", () => process.stdout.write("Ready to accept connections\n"));
process.on("SIGTERM", () => {
  if (aof >= 0) closeSync(aof);
  process.exit(0);
});
