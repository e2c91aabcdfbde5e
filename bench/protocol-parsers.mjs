// Benchmark of the RESP parsers (not a test): prints commands/s and MB/s of our request parser
// over a large pipelined buffer of typical commands, and our reply parser against the
// `redis-parser` npm package (the RESP2 reply parser ioredis uses) on the same replies, with the
// ratio measured in the same run. Run after `pnpm -s run build`: node bench/protocol-parsers.mjs
import { createRequire } from "node:module";
import {
  encodeCommand,
  PARSE_COMMAND,
  REPLY_VALUE,
  ReplyParser,
  ReplyWriter,
  RequestParser,
} from "../packages/protocol/dist/index.js";

const require = createRequire(new URL("../packages/protocol/package.json", import.meta.url));
const RedisParser = require("redis-parser");

function pipelineOfCommands(n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    switch (i % 4) {
      case 0:
        parts.push(encodeCommand(["SET", `key:${i}`, `value-${i}-xxxxxxxx`]));
        break;
      case 1:
        parts.push(encodeCommand(["GET", `key:${i}`]));
        break;
      case 2:
        parts.push(encodeCommand(["HSET", `hash:${i % 100}`, `field${i}`, `v${i}`]));
        break;
      default:
        parts.push(encodeCommand(["ZADD", `zset:${i % 100}`, String(i), `m${i}`, String(i + 1), `n${i}`]));
    }
  }
  return Buffer.concat(parts);
}

function chunks(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function best(runs, fn) {
  let bestMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return bestMs;
}

// ---- request parser ----
const N = 1_000_000;
const input = pipelineOfCommands(N);
const inputChunks = chunks(input, 64 * 1024);
let parsed = 0;
const reqMs = best(5, () => {
  const p = new RequestParser();
  parsed = 0;
  for (const c of inputChunks) {
    p.feed(c);
    while (p.next() === PARSE_COMMAND) parsed++;
  }
});
if (parsed !== N) throw new Error(`parsed ${parsed} of ${N}`);
console.log(
  `request parser: ${(N / (reqMs / 1000) / 1e6).toFixed(2)} M commands/s, ${(input.length / 1e6 / (reqMs / 1000)).toFixed(0)} MB/s (${N} commands, ${(input.length / 1e6).toFixed(1)} MB in 64 KB chunks)`,
);

// ---- reply parsers on the same RESP2 replies ----
const w = new ReplyWriter();
const R = 500_000;
for (let i = 0; i < R; i++) {
  switch (i % 5) {
    case 0:
      w.simple("OK");
      break;
    case 1:
      w.bulk(`value-${i}-xxxxxxxxxxxxxxxx`);
      break;
    case 2:
      w.integer(i);
      break;
    case 3:
      w.nullBulk();
      break;
    default:
      w.arrayHeader(3);
      w.bulk("a");
      w.bulk(`member${i}`);
      w.integer(i);
  }
}
const replies = w.takeBuffer();
const replyChunks = chunks(replies, 64 * 1024);

let ours = 0;
const oursMs = best(5, () => {
  const p = new ReplyParser({ strings: "utf8" });
  ours = 0;
  for (const c of replyChunks) {
    p.feed(c);
    while (p.next() === REPLY_VALUE) ours++;
  }
});
let theirs = 0;
const theirsMs = best(5, () => {
  theirs = 0;
  const p = new RedisParser({
    returnReply: () => theirs++,
    returnError: () => theirs++,
    returnFatalError: (e) => {
      throw e;
    },
  });
  for (const c of replyChunks) p.execute(c);
});
if (ours !== R || theirs !== R) throw new Error(`reply counts ${ours}/${theirs} != ${R}`);
console.log(`reply parser (ours):        ${(R / (oursMs / 1000) / 1e6).toFixed(2)} M replies/s`);
console.log(`reply parser (redis-parser): ${(R / (theirsMs / 1000) / 1e6).toFixed(2)} M replies/s`);
console.log(`ratio ours/redis-parser: ${(theirsMs / oursMs).toFixed(2)}x (target >= 1.5x)`);
