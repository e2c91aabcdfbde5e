/**
 * The GEO searches (geo.c georadiusGeneric): GEORADIUS and GEORADIUSBYMEMBER (and their _RO
 * forms), GEOSEARCH and GEOSEARCHSTORE, by radius or box, around a point or a member, with
 * WITHDIST/WITHHASH/WITHCOORD, ASC/DESC, COUNT [ANY] and the stores.
 *
 * Results come out in Redis's order: the cells of a search are scanned in Redis's order and
 * sorted (ASC/DESC, or ASC implied by COUNT) with a stable sort, as glibc's qsort is. Where Redis
 * sorts only the first COUNT of more results (its pqsort), members at exactly the same distance
 * may come out in another order.
 */

import {
  cellScoreRange,
  decodeScore,
  decodeScoreInto,
  distanceIfInside,
  type GeoShape,
  preciseDistance,
  searchCells,
} from "../keyspace/types/geohash.js";
import { ScoreRange, sortPairs, type ZSet } from "../keyspace/types/zset.js";
import type { Client } from "../network/client.js";
import { is, parseInteger } from "./args.js";
import {
  boxOrReply,
  geoSetOrReply,
  longLatOrReply,
  radiusOrReply,
  replyCoordinate,
  replyDistance,
} from "./geo-common.js";
import { type CommandSpec, spec } from "./spec.js";
import { ERR_SYNTAX, storeResult } from "./zset-common.js";

/** How georadiusGeneric was called (its flags). */
const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

/** A candidate's decoded [longitude, latitude]. */
const position = new Float64Array(2);

interface GeoPoint {
  member: string;
  score: number;
  long: number;
  lat: number;
  dist: number;
}

/**
 * membersOfAllNeighbors: the members inside the shape, cell by cell in Redis's order, stopping
 * at `limit` (COUNT with ANY) when not 0.
 */
function pointsInShape(zs: ZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const cells = searchCells(shape);
  let last = -1;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null) continue;
    // A huge radius can make neighbours coincide: one equal to the last scanned is skipped.
    const prev = last >= 0 ? cells[last] : null;
    if (
      last > 0 &&
      prev !== null &&
      prev.lat === cell.lat &&
      prev.long === cell.long &&
      prev.step === cell.step
    )
      continue;
    if (limit > 0 && found.length >= limit) break;
    const [min, max] = cellScoreRange(cell);
    const rank = zs.firstInScoreRange(new ScoreRange(min, false, max, true));
    if (rank >= 0) {
      const cursor = zs.cursor();
      for (let ok = cursor.seek(rank); ok && cursor.score < max; ok = cursor.next()) {
        decodeScoreInto(cursor.score, position);
        const dist = distanceIfInside(shape, position[0], position[1]);
        if (dist >= 0) {
          found.push({
            member: cursor.member,
            score: cursor.score,
            long: position[0],
            lat: position[1],
            dist,
          });
        }
        if (limit > 0 && found.length >= limit) break;
      }
    }
    last = i;
  }
  return found;
}

/**
 * Orders `points` by distance (`direction` 1 ascending, -1 descending), ties in the order they
 * were found, as glibc's stable qsort does. Only the first `wanted` need to be in place (Redis's
 * pqsort): with far more points than wanted, those are selected first and only they are sorted.
 */
function sortPoints(points: GeoPoint[], direction: number, wanted: number): void {
  const before = (a: GeoPoint, b: GeoPoint, ai: number, bi: number) =>
    a.dist !== b.dist ? a.dist < b.dist === direction > 0 : ai < bi;
  if (wanted <= 64 && wanted * 4 < points.length) {
    // The `wanted` first by (distance, position): one pass keeping them in a sorted array.
    const keep: number[] = [];
    for (let i = 0; i < points.length; i++) {
      if (keep.length === wanted && !before(points[i], points[keep[wanted - 1]], i, keep[wanted - 1]))
        continue;
      let at = keep.length === wanted ? wanted - 1 : keep.length;
      while (at > 0 && before(points[i], points[keep[at - 1]], i, keep[at - 1])) {
        keep[at] = keep[at - 1];
        at--;
      }
      keep[at] = i;
    }
    const chosen = keep.map((i) => points[i]);
    for (let i = 0; i < chosen.length; i++) points[i] = chosen[i];
    return;
  }
  points.sort((a, b) => (a.dist > b.dist ? direction : a.dist < b.dist ? -direction : 0));
}

/**
 * georadiusGeneric: GEORADIUS[_RO] key longitude latitude radius unit ..., GEORADIUSBYMEMBER[_RO]
 * key member radius unit ..., GEOSEARCH key FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ...,
 * GEOSEARCHSTORE dest src ...; options WITHDIST WITHHASH WITHCOORD ASC DESC COUNT n [ANY], and
 * STORE/STOREDIST where allowed.
 */
function georadiusGeneric(c: Client, srcIdx: number, flags: number): void {
  const argv = c.argv;
  const zs = geoSetOrReply(c, argv[srcIdx]);
  if (zs === undefined) return;
  const shape: GeoShape = { center: [0, 0], unit: 1, radius: 0, width: -1, height: 0 };
  let storeKey: string | null = null;
  let storeDist = false;
  let baseArgs: number;
  if ((flags & RADIUS_COORDS) !== 0) {
    baseArgs = 6;
    const xy = longLatOrReply(c, 2);
    if (xy === null) return;
    shape.center = xy;
    if (!radiusOrReply(c, baseArgs - 2, shape)) return;
  } else if ((flags & RADIUS_MEMBER) !== 0) {
    baseArgs = 5;
    // Without the source key the arguments are still parsed, for the right kind of reply.
    if (zs !== null) {
      const score = zs.score(argv[2]);
      if (score === undefined) {
        c.error("ERR could not decode requested zset member");
        return;
      }
      shape.center = decodeScore(score);
      if (!radiusOrReply(c, baseArgs - 2, shape)) return;
    }
  } else {
    baseArgs = 2;
    if ((flags & GEOSEARCHSTORE) !== 0) {
      baseArgs = 3;
      storeKey = argv[1];
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoords = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort = 0; // 0 none, 1 ascending, -1 descending
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  const search = (flags & GEOSEARCH) !== 0;
  const storeAllowed = (flags & RADIUS_NOSTORE) === 0 && !search;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    const at = baseArgs + i + 1;
    if (is(arg, "withdist")) withDist = true;
    else if (is(arg, "withhash")) withHash = true;
    else if (is(arg, "withcoord")) withCoords = true;
    else if (is(arg, "any")) any = true;
    else if (is(arg, "asc")) sort = 1;
    else if (is(arg, "desc")) sort = -1;
    else if (is(arg, "count") && i + 1 < remaining) {
      const n = parseInteger(argv[at]);
      if (n === null) {
        c.error("ERR value is not an integer or out of range");
        return;
      }
      if (n <= 0) {
        c.error("ERR COUNT must be > 0");
        return;
      }
      count = n;
      i++;
    } else if (is(arg, "store") && i + 1 < remaining && storeAllowed) {
      storeKey = argv[at];
      storeDist = false;
      i++;
    } else if (is(arg, "storedist") && i + 1 < remaining && storeAllowed) {
      storeKey = argv[at];
      storeDist = true;
      i++;
    } else if (is(arg, "storedist") && search && (flags & GEOSEARCHSTORE) !== 0) {
      storeDist = true;
    } else if (is(arg, "frommember") && i + 1 < remaining && search && !fromLoc) {
      if (zs !== null) {
        const score = zs.score(argv[at]);
        if (score === undefined) {
          c.error("ERR could not decode requested zset member");
          return;
        }
        shape.center = decodeScore(score);
      }
      fromMember = true;
      i++;
    } else if (is(arg, "fromlonlat") && i + 2 < remaining && search && !fromMember) {
      const xy = longLatOrReply(c, at);
      if (xy === null) return;
      shape.center = xy;
      fromLoc = true;
      i += 2;
    } else if (is(arg, "byradius") && i + 2 < remaining && search && !byBox) {
      if (!radiusOrReply(c, at, shape)) return;
      byRadius = true;
      i += 2;
    } else if (is(arg, "bybox") && i + 3 < remaining && search && !byRadius) {
      if (!boxOrReply(c, at, shape)) return;
      byBox = true;
      i += 3;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoords)) {
    const what = (flags & GEOSEARCHSTORE) !== 0 ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    c.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (search && !(fromMember || fromLoc)) {
    c.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
    return;
  }
  if (search && !(byRadius || byBox)) {
    c.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
    return;
  }
  if (any && count === 0) {
    c.error("ERR the ANY argument requires COUNT argument");
    return;
  }
  if (zs === null) {
    if (storeKey !== null) storeResult(c, storeKey, [], [], "");
    else c.out.arrayHeader(0);
    return;
  }
  // COUNT means the closest ones, unless ANY.
  if (count !== 0 && sort === 0 && !any) sort = 1;

  const points = pointsInShape(zs, shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) {
    c.out.arrayHeader(0);
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== 0) sortPoints(points, sort, returned);

  if (storeKey === null) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
    const [cx, cy] = shape.center;
    c.out.arrayHeader(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (options > 0) c.out.arrayHeader(options + 1);
      c.out.bulk(p.member);
      if (withDist)
        replyDistance(c, p.dist / shape.unit, () => preciseDistance(cx, cy, p.long, p.lat) / shape.unit);
      if (withHash) c.out.integer(Math.trunc(p.score));
      if (withCoords) {
        c.out.arrayHeader(2);
        replyCoordinate(c, p.long);
        replyCoordinate(c, p.lat);
      }
    }
    return;
  }
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    members.push(p.member);
    // Stored distances show every digit: correctly rounded trigonometry, as glibc's nearly always is.
    scores.push(
      storeDist ? preciseDistance(shape.center[0], shape.center[1], p.long, p.lat) / shape.unit : p.score,
    );
  }
  sortPairs(members, scores);
  storeResult(c, storeKey, members, scores, search ? "geosearchstore" : "georadiusstore", returned);
}

/**
 * GEORADIUS's and GEORADIUSBYMEMBER's keys as their key specs find them: the source, then the
 * argument after the first STORE and after the first STOREDIST from `from` on.
 */
function georadiusKeys(from: number): (argv: readonly string[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const keyword of ["store", "storedist"]) {
      for (let i = from; i < argv.length; i++) {
        if (is(argv[i], keyword)) {
          if (i + 1 < argv.length) keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

export const geoSearchCommands = [
  spec(
    "georadius",
    -6,
    "write denyoom",
    [1, 1, 1],
    "geo",
    "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
    "3.2.0",
    (c) => georadiusGeneric(c, 1, RADIUS_COORDS),
    { getKeys: georadiusKeys(6) },
  ),
  spec("georadius_ro", -6, "readonly", [1, 1, 1], "geo", "A read-only variant for GEORADIUS", "3.2.10", (c) =>
    georadiusGeneric(c, 1, RADIUS_COORDS | RADIUS_NOSTORE),
  ),
  spec(
    "georadiusbymember",
    -5,
    "write denyoom",
    [1, 1, 1],
    "geo",
    "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
    "3.2.0",
    (c) => georadiusGeneric(c, 1, RADIUS_MEMBER),
    { getKeys: georadiusKeys(5) },
  ),
  spec(
    "georadiusbymember_ro",
    -5,
    "readonly",
    [1, 1, 1],
    "geo",
    "A read-only variant for GEORADIUSBYMEMBER",
    "3.2.10",
    (c) => georadiusGeneric(c, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  ),
  spec(
    "geosearch",
    -7,
    "readonly",
    [1, 1, 1],
    "geo",
    "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
    "6.2.0",
    (c) => georadiusGeneric(c, 1, GEOSEARCH),
  ),
  spec(
    "geosearchstore",
    -8,
    "write denyoom",
    [1, 2, 1],
    "geo",
    "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
    "6.2.0",
    (c) => georadiusGeneric(c, 2, GEOSEARCH | GEOSEARCHSTORE),
  ),
] satisfies CommandSpec[];
