/**
 * The geohash arithmetic behind the GEO commands (Redis 7.0's geohash.c and geohash_helper.c),
 * with the same floating-point steps in the same order, so scores, decoded positions, search
 * areas and distances come out as Redis's:
 *
 * - A position is a cell of a 2^step x 2^step grid over longitude [-180, 180] and latitude
 *   [-85.05112878, 85.05112878] (Web Mercator's limits). Its score in the sorted set is the cell's
 *   latitude and longitude indexes interleaved (latitude on the even bits), at step 26: 52 bits,
 *   exact in a double.
 * - A search around a point covers the cell of a coarser step that holds the point plus its 8
 *   neighbours (fewer near the search's edges); each cell is a score range of the sorted set, and
 *   every member found is then checked against the exact circle or box.
 *
 * Cells are kept as separate indexes here (JavaScript's bit operators stop at 32 bits): moving
 * to a neighbour is adding one to an index, modulo 2^step, which is what Redis's bit tricks on
 * the interleaved value do.
 */

import { asin as crAsin, cos as crCos, sin as crSin } from "./geo-math.js";

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const D_R = Math.PI / 180.0;
/** Earth's quadratic mean radius for WGS-84, in meters. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;

/** A grid cell at some step (GeoHashBits with the interleaving undone). */
export interface GeoCell {
  lat: number;
  long: number;
  step: number;
}

/** The coordinate ranges a grid spans (geohashGetCoordRange, or GEOHASH's standard ones). */
interface Ranges {
  latMin: number;
  latMax: number;
  longMin: number;
  longMax: number;
}

const MERCATOR: Ranges = {
  latMin: GEO_LAT_MIN,
  latMax: GEO_LAT_MAX,
  longMin: GEO_LONG_MIN,
  longMax: GEO_LONG_MAX,
};
/** The ranges of the standard geohash strings GEOHASH prints. */
export const STANDARD: Ranges = { latMin: -90, latMax: 90, longMin: -180, longMax: 180 };

/** geohashEncode: the cell of (long, lat) at `step`, or null outside the ranges. */
export function encodeCell(long: number, lat: number, step: number, r: Ranges = MERCATOR): GeoCell | null {
  if (long > GEO_LONG_MAX || long < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < r.latMin || lat > r.latMax || long < r.longMin || long > r.longMax) return null;
  let latOffset = (lat - r.latMin) / (r.latMax - r.latMin);
  let longOffset = (long - r.longMin) / (r.longMax - r.longMin);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  // interleave64 takes uint32_t arguments: the conversion truncates.
  return { lat: Math.trunc(latOffset), long: Math.trunc(longOffset), step };
}

/** Spreads the low 16 bits of `v` to the even bits of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even bits of a 32-bit word, gathered into 16 bits. */
function gather16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/**
 * The interleaved bits of a cell (latitude on even bits), as a number; exact below 2^53, which
 * any in-range cell is (an index can reach 2^step only at the grid's very top or right edge).
 */
export function interleave(cell: GeoCell): number {
  const [high, low] = interleavedWords(cell);
  return high * 2 ** 32 + low;
}

/** The interleaved bits of a cell as their high and low 32-bit words. */
function interleavedWords(cell: GeoCell): [number, number] {
  const low = (spread16(cell.lat) | (spread16(cell.long) << 1)) >>> 0;
  const latHigh = Math.floor(cell.lat / 0x10000);
  const longHigh = Math.floor(cell.long / 0x10000);
  return [(spread16(latHigh) | (spread16(longHigh) << 1)) >>> 0, low];
}

/** The 52-bit score of a position (GEOADD), as Redis's decimal text of the integer. */
export function scoreText(long: number, lat: number): string {
  const [high, low] = interleavedWords(encodeCell(long, lat, GEO_STEP_MAX) as GeoCell);
  // At latitude 85.05112878 or longitude 180 exactly, the index is 2^26 and the value passes 2^53.
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** A cell's bounds (geohashDecode). */
export interface GeoArea {
  latMin: number;
  latMax: number;
  longMin: number;
  longMax: number;
}

export function cellArea(cell: GeoCell, r: Ranges = MERCATOR): GeoArea {
  const latScale = r.latMax - r.latMin;
  const longScale = r.longMax - r.longMin;
  const cells = 2 ** cell.step;
  return {
    latMin: r.latMin + ((cell.lat * 1.0) / cells) * latScale,
    latMax: r.latMin + (((cell.lat + 1) * 1.0) / cells) * latScale,
    longMin: r.longMin + ((cell.long * 1.0) / cells) * longScale,
    longMax: r.longMin + (((cell.long + 1) * 1.0) / cells) * longScale,
  };
}

/**
 * decodeGeohash into out[0] (longitude) and out[1] (latitude): the center of the score's step-26
 * cell, clamped to the ranges. No allocation: a search decodes every candidate.
 */
export function decodeScoreInto(score: number, out: Float64Array): void {
  const bits = Math.trunc(score);
  const high = Math.floor(bits / 2 ** 32) >>> 0;
  const low = bits >>> 0;
  const lat = gather16(low) + gather16(high) * 0x10000;
  const long = gather16(low >>> 1) + gather16(high >>> 1) * 0x10000;
  const cells = 2 ** GEO_STEP_MAX;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const longScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const longMin = GEO_LONG_MIN + ((long * 1.0) / cells) * longScale;
  const longMax = GEO_LONG_MIN + (((long + 1) * 1.0) / cells) * longScale;
  const latMin = GEO_LAT_MIN + ((lat * 1.0) / cells) * latScale;
  const latMax = GEO_LAT_MIN + (((lat + 1) * 1.0) / cells) * latScale;
  out[0] = Math.min(GEO_LONG_MAX, Math.max(GEO_LONG_MIN, (longMin + longMax) / 2));
  out[1] = Math.min(GEO_LAT_MAX, Math.max(GEO_LAT_MIN, (latMin + latMax) / 2));
}

const decoded = new Float64Array(2);

/** decodeScoreInto as a fresh [longitude, latitude]. */
export function decodeScore(score: number): [number, number] {
  decodeScoreInto(score, decoded);
  return [decoded[0], decoded[1]];
}

/** GEOHASH's 11-character standard geohash of a decoded position. */
export function geohashString(long: number, lat: number): string {
  const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
  const cell = encodeCell(long, lat, GEO_STEP_MAX, STANDARD) as GeoCell;
  // 52 bits, 5 per character from the top; the 11th character has none left and is "0".
  const bits = BigInt(interleave(cell));
  let out = "";
  for (let i = 0; i < 10; i++) out += alphabet[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return `${out}0`;
}

// ---- distances ----------------------------------------------------------------------------

const degRad = (deg: number) => deg * D_R;
const radDeg = (rad: number) => rad / D_R;

/**
 * geohashGetDistance: the haversine great-circle distance in meters, with V8's sin, cos and asin:
 * fast, and equal to Redis's result or one or two units in the last place away from it.
 */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return (
    2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v))
  );
}

/**
 * distance() with correctly rounded sin, cos and asin (geo-math.ts), which is what glibc gives
 * Redis in all but about one call in a thousand: for the digits a reply shows in full (STOREDIST)
 * and for the decisions a last-place difference could turn (an edge of the search, a rounding).
 */
export function preciseDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = crSin((lat2r - lat1r) / 2);
  const v = crSin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * crAsin(Math.sqrt(u * u + crCos(lat1r) * crCos(lat2r) * v * v));
}

/** Whether a fast distance is too close to `limit` for its last-place error to be ignored. */
function nearLimit(d: number, limit: number): boolean {
  return Math.abs(d - limit) <= 1e-12 * Math.max(limit, 1);
}

// ---- search areas -------------------------------------------------------------------------

/** A search: around [longitude, latitude], a circle or an axis-aligned box, in `unit` meters. */
export interface GeoShape {
  center: [number, number];
  /** Meters per unit of the radius, width and height. */
  unit: number;
  radius: number;
  /** A box when width >= 0 (then radius is unused). */
  width: number;
  height: number;
}

/** The distance from the center to [long, lat] within `limit`, precisely when it is close. */
function within(x1: number, y1: number, x2: number, y2: number, limit: number): number {
  const d = distance(x1, y1, x2, y2);
  if (!nearLimit(d, limit)) return d > limit ? -1 : d;
  const precise = preciseDistance(x1, y1, x2, y2);
  return precise > limit ? -1 : precise;
}

/**
 * The distance of [long, lat] from the shape's center when it lies inside the shape (in meters),
 * else -1 (geoAppendIfWithinShape's test).
 */
export function distanceIfInside(shape: GeoShape, long: number, lat: number): number {
  const [x1, y1] = shape.center;
  if (shape.width < 0) return within(x1, y1, long, lat, shape.radius * shape.unit);
  // geohashGetDistanceIfInRectangle: the east-west and north-south distances separately.
  if (within(long, lat, x1, lat, (shape.width * shape.unit) / 2) < 0) return -1;
  if (within(long, lat, long, y1, (shape.height * shape.unit) / 2) < 0) return -1;
  return distance(x1, y1, long, lat);
}

/** geohashEstimateStepsByRadius: the step whose cells are about the size of the search. */
function stepsForRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Wider cells towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** geohashBoundingBox: [minLong, minLat, maxLong, maxLat] around the shape. */
function boundingBox(shape: GeoShape): [number, number, number, number] {
  const [longitude, latitude] = shape.center;
  const box = shape.width >= 0;
  const height = shape.unit * (box ? shape.height / 2 : shape.radius);
  const width = shape.unit * (box ? shape.width / 2 : shape.radius);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / crCos(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / crCos(degRad(latitude - latDelta)));
  // The box is widest at the edge nearer the equator.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** The neighbour `dLong` cells east and `dLat` north, wrapping around the grid (geohash_move_x/y). */
function moved(cell: GeoCell, dLong: number, dLat: number): GeoCell {
  const size = 2 ** cell.step;
  // An unmoved index stays as it is, even the 2^step of the grid's edge (Redis leaves it alone).
  const wrap = (index: number, d: number) => (d === 0 ? index : (((index + d) % size) + size) % size);
  return { long: wrap(cell.long, dLong), lat: wrap(cell.lat, dLat), step: cell.step };
}

/**
 * geohashCalculateAreasByShapeWGS84 and membersOfAllNeighbors' order: the cells to scan, the
 * center's first, then north, south, east, west, north-east, north-west, south-east, south-west;
 * null for a neighbour the search cannot reach.
 */
export function searchCells(shape: GeoShape): (GeoCell | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const [longitude, latitude] = shape.center;
  const box = shape.width >= 0;
  const radiusMeters =
    (box
      ? Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
      : shape.radius) * shape.unit;
  let steps = stepsForRadius(radiusMeters, latitude);
  let cell = encodeCell(longitude, latitude, steps) as GeoCell;
  // A step too fine for the edges of the search: one coarser.
  const north = cellArea(moved(cell, 0, 1));
  const south = cellArea(moved(cell, 0, -1));
  const east = cellArea(moved(cell, 1, 0));
  const west = cellArea(moved(cell, -1, 0));
  if (
    steps > 1 &&
    (north.latMax < maxLat || south.latMin > minLat || east.longMax < maxLon || west.longMin > minLon)
  ) {
    steps--;
    cell = encodeCell(longitude, latitude, steps) as GeoCell;
  }
  const area = cellArea(cell);
  const cells: (GeoCell | null)[] = [
    cell,
    moved(cell, 0, 1),
    moved(cell, 0, -1),
    moved(cell, 1, 0),
    moved(cell, -1, 0),
    moved(cell, 1, 1),
    moved(cell, -1, 1),
    moved(cell, 1, -1),
    moved(cell, -1, -1),
  ];
  // Neighbours beyond the search's bounding box are not scanned.
  if (steps >= 2) {
    const drop = (...indexes: number[]) => {
      for (const i of indexes) cells[i] = null;
    };
    if (area.latMin < minLat) drop(2, 8, 7);
    if (area.latMax > maxLat) drop(1, 5, 6);
    if (area.longMin < minLon) drop(4, 8, 6);
    if (area.longMax > maxLon) drop(3, 7, 5);
  }
  return cells;
}

/** scoresOfGeoHashBox: the score range [min, max) of the members inside a cell. */
export function cellScoreRange(cell: GeoCell): [number, number] {
  const shift = 2 ** (52 - cell.step * 2);
  const bits = interleave(cell);
  return [bits * shift, (bits + 1) * shift];
}
