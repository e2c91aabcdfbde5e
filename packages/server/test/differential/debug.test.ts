/**
 * DEBUG's replies against redis-server's: ERROR's raw error replies (which count as no error in
 * INFO), the HELP text (Redis's, less the subcommands Keyhaven leaves out), STRINGMATCH-TEST, the
 * test hooks' OK and argument-count errors, and CONFIG-REWRITE-FORCE-ALL without a config file.
 */

import { describe, expect, it } from "vitest";
import { errorText, hasRealRedis, infoSection, type RespClient } from "../helpers.js";
import { redisPair } from "./redis-pair.js";

/**
 * Subcommands Redis 7.0 lists that Keyhaven does not implement: C internals, and the two that
 * re-exec the process (Node cannot keep its PID across an exec).
 */
const LEFT_OUT = new Set([
  "CRASH-AND-RECOVER",
  "RESTART",
  "HTSTATS",
  "HTSTATS-KEY",
  "MALLCTL",
  "MALLCTL-STR",
  "DROP-CLUSTER-PACKET-FILTER",
  "SDSLEN",
  "QUICKLIST-PACKED-THRESHOLD",
  "STRUCTSIZE",
  "LISTPACK",
  "QUICKLIST",
  "CLIENT-EVICTION",
  "PAUSE-CRON",
  "REPLYBUFFER",
  "CLUSTERLINK",
]);

/** HELP's lines without the entries (a name line and its indented lines) of `left`. */
function withoutEntries(help: string[], left: Set<string>): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const line of help.slice(1)) {
    if (!line.startsWith(" ")) skipping = left.has(line.split(" ")[0]);
    if (!skipping) out.push(line);
  }
  return [help[0], ...out];
}

async function errorStats(c: RespClient): Promise<string> {
  const stats = await infoSection(c, "stats");
  const errors = await infoSection(c, "errorstats");
  return JSON.stringify([stats.get("total_error_replies"), [...errors]]);
}

describe.skipIf(!hasRealRedis())("DEBUG, against redis-server", () => {
  const pair = redisPair({ args: ["--enable-debug-command", "yes"] });

  it("ERROR replies with the raw error, newlines as spaces, and counts no error", async () => {
    const [rc, kc] = pair.clients();
    const before = await Promise.all([errorStats(rc), errorStats(kc)]);
    for (const text of ["ERR some error", "WRONGTYPE custom\r\nline", "no-prefix\nat all", "", "-"])
      await pair.both("DEBUG", "ERROR", text);
    expect(await Promise.all([errorStats(rc), errorStats(kc)])).toEqual(before);
    await pair.both("DEBUG", "ERROR");
    await pair.both("DEBUG", "ERROR", "a", "b");
  });

  it("HELP is Redis's text and order, less the subcommands left out", async () => {
    const [rc, kc] = pair.clients();
    const redis = (await rc.call("DEBUG", "HELP")) as string[];
    const keyhaven = (await kc.call("DEBUG", "HELP")) as string[];
    expect(keyhaven).toEqual(withoutEntries(redis, LEFT_OUT));
    // Those left out still answer Redis's unknown-subcommand error.
    for (const sub of ["STRUCTSIZE", "RESTART", "CRASH-AND-RECOVER", "CLIENT-EVICTION"])
      expect(errorText(await kc.call("DEBUG", sub))).toBe(
        `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try DEBUG HELP.`,
      );
  });

  it("STRINGMATCH-TEST, LEAK and the test hooks' replies", async () => {
    await pair.both("DEBUG", "STRINGMATCH-TEST");
    for (const argv of [
      ["LEAK", "some string"],
      ["SET-SKIP-CHECKSUM-VALIDATION", "0"],
      ["SET-SKIP-CHECKSUM-VALIDATION", "not a number"],
      ["AOF-FLUSH-SLEEP", "0"],
      // No replica, no backlog: nothing is sent anywhere.
      ["REPLICATE", "SET", "k", "v"],
      ["CONFIG-REWRITE-FORCE-ALL"],
      // Wrong argument counts.
      ["STRINGMATCH-TEST", "x"],
      ["LEAK"],
      ["REPLICATE"],
      ["SET-SKIP-CHECKSUM-VALIDATION"],
      ["AOF-FLUSH-SLEEP", "1", "2"],
      ["CONFIG-REWRITE-FORCE-ALL", "x"],
    ])
      await pair.both("DEBUG", ...argv);
    await pair.both("GET", "k");
  });
});
