/**
 * What ACL rules allow and deny: commands, subcommands and categories, key patterns (with read
 * and write only ones), channels, selectors, commands queued in MULTI and called from scripts,
 * ACL DRYRUN, then ACL LOG (entries, grouping, RESET, count, max length). The
 * rule language itself is in acl.test.ts. Every reply and error text here was seen from Redis
 * 7.0 (KEYHAVEN_TEST_TARGET=redis).
 */

import type { RespValue } from "@keyhaven/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorText, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";
import { render } from "./resp-shapes.js";

let server: ServerProcess;
let c: RespClient;
withTarget({}, (t) => ({ server, c } = t));

/** Extra connections and users of the running test, closed and deleted after it. */
const opened: RespClient[] = [];
const users: string[] = [];
afterEach(async () => {
  for (const k of opened.splice(0)) k.close();
  if (users.length > 0) await c.call("ACL", "DELUSER", ...users.splice(0));
  await c.call("FLUSHALL");
});

async function connect(): Promise<RespClient> {
  const k = await RespClient.connect(server.port);
  opened.push(k);
  return k;
}

/** Creates user `name` (on, password "pw", plus `rules`) and returns a connection logged in as it. */
async function as(name: string, ...rules: string[]): Promise<RespClient> {
  expect(await c.call("ACL", "SETUSER", name, "reset", "on", ">pw", ...rules)).toBe("OK");
  users.push(name);
  const k = await connect();
  expect(await k.call("AUTH", name, "pw")).toBe("OK");
  return k;
}

const noCommand = (cmd: string) => `NOPERM this user has no permissions to run the '${cmd}' command`;
const NOKEY = "NOPERM this user has no permissions to access one of the keys used as arguments";
const NOCHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments";

describe("commands, subcommands and categories", () => {
  it("a command not allowed", async () => {
    const k = await as("p-cmd", "~*", "+get", "+set");
    expect(await k.call("SET", "a", "1")).toBe("OK");
    expect(await k.call("GET", "a")).toBe("1");
    expect(errorText(await k.call("INCR", "a"))).toBe(noCommand("incr"));
    // The command is named in lower case whatever the client sent.
    expect(errorText(await k.call("InCr", "a"))).toBe(noCommand("incr"));
    expect(errorText(await k.call("ACL", "WHOAMI"))).toBe(noCommand("acl|whoami"));
    expect(await c.call("GET", "a")).toBe("1");
  });

  it("unknown commands and arity errors come before the permission check", async () => {
    const k = await as("p-arity", "~*", "+get");
    expect(errorText(await k.call("INCR"))).toBe("ERR wrong number of arguments for 'incr' command");
    expect(errorText(await k.call("NOSUCH"))).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: ",
    );
    expect(errorText(await k.call("CONFIG", "NOSUCH"))).toBe(
      "ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.",
    );
  });

  it("a subcommand not allowed: +config|get allows CONFIG GET, not CONFIG SET", async () => {
    const k = await as("p-sub", "+config|get");
    expect(await k.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", "0"]);
    expect(errorText(await k.call("CONFIG", "SET", "maxmemory", "0"))).toBe(noCommand("config|set"));
    expect(errorText(await k.call("CONFIG", "RESETSTAT"))).toBe(noCommand("config|resetstat"));
  });

  it("+command allows every subcommand, -command|sub takes one away", async () => {
    const k = await as("p-sub2", "+client", "-client|kill");
    expect(typeof (await k.call("CLIENT", "ID"))).toBe("number");
    expect(await k.call("CLIENT", "GETNAME")).toBeNull();
    expect(errorText(await k.call("CLIENT", "KILL", "ID", "999999"))).toBe(noCommand("client|kill"));
  });

  it("a first-argument rule: +select|0 allows SELECT 0 only", async () => {
    const k = await as("p-firstarg", "+select|0");
    expect(await k.call("SELECT", "0")).toBe("OK");
    expect(errorText(await k.call("SELECT", "1"))).toBe(noCommand("select"));
  });

  it("+@read allows GET and denies SET", async () => {
    const k = await as("p-read", "~*", "+@read");
    expect(await k.call("GET", "a")).toBeNull();
    expect(await k.call("HGETALL", "h")).toEqual([]);
    expect(errorText(await k.call("SET", "a", "1"))).toBe(noCommand("set"));
    expect(errorText(await k.call("DEL", "a"))).toBe(noCommand("del"));
  });

  it("+@all -@dangerous denies FLUSHALL, KEYS and CONFIG", async () => {
    const k = await as("p-danger", "~*", "&*", "+@all", "-@dangerous");
    expect(await k.call("SET", "a", "1")).toBe("OK");
    expect(errorText(await k.call("FLUSHALL"))).toBe(noCommand("flushall"));
    expect(errorText(await k.call("KEYS", "*"))).toBe(noCommand("keys"));
    expect(errorText(await k.call("CONFIG", "GET", "maxmemory"))).toBe(noCommand("config|get"));
    expect(await c.call("GET", "a")).toBe("1");
  });

  it("+@all allows everything; with no commands AUTH still works", async () => {
    const all = await as("p-all", "~*", "&*", "+@all");
    expect(await all.call("SET", "a", "1")).toBe("OK");
    expect(await all.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", "0"]);
    const none = await as("p-none", "~*", "&*");
    expect(errorText(await none.call("PING"))).toBe(noCommand("ping"));
    // AUTH itself needs no permission (and is how a connection changes user).
    expect(await none.call("AUTH", "p-all", "pw")).toBe("OK");
    expect(await none.call("PING")).toBe("PONG");
  });
});

describe("key patterns", () => {
  it("~foo* allows foo keys only", async () => {
    const k = await as("p-keys", "~foo*", "+@all");
    expect(await k.call("SET", "foo1", "x")).toBe("OK");
    expect(await k.call("GET", "foo1")).toBe("x");
    expect(errorText(await k.call("GET", "bar"))).toBe(NOKEY);
    expect(errorText(await k.call("SET", "bar", "1"))).toBe(NOKEY);
  });

  it("a multi-key command with one key outside the patterns is denied as a whole", async () => {
    const k = await as("p-multikey", "~foo*", "+@all");
    expect(errorText(await k.call("MSET", "foo1", "1", "bar", "2"))).toBe(NOKEY);
    expect(await c.call("EXISTS", "foo1", "bar")).toBe(0);
    expect(await k.call("MSET", "foo1", "1", "foo2", "2")).toBe("OK");
    expect(await k.call("MGET", "foo1", "foo2")).toEqual(["1", "2"]);
    expect(errorText(await k.call("MGET", "foo1", "bar"))).toBe(NOKEY);
    expect(errorText(await k.call("RENAME", "foo1", "bar"))).toBe(NOKEY);
    expect(errorText(await k.call("DEL", "foo2", "bar"))).toBe(NOKEY);
    expect(await c.call("EXISTS", "foo1", "foo2")).toBe(2);
  });

  it("%R~ is read-only: GET allowed, SET and INCR denied", async () => {
    const k = await as("p-rkeys", "%R~r*", "+@all");
    await c.call("SET", "r1", "5");
    expect(await k.call("GET", "r1")).toBe("5");
    expect(await k.call("STRLEN", "r1")).toBe(1);
    expect(errorText(await k.call("SET", "r1", "6"))).toBe(NOKEY);
    expect(errorText(await k.call("INCR", "r1"))).toBe(NOKEY);
    expect(await c.call("GET", "r1")).toBe("5");
  });

  it("%W~ is write-only: SET allowed, GET and SET ... GET denied", async () => {
    const k = await as("p-wkeys", "%W~w*", "+@all");
    expect(await k.call("SET", "w1", "5")).toBe("OK");
    expect(await k.call("APPEND", "w1", "x")).toBe(2);
    expect(errorText(await k.call("GET", "w1"))).toBe(NOKEY);
    // Returning the old value reads the key.
    expect(errorText(await k.call("SET", "w1", "6", "GET"))).toBe(NOKEY);
    expect(await c.call("GET", "w1")).toBe("5x");
  });

  it("COPY from a read-only to a write-only pattern", async () => {
    const k = await as("p-rw", "%R~r*", "%W~w*", "+@all");
    await c.call("SET", "r1", "v");
    expect(await k.call("COPY", "r1", "w1")).toBe(1);
    expect(errorText(await k.call("COPY", "w1", "r2"))).toBe(NOKEY);
    expect(await c.call("GET", "w1")).toBe("v");
  });
});

describe("channels", () => {
  it("PUBLISH to a channel outside the & patterns", async () => {
    const k = await as("p-pub", "&ch*", "+@all");
    expect(await k.call("PUBLISH", "ch1", "x")).toBe(0);
    expect(errorText(await k.call("PUBLISH", "other", "x"))).toBe(NOCHANNEL);
  });

  it("SUBSCRIBE to a channel outside the patterns; all or nothing", async () => {
    const k = await as("p-sub", "&ch*", "+@all");
    expect(errorText(await k.call("SUBSCRIBE", "other"))).toBe(NOCHANNEL);
    expect(errorText(await k.call("SUBSCRIBE", "ch1", "other"))).toBe(NOCHANNEL);
    expect(await c.call("PUBSUB", "NUMSUB", "ch1")).toEqual(["ch1", 0]);
    expect(await k.call("SUBSCRIBE", "ch1")).toEqual(["subscribe", "ch1", 1]);
  });

  it("PSUBSCRIBE needs the pattern itself among the & patterns", async () => {
    const k = await as("p-psub", "&ch*", "+@all");
    expect(errorText(await k.call("PSUBSCRIBE", "ch1*"))).toBe(NOCHANNEL);
    expect(errorText(await k.call("PSUBSCRIBE", "*"))).toBe(NOCHANNEL);
    expect(await k.call("PSUBSCRIBE", "ch*")).toEqual(["psubscribe", "ch*", 1]);
    const all = await as("p-psub-all", "allchannels", "+@all");
    expect(await all.call("PSUBSCRIBE", "any*")).toEqual(["psubscribe", "any*", 1]);
  });

  it("a new user has no channels (acl-pubsub-default resetchannels)", async () => {
    expect(await c.call("CONFIG", "GET", "acl-pubsub-default")).toEqual([
      "acl-pubsub-default",
      "resetchannels",
    ]);
    const k = await as("p-nochan", "+@all");
    expect(errorText(await k.call("PUBLISH", "a", "x"))).toBe(NOCHANNEL);
  });

  it("taking a channel away closes the connections subscribed to it", async () => {
    const k = await as("p-revoke", "&ch*", "+@all");
    const other = await as("p-revoke2", "&ch*", "+@all");
    expect(await k.call("SUBSCRIBE", "ch1")).toEqual(["subscribe", "ch1", 1]);
    expect(await c.call("ACL", "SETUSER", "p-revoke", "resetchannels", "&x*")).toBe("OK");
    await waitFor(() => k.isClosed, "the subscriber to be closed", 5000);
    expect(await other.call("PING")).toBe("PONG");
  });
});

describe("selectors", () => {
  it("a command allowed by a second selector with its own keys", async () => {
    const k = await as("p-sel", "~a*", "+get", "(~b* +set)");
    await c.call("SET", "a1", "x");
    expect(await k.call("GET", "a1")).toBe("x");
    expect(await k.call("SET", "b1", "y")).toBe("OK");
    // Denied by both: the error of the selector that got furthest (the key) is reported.
    expect(errorText(await k.call("GET", "b1"))).toBe(NOKEY);
    expect(errorText(await k.call("SET", "a1", "z"))).toBe(NOKEY);
    expect(errorText(await k.call("INCR", "a1"))).toBe(noCommand("incr"));
    expect(await c.call("MGET", "a1", "b1")).toEqual(["x", "y"]);
  });

  it("a command's keys must all be allowed by one selector", async () => {
    const k = await as("p-sel2", "~a*", "+mget", "(~b* +mget)");
    expect(await k.call("MGET", "a1", "a2")).toEqual([null, null]);
    expect(await k.call("MGET", "b1", "b2")).toEqual([null, null]);
    expect(errorText(await k.call("MGET", "a1", "b1"))).toBe(NOKEY);
  });
});

describe("MULTI, scripts and DRYRUN", () => {
  it("a denied command is refused when queued, and EXEC aborts", async () => {
    const k = await as("p-multi", "~foo*", "+multi", "+exec", "+get", "+set");
    expect(await k.call("MULTI")).toBe("OK");
    expect(await k.call("SET", "foo1", "x")).toBe("QUEUED");
    expect(errorText(await k.call("INCR", "foo1"))).toBe(noCommand("incr"));
    expect(errorText(await k.call("GET", "bar"))).toBe(NOKEY);
    expect(errorText(await k.call("EXEC"))).toBe(
      "EXECABORT Transaction discarded because of previous errors.",
    );
    expect(await c.call("EXISTS", "foo1")).toBe(0);
  });

  it("permissions taken away between queueing and EXEC", async () => {
    const k = await as("p-multi2", "~*", "+multi", "+exec", "+get", "+set");
    expect(await k.call("MULTI")).toBe("OK");
    expect(await k.call("SET", "a", "1")).toBe("QUEUED");
    expect(await k.call("GET", "a")).toBe("QUEUED");
    expect(await c.call("ACL", "SETUSER", "p-multi2", "-set")).toBe("OK");
    const exec = (await k.call("EXEC")) as unknown[];
    expect(exec).toHaveLength(2);
    expect(errorText(exec[0])).toBe(
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand",
    );
    expect(exec[1]).toBeNull();
    expect(await c.call("EXISTS", "a")).toBe(0);
    expect(await k.call("MULTI")).toBe("OK");
    expect(await k.call("GET", "a")).toBe("QUEUED");
    expect(await c.call("ACL", "SETUSER", "p-multi2", "resetkeys", "~b*")).toBe("OK");
    const exec2 = (await k.call("EXEC")) as unknown[];
    expect(exec2.map(errorText)).toEqual([
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys",
    ]);
  });

  it("redis.call in EVAL: the error reaches the client", async () => {
    const k = await as("p-eval", "~foo*", "+eval", "+get");
    const incr = "return redis.call('incr','foo1')";
    expect(errorText(await k.call("EVAL", incr, "0"))).toBe(
      "ERR The user executing the script can't run this command or subcommand script: a9dc615b9a1ecce7b08d981e7e249f16fabd4de9, on @user_script:1.",
    );
    const get = "return redis.call('get','bar')";
    expect(errorText(await k.call("EVAL", get, "0"))).toBe(
      "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: 54e106adcf4f702ba463a08a280cab3593a06059, on @user_script:1.",
    );
    // redis.pcall hands the error to the script, which returns it as is.
    expect(errorText(await k.call("EVAL", "return redis.pcall('get','bar')", "0"))).toBe(
      "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
    );
    expect(await k.call("EVAL", "return redis.call('get','foo1')", "0")).toBeNull();
    // redis.acl_check_cmd answers for the script's user, keys included.
    const check =
      "return {redis.acl_check_cmd('get','foo1'), redis.acl_check_cmd('get','bar'), redis.acl_check_cmd('set','foo1','v')}";
    expect(await k.call("EVAL", check, "0")).toEqual([1, null, null]);
    expect(await c.call("EVAL", check, "0")).toEqual([1, 1, 1]);
    // EVAL itself is a command like the others.
    const noEval = await as("p-noeval", "~*", "+get");
    expect(errorText(await noEval.call("EVAL", "return 1", "0"))).toBe(noCommand("eval"));
  });

  it("ACL DRYRUN: OK when allowed, the reason as a bulk string when denied", async () => {
    expect(
      await c.call(
        "ACL",
        "SETUSER",
        "p-dry",
        "reset",
        "on",
        "~foo*",
        "&ch*",
        "+get",
        "+mset",
        "+config|get",
        "+publish",
      ),
    ).toBe("OK");
    users.push("p-dry");
    expect(await c.call("ACL", "DRYRUN", "p-dry", "GET", "foo1")).toBe("OK");
    expect(await c.call("ACL", "DRYRUN", "p-dry", "get", "bar")).toBe(
      "This user has no permissions to access the 'bar' key",
    );
    expect(await c.call("ACL", "DRYRUN", "p-dry", "mset", "foo1", "1", "bar", "2")).toBe(
      "This user has no permissions to access the 'bar' key",
    );
    expect(await c.call("ACL", "DRYRUN", "p-dry", "incr", "foo1")).toBe(
      "This user has no permissions to run the 'incr' command",
    );
    expect(await c.call("ACL", "DRYRUN", "p-dry", "config", "set", "maxmemory", "0")).toBe(
      "This user has no permissions to run the 'config|set' command",
    );
    expect(await c.call("ACL", "DRYRUN", "p-dry", "publish", "other", "x")).toBe(
      "This user has no permissions to access the 'other' channel",
    );
    // Nothing ran.
    expect(await c.call("EXISTS", "foo1")).toBe(0);
    const t = await RespClient.connect(server.port, { typed: true });
    opened.push(t);
    expect(render((await t.call("ACL", "DRYRUN", "p-dry", "get", "foo1")) as RespValue)).toBe("+OK");
    expect(await t.call("ACL", "DRYRUN", "p-dry", "get", "bar")).toEqual({
      type: "bulk",
      value: Buffer.from("This user has no permissions to access the 'bar' key"),
    });
  });

  it("ACL DRYRUN errors", async () => {
    await c.call("ACL", "SETUSER", "p-dry2");
    users.push("p-dry2");
    expect(errorText(await c.call("ACL", "DRYRUN", "nosuch", "get", "a"))).toBe(
      "ERR User 'nosuch' not found",
    );
    expect(errorText(await c.call("ACL", "DRYRUN", "p-dry2", "nosuchcmd"))).toBe(
      "ERR Command 'nosuchcmd' not found",
    );
    expect(errorText(await c.call("ACL", "DRYRUN", "p-dry2", "get"))).toBe(
      "ERR wrong number of arguments for 'get' command",
    );
    expect(errorText(await c.call("ACL", "DRYRUN", "p-dry2"))).toBe(
      "ERR wrong number of arguments for 'acl|dryrun' command",
    );
  });
});

/** ACL LOG entries as objects (RESP2 gives each as a flat field/value array). */
async function aclLog(...args: string[]): Promise<Record<string, unknown>[]> {
  const reply = (await c.call("ACL", "LOG", ...args)) as unknown[][];
  return reply.map((entry) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < entry.length; i += 2) o[entry[i] as string] = entry[i + 1];
    return o;
  });
}

/** An entry without its age and client-info, checking those are there. */
function strip(entry: Record<string, unknown>): Record<string, unknown> {
  const { "age-seconds": age, "client-info": info, ...rest } = entry;
  expect(Number.isFinite(Number(age))).toBe(true);
  expect(typeof info).toBe("string");
  expect(info as string).toContain("id=");
  return rest;
}

describe("ACL LOG", () => {
  beforeEach(async () => {
    expect(await c.call("ACL", "LOG", "RESET")).toBe("OK");
  });

  it("an entry per denied command, key, channel and AUTH, newest first", async () => {
    const k = await as("p-log", "~foo*", "&ch*", "+get", "+publish");
    expect(errorText(await k.call("INCR", "foo1"))).toBe(noCommand("incr"));
    expect(errorText(await k.call("GET", "bar"))).toBe(NOKEY);
    expect(errorText(await k.call("PUBLISH", "other", "x"))).toBe(NOCHANNEL);
    expect(errorText(await k.call("AUTH", "p-log", "wrong"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    const log = await aclLog();
    expect(log.map(strip)).toEqual([
      { count: 1, reason: "auth", context: "toplevel", object: "AUTH", username: "p-log" },
      { count: 1, reason: "channel", context: "toplevel", object: "other", username: "p-log" },
      { count: 1, reason: "key", context: "toplevel", object: "bar", username: "p-log" },
      { count: 1, reason: "command", context: "toplevel", object: "incr", username: "p-log" },
    ]);
    expect(log[1]["client-info"]).toMatch(/ cmd=publish user=p-log /);
  });

  it("failed AUTH of an unknown user and failed HELLO AUTH", async () => {
    const k = await connect();
    expect(errorText(await k.call("AUTH", "nobody", "x"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect(errorText(await k.call("HELLO", "2", "AUTH", "nobody2", "x"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    // The object is the command's name as the client sent it.
    expect(errorText(await k.call("auth", "nobody", "x"))).toBe(
      "WRONGPASS invalid username-password pair or user is disabled.",
    );
    expect((await aclLog()).map(strip)).toEqual([
      { count: 1, reason: "auth", context: "toplevel", object: "auth", username: "nobody" },
      { count: 1, reason: "auth", context: "toplevel", object: "HELLO", username: "nobody2" },
      { count: 1, reason: "auth", context: "toplevel", object: "AUTH", username: "nobody" },
    ]);
  });

  it("denials in MULTI and in scripts have their context", async () => {
    const k = await as("p-log2", "~foo*", "+multi", "+exec", "+eval", "+get");
    await k.call("MULTI");
    expect(errorText(await k.call("INCR", "foo1"))).toBe(noCommand("incr"));
    await k.call("EXEC");
    await k.call("EVAL", "return redis.call('get','bar')", "0");
    await k.call("EVAL", "return redis.call('set','foo1','x')", "0");
    await k.call("MULTI");
    expect(await k.call("GET", "foo1")).toBe("QUEUED");
    expect(await c.call("ACL", "SETUSER", "p-log2", "-get")).toBe("OK");
    await k.call("EXEC");
    expect((await aclLog()).map(strip)).toEqual([
      // Refused at EXEC after the rules changed.
      { count: 1, reason: "command", context: "multi", object: "get", username: "p-log2" },
      { count: 1, reason: "command", context: "lua", object: "set", username: "p-log2" },
      { count: 1, reason: "key", context: "lua", object: "bar", username: "p-log2" },
      { count: 1, reason: "command", context: "multi", object: "incr", username: "p-log2" },
    ]);
  });

  it("repeated identical denials count up in one entry, which moves to the front", async () => {
    const k = await as("p-log3", "~foo*", "+get");
    await k.call("INCR", "foo1");
    await k.call("GET", "bar");
    await k.call("INCR", "foo1");
    await k.call("INCR", "foo1");
    // Another connection of the same user counts as the same.
    const k2 = await connect();
    await k2.call("AUTH", "p-log3", "pw");
    await k2.call("INCR", "foo1");
    expect((await aclLog()).map(strip)).toEqual([
      { count: 4, reason: "command", context: "toplevel", object: "incr", username: "p-log3" },
      { count: 1, reason: "key", context: "toplevel", object: "bar", username: "p-log3" },
    ]);
    // A different object is a different entry.
    await k.call("GET", "baz");
    expect((await aclLog()).map((e) => [e.object, e.count])).toEqual([
      ["baz", 1],
      ["incr", 4],
      ["bar", 1],
    ]);
  });

  it("LOG <count>, LOG RESET and errors", async () => {
    const k = await as("p-log4", "~foo*", "+get");
    for (const key of ["k1", "k2", "k3"]) await k.call("GET", key);
    expect((await aclLog("2")).map((e) => e.object)).toEqual(["k3", "k2"]);
    expect((await aclLog("10")).map((e) => e.object)).toEqual(["k3", "k2", "k1"]);
    expect(await aclLog("0")).toEqual([]);
    expect(await aclLog("-1")).toEqual([]);
    expect(errorText(await c.call("ACL", "LOG", "abc"))).toBe("ERR value is not an integer or out of range");
    expect(errorText(await c.call("ACL", "LOG", "1", "2"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.",
    );
    expect(await c.call("ACL", "LOG", "RESET")).toBe("OK");
    expect(await aclLog()).toEqual([]);
  });

  it("LOG shows 10 entries unless asked for more", async () => {
    const k = await as("p-log5", "~foo*", "+get");
    for (let i = 0; i < 12; i++) await k.call("GET", `k${i}`);
    expect(await aclLog()).toHaveLength(10);
    expect((await aclLog("20")).map((e) => e.object)).toEqual(
      Array.from({ length: 12 }, (_, i) => `k${11 - i}`),
    );
  });

  it("acllog-max-len bounds the log", async () => {
    expect(await c.call("CONFIG", "GET", "acllog-max-len")).toEqual(["acllog-max-len", "128"]);
    expect(await c.call("CONFIG", "SET", "acllog-max-len", "2")).toBe("OK");
    try {
      const k = await as("p-log6", "~foo*", "+get");
      for (const key of ["k1", "k2", "k3"]) await k.call("GET", key);
      expect((await aclLog()).map((e) => e.object)).toEqual(["k3", "k2"]);
    } finally {
      expect(await c.call("CONFIG", "SET", "acllog-max-len", "128")).toBe("OK");
    }
  });

  it("the entry in RESP3", async () => {
    const k = await as("p-log7", "~foo*", "+get");
    await k.call("GET", "bar");
    const t = await RespClient.connect(server.port, { typed: true });
    opened.push(t);
    await t.call("HELLO", "3");
    const reply = (await t.call("ACL", "LOG")) as { type: string; value: { type: string; value: unknown }[] };
    expect(reply.type).toBe("array");
    const entry = reply.value[0] as unknown as {
      type: string;
      value: [{ value: Buffer }, { type: string }][];
    };
    expect(entry.type).toBe("map");
    expect(entry.value.map(([key, v]) => [key.value.toString(), v.type])).toEqual([
      ["count", "integer"],
      ["reason", "bulk"],
      ["context", "bulk"],
      ["object", "bulk"],
      ["username", "bulk"],
      ["age-seconds", "double"],
      ["client-info", "bulk"],
    ]);
  });
});
