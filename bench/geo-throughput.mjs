#!/usr/bin/env node
/**
 * GEO throughput, Keyhaven against real Redis in the same run: each server gets the same 10,000
 * random points around Europe in the key `g` (one seeded PRNG), then redis-benchmark (-c 50)
 * runs each command below against it, alternating which server goes first every round; median
 * requests per second and the ratio keyhaven/redis:
 *
 *   GEOADD          a random longitude 0-179 at latitude 45 for one of 180 members, in its own key
 *   GEOPOS          two members
 *   GEODIST         two members, in km
 *   GEOSEARCH 50km  the members within 50 km of a point (~25 of them), sorted, with distances
 *   GEOSEARCH 5 any any 5 members within 500 km (COUNT 5 ANY)
 *   GEORADIUS 300km the members within 300 km (~1000 of them) with COUNT 10 ASC
 *
 * Every server is killed by PID at the end. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/geo-throughput.mjs [rounds=3] [requests=50000]
 */

import { Conn, compareCommands } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 50_000);

/** Name, extra redis-benchmark options, the command, and a divisor of REQUESTS for slow ones. */
const TESTS = [
  ["GEOADD", ["-r", "180"], ["GEOADD", "added", "__rand_int__", "45", "m:__rand_int__"], 1],
  ["GEOPOS", [], ["GEOPOS", "g", "p1", "p2"], 1],
  ["GEODIST", [], ["GEODIST", "g", "p1", "p2", "km"], 1],
  [
    "GEOSEARCH 50km",
    [],
    ["GEOSEARCH", "g", "FROMLONLAT", "10", "48", "BYRADIUS", "50", "km", "ASC", "WITHDIST"],
    1,
  ],
  [
    "GEOSEARCH 5 any",
    [],
    ["GEOSEARCH", "g", "FROMLONLAT", "10", "48", "BYRADIUS", "500", "km", "COUNT", "5", "ANY"],
    1,
  ],
  ["GEORADIUS 300km", [], ["GEORADIUS", "g", "10", "48", "300", "km", "COUNT", "10", "ASC"], 10],
];

/** The same 10,000 points for both servers: longitude 0-20, latitude 40-55. */
async function load(server) {
  const conn = await Conn.connect(server.port);
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  await conn.command("FLUSHALL");
  for (let i = 0; i < 10_000; i += 500) {
    const argv = ["GEOADD", "g"];
    for (let j = i; j < i + 500; j++) argv.push(String(random() * 20), String(40 + random() * 15), `p${j}`);
    // GEOADD answers :500 for 500 new members.
    const reply = await conn.command(...argv);
    if (reply !== ":500") throw new Error(`GEOADD answered ${reply}`);
  }
  conn.close();
}

await compareCommands({
  title: "GEO throughput over 10,000 points",
  tests: TESTS,
  rounds: ROUNDS,
  requests: REQUESTS,
  prepare: load,
});
