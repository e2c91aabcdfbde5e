/**
 * 13-commands: a Sentinel answers COMMAND as redis-sentinel 7.0 does. Clients and tools read the
 * command set, flags, ACL categories and docs from it (redis-cli's HELP and hints in Sentinel
 * mode too): the same commands, each described the same way, as a redis-sentinel started next
 * to it over the same data node.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealRedis } from "../../server/test/helpers.js";
import { type SentinelProcess, startDataNode, startSentinel } from "./helpers.js";

type CommandInfo = [string, ...unknown[]];

/** COMMAND's entries by name, subcommands each on their own (and not inside their parent's). */
function entriesByName(reply: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (info: CommandInfo) => {
    out.set(info[0], info.slice(0, 9));
    for (const sub of (info[9] as CommandInfo[] | undefined) ?? []) walk(sub);
  };
  for (const info of reply as CommandInfo[]) walk(info);
  return out;
}

/** COMMAND DOCS (a flat name, docs, name, docs... list in RESP2) by name, subcommands apart. */
function docsByName(reply: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (pairs: unknown[]) => {
    for (let i = 0; i < pairs.length; i += 2) {
      const fields = pairs[i + 1] as unknown[];
      const at = fields.indexOf("subcommands");
      if (at >= 0) walk(fields[at + 1] as unknown[]);
      out.set(pairs[i] as string, at >= 0 ? [...fields.slice(0, at), ...fields.slice(at + 2)] : fields);
    }
  };
  walk(reply as unknown[]);
  return out;
}

describe.skipIf(!hasRealRedis())("13-commands: COMMAND against redis-sentinel", () => {
  let ours: SentinelProcess;
  let theirs: SentinelProcess;

  beforeAll(async () => {
    const node = await startDataNode();
    [ours, theirs] = await Promise.all([
      startSentinel("keyhaven", { masterPort: node.port, quorum: 1 }),
      startSentinel("redis", { masterPort: node.port, quorum: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ours?.kill(), theirs?.kill()]);
  });

  it("has redis-sentinel's INFO sections, for every way of asking", async () => {
    const titles = async (s: SentinelProcess, args: string[]) =>
      String(await s.call("INFO", ...args))
        .split("\r\n")
        .filter((l) => l.startsWith("# "));
    for (const args of [
      [],
      ["default"],
      ["all"],
      ["everything"],
      ["commandstats"],
      ["errorstats"],
      ["server", "cpu"],
      ["memory"],
    ]) {
      expect({ args, sections: await titles(ours, args) }).toEqual({
        args,
        sections: await titles(theirs, args),
      });
    }
  });

  it("has redis-sentinel's commands, CLIENT SETINFO aside", async () => {
    const names = async (s: SentinelProcess) =>
      ((await s.call("COMMAND", "LIST")) as string[]).filter((n) => n !== "client|setinfo").sort();
    expect(await names(ours)).toEqual(await names(theirs));
  });

  it("describes each command as redis-sentinel does: COMMAND INFO and COMMAND DOCS", async () => {
    const [mine, real] = [
      entriesByName(await ours.call("COMMAND")),
      entriesByName(await theirs.call("COMMAND")),
    ];
    const [myDocs, realDocs] = [
      docsByName(await ours.call("COMMAND", "DOCS")),
      docsByName(await theirs.call("COMMAND", "DOCS")),
    ];
    const common = [...mine.keys()].filter((n) => real.has(n));
    expect(common.length).toBeGreaterThan(40);
    const differing = common.filter(
      (n) =>
        JSON.stringify(mine.get(n)) !== JSON.stringify(real.get(n)) ||
        JSON.stringify(myDocs.get(n)) !== JSON.stringify(realDocs.get(n)),
    );
    expect(differing).toEqual([]);
  });
});
