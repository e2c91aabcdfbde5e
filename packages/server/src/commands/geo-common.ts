/**
 * What the GEO commands share (geo.c's input and output helpers): coordinates, radii, boxes and
 * units parsed with Redis's rules and error texts, and distances and coordinates printed with its
 * digits. Used by geo.ts and geo-search.ts.
 */

import type { GeoShape } from "../keyspace/types/geohash.js";
import { GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN } from "../keyspace/types/geohash.js";
import type { ZSet } from "../keyspace/types/zset.js";
import type { Client } from "../network/client.js";
import { formatDoubleFixed } from "../util/long-double.js";
import { doubleOrReply, is } from "./args.js";
import { collectionOrReply } from "./common.js";

/** printf's "%f" (the invalid coordinates message). */
function percentF(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? "inf" : "-inf";
  return formatDoubleFixed(d, 6);
}

/**
 * addReplyDoubleDistance: "%.4f" of a distance (already divided by its unit) as a bulk string, in
 * RESP3 too. `fast` comes from V8's trigonometry; when it lies so close to a rounding point of
 * the fourth decimal that its last-place error could matter, `precise()` decides.
 */
export function replyDistance(c: Client, fast: number, precise: () => number): void {
  const scaled = fast * 1e4;
  const nearHalf = Math.abs(scaled - Math.floor(scaled) - 0.5) <= 1e-8 * Math.max(scaled, 1);
  c.out.bulk(formatDoubleFixed(nearHalf ? precise() : fast, 4));
}

/** addReplyHumanLongDouble: "%.17Lf" without trailing zeros (a double in RESP3). */
export function replyCoordinate(c: Client, d: number): void {
  const text = formatDoubleFixed(d, 17).replace(/\.?0+$/, "");
  c.out.doubleText(text === "-0" ? "0" : text);
}

/** extractLongLatOrReply: argv[i] and argv[i + 1] as [longitude, latitude], or null. */
export function longLatOrReply(c: Client, i: number): [number, number] | null {
  const long = doubleOrReply(c, c.argv[i]);
  if (long === null) return null;
  const lat = doubleOrReply(c, c.argv[i + 1]);
  if (lat === null) return null;
  if (long < GEO_LONG_MIN || long > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    c.error(`ERR invalid longitude,latitude pair ${percentF(long)},${percentF(lat)}`);
    return null;
  }
  return [long, lat];
}

/** extractUnitOrReply: meters per unit, or -1 after replying. */
export function unitOrReply(c: Client, unit: string): number {
  if (is(unit, "m")) return 1;
  if (is(unit, "km")) return 1000;
  if (is(unit, "ft")) return 0.3048;
  if (is(unit, "mi")) return 1609.34;
  c.error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

/** extractDistanceOrReply: argv[i] (a radius) and argv[i + 1] (its unit) into the shape. */
export function radiusOrReply(c: Client, i: number, shape: GeoShape): boolean {
  const radius = doubleOrReply(c, c.argv[i], "ERR need numeric radius");
  if (radius === null) return false;
  if (radius < 0) {
    c.error("ERR radius cannot be negative");
    return false;
  }
  const unit = unitOrReply(c, c.argv[i + 1]);
  if (unit < 0) return false;
  shape.radius = radius;
  shape.width = -1;
  shape.unit = unit;
  return true;
}

/** extractBoxOrReply: argv[i], argv[i + 1] (width, height) and argv[i + 2] (their unit). */
export function boxOrReply(c: Client, i: number, shape: GeoShape): boolean {
  const width = doubleOrReply(c, c.argv[i], "ERR need numeric width");
  if (width === null) return false;
  const height = doubleOrReply(c, c.argv[i + 1], "ERR need numeric height");
  if (height === null) return false;
  if (height < 0 || width < 0) {
    c.error("ERR height or width cannot be negative");
    return false;
  }
  const unit = unitOrReply(c, c.argv[i + 2]);
  if (unit < 0) return false;
  shape.width = width;
  shape.height = height;
  shape.unit = unit;
  return true;
}

/** The sorted set at `key` for reading: the set, null when missing, undefined after WRONGTYPE. */
export function geoSetOrReply(c: Client, key: string): ZSet | null | undefined {
  return collectionOrReply<ZSet>(c, key, "zset", false);
}

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with geohash scores. */
