#!/usr/bin/env node
/**
 * What ACL permission checks cost: redis-benchmark against keyhaven-server and redis-server side
 * by side, as the default user (unrestricted: no check at all) and as restricted users whose
 * every command is checked, median requests per second and the ratio keyhaven/redis:
 *
 *   GET default      GET as the default user (the baseline)
 *   GET app          GET app:<n> as `app`: ~app:* &app:* +@all -@dangerous
 *   SET app          SET app:<n> v as `app`
 *   MSET app         MSET of 4 app:<n> keys as `app` (every key checked)
 *   GET tenant       GET t9:<n> as `tenant`, whose key is matched by the last of 10 patterns
 *   PUBLISH app      PUBLISH app:news as `app` (the channel checked)
 *
 * Every server is killed by PID at the end. Not a test: nothing is asserted.
 *
 *   pnpm -s run build && node bench/acl-throughput.mjs [rounds=3] [requests=200000]
 */

import { Conn, compareCommands } from "./lib.mjs";

const ROUNDS = Number(process.argv[2] ?? 3);
const REQUESTS = Number(process.argv[3] ?? 200_000);

const APP = ["--user", "app", "-a", "app-pw"];
const TENANT = ["--user", "tenant", "-a", "tenant-pw"];
const TESTS = [
  ["GET default", ["-r", "100000"], ["GET", "app:__rand_int__"], 1],
  ["GET app", [...APP, "-r", "100000"], ["GET", "app:__rand_int__"], 1],
  ["SET app", [...APP, "-r", "100000"], ["SET", "app:__rand_int__", "v"], 1],
  [
    "MSET app",
    [...APP, "-r", "100000"],
    ["MSET", "app:__rand_int__", "v", "app:a", "v", "app:b", "v", "app:c", "v"],
    1,
  ],
  ["GET tenant", [...TENANT, "-r", "100000"], ["GET", "t9:__rand_int__"], 1],
  ["PUBLISH app", APP, ["PUBLISH", "app:news", "hello"], 1],
];

async function prepare(server) {
  const conn = await Conn.connect(server.port);
  await conn.command("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*", "&app:*", "+@all", "-@dangerous");
  const patterns = Array.from({ length: 10 }, (_, i) => `~t${i}:*`);
  await conn.command("ACL", "SETUSER", "tenant", "on", ">tenant-pw", ...patterns, "+@read", "+@write");
  conn.close();
}

await compareCommands({ title: "ACL checks", tests: TESTS, rounds: ROUNDS, requests: REQUESTS, prepare });
