/**
 * COMMAND's description of each command is what clients and ACLs build on: cluster clients route
 * by the key specs and tips, ACL rules grant by category, `%R~`/`%W~` key patterns check each key
 * by what its key spec says the command does with it. So every command both servers have must be
 * described exactly as redis-server describes it, and the keys a call names must be found the
 * same way (COMMAND GETKEYSANDFLAGS, ACL DRYRUN). COMMAND DOCS too: redis-cli builds its HELP
 * pages and its argument hints from it.
 */
import type { RespValue } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { hasRealRedis, RespClient } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

type CommandInfo = [
  string,
  number,
  string[],
  number,
  number,
  number,
  string[],
  string[],
  unknown[],
  CommandInfo[],
];

/**
 * Each command and subcommand's COMMAND entry by name, without its subcommands: each is compared
 * on its own, and the ones Keyhaven lacks (SCRIPT DEBUG) are left out on purpose.
 */
function entriesByName(reply: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (info: CommandInfo) => {
    out.set(info[0], info.slice(0, 9));
    for (const sub of info[9] ?? []) walk(sub);
  };
  for (const info of reply as CommandInfo[]) walk(info);
  return out;
}

/** A typed reply as text (integers are bigints), to compare many at once. */
const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));

/** Calls whose keys are found every way Redis finds them: ranges, keywords, counts, finders. */
const CALLS = [
  ["set", "k", "v"],
  ["set", "k", "v", "ex", "10", "GET"],
  ["bitfield", "k", "get", "u8", "0"],
  ["bitfield", "k", "overflow", "sat", "get", "u8", "0"],
  ["bitfield", "k", "set", "u8", "0", "1"],
  ["bitfield", "k", "bogus"],
  ["sort", "k", "by", "x", "get", "y", "store", "d"],
  ["sort", "k", "limit", "0", "1", "store", "d", "get", "x"],
  ["sort_ro", "k", "by", "x"],
  ["migrate", "h", "1", "", "0", "5", "keys", "a", "b"],
  ["migrate", "h", "1", "k", "0", "5"],
  ["zunionstore", "d", "2", "a", "b"],
  ["zunionstore", "d", "x", "a", "b"],
  ["zunionstore", "d", "5", "a", "b"],
  ["zinter", "2", "a", "b", "weights", "1", "2"],
  ["sintercard", "2", "a", "b", "limit", "3"],
  ["lmpop", "2", "a", "b", "left"],
  ["blmpop", "0", "2", "a", "b", "left"],
  ["bzmpop", "0", "1", "a", "min"],
  ["eval", "return 1", "0"],
  ["eval", "return 1", "2", "a", "b", "arg"],
  ["eval", "return 1", "-1"],
  ["fcall", "f", "1", "a"],
  ["georadius", "k", "0", "0", "1", "m", "store", "d"],
  ["georadius", "k", "0", "0", "1", "m", "storedist", "d"],
  ["georadiusbymember", "k", "m", "1", "m", "store", "d"],
  ["geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"],
  ["xread", "count", "2", "streams", "a", "b", "0", "0"],
  ["xreadgroup", "group", "g", "c", "streams", "a", "0"],
  ["rename", "a", "b"],
  ["copy", "a", "b"],
  ["smove", "a", "b", "m"],
  ["lmove", "a", "b", "left", "right"],
  ["brpoplpush", "a", "b", "0"],
  ["bitop", "and", "d", "a", "b"],
  ["pfmerge", "d", "a", "b"],
  ["pfcount", "a", "b"],
  ["del", "a", "b", "c"],
  ["mset", "a", "1", "b", "2"],
  ["blpop", "a", "b", "0"],
  ["zrangestore", "d", "s", "0", "1"],
  ["object", "encoding", "k"],
  ["memory", "usage", "k"],
  ["xgroup", "create", "s", "g", "0"],
  ["spublish", "ch", "m"],
  ["ping"],
  ["get"],
];

describe.skipIf(!hasRealRedis())("COMMAND's description of every command, against redis-server", () => {
  const pair = redisPair();

  it("every command both servers know has Redis's arity, flags, key positions, categories, tips and key specs", async () => {
    const [rc, kc] = pair.clients();
    const redis = entriesByName(await rc.call("COMMAND"));
    const keyhaven = entriesByName(await kc.call("COMMAND"));
    const common = [...keyhaven.keys()].filter((name) => redis.has(name));
    // Keyhaven implements nearly all of Redis 7.0's commands; a handful (cluster, modules) not.
    expect(common.length).toBeGreaterThan(300);
    const differing = common
      .filter((name) => JSON.stringify(keyhaven.get(name)) !== JSON.stringify(redis.get(name)))
      .map((name) => ({ name, redis: redis.get(name), keyhaven: keyhaven.get(name) }));
    expect(differing).toEqual([]);
  });

  it("in RESP3, every command's COMMAND INFO and COMMAND DOCS are Redis's, reply types included", async () => {
    const [rc, kc] = pair.clients();
    const names = [...entriesByName(await kc.call("COMMAND")).keys()];
    const redisNames = new Set(entriesByName(await rc.call("COMMAND")).keys());
    const common = names.filter((name) => redisNames.has(name));
    const typed = await Promise.all(pair.ports().map((port) => RespClient.connect(port, { typed: true })));
    try {
      for (const c of typed) await c.call("HELLO", "3");
      // Subcommands are compared on their own: Keyhaven lacks a few on purpose (SCRIPT DEBUG).
      const withoutSubcommands = (reply: RespValue, kind: "info" | "docs") => {
        if (kind === "info") {
          const entry = (reply as { value: RespValue[] }).value[0] as { value: RespValue[] };
          return entry.value.slice(0, 9);
        }
        const doc = (reply as { value: [RespValue, RespValue][] }).value[0][1] as {
          value: [RespValue, RespValue][];
        };
        return doc.value.filter(([k]) => String((k as { value: Buffer }).value) !== "subcommands");
      };
      const differing: string[] = [];
      for (const name of common) {
        for (const kind of ["info", "docs"] as const) {
          const [r, k] = await Promise.all(typed.map((c) => c.call("COMMAND", kind, name)));
          const same =
            json(withoutSubcommands(k as RespValue, kind)) === json(withoutSubcommands(r as RespValue, kind));
          if (!same) differing.push(`${kind} ${name}`);
        }
      }
      expect(differing).toEqual([]);
    } finally {
      for (const c of typed) c.close();
    }
  });

  it("COMMAND GETKEYS and GETKEYSANDFLAGS find the same keys with the same flags", async () => {
    for (const call of CALLS) {
      await pair.both("COMMAND", "GETKEYSANDFLAGS", ...call);
      await pair.both("COMMAND", "GETKEYS", ...call);
    }
  });

  it("ACL read and write key patterns allow and refuse the same calls", async () => {
    const [rc, kc] = pair.clients();
    for (const c of [rc, kc]) {
      await c.call("ACL", "SETUSER", "split", "on", "nopass", "+@all", "%R~r*", "%W~w*", "~rw*");
    }
    for (const call of CALLS) {
      const renamed = call.map((arg, i) =>
        i > 0 && /^[a-z]$/.test(arg) ? `${i % 2 ? "r" : "w"}${arg}` : arg,
      );
      for (const argv of [call, renamed]) await pair.both("ACL", "DRYRUN", "split", ...argv);
    }
  });

  it("ACL CAT lists the same categories and, for one, the same commands where both have them", async () => {
    const [rc, kc] = pair.clients();
    expect(await kc.call("ACL", "CAT")).toEqual(await rc.call("ACL", "CAT"));
    const all = new Set(entriesByName(await kc.call("COMMAND")).keys());
    for (const category of ["stream", "dangerous", "scripting", "pubsub"]) {
      const keyhaven = new Set((await kc.call("ACL", "CAT", category)) as string[]);
      const redis = new Set((await rc.call("ACL", "CAT", category)) as string[]);
      const expected = [...redis].filter((name) => all.has(name)).sort();
      expect([...keyhaven].sort()).toEqual(expected);
    }
  });
});
