// Benchmark of the RESP parsers (not a test): prints commands/s and MB/s of our request parser
// over a large pipelined buffer of typical commands, and our reply parser against the
// `redis-parser` npm package (the RESP2 reply parser ioredis uses) on the same replies, with the
// ratio measured in the same run. Run after `pnpm -s run build`: node bench/protocol-parsers.mjs
//
// Method: the machines running this are shared and often loaded, so each measurement is repeated
// (BENCH_ROUNDS, default 15) after a warm-up, the three parsers take turns within every round
// (which reply parser goes first alternates), and the best round of each is reported, with the
// median beside it. The reply parsers are first checked to return identical values (JS strings
// decoded as UTF-8, numbers, nulls, arrays), so the ratio compares the same work.

import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP = 3;

/** Runs `fns` (name -> function) interleaved for WARMUP + ROUNDS rounds; ms of the timed rounds. */
function interleaved(fns) {
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const t0 = performance.now();
      fns[name]();
      const ms = performance.now() - t0;
      if (r >= WARMUP) times[name].push(ms);
    }
  }
  for (const name of names) times[name].sort((x, y) => x - y);
  return times;
}
const best = (ms) => ms[0];
const median = (ms) => ms[ms.length >> 1];

// ---- inputs ----
const N = 1_000_000;
const input = pipelineOfCommands(N);
const inputChunks = chunks(input, 64 * 1024);

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

function parseRequests() {
  const p = new RequestParser();
  let parsed = 0;
  for (const c of inputChunks) {
    p.feed(c);
    while (p.next() === PARSE_COMMAND) parsed++;
  }
  if (parsed !== N) throw new Error(`parsed ${parsed} of ${N}`);
}

function parseRepliesOurs(sink) {
  const p = new ReplyParser({ strings: "utf8" });
  let n = 0;
  for (const c of replyChunks) {
    p.feed(c);
    while (p.next() === REPLY_VALUE) {
      n++;
      if (sink) sink.push(p.value);
    }
  }
  if (n !== R) throw new Error(`ours: ${n} replies of ${R}`);
}

function parseRepliesTheirs(sink) {
  let n = 0;
  const onReply = (v) => {
    n++;
    if (sink) sink.push(v);
  };
  const p = new RedisParser({
    returnReply: onReply,
    returnError: onReply,
    returnFatalError: (e) => {
      throw e;
    },
  });
  for (const c of replyChunks) p.execute(c);
  if (n !== R) throw new Error(`redis-parser: ${n} replies of ${R}`);
}

// Same output, same work: compare every value once, untimed.
const oursValues = [];
const theirsValues = [];
parseRepliesOurs(oursValues);
parseRepliesTheirs(theirsValues);
if (!isDeepStrictEqual(oursValues, theirsValues)) throw new Error("reply parsers disagree on the values");
oursValues.length = 0;
theirsValues.length = 0;

const t = interleaved({
  requests: parseRequests,
  ours: () => parseRepliesOurs(null),
  theirs: () => parseRepliesTheirs(null),
});

const perSec = (count, ms) => count / (ms / 1000);
console.log(
  `request parser: ${(perSec(N, best(t.requests)) / 1e6).toFixed(2)} M commands/s, ${(perSec(input.length, best(t.requests)) / 1e6).toFixed(0)} MB/s (median ${(perSec(N, median(t.requests)) / 1e6).toFixed(2)} M/s; ${N} commands, ${(input.length / 1e6).toFixed(1)} MB in 64 KB chunks; target >= 5 M/s)`,
);
console.log(
  `reply parser (ours):         ${(perSec(R, best(t.ours)) / 1e6).toFixed(2)} M replies/s (median ${(perSec(R, median(t.ours)) / 1e6).toFixed(2)})`,
);
console.log(
  `reply parser (redis-parser): ${(perSec(R, best(t.theirs)) / 1e6).toFixed(2)} M replies/s (median ${(perSec(R, median(t.theirs)) / 1e6).toFixed(2)})`,
);
console.log(
  `ratio ours/redis-parser: ${(best(t.theirs) / best(t.ours)).toFixed(2)}x best vs best, ${(median(t.theirs) / median(t.ours)).toFixed(2)}x median vs median (target >= 1.5x; best of ${ROUNDS} interleaved rounds after ${WARMUP} warm-up)`,
);
