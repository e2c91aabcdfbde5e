/**
 * The GEO commands against a real redis-server 7.0: random geo sets (clustered and world-wide
 * points, near the poles and the antimeridian, in the listpack and the skiplist encodings) and
 * random searches (GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH by radius and by box, from a point or
 * a member, radii from a meter to thousands of kilometers, every unit, WITH* options, ASC/DESC,
 * COUNT with and without ANY, the stores), positions, geohashes and distances go to both servers;
 * every reply must be the same, byte for byte, and so must every stored result but for the last
 * binary digits of stored distances (see sameStore).
 *
 * Bounded: 30 seeded geo sets of 40 queries each; both servers on free ports, stopped by the
 * helpers.
 */

import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { rng } from "../integration/replication-helpers.js";
import { redisPair } from "./redis-pair.js";

const UNITS = ["m", "km", "ft", "mi", "KM"];

describe.runIf(hasRealRedis())("differential: GEO commands against real Redis", () => {
  const pair = redisPair();
  const both = (argv: string[]) => pair.both(...argv);

  /**
   * A stored result: the same members in the same order, and the same scores, except that stored
   * distances (STOREDIST) may differ in their last binary digits: Redis computes them with
   * glibc's sin, cos and asin, which are not always correctly rounded (ours are).
   */
  async function sameStore(storeDist: boolean): Promise<void> {
    const argv = ["ZRANGE", "dst", "0", "-1", "WITHSCORES"];
    if (!storeDist) {
      await both(argv);
      return;
    }
    const [rc, kc] = pair.clients();
    const [r, k] = (await Promise.all([rc.call(...argv), kc.call(...argv)])) as string[][];
    expect(k.filter((_, i) => i % 2 === 0)).toEqual(r.filter((_, i) => i % 2 === 0));
    for (let i = 1; i < r.length; i += 2) {
      const [a, b] = [Number(r[i]), Number(k[i])];
      const close = Math.abs(a - b) <= 1e-14 * Math.max(a, 1);
      expect({ member: r[i - 1], redis: a, keyhaven: b, close }).toEqual({
        member: r[i - 1],
        redis: a,
        keyhaven: b,
        close: true,
      });
    }
  }

  it("replies agree over random geo sets and searches", { timeout: 300_000 }, async () => {
    const sets = Number(process.env.KEYHAVEN_DIFF_RUNS ?? 30);
    for (let set = 0; set < sets; set++) {
      const random = rng(1000 + set);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
      const between = (min: number, max: number) => min + random() * (max - min);
      await both(["FLUSHALL"]);
      // A cluster somewhere (sometimes near a pole or the antimeridian), plus scattered points.
      const centerLat = pick([between(-60, 60), between(66, 84), between(-84, -66), between(-10, 10)]);
      const centerLong = pick([between(-170, 170), between(175, 180), between(-180, -175)]);
      const size = pick([20, 60, 200]);
      const members: string[] = [];
      for (let i = 0; i < size; i += 10) {
        const argv = ["GEOADD", "g"];
        for (let j = i; j < Math.min(size, i + 10); j++) {
          const spread = pick([0.01, 0.5, 3]);
          const scattered = random() < 0.15;
          const long = scattered
            ? between(-180, 180)
            : Math.max(-180, Math.min(180, centerLong + between(-spread, spread)));
          const lat = scattered
            ? between(-85, 85)
            : Math.max(-85, Math.min(85, centerLat + between(-spread, spread)));
          argv.push(String(long), String(lat), `m${j}`);
          members.push(`m${j}`);
        }
        await both(argv);
      }
      await both(["ZRANGE", "g", "0", "-1", "WITHSCORES"]);
      for (let q = 0; q < 40; q++) {
        const radius = String(Number((10 ** between(0, 6.5)).toPrecision(4)));
        const unit = pick(UNITS);
        const near = `${centerLong + between(-1, 1)}`.slice(0, 12);
        const nearLat = `${Math.max(-85, Math.min(85, centerLat + between(-1, 1)))}`.slice(0, 12);
        const options: string[] = [];
        if (random() < 0.4) options.push("WITHDIST");
        if (random() < 0.2) options.push("WITHHASH");
        if (random() < 0.3) options.push("WITHCOORD");
        const order = random();
        if (order < 0.3) options.push("ASC");
        else if (order < 0.5) options.push("DESC");
        if (random() < 0.3)
          options.push("COUNT", String(1 + Math.floor(random() * 8)), ...(random() < 0.4 ? ["ANY"] : []));
        const width = String(Number((10 ** between(0, 6)).toPrecision(3)));
        const height = String(Number((10 ** between(0, 6)).toPrecision(3)));
        const from = random() < 0.5 ? ["FROMMEMBER", pick(members)] : ["FROMLONLAT", near, nearLat];
        const by = random() < 0.5 ? ["BYRADIUS", radius, unit] : ["BYBOX", width, height, unit];
        const storeOptions = options.filter((o) => !o.startsWith("WITH"));
        switch (Math.floor(random() * 9)) {
          case 0:
            await both(["GEORADIUS", "g", near, nearLat, radius, unit, ...options]);
            break;
          case 1:
            await both(["GEORADIUSBYMEMBER_RO", "g", pick(members), radius, unit, ...options]);
            break;
          case 2:
          case 3:
            await both(["GEOSEARCH", "g", ...from, ...by, ...options]);
            break;
          case 4: {
            const storeDist = random() < 0.5;
            const store = storeDist ? "STOREDIST" : "STORE";
            await both(["GEORADIUS", "g", near, nearLat, radius, unit, ...storeOptions, store, "dst"]);
            await sameStore(storeDist);
            break;
          }
          case 5: {
            const storeDist = random() < 0.5;
            const stored = storeDist ? ["STOREDIST"] : [];
            await both(["GEOSEARCHSTORE", "dst", "g", ...from, ...by, ...storeOptions, ...stored]);
            await sameStore(storeDist);
            break;
          }
          case 6:
            await both(["GEODIST", "g", pick(members), pick(members), pick(UNITS)]);
            break;
          case 7:
            await both(["GEOPOS", "g", pick(members), pick(members), "missing"]);
            break;
          default:
            await both(["GEOHASH", "g", pick(members), pick(members)]);
        }
      }
    }
  });
});
