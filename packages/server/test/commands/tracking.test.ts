/**
 * Client-side caching (CLIENT TRACKING) over the wire: default mode (keys read, then changed by
 * another client, by the client itself, by expiry, by a flush), OPTIN/OPTOUT with CLIENT
 * CACHING (also around MULTI), NOLOOP, BCAST with prefixes, REDIRECT to a RESP2 subscriber and a
 * broken redirect, the table limit, CLIENT TRACKINGINFO/GETREDIR/LIST, INFO and the errors.
 * Runs against Keyhaven, or against real Redis with KEYHAVEN_TEST_TARGET=redis.
 */

import { RespPush } from "@keyhaven/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorText, infoSection, RespClient, type ServerProcess, sleep, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
const opened: RespClient[] = [];

withTarget({}, (t) => ({ server, c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
});
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

/** A RESP3 client (pushes come as arrays in `pushed`) with tracking turned on by `options`. */
async function tracker(...options: string[]): Promise<RespClient> {
  const t = await RespClient.connect(server.port);
  opened.push(t);
  await t.call("HELLO", "3");
  expect(await t.call("CLIENT", "TRACKING", "on", ...options)).toBe("OK");
  return t;
}

const invalidate = (keys: string[] | null) => ["invalidate", keys];

/** The next `n` push messages of a RESP3 client, as plain arrays. */
async function pushes(t: RespClient, n: number): Promise<unknown[]> {
  return (await t.waitPushed(n)).map((p) => (p instanceof RespPush ? p.items : p));
}

/** A field of INFO's clients (tracking_clients) or stats (tracking_total_*) section. */
async function info(field: string): Promise<string | undefined> {
  return (await infoSection(c, field === "tracking_clients" ? "clients" : "stats")).get(field);
}

describe("default mode", () => {
  it("a key read is invalidated once when another client changes it", async () => {
    const t = await tracker();
    await c.call("SET", "k", "1");
    await c.call("SET", "k2", "1");
    expect(await t.call("GET", "k")).toBe("1");
    expect(await t.call("MGET", "k2", "nokey")).toEqual(["1", null]);
    expect(await info("tracking_clients")).toBe("1");
    expect(await info("tracking_total_keys")).toBe("3");
    await c.call("SET", "k", "2");
    expect(await pushes(t, 1)).toEqual([invalidate(["k"])]);
    // Forgotten once sent: a second change says nothing until the key is read again.
    await c.call("SET", "k", "3");
    await c.call("DEL", "k2");
    expect(await pushes(t, 1)).toEqual([invalidate(["k2"])]);
    await c.call("SET", "nokey", "x");
    expect(await pushes(t, 1)).toEqual([invalidate(["nokey"])]);
    expect(t.pushed).toEqual([]);
    expect(await info("tracking_total_keys")).toBe("0");
  });

  it("the client's own change comes after its reply, unless NOLOOP", async () => {
    const t = await tracker();
    await t.call("GET", "own");
    expect(await t.call("SET", "own", "1")).toBe("OK");
    expect(await pushes(t, 1)).toEqual([invalidate(["own"])]);
    const quiet = await tracker("NOLOOP");
    await quiet.call("GET", "own");
    await quiet.call("SET", "own", "2");
    expect(await quiet.call("PING")).toBe("PONG");
    expect(quiet.pushed).toEqual([]);
  });

  it("expiry and flushes invalidate too (a flush with a null: everything)", async () => {
    const t = await tracker();
    await c.call("SET", "temp", "1", "PX", "50");
    await t.call("GET", "temp");
    await sleep(120);
    // Reading it again finds it expired: its deletion is the invalidation.
    expect(await c.call("GET", "temp")).toBeNull();
    expect(await pushes(t, 1)).toEqual([invalidate(["temp"])]);
    await c.call("FLUSHDB");
    expect(await pushes(t, 1)).toEqual([invalidate(null)]);
  });

  it("OPTIN tracks only after CLIENT CACHING YES, for one command or one transaction", async () => {
    const t = await tracker("OPTIN");
    await t.call("GET", "a");
    expect(await t.call("CLIENT", "CACHING", "yes")).toBe("OK");
    await t.call("GET", "b");
    await t.call("GET", "c");
    await t.call("CLIENT", "CACHING", "yes");
    await t.call("MULTI");
    await t.call("GET", "d");
    await t.call("GET", "e");
    expect(await t.call("EXEC")).toEqual([null, null]);
    for (const k of ["a", "b", "c", "d", "e"]) await c.call("SET", k, "1");
    expect(await pushes(t, 3)).toEqual([invalidate(["b"]), invalidate(["d"]), invalidate(["e"])]);
  });

  it("OPTOUT tracks unless CLIENT CACHING NO", async () => {
    const t = await tracker("OPTOUT");
    await t.call("CLIENT", "CACHING", "no");
    await t.call("GET", "a");
    await t.call("GET", "b");
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "1");
    expect(await pushes(t, 1)).toEqual([invalidate(["b"])]);
  });
});

describe("BCAST, REDIRECT and limits", () => {
  it("BCAST sends every change under its prefixes, one message per prefix and turn", async () => {
    const t = await tracker("BCAST", "PREFIX", "user:", "PREFIX", "obj:");
    await c.call("MSET", "user:2", "x", "user:1", "x", "other", "y");
    expect(await pushes(t, 1)).toEqual([invalidate(["user:1", "user:2"])]);
    await c.call("SET", "obj:9", "z");
    expect(await pushes(t, 1)).toEqual([invalidate(["obj:9"])]);
    expect(await info("tracking_total_prefixes")).toBe("2");
    expect(await t.call("CLIENT", "TRACKINGINFO")).toEqual(
      new Map<unknown, unknown>([
        ["flags", ["on", "bcast"]],
        ["redirect", 0],
        ["prefixes", ["obj:", "user:"]],
      ]),
    );
  });

  it("REDIRECT to a subscribed RESP2 client, then a broken redirect", async () => {
    const target = await RespClient.connect(server.port);
    opened.push(target);
    const id = (await target.call("CLIENT", "ID")) as number;
    await target.call("SUBSCRIBE", "__redis__:invalidate");
    const t = await RespClient.connect(server.port);
    opened.push(t);
    await t.call("HELLO", "3");
    expect(await t.call("CLIENT", "TRACKING", "on", "REDIRECT", String(id))).toBe("OK");
    expect(await t.call("CLIENT", "GETREDIR")).toBe(id);
    const list = String(await c.call("CLIENT", "LIST"));
    expect(list).toMatch(new RegExp(`flags=t .* redir=${id} resp=3`));
    await t.call("GET", "r");
    await c.call("SET", "r", "1");
    expect(await target.waitPushed(1)).toEqual([["message", "__redis__:invalidate", ["r"]]]);
    target.close();
    await sleep(50);
    await t.call("GET", "r");
    await c.call("SET", "r", "2");
    expect(await pushes(t, 1)).toEqual([["tracking-redir-broken", id]]);
    expect(((await t.call("CLIENT", "TRACKINGINFO")) as Map<string, unknown>).get("flags")).toEqual([
      "on",
      "broken_redirect",
    ]);
  });

  it("tracking-table-max-keys: keys past the limit are invalidated", async () => {
    const t = await tracker();
    await c.call("CONFIG", "SET", "tracking-table-max-keys", "2");
    await t.call("MGET", "a", "b", "c", "d");
    // The next command trims the table back to 2 keys, telling the client about the others.
    await c.call("PING");
    expect((await pushes(t, 2)).length).toBe(2);
    expect(await info("tracking_total_keys")).toBe("2");
  });

  it("RESET and CLIENT TRACKING off stop it", async () => {
    const t = await tracker();
    await t.call("GET", "x");
    expect(await t.call("CLIENT", "TRACKING", "off")).toBe("OK");
    expect(await t.call("CLIENT", "GETREDIR")).toBe(-1);
    await c.call("SET", "x", "1");
    const u = await tracker("BCAST");
    expect(await u.call("RESET")).toBe("RESET");
    await c.call("SET", "y", "1");
    expect(await u.call("PING")).toBe("PONG");
    expect(t.pushed).toEqual([]);
    expect(u.pushed).toEqual([]);
    expect(await info("tracking_clients")).toBe("0");
  });
});

describe("errors", () => {
  it("option checks, in Redis's order", async () => {
    const cases: [string[], string][] = [
      [["CLIENT", "TRACKING", "maybe"], "ERR syntax error"],
      [["CLIENT", "TRACKING", "on", "FOO"], "ERR syntax error"],
      [["CLIENT", "TRACKING", "on", "PREFIX", "a"], "ERR PREFIX option requires BCAST mode to be enabled"],
      [
        ["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
        "ERR You can't specify both OPTIN mode and OPTOUT mode",
      ],
      [["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"], "ERR OPTIN and OPTOUT are not compatible with BCAST"],
      [
        ["CLIENT", "TRACKING", "on", "REDIRECT", "999999"],
        "ERR The client ID you want redirect to does not exist",
      ],
      [
        ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"],
        "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.",
      ],
      [
        ["CLIENT", "CACHING", "yes"],
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
      ],
    ];
    for (const [argv, error] of cases)
      expect({ argv, error: errorText(await c.call(...argv)) }).toEqual({ argv, error });
    expect(await c.call("CLIENT", "TRACKING", "on", "OPTIN")).toBe("OK");
    expect(errorText(await c.call("CLIENT", "CACHING", "no"))).toBe(
      "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
    );
    expect(errorText(await c.call("CLIENT", "TRACKING", "on", "OPTOUT"))).toBe(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
    expect(errorText(await c.call("CLIENT", "TRACKING", "on", "BCAST"))).toBe(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    );
    expect(await c.call("CLIENT", "TRACKINGINFO")).toEqual([
      "flags",
      ["on", "optin"],
      "redirect",
      0,
      "prefixes",
      [],
    ]);
    expect(await c.call("CLIENT", "TRACKING", "off")).toBe("OK");
    expect(await c.call("CLIENT", "TRACKINGINFO")).toEqual([
      "flags",
      ["off"],
      "redirect",
      -1,
      "prefixes",
      [],
    ]);
  });
});
