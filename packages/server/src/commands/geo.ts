/**
 * Geospatial commands on single members (geo.c): GEOADD, GEODIST, GEOHASH, GEOPOS; the searches
 * are in geo-search.ts. A geo set is a plain sorted set whose scores are 52-bit geohashes
 * (keyspace/types/geohash.ts), so every ZSET command works on it; GEOADD is ZADD with computed
 * scores, and is propagated as that ZADD, as Redis does.
 */

import {
  decodeScore,
  distance,
  geohashString,
  preciseDistance,
  scoreText,
} from "../keyspace/types/geohash.js";
import type { Client } from "../network/client.js";
import { is } from "./args.js";
import { geoSetOrReply, longLatOrReply, replyCoordinate, replyDistance, unitOrReply } from "./geo-common.js";
import { type CommandSpec, spec } from "./spec.js";
import { ERR_SYNTAX } from "./zset-common.js";
import { zaddCommand } from "./zsets.js";

function geoaddCommand(c: Client): void {
  const argv = c.argv;
  let longIdx = 2;
  let nx = false;
  let xx = false;
  for (; longIdx < argv.length; longIdx++) {
    const opt = argv[longIdx];
    if (is(opt, "nx")) nx = true;
    else if (is(opt, "xx")) xx = true;
    else if (!is(opt, "ch")) break;
  }
  if ((argv.length - longIdx) % 3 !== 0 || (xx && nx)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const zaddArgv = ["zadd", ...argv.slice(1, longIdx)];
  for (let i = longIdx; i < argv.length; i += 3) {
    const xy = longLatOrReply(c, i);
    if (xy === null) return;
    zaddArgv.push(scoreText(xy[0], xy[1]), argv[i + 2]);
  }
  // replaceClientCommandVector: the ZADD is what runs and what is propagated.
  c.argv = zaddArgv;
  zaddCommand(c);
}

/** GEODIST key member1 member2 [M|KM|FT|MI]. */
function geodistCommand(c: Client): void {
  const argv = c.argv;
  let toMeters = 1;
  if (argv.length === 5) {
    toMeters = unitOrReply(c, argv[4]);
    if (toMeters < 0) return;
  } else if (argv.length > 5) {
    c.error(ERR_SYNTAX);
    return;
  }
  const zs = geoSetOrReply(c, argv[1]);
  if (zs === undefined) return;
  const s1 = zs?.score(argv[2]);
  const s2 = zs?.score(argv[3]);
  if (s1 === undefined || s2 === undefined) {
    c.out.nullBulk();
    return;
  }
  const [x1, y1] = decodeScore(s1);
  const [x2, y2] = decodeScore(s2);
  replyDistance(c, distance(x1, y1, x2, y2) / toMeters, () => preciseDistance(x1, y1, x2, y2) / toMeters);
}

/**
 * GEOHASH's and GEOPOS's shared walk: an array with, for each member argument, `reply` of its
 * decoded position, or `missing` when the key or the member does not exist.
 */
function replyPerMember(c: Client, missing: () => void, reply: (long: number, lat: number) => void): void {
  const zs = geoSetOrReply(c, c.argv[1]);
  if (zs === undefined) return;
  c.out.arrayHeader(c.argv.length - 2);
  for (let j = 2; j < c.argv.length; j++) {
    const score = zs?.score(c.argv[j]);
    if (score === undefined) missing();
    else reply(...decodeScore(score));
  }
}

/** GEOHASH key [member ...]: 11-character standard geohashes, null for missing members. */
function geohashCommand(c: Client): void {
  replyPerMember(
    c,
    () => c.out.nullBulk(),
    (long, lat) => c.out.bulk(geohashString(long, lat)),
  );
}

/** GEOPOS key [member ...]: [longitude, latitude] pairs, null arrays for missing members. */
function geoposCommand(c: Client): void {
  replyPerMember(
    c,
    () => c.out.nullArray(),
    (long, lat) => {
      c.out.arrayHeader(2);
      replyCoordinate(c, long);
      replyCoordinate(c, lat);
    },
  );
}

export const geoCommands = [
  spec(
    "geoadd",
    -5,
    "write denyoom",
    [1, 1, 1],
    "geo",
    "Add one or more geospatial items in the geospatial index represented using a sorted set",
    "3.2.0",
    geoaddCommand,
  ),
  spec(
    "geodist",
    -4,
    "readonly",
    [1, 1, 1],
    "geo",
    "Returns the distance between two members of a geospatial index",
    "3.2.0",
    geodistCommand,
  ),
  spec(
    "geohash",
    -2,
    "readonly",
    [1, 1, 1],
    "geo",
    "Returns members of a geospatial index as standard geohash strings",
    "3.2.0",
    geohashCommand,
  ),
  spec(
    "geopos",
    -2,
    "readonly",
    [1, 1, 1],
    "geo",
    "Returns longitude and latitude of members of a geospatial index",
    "3.2.0",
    geoposCommand,
  ),
] satisfies CommandSpec[];
