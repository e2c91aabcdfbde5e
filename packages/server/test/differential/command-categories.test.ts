/**
 * ACL categories are what `+@read` or `-@dangerous` grant or take away, so each command must
 * carry exactly Redis 7.0's: COMMAND's categories of every command (and subcommand) both
 * servers have are compared with redis-server's.
 */
import { describe, expect, it } from "vitest";
import { hasRealRedis } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

type CommandInfo = [string, number, string[], number, number, number, string[], ...unknown[]];

function categoriesByName(reply: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (info: CommandInfo) => {
    out.set(info[0], [...info[6]].sort());
    for (const sub of (info[9] as CommandInfo[] | undefined) ?? []) walk(sub);
  };
  for (const info of reply as CommandInfo[]) walk(info);
  return out;
}

describe.skipIf(!hasRealRedis())("ACL categories of every command, against redis-server", () => {
  const pair = redisPair();

  it("every command both servers know has Redis's categories", async () => {
    const [rc, kc] = pair.clients();
    const redis = categoriesByName(await rc.call("COMMAND"));
    const keyhaven = categoriesByName(await kc.call("COMMAND"));
    const common = [...keyhaven.keys()].filter((name) => redis.has(name));
    // Keyhaven implements nearly all of Redis 7.0's commands; a handful (cluster, modules) not.
    expect(common.length).toBeGreaterThan(300);
    const differing = common
      .filter((name) => keyhaven.get(name)!.join(" ") !== redis.get(name)!.join(" "))
      .map((name) => ({ name, redis: redis.get(name), keyhaven: keyhaven.get(name) }));
    expect(differing).toEqual([]);
  });

  it("ACL CAT lists the same categories and, for one, the same commands where both have them", async () => {
    const [rc, kc] = pair.clients();
    expect(await kc.call("ACL", "CAT")).toEqual(await rc.call("ACL", "CAT"));
    for (const category of ["stream", "dangerous", "scripting", "pubsub"]) {
      const keyhaven = new Set((await kc.call("ACL", "CAT", category)) as string[]);
      const redis = new Set((await rc.call("ACL", "CAT", category)) as string[]);
      const all = new Set(categoriesByName(await kc.call("COMMAND")).keys());
      const expected = [...redis].filter((name) => all.has(name)).sort();
      expect([...keyhaven].sort()).toEqual(expected);
    }
  });
});
