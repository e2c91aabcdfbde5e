/**
 * Geospatial commands over the wire: scores, positions, geohashes and distances with Redis's
 * exact digits, searches by radius and box around a point or a member with their options, the
 * stores, RESP3 shapes, keyspace events and exact error texts. Runs against Keyhaven, or against
 * real Redis with KEYHAVEN_TEST_TARGET=redis (the specification); random searches compared with
 * Redis are in ../differential/geo.test.ts.
 */

import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { errorText, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
let c3: RespClient;

withTarget({}, async (t) => {
  ({ server, c } = t);
  c3 = await RespClient.connect(server.port);
  await c3.call("HELLO", "3");
});
afterAll(() => c3?.close());
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
});

const PALERMO_POS = ["13.36138933897018433", "38.11555639549629859"];
const CATANIA_POS = ["15.08726745843887329", "37.50266842333162032"];

describe("GEOADD, GEOPOS, GEOHASH, GEODIST", () => {
  it("stores 52-bit geohash scores in a sorted set", async () => {
    expect(await c.call("TYPE", "Sicily")).toBe("zset");
    expect(await c.call("ZRANGE", "Sicily", "0", "-1", "WITHSCORES")).toEqual([
      "Palermo",
      "3479099956230698",
      "Catania",
      "3479447370796909",
    ]);
    expect(await c.call("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo")).toBe(0);
    expect(await c.call("GEOADD", "Sicily", "CH", "13.5", "38.115556", "Palermo", "1", "1", "new")).toBe(2);
    expect(await c.call("GEOADD", "Sicily", "NX", "14", "38", "Palermo")).toBe(0);
    expect(await c.call("GEOADD", "Sicily", "XX", "14", "38", "nobody")).toBe(0);
    expect(await c.call("ZCARD", "Sicily")).toBe(3);
  });

  it("decodes positions, geohashes and distances with Redis's digits", async () => {
    expect(await c.call("GEOPOS", "Sicily", "Palermo", "Catania", "nope")).toEqual([
      PALERMO_POS,
      CATANIA_POS,
      null,
    ]);
    expect(await c.call("GEOPOS", "nokey", "a")).toEqual([null]);
    expect(await c.call("GEOHASH", "Sicily", "Palermo", "Catania", "nope")).toEqual([
      "sqc8b49rny0",
      "sqdtr74hyu0",
      null,
    ]);
    expect(await c.call("GEODIST", "Sicily", "Palermo", "Catania")).toBe("166274.1516");
    expect(await c.call("GEODIST", "Sicily", "Palermo", "Catania", "km")).toBe("166.2742");
    expect(await c.call("GEODIST", "Sicily", "Palermo", "Catania", "MI")).toBe("103.3182");
    expect(await c.call("GEODIST", "Sicily", "Palermo", "nope")).toBe(null);
    expect(await c.call("GEODIST", "nokey", "a", "b")).toBe(null);
  });

  it("handles the grid's edges", async () => {
    await c.call(
      "GEOADD",
      "edges",
      "180",
      "85.05112878",
      "ne",
      "-180",
      "-85.05112878",
      "sw",
      "0",
      "0",
      "origin",
    );
    expect(await c.call("GEOPOS", "edges", "ne", "sw", "origin")).toEqual([
      ["180", "85.0511287799999991"],
      ["-179.99999731779098511", "-85.05112751263942528"],
      ["0.00000268220901489", "0.00000126736058093"],
    ]);
  });

  it("RESP3: positions are doubles, distances stay bulk strings", async () => {
    expect(await c3.call("GEOPOS", "Sicily", "Palermo")).toEqual([[13.361389338970184, 38.1155563954963]]);
    expect(await c3.call("GEODIST", "Sicily", "Palermo", "Catania", "km")).toBe("166.2742");
  });
});

describe("searches", () => {
  it("GEORADIUS with every WITH option", async () => {
    expect(
      await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
    ).toEqual([
      ["Palermo", "190.4424", 3479099956230698, PALERMO_POS],
      ["Catania", "56.4413", 3479447370796909, CATANIA_POS],
    ]);
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "100", "km")).toEqual(["Catania"]);
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "1", "km")).toEqual([]);
  });

  it("sorts by distance, COUNT implies ASC, COUNT ANY stops early", async () => {
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC")).toEqual([
      "Palermo",
      "Catania",
    ]);
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC")).toEqual([
      "Catania",
      "Palermo",
    ]);
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1")).toEqual(["Catania"]);
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY")).toEqual([
      "Palermo",
    ]);
  });

  it("GEORADIUSBYMEMBER and GEOSEARCH by radius and by box", async () => {
    expect(await c.call("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "ASC")).toEqual([
      ["Palermo", "0.0000"],
      ["Catania", "166.2742"],
    ]);
    expect(await c.call("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km")).toEqual([
      "Palermo",
    ]);
    expect(
      await c.call(
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "400",
        "400",
        "km",
        "ASC",
        "WITHDIST",
      ),
    ).toEqual([
      ["Catania", "56.4413"],
      ["Palermo", "190.4424"],
    ]);
    // A box narrower than the distance east-west leaves Palermo out.
    expect(
      await c.call("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "200", "400", "km"),
    ).toEqual(["Catania"]);
    expect(await c.call("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m")).toEqual([]);
  });

  it("stores results with STORE, STOREDIST and GEOSEARCHSTORE", async () => {
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst")).toBe(2);
    expect(await c.call("ZRANGE", "dst", "0", "-1", "WITHSCORES")).toEqual(
      await c.call("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
    );
    expect(await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dist")).toBe(2);
    expect(await c.call("ZRANGE", "dist", "0", "-1", "WITHSCORES")).toEqual([
      "Catania",
      "56.441257870158204",
      "Palermo",
      "190.44242984775784",
    ]);
    expect(
      await c.call(
        "GEOSEARCHSTORE",
        "s",
        "Sicily",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "100",
        "km",
        "STOREDIST",
      ),
    ).toBe(1);
    expect(await c.call("ZRANGE", "s", "0", "-1", "WITHSCORES")).toEqual(["Catania", "56.441257870158204"]);
    // An empty result deletes the destination.
    expect(await c.call("GEOSEARCHSTORE", "s", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")).toBe(
      0,
    );
    expect(await c.call("EXISTS", "s")).toBe(0);
    await c.call("SET", "d2", "x");
    expect(await c.call("GEOSEARCHSTORE", "d2", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")).toBe(
      0,
    );
    expect(await c.call("EXISTS", "d2")).toBe(0);
  });
});

describe("errors", () => {
  it("arguments", async () => {
    const cases: [string[], string][] = [
      [["GEOADD", "k", "200", "100", "x"], "ERR invalid longitude,latitude pair 200.000000,100.000000"],
      [["GEOADD", "k", "NX", "XX", "1", "1", "x"], "ERR syntax error"],
      [["GEOADD", "k", "1", "1", "x", "2"], "ERR syntax error"],
      [["GEOADD", "k", "a", "1", "x"], "ERR value is not a valid float"],
      [["GEODIST", "Sicily", "a", "b", "parsec"], "ERR unsupported unit provided. please use M, KM, FT, MI"],
      [["GEODIST", "Sicily", "a", "b", "km", "x"], "ERR syntax error"],
      [["GEORADIUS", "Sicily", "15", "37", "-1", "km"], "ERR radius cannot be negative"],
      [["GEORADIUS", "Sicily", "15", "37", "x", "km"], "ERR need numeric radius"],
      [["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"], "ERR COUNT must be > 0"],
      [["GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"], "ERR the ANY argument requires COUNT argument"],
      [
        ["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "x", "WITHDIST"],
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
      ],
      [["GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "x"], "ERR syntax error"],
      [["GEORADIUSBYMEMBER", "Sicily", "nobody", "1", "km"], "ERR could not decode requested zset member"],
      [
        ["geosearch", "Sicily", "BYRADIUS", "1", "km", "ASC", "WITHDIST"],
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
      ],
      [
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "ASC", "WITHDIST"],
        "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
      ],
      [
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"],
        "ERR height or width cannot be negative",
      ],
      [["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "x", "1", "km"], "ERR need numeric width"],
      [
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
        "ERR syntax error",
      ],
      [
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "WITHCOORD"],
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
      ],
    ];
    for (const [argv, error] of cases)
      expect({ argv, error: errorText(await c.call(...argv)) }).toEqual({ argv, error });
  });

  it("wrong types", async () => {
    await c.call("SET", "s", "x");
    const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for (const argv of [
      ["GEOADD", "s", "1", "1", "x"],
      ["GEOPOS", "s", "x"],
      ["GEOHASH", "s", "x"],
      ["GEODIST", "s", "a", "b"],
      ["GEOSEARCH", "s", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"],
    ]) {
      expect(errorText(await c.call(...argv))).toBe(wrongType);
    }
  });
});

describe("propagation, events and the command table", () => {
  let sub: RespClient | undefined;
  afterAll(() => sub?.close());

  it("GEOADD notifies zadd; stores notify georadiusstore / geosearchstore", async () => {
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEz");
    sub = await RespClient.connect(server.port);
    await sub.call("PSUBSCRIBE", "__keyevent@0__:*");
    await c.call("GEOADD", "g", "1", "1", "a");
    await c.call("GEORADIUS", "g", "1", "1", "10", "km", "STORE", "r");
    await c.call("GEOSEARCHSTORE", "t", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km");
    await waitFor(() => sub!.pushed.length >= 3, "three events");
    expect(sub.pushed.map((m) => (m as string[]).slice(2))).toEqual([
      ["__keyevent@0__:zadd", "g"],
      ["__keyevent@0__:georadiusstore", "r"],
      ["__keyevent@0__:geosearchstore", "t"],
    ]);
    await c.call("CONFIG", "SET", "notify-keyspace-events", "");
  });

  it("COMMAND INFO and GETKEYS as Redis has them", async () => {
    const info = (await c.call(
      "COMMAND",
      "INFO",
      "geoadd",
      "georadius",
      "geosearchstore",
      "geosearch",
    )) as unknown[][];
    expect(info.map((i) => i.slice(0, 7))).toEqual([
      ["geoadd", -5, ["write", "denyoom"], 1, 1, 1, ["@write", "@geo", "@slow"]],
      ["georadius", -6, ["write", "denyoom", "movablekeys"], 1, 1, 1, ["@write", "@geo", "@slow"]],
      ["geosearchstore", -8, ["write", "denyoom"], 1, 2, 1, ["@write", "@geo", "@slow"]],
      ["geosearch", -7, ["readonly"], 1, 1, 1, ["@read", "@geo", "@slow"]],
    ]);
    expect(
      await c.call(
        "COMMAND",
        "GETKEYS",
        "GEORADIUS",
        "src",
        "1",
        "1",
        "1",
        "km",
        "STORE",
        "a",
        "STOREDIST",
        "b",
      ),
    ).toEqual(["src", "a", "b"]);
    // Key specs find the first STORE and the first STOREDIST keyword.
    expect(
      await c.call("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "1", "1", "km", "STORE", "a", "STORE", "b"),
    ).toEqual(["src", "a"]);
    expect(
      await c.call("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "1", "km", "STOREDIST", "b"),
    ).toEqual(["src", "b"]);
  });
});
