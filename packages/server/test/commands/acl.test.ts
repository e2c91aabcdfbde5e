/**
 * ACL as users meet it: the SETUSER rule language and how ACL LIST / ACL GETUSER show the result,
 * DELUSER/USERS/WHOAMI, AUTH and HELLO AUTH against ACL users (and the default user's password
 * through requirepass), CAT/GENPASS/HELP, and users given on the command line or in an aclfile
 * (ACL LOAD / ACL SAVE). Permission checks and ACL LOG are in acl-permissions.test.ts. Every
 * reply and error text here was seen from Redis 7.0 (KEYHAVEN_TEST_TARGET=redis).
 */

import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RespValue } from "@keyhaven/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  errorText,
  RespClient,
  type ServerProcess,
  sleep,
  startTarget,
  stopTarget,
  tempDir,
  waitFor,
  withTarget,
} from "../helpers.js";
import { render } from "./resp-shapes.js";

let server: ServerProcess;
let c: RespClient;
withTarget({}, (t) => ({ server, c } = t));

/** Extra connections of the running test, closed after it; users a failed test left are deleted. */
const opened: RespClient[] = [];
afterEach(async () => {
  for (const k of opened.splice(0)) k.close();
  const left = ((await c.call("ACL", "USERS")) as string[]).filter((n) => n !== "default");
  if (left.length > 0) await c.call("ACL", "DELUSER", ...left);
});

async function connect(port = server.port): Promise<RespClient> {
  const k = await RespClient.connect(port);
  opened.push(k);
  return k;
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/**
 * Redis 7.0 describes a user's commands as categories first (a best fit, in a fixed order), then
 * single-command rules in the order of its command table's hash, which is seeded at random on
 * each start: `+@all -debug -get` one run, `+@all -get -debug` the next (and the same for the
 * subcommands of one command: `+config|get +config|set` or `+config|set +config|get`; a
 * command's own rule comes before its subcommands'). This puts each run of single-command rules
 * in name order so that lines compare; both sides of a comparison go through it.
 */
function canonical(line: string): string;
function canonical(line: string | undefined): string | undefined;
function canonical(line: string | undefined): string | undefined {
  if (line === undefined) return undefined;
  const byName = (a: string, b: string) => (a.slice(1) < b.slice(1) ? -1 : a.slice(1) > b.slice(1) ? 1 : 0);
  return line.replace(/\([^)]*\)|[^()]+/g, (seg) => {
    const selector = seg.startsWith("(");
    const out: string[] = [];
    let run: string[] = [];
    for (const token of (selector ? seg.slice(1, -1) : seg).split(" ")) {
      if (/^[+-][^@]/.test(token)) run.push(token);
      else {
        out.push(...run.sort(byName), token);
        run = [];
      }
    }
    out.push(...run.sort(byName));
    return selector ? `(${out.join(" ")})` : out.join(" ");
  });
}

/** The ACL LIST line of one user (undefined when there is none), canonical. */
async function listLine(name: string, k: RespClient = c): Promise<string | undefined> {
  const lines = (await k.call("ACL", "LIST")) as string[];
  return canonical(lines.find((l) => l.startsWith(`user ${name} `)));
}

/** Creates `name` with `rules`, returns its ACL LIST line (canonical), deletes it again. */
async function ruled(name: string, ...rules: string[]): Promise<string | undefined> {
  expect(await c.call("ACL", "SETUSER", name, ...rules)).toBe("OK");
  const line = await listLine(name);
  expect(await c.call("ACL", "DELUSER", name)).toBe(1);
  return line;
}

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

describe("ACL SETUSER rules as ACL LIST shows them", () => {
  it("a new user is off, with no passwords, keys, channels or commands", async () => {
    expect(await ruled("fresh")).toBe("user fresh off resetchannels -@all");
  });

  it("on and off; the last one wins", async () => {
    expect(await ruled("sw1", "on")).toBe("user sw1 on resetchannels -@all");
    expect(await ruled("sw2", "on", "off")).toBe("user sw2 off resetchannels -@all");
    expect(await ruled("sw3", "off", "on")).toBe("user sw3 on resetchannels -@all");
  });

  it("passwords: >pass, <pass, #hash, !hash, nopass, resetpass", async () => {
    expect(await ruled("pw1", ">a")).toBe(`user pw1 off #${sha256("a")} resetchannels -@all`);
    expect(await ruled("pw2", ">a", ">b", ">a")).toBe(
      `user pw2 off #${sha256("a")} #${sha256("b")} resetchannels -@all`,
    );
    expect(await ruled("pw3", ">a", "<a")).toBe("user pw3 off resetchannels -@all");
    expect(await ruled("pw4", `#${sha256("secret")}`)).toBe(
      `user pw4 off #${sha256("secret")} resetchannels -@all`,
    );
    expect(await ruled("pw5", ">a", `!${sha256("a")}`)).toBe("user pw5 off resetchannels -@all");
    expect(await ruled("pw6", "nopass")).toBe("user pw6 off nopass resetchannels -@all");
    // nopass drops the passwords; a password after it drops nopass.
    expect(await ruled("pw7", ">a", "nopass")).toBe("user pw7 off nopass resetchannels -@all");
    expect(await ruled("pw8", "nopass", ">a")).toBe(`user pw8 off #${sha256("a")} resetchannels -@all`);
    expect(await ruled("pw9", ">a", "nopass", "resetpass")).toBe("user pw9 off resetchannels -@all");
  });

  it("key patterns: ~, %R~, %W~, %RW~, allkeys, resetkeys", async () => {
    expect(await ruled("k1", "~foo*", "%R~r*", "%W~w*", "%RW~rw*")).toBe(
      "user k1 off ~foo* %R~r* %W~w* ~rw* resetchannels -@all",
    );
    // Read and write on the same pattern add up to a plain ~pattern.
    expect(await ruled("k2", "%R~a*", "%W~a*")).toBe("user k2 off ~a* resetchannels -@all");
    expect(await ruled("k3", "allkeys")).toBe("user k3 off ~* resetchannels -@all");
    expect(await ruled("k4", "~*", "allkeys")).toBe("user k4 off ~* resetchannels -@all");
    expect(await ruled("k5", "~a", "resetkeys", "~b")).toBe("user k5 off ~b resetchannels -@all");
    expect(await ruled("k6", "allkeys", "resetkeys")).toBe("user k6 off resetchannels -@all");
  });

  it("channel patterns: &, allchannels, resetchannels", async () => {
    expect(await ruled("ch1", "&news.*", "&alerts")).toBe("user ch1 off resetchannels &news.* &alerts -@all");
    expect(await ruled("ch2", "allchannels")).toBe("user ch2 off &* -@all");
    expect(await ruled("ch3", "&a", "resetchannels", "&b")).toBe("user ch3 off resetchannels &b -@all");
    expect(await ruled("ch4", "allkeys", "allchannels")).toBe("user ch4 off ~* &* -@all");
  });

  it.each([
    [["+get"], "-@all +get"],
    [["+get", "+get"], "-@all +get"],
    [["+get", "-get", "+get"], "-@all +get"],
    [["allcommands"], "+@all"],
    [["allcommands", "nocommands"], "-@all"],
    [["+@all", "-debug", "+get", "-get"], "+@all -get -debug"],
    [["+@all", "-@write", "+set", "-get"], "+@all -@write +set -get"],
    [["+@read", "-get"], "-@all +@read -get"],
    [["+@read", "-@write", "+set"], "-@all +@read +set"],
    [["+@all", "-@dangerous"], "+@all -@dangerous"],
    [["+@hash", "-hset"], "-@all +@hash -hset"],
    [["-@all", "+get"], "-@all +get"],
    [["+config|get"], "-@all +config|get"],
    [["+config|get", "+config|set"], "-@all +config|get +config|set"],
    [["+config", "-config|set"], "-@all +config -config|set"],
    [["+@all", "-config|set"], "+@all -config|set"],
    // A first-argument rule on a command without subcommands.
    [["+select|0"], "-@all +select|0"],
  ])("command rules %j are listed as %j", async (rules, commands) => {
    expect(await ruled("cmdrules", ...rules)).toBe(canonical(`user cmdrules off resetchannels ${commands}`));
  });

  it("the listing is worked out from the commands allowed, not from the rules given", async () => {
    // get is in @read, and config|get in @dangerous.
    expect(await ruled("fit1", "+get", "+config|get", "-@dangerous", "+@read")).toBe(
      "user fit1 off resetchannels -@all +@read",
    );
    // Every @hash command one by one is listed as the category.
    const hash = (await c.call("ACL", "CAT", "hash")) as string[];
    expect(await ruled("fit2", ...hash.map((cmd) => `+${cmd}`))).toBe(
      "user fit2 off resetchannels -@all +@hash",
    );
    expect(await ruled("fit3", ...hash.map((cmd) => `+${cmd}`), "-hset")).toBe(
      "user fit3 off resetchannels -@all +@hash -hset",
    );
  });

  it("selectors and clearselectors", async () => {
    expect(await ruled("s1", "(~key +get)")).toBe(
      "user s1 off resetchannels -@all (~key resetchannels -@all +get)",
    );
    expect(await ruled("s2", "~k*", "+get", "(~s* %R~r* &x* +set +@hash)", "(+ping)")).toBe(
      "user s2 off ~k* resetchannels -@all +get (~s* %R~r* resetchannels &x* -@all +@hash +set) (resetchannels -@all +ping)",
    );
    expect(await ruled("s3", "(~key +get)", "(~k2 +set)", "clearselectors")).toBe(
      "user s3 off resetchannels -@all",
    );
  });

  it("reset puts the user back to a new user's state, plus sanitize-payload", async () => {
    expect(await ruled("r1", "on", ">a", "~*", "&*", "+@all", "(~x +get)", "reset")).toBe(
      "user r1 off sanitize-payload resetchannels -@all",
    );
    expect(await ruled("r2", "reset", "on", "nopass")).toBe(
      "user r2 on nopass sanitize-payload resetchannels -@all",
    );
    expect(await ruled("r3", "skip-sanitize-payload")).toBe(
      "user r3 off skip-sanitize-payload resetchannels -@all",
    );
  });

  it("SETUSER on an existing user adds to its rules", async () => {
    expect(await c.call("ACL", "SETUSER", "grow", "on", "~a*", "+get")).toBe("OK");
    expect(await c.call("ACL", "SETUSER", "grow", "~b*", "+set", ">pw")).toBe("OK");
    expect(await listLine("grow")).toBe(
      canonical(`user grow on #${sha256("pw")} ~a* ~b* resetchannels -@all +get +set`),
    );
    expect(await c.call("ACL", "DELUSER", "grow")).toBe(1);
  });

  it.each([
    ["+nosuch", "Unknown command or category name in ACL"],
    ["+@nosuch", "Unknown command or category name in ACL"],
    ["-@nosuch", "Unknown command or category name in ACL"],
    ["+config|nosuch", "Unknown command or category name in ACL"],
    ["-config|nosuch", "Unknown command or category name in ACL"],
    ["+@all|x", "Unknown command or category name in ACL"],
    ["-get|x", "Unknown command or category name in ACL"],
    ["-select|0", "Unknown command or category name in ACL"],
    ["(~key +nosuch)", "Unknown command or category name in ACL"],
    [
      "#abc",
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    ],
    [
      `#${sha256("a").toUpperCase()}`,
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    ],
    [
      "!abc",
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    ],
    ["<nope", "The password you are trying to remove from the user does not exist"],
    [`!${sha256("nope")}`, "The password you are trying to remove from the user does not exist"],
    ["bogus", "Syntax error"],
    ["%X~a", "Syntax error"],
  ])("SETUSER %s fails: %s", async (rule, reason) => {
    expect(errorText(await c.call("ACL", "SETUSER", "bad", rule))).toBe(
      `ERR Error in ACL SETUSER modifier '${rule}': ${reason}`,
    );
    // The failed SETUSER did not create the user.
    expect(await c.call("ACL", "GETUSER", "bad")).toBeNull();
  });

  it("patterns after allkeys or allchannels are refused", async () => {
    expect(errorText(await c.call("ACL", "SETUSER", "bad", "allkeys", "~b"))).toBe(
      "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
    );
    expect(errorText(await c.call("ACL", "SETUSER", "bad", "~*", "~b"))).toBe(
      "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
    );
    expect(errorText(await c.call("ACL", "SETUSER", "bad", "allchannels", "&b"))).toBe(
      "ERR Error in ACL SETUSER modifier '&b': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
    );
  });

  it("an unmatched selector parenthesis", async () => {
    expect(errorText(await c.call("ACL", "SETUSER", "bad", "(~key", "+get"))).toBe(
      "ERR Unmatched parenthesis in acl selector starting at '(~key'.",
    );
  });

  it("a failing SETUSER leaves an existing user unchanged", async () => {
    expect(await c.call("ACL", "SETUSER", "atomic", "on", "~a", "+get")).toBe("OK");
    expect(errorText(await c.call("ACL", "SETUSER", "atomic", "off", "~b", "+nosuch"))).toBe(
      "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
    );
    expect(await listLine("atomic")).toBe("user atomic on ~a resetchannels -@all +get");
    expect(await c.call("ACL", "DELUSER", "atomic")).toBe(1);
  });

  it("the default user", async () => {
    expect(await listLine("default")).toBe("user default on nopass ~* &* +@all");
  });
});

describe("ACL GETUSER, DELUSER, USERS, WHOAMI", () => {
  it("GETUSER in RESP2: flags, passwords, commands, keys, channels, selectors", async () => {
    expect(await c.call("ACL", "GETUSER", "default")).toEqual([
      "flags",
      ["on", "nopass"],
      "passwords",
      [],
      "commands",
      "+@all",
      "keys",
      "~*",
      "channels",
      "&*",
      "selectors",
      [],
    ]);
    expect(
      await c.call(
        "ACL",
        "SETUSER",
        "gu",
        "on",
        ">pw",
        "~k*",
        "&c*",
        "+get",
        "(~s* %R~r* &x* +set +@hash)",
        "(+ping)",
      ),
    ).toBe("OK");
    expect(await c.call("ACL", "GETUSER", "gu")).toEqual([
      "flags",
      ["on"],
      "passwords",
      [sha256("pw")],
      "commands",
      "-@all +get",
      "keys",
      "~k*",
      "channels",
      "&c*",
      "selectors",
      [
        ["commands", "-@all +@hash +set", "keys", "~s* %R~r*", "channels", "&x*"],
        ["commands", "-@all +ping", "keys", "", "channels", ""],
      ],
    ]);
    expect(await c.call("ACL", "DELUSER", "gu")).toBe(1);
  });

  it("GETUSER of a new user and of flags after reset", async () => {
    expect(await c.call("ACL", "SETUSER", "gu2")).toBe("OK");
    expect(await c.call("ACL", "GETUSER", "gu2")).toEqual([
      "flags",
      ["off"],
      "passwords",
      [],
      "commands",
      "-@all",
      "keys",
      "",
      "channels",
      "",
      "selectors",
      [],
    ]);
    expect(await c.call("ACL", "SETUSER", "gu2", "reset", "on", "nopass")).toBe("OK");
    expect(((await c.call("ACL", "GETUSER", "gu2")) as unknown[])[1]).toEqual([
      "on",
      "nopass",
      "sanitize-payload",
    ]);
    expect(await c.call("ACL", "DELUSER", "gu2")).toBe(1);
  });

  it("GETUSER in RESP3 is a map with flags as a set", async () => {
    const t = await RespClient.connect(server.port, { typed: true });
    opened.push(t);
    await t.call("HELLO", "3");
    expect(await c.call("ACL", "SETUSER", "gu3", "on", ">pw", "~k*", "&c*", "+get", "(~s* +set)")).toBe("OK");
    expect(render((await t.call("ACL", "GETUSER", "gu3")) as RespValue)).toBe(
      `%{flags:~[on],passwords:[${sha256("pw")}],commands:-@all +get,keys:~k*,channels:&c*,selectors:[%{commands:-@all +set,keys:~s*,channels:}]}`,
    );
    expect(render((await t.call("ACL", "GETUSER", "nosuch")) as RespValue)).toBe("_");
    expect(await c.call("ACL", "DELUSER", "gu3")).toBe(1);
  });

  it("GETUSER of a missing user is null", async () => {
    expect(await c.call("ACL", "GETUSER", "nosuch")).toBeNull();
  });

  it("DELUSER counts the users it deleted; the default user stays", async () => {
    await c.call("ACL", "SETUSER", "del1");
    await c.call("ACL", "SETUSER", "del2");
    expect(await c.call("ACL", "DELUSER", "nosuch")).toBe(0);
    expect(await c.call("ACL", "DELUSER", "del1", "nosuch", "del2", "del1")).toBe(2);
    expect(await c.call("ACL", "GETUSER", "del1")).toBeNull();
    expect(errorText(await c.call("ACL", "DELUSER", "default"))).toBe(
      "ERR The 'default' user cannot be removed",
    );
    expect(errorText(await c.call("ACL", "DELUSER", "x", "default"))).toBe(
      "ERR The 'default' user cannot be removed",
    );
  });

  it("USERS lists the names sorted bytewise", async () => {
    for (const n of ["zed", "Bob", "alice"]) expect(await c.call("ACL", "SETUSER", n)).toBe("OK");
    expect(await c.call("ACL", "USERS")).toEqual(["Bob", "alice", "default", "zed"]);
    expect(await c.call("ACL", "DELUSER", "zed", "Bob", "alice")).toBe(3);
    expect(await c.call("ACL", "USERS")).toEqual(["default"]);
  });

  it("WHOAMI", async () => {
    expect(await c.call("ACL", "WHOAMI")).toBe("default");
  });

  it("arity and unknown subcommands", async () => {
    expect(errorText(await c.call("ACL"))).toBe("ERR wrong number of arguments for 'acl' command");
    expect(errorText(await c.call("ACL", "NOSUCH"))).toBe("ERR unknown subcommand 'NOSUCH'. Try ACL HELP.");
    expect(errorText(await c.call("ACL", "SETUSER"))).toBe(
      "ERR wrong number of arguments for 'acl|setuser' command",
    );
    expect(errorText(await c.call("ACL", "GETUSER"))).toBe(
      "ERR wrong number of arguments for 'acl|getuser' command",
    );
    expect(errorText(await c.call("ACL", "DELUSER"))).toBe(
      "ERR wrong number of arguments for 'acl|deluser' command",
    );
    expect(errorText(await c.call("ACL", "USERS", "x"))).toBe(
      "ERR wrong number of arguments for 'acl|users' command",
    );
    expect(errorText(await c.call("ACL", "WHOAMI", "x"))).toBe(
      "ERR wrong number of arguments for 'acl|whoami' command",
    );
    expect(errorText(await c.call("ACL", "LIST", "x"))).toBe(
      "ERR wrong number of arguments for 'acl|list' command",
    );
  });
});

describe("AUTH and HELLO AUTH with ACL users", () => {
  it("AUTH user pass, WHOAMI and the user= field of CLIENT LIST", async () => {
    expect(await c.call("ACL", "SETUSER", "au1", "on", ">pw1", ">pw2", "+@all", "~*")).toBe("OK");
    const k = await connect();
    expect(errorText(await k.call("AUTH", "au1", "wrong"))).toBe(WRONGPASS);
    expect(await k.call("ACL", "WHOAMI")).toBe("default");
    expect(await k.call("AUTH", "au1", "pw2")).toBe("OK");
    expect(await k.call("ACL", "WHOAMI")).toBe("au1");
    expect(await k.call("AUTH", "au1", "pw1")).toBe("OK");
    const id = (await k.call("CLIENT", "ID")) as number;
    const list = (await c.call("CLIENT", "LIST", "ID", String(id))) as string;
    expect(/ user=(\S*) /.exec(list)?.[1]).toBe("au1");
    // A failed AUTH keeps the user already authenticated.
    expect(errorText(await k.call("AUTH", "au1", "wrong"))).toBe(WRONGPASS);
    expect(await k.call("ACL", "WHOAMI")).toBe("au1");
    expect(await k.call("AUTH", "default", "anything")).toBe("OK");
    expect(await k.call("ACL", "WHOAMI")).toBe("default");
    expect(await c.call("ACL", "DELUSER", "au1")).toBe(1);
  });

  it("unknown, disabled and password-less users", async () => {
    expect(await c.call("ACL", "SETUSER", "au2", "off", ">pw", "+@all", "~*")).toBe("OK");
    expect(await c.call("ACL", "SETUSER", "au3", "on", "+@all")).toBe("OK");
    expect(await c.call("ACL", "SETUSER", "au4", "on", "nopass", "+@all")).toBe("OK");
    const k = await connect();
    expect(errorText(await k.call("AUTH", "nobody", "pw"))).toBe(WRONGPASS);
    expect(errorText(await k.call("AUTH", "au2", "pw"))).toBe(WRONGPASS);
    // On, but neither a password nor nopass: nothing is accepted.
    expect(errorText(await k.call("AUTH", "au3", ""))).toBe(WRONGPASS);
    expect(await k.call("AUTH", "au4", "anything")).toBe("OK");
    expect(await k.call("AUTH", "au4", "")).toBe("OK");
    expect(await k.call("ACL", "WHOAMI")).toBe("au4");
    expect(await c.call("ACL", "SETUSER", "au2", "on")).toBe("OK");
    expect(await k.call("AUTH", "au2", "pw")).toBe("OK");
    expect(await c.call("ACL", "DELUSER", "au2", "au3", "au4")).toBe(3);
  });

  it("HELLO AUTH with a username and password", async () => {
    expect(await c.call("ACL", "SETUSER", "he1", "on", ">pw", "+@all", "~*")).toBe("OK");
    expect(await c.call("ACL", "SETUSER", "he2", "off", ">pw", "+@all", "~*")).toBe("OK");
    const k = await connect();
    expect(errorText(await k.call("HELLO", "2", "AUTH", "he1", "wrong"))).toBe(WRONGPASS);
    expect(errorText(await k.call("HELLO", "2", "AUTH", "he2", "pw"))).toBe(WRONGPASS);
    const hello = (await k.call("HELLO", "2", "AUTH", "he1", "pw")) as unknown[];
    expect(hello.slice(0, 6)).toEqual(["server", "redis", "version", "7.0.15", "proto", 2]);
    expect(await k.call("ACL", "WHOAMI")).toBe("he1");
    expect(await c.call("ACL", "DELUSER", "he1", "he2")).toBe(2);
  });

  it("AUTH with one argument and requirepass; ACL LIST shows the default user's password hash", async () => {
    const k = await connect();
    // The server has accepted k (and authenticated it: no password yet) once it answers.
    expect(await k.call("PING")).toBe("PONG");
    expect(await c.call("CONFIG", "SET", "requirepass", "hunter2")).toBe("OK");
    try {
      expect(await listLine("default")).toBe(`user default on #${sha256("hunter2")} ~* &* +@all`);
      // Connections authenticated before keep working.
      expect(await k.call("PING")).toBe("PONG");
      const n = await connect();
      expect(errorText(await n.call("PING"))).toBe("NOAUTH Authentication required.");
      expect(errorText(await n.call("AUTH", "nope"))).toBe(WRONGPASS);
      expect(await n.call("AUTH", "hunter2")).toBe("OK");
      expect(await n.call("ACL", "WHOAMI")).toBe("default");
      const m = await connect();
      expect(await m.call("AUTH", "default", "hunter2")).toBe("OK");
    } finally {
      expect(await c.call("CONFIG", "SET", "requirepass", "")).toBe("OK");
    }
    expect(await listLine("default")).toBe("user default on nopass ~* &* +@all");
    const n = await connect();
    expect(await n.call("PING")).toBe("PONG");
  });

  it("ACL SETUSER default resetpass / >x changes what AUTH accepts", async () => {
    try {
      expect(await c.call("ACL", "SETUSER", "default", "resetpass")).toBe("OK");
      expect(await listLine("default")).toBe("user default on ~* &* +@all");
      const a = await connect();
      expect(errorText(await a.call("GET", "x"))).toBe("NOAUTH Authentication required.");
      expect(errorText(await a.call("AUTH", "anything"))).toBe(WRONGPASS);
      expect(await c.call("ACL", "SETUSER", "default", ">x")).toBe("OK");
      expect(await listLine("default")).toBe(`user default on #${sha256("x")} ~* &* +@all`);
      expect(await a.call("AUTH", "x")).toBe("OK");
      expect(await a.call("GET", "x")).toBeNull();
      // The password set through ACL is not requirepass.
      expect(await c.call("CONFIG", "GET", "requirepass")).toEqual(["requirepass", ""]);
    } finally {
      expect(await c.call("ACL", "SETUSER", "default", "nopass")).toBe("OK");
    }
    expect(await listLine("default")).toBe("user default on nopass ~* &* +@all");
  });

  it("deleting a user closes its authenticated connections, not the others", async () => {
    expect(await c.call("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")).toBe("OK");
    const a = await connect();
    const b = await connect();
    const other = await connect();
    expect(await a.call("AUTH", "gone", "pw")).toBe("OK");
    expect(await b.call("AUTH", "gone", "pw")).toBe("OK");
    expect(await c.call("ACL", "DELUSER", "gone")).toBe(1);
    await waitFor(() => a.isClosed && b.isClosed, "the deleted user's connections to close", 5000);
    expect(await other.call("PING")).toBe("PONG");
    expect(await c.call("PING")).toBe("PONG");
  });

  it("CLIENT KILL USER closes the connections of one user", async () => {
    expect(await c.call("ACL", "SETUSER", "killme", "on", ">pw", "+@all", "~*")).toBe("OK");
    const a = await connect();
    const other = await connect();
    expect(await a.call("AUTH", "killme", "pw")).toBe("OK");
    expect(await c.call("CLIENT", "KILL", "USER", "killme")).toBe(1);
    await waitFor(() => a.isClosed, "the user's connection to close", 5000);
    expect(await other.call("PING")).toBe("PONG");
    expect(await c.call("CLIENT", "KILL", "USER", "killme")).toBe(0);
  });

  it("turning a user off keeps its authenticated connections (only new AUTHs fail)", async () => {
    expect(await c.call("ACL", "SETUSER", "offed", "on", ">pw", "+@all", "~*")).toBe("OK");
    const a = await connect();
    expect(await a.call("AUTH", "offed", "pw")).toBe("OK");
    expect(await c.call("ACL", "SETUSER", "offed", "off")).toBe("OK");
    expect(await a.call("PING")).toBe("PONG");
    const b = await connect();
    expect(errorText(await b.call("AUTH", "offed", "pw"))).toBe(WRONGPASS);
    expect(await c.call("ACL", "DELUSER", "offed")).toBe(1);
  });
});

describe("ACL CAT, GENPASS, HELP", () => {
  it("CAT lists the categories", async () => {
    expect(await c.call("ACL", "CAT")).toEqual([
      "keyspace",
      "read",
      "write",
      "set",
      "sortedset",
      "list",
      "hash",
      "string",
      "bitmap",
      "hyperloglog",
      "geo",
      "stream",
      "pubsub",
      "admin",
      "fast",
      "slow",
      "blocking",
      "dangerous",
      "connection",
      "transaction",
      "scripting",
    ]);
  });

  it("CAT <category> lists its commands and subcommands", async () => {
    const read = (await c.call("ACL", "CAT", "read")) as string[];
    for (const cmd of ["get", "mget", "hgetall", "object|encoding", "xinfo|stream", "memory|usage"])
      expect(read).toContain(cmd);
    for (const cmd of ["set", "del", "config|get", "object", "xinfo"]) expect(read).not.toContain(cmd);
    expect(await c.call("ACL", "CAT", "READ")).toEqual(read);
    const dangerous = (await c.call("ACL", "CAT", "dangerous")) as string[];
    for (const cmd of ["flushall", "keys", "config|get", "config|set", "debug"])
      expect(dangerous).toContain(cmd);
    expect(dangerous).not.toContain("get");
    expect(errorText(await c.call("ACL", "CAT", "nosuch"))).toBe("ERR Unknown category 'nosuch'");
    // The subcommand is named as the client spelled it.
    expect(errorText(await c.call("ACL", "CAT", "read", "write"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.",
    );
    expect(errorText(await c.call("acl", "cat", "read", "write"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'cat'. Try ACL HELP.",
    );
  });

  it("GENPASS: 256 bits by default, bits/4 rounded up hex digits", async () => {
    const p = (await c.call("ACL", "GENPASS")) as string;
    expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect(await c.call("ACL", "GENPASS")).not.toBe(p);
    for (const [bits, len] of [
      [1, 1],
      [4, 1],
      [5, 2],
      [8, 2],
      [9, 3],
      [64, 16],
      [65, 17],
      [256, 64],
      [4096, 1024],
    ])
      expect(await c.call("ACL", "GENPASS", String(bits))).toMatch(new RegExp(`^[0-9a-f]{${len}}$`));
    for (const bad of ["0", "-1", "4097"])
      expect(errorText(await c.call("ACL", "GENPASS", bad))).toBe(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
      );
    for (const bad of ["abc", "1.5"])
      expect(errorText(await c.call("ACL", "GENPASS", bad))).toBe(
        "ERR value is not an integer or out of range",
      );
    expect(errorText(await c.call("ACL", "GENPASS", "1", "2"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'GENPASS'. Try ACL HELP.",
    );
  });

  it("HELP", async () => {
    const help = (await c.call("ACL", "HELP")) as string[];
    expect(help[0]).toBe("ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toEqual([
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
    ]);
  });

  it("SAVE and LOAD without an aclfile", async () => {
    const text =
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
    expect(errorText(await c.call("ACL", "SAVE"))).toBe(text);
    expect(errorText(await c.call("ACL", "LOAD"))).toBe(text);
    expect(await c.call("CONFIG", "GET", "aclfile")).toEqual(["aclfile", ""]);
  });
});

describe("users given on the command line", () => {
  let srv: ServerProcess | undefined;
  let k: RespClient | undefined;
  beforeAll(async () => {
    srv = await startTarget({
      args: ["--user", "alice", "on", ">pw", "~*", "+@all", "--user", "bob", "nopass", "~b*", "+get"],
    });
    k = await srv.client();
  });
  afterAll(() => stopTarget(srv, k));

  it("are listed and can AUTH", async () => {
    expect(await k!.call("ACL", "LIST")).toEqual([
      `user alice on #${sha256("pw")} ~* resetchannels +@all`,
      "user bob off nopass ~b* resetchannels -@all +get",
      "user default on nopass ~* &* +@all",
    ]);
    const a = await connect(srv!.port);
    expect(await a.call("AUTH", "alice", "pw")).toBe("OK");
    expect(await a.call("ACL", "WHOAMI")).toBe("alice");
    expect(errorText(await a.call("AUTH", "bob", "x"))).toBe(WRONGPASS);
    expect(errorText(await k!.call("ACL", "SAVE"))).toBe(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
    );
  });

  it("cannot be combined with an aclfile", async () => {
    const dir = tempDir();
    const file = join(dir, "users.acl");
    writeFileSync(file, "user carol on nopass\n");
    const bad = await startTarget({ args: ["--aclfile", file, "--user", "alice", "on"], waitReady: false });
    const code = await Promise.race([bad.exited, sleep(10_000).then(() => "timeout")]);
    if (code === "timeout") await bad.kill();
    expect(code).toBe(1);
    expect(bad.output()).toContain(
      "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
    );
  });
});

describe("aclfile: ACL LOAD and ACL SAVE", () => {
  let srv: ServerProcess | undefined;
  let k: RespClient | undefined;
  let file = "";
  beforeAll(async () => {
    const dir = tempDir();
    file = join(dir, "users.acl");
    writeFileSync(file, "user alice on >pw ~* &* +@all\nuser bob off ~b* -@all +get\n");
    srv = await startTarget({ args: ["--aclfile", file] });
    k = await srv.client();
  });
  afterAll(() => stopTarget(srv, k));

  it("the file's users are loaded at startup", async () => {
    expect(await k!.call("ACL", "LIST")).toEqual([
      `user alice on #${sha256("pw")} ~* &* +@all`,
      "user bob off ~b* resetchannels -@all +get",
      "user default on nopass ~* &* +@all",
    ]);
    expect(await k!.call("CONFIG", "GET", "aclfile")).toEqual(["aclfile", file]);
    expect(errorText(await k!.call("CONFIG", "SET", "aclfile", "/tmp/other.acl"))).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'aclfile') - can't set immutable config",
    );
  });

  it("ACL SAVE writes every user, default included, in ACL LIST form", async () => {
    expect(await k!.call("ACL", "SETUSER", "carol", "on", ">c", "~c*", "+get")).toBe("OK");
    expect(await k!.call("ACL", "SAVE")).toBe("OK");
    expect(readFileSync(file, "utf8")).toBe(
      [
        `user alice on #${sha256("pw")} ~* &* +@all`,
        "user bob off ~b* resetchannels -@all +get",
        `user carol on #${sha256("c")} ~c* resetchannels -@all +get`,
        "user default on nopass ~* &* +@all",
        "",
      ].join("\n"),
    );
  });

  it("ACL LOAD replaces the users with the file's; a default user missing from it is reset", async () => {
    expect(await k!.call("ACL", "SETUSER", "default", ">dpw")).toBe("OK");
    writeFileSync(file, "\nuser dave on nopass ~* +@all\n");
    const a = await connect(srv!.port);
    expect(await a.call("AUTH", "dpw")).toBe("OK");
    expect(await a.call("ACL", "LOAD")).toBe("OK");
    expect(await a.call("ACL", "LIST")).toEqual([
      "user dave on nopass ~* resetchannels +@all",
      "user default on nopass ~* &* +@all",
    ]);
    expect(await a.call("ACL", "USERS")).toEqual(["dave", "default"]);
  });

  it("ACL LOAD of a bad file reports the line and changes nothing", async () => {
    writeFileSync(file, "user erin on nopass ~* +@all\n");
    expect(await k!.call("ACL", "LOAD")).toBe("OK");
    const before = await k!.call("ACL", "LIST");
    const cases: [string, string][] = [
      [
        "user frank on nopass\nuser eve on +nosuch\n",
        `ERR ${file}:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
      ],
      [
        "user frank on nopass\nbogus line\n",
        `ERR ${file}:2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
      ],
      [
        "user frank on nopass\nuser\n",
        `ERR ${file}:2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
      ],
      // Comments are not part of the format.
      [
        "user frank on nopass\n# comment\n",
        `ERR ${file}:2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
      ],
      [
        "user frank on\nuser frank off\n",
        "ERR WARNING: Duplicate user 'frank' found on line 2. WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
      ],
    ];
    for (const [content, error] of cases) {
      writeFileSync(file, content);
      expect(errorText(await k!.call("ACL", "LOAD"))).toBe(error);
      expect(await k!.call("ACL", "LIST")).toEqual(before);
    }
  });

  it("ACL LOAD of a missing file", async () => {
    rmSync(file);
    expect(errorText(await k!.call("ACL", "LOAD"))).toBe(
      `ERR Error loading ACLs, opening file '${file}': No such file or directory`,
    );
    // ACL SAVE creates it again.
    expect(await k!.call("ACL", "SAVE")).toBe("OK");
    expect(readFileSync(file, "utf8").split("\n")).toContain("user default on nopass ~* &* +@all");
  });
});
