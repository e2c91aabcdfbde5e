/**
 * FUNCTION and FCALL as Redis 7.0 defines them: library metadata and register_function errors
 * (exact texts), the load-time API, FCALL's arguments and errors, function flags gating
 * dispatch, FUNCTION LIST/STATS reply shapes in RESP2 and RESP3, DUMP/RESTORE policies, and
 * FLUSHALL leaving libraries alone. Runs against Keyhaven, or against real Redis with
 * KEYHAVEN_TEST_TARGET=redis.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { errorText, infoSection, RespClient, type ServerProcess, withTarget } from "../helpers.js";

let server: ServerProcess;
let c: RespClient;
withTarget({}, (t) => ({ server, c } = t));
beforeEach(async () => {
  await c.call("FLUSHALL");
  await c.call("FUNCTION", "FLUSH");
  await c.call("CONFIG", "SET", "maxmemory", "0");
});

const lib = (name: string, body: string): string => `#!lua name=${name}\n${body}`;
const load = (code: string, ...opts: string[]): Promise<unknown> => c.call("FUNCTION", "LOAD", ...opts, code);

const MAIN = lib(
  "main",
  [
    "redis.register_function('setget', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)",
    "redis.register_function{function_name='getro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads a key'}",
    "redis.register_function('boom', function() error('oops') end)",
    "redis.register_function('argsof', function(keys, args) return {#keys, #args, keys[1], args[1]} end)",
  ].join("\n"),
);

describe("FUNCTION LOAD errors", () => {
  const cases: [string, string][] = [
    ["no shebang", "Missing library metadata"],
    ["#!lua name=x", "Invalid library metadata"],
    ["#!lua\nreturn 1", "Library name was not given"],
    ["#!lua name=a name=b\nx", "Invalid metadata value, name argument was given multiple times"],
    ["#!lua name=a foo=bar\nx", "Invalid metadata value given: foo=bar"],
    [
      "#!lua name=my-lib\nx",
      "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    ],
    ["#!js name=a\nx", "Engine 'js' not found"],
    ["#!lua name=a\nlocal x = 1", "No functions registered"],
    [
      "#!lua name=a\nsyntax error here",
      "Error compiling function: user_function:2: '=' expected near 'error'",
    ],
    [
      "#!lua name=a\nredis.call('SET', 'x', '1')",
      "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
    ],
    [
      "#!lua name=a\nmath.random()",
      "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'",
    ],
    [
      "#!lua name=a\nredis.register_function('f-x', function() end)",
      "Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    ],
    [
      "#!lua name=a\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
      "Error registering functions: ERR Function already exists in the library",
    ],
    [
      "#!lua name=a\nredis.register_function{function_name='f', callback=function() end, flags={'no-writes', 'bad'}}",
      "Error registering functions: ERR unknown flag given",
    ],
    [
      "#!lua name=a\nredis.register_function{function_name='f'}",
      "Error registering functions: ERR redis.register_function must get a callback argument",
    ],
    [
      "#!lua name=a\nredis.register_function{callback=function() end}",
      "Error registering functions: ERR redis.register_function must get a function name argument",
    ],
    [
      "#!lua name=a\nredis.register_function{function_name='f', callback=function() end, foo=1}",
      "Error registering functions: ERR unknown argument given to redis.register_function",
    ],
    [
      "#!lua name=a\nredis.register_function('f')",
      "Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
    ],
    [
      "#!lua name=a\nredis.register_function(1, 2, 3)",
      "Error registering functions: ERR wrong number of arguments to redis.register_function",
    ],
    [
      "#!lua name=a\nredis.register_function('f', 'notafunction')",
      "Error registering functions: ERR second argument to redis.register_function must be a function",
    ],
    ["#!lua name=a\nwhile true do end", "Error registering functions: ERR FUNCTION LOAD timeout"],
  ];
  for (const [code, error] of cases) {
    it(`refuses ${JSON.stringify(code.slice(0, 40))}`, async () => {
      expect(errorText(await load(code))).toBe(`ERR ${error}`);
    });
  }

  it("checks the options and name collisions", async () => {
    expect(errorText(await c.call("FUNCTION", "LOAD", "foo", "bar"))).toBe("ERR Unknown option given: foo");
    expect(await load(MAIN)).toBe("main");
    expect(errorText(await load(MAIN))).toBe("ERR Library 'main' already exists");
    expect(errorText(await load(lib("other", "redis.register_function('SETGET', function() end)")))).toBe(
      "ERR Function SETGET already exists",
    );
    // REPLACE swaps the library; a failed replacement leaves the old one in place.
    expect(await load(MAIN, "REPLACE")).toBe("main");
    expect(errorText(await load(lib("main", "local x = 1"), "REPLACE"))).toBe("ERR No functions registered");
    expect(await c.call("FCALL", "setget", "1", "k", "v")).toBe("v");
    // The engine name is matched in any case.
    expect(
      await load(
        lib("upper", "redis.register_function('up', function() return 1 end)").replace("lua", "LUA"),
      ),
    ).toBe("upper");
  });
});

describe("FCALL and FCALL_RO", () => {
  beforeEach(async () => {
    expect(await load(MAIN)).toBe("main");
  });

  it("passes KEYS and ARGV as arguments and finds functions in any case", async () => {
    expect(await c.call("FCALL", "setget", "1", "k", "v")).toBe("v");
    expect(await c.call("FCALL", "SETGET", "1", "k", "w")).toBe("w");
    expect(await c.call("FCALL", "argsof", "2", "a", "b", "x")).toEqual([2, 1, "a", "x"]);
    expect(await c.call("FCALL_RO", "getro", "1", "k")).toBe("w");
  });

  it("answers Redis's errors", async () => {
    expect(errorText(await c.call("FCALL", "nosuch", "0"))).toBe("ERR Function not found");
    expect(errorText(await c.call("FCALL", "setget", "x"))).toBe("ERR Bad number of keys provided");
    expect(errorText(await c.call("FCALL", "setget", "5", "a"))).toBe(
      "ERR Number of keys can't be greater than number of args",
    );
    expect(errorText(await c.call("FCALL", "setget", "-1"))).toBe("ERR Number of keys can't be negative");
    expect(errorText(await c.call("FCALL", "boom", "0"))).toBe(
      "ERR user_function:4: oops script: boom, on @user_function:4.",
    );
    expect(errorText(await c.call("FCALL_RO", "setget", "1", "k", "v"))).toBe(
      "ERR Can not execute a script with write flag using *_ro command.",
    );
    expect(errorText(await c.call("FCALL"))).toBe("ERR wrong number of arguments for 'fcall' command");
  });

  it("runs with the real sandbox: no KEYS global, read-only globals, no register_function", async () => {
    await load(
      lib(
        "sandbox",
        [
          "redis.register_function('g1', function() return KEYS end)",
          "redis.register_function('g2', function() x = 1 end)",
          "redis.register_function('g3', function() return redis.register_function('a', function() end) end)",
          "redis.register_function('g4', function(keys, args) return string.format('%d', #args) end)",
        ].join("\n"),
      ),
    );
    expect(errorText(await c.call("FCALL", "g1", "0"))).toBe(
      "ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS' script: g1, on @user_function:2.",
    );
    expect(errorText(await c.call("FCALL", "g2", "0"))).toBe(
      "ERR user_function:3: Attempt to modify a readonly table script: g2, on @user_function:3.",
    );
    expect(errorText(await c.call("FCALL", "g3", "0"))).toBe(
      "ERR user_function:4: attempt to call field 'register_function' (a nil value) script: g3, on @user_function:4.",
    );
    expect(await c.call("FCALL", "g4", "0", "a", "b")).toBe("2");
  });

  it("gates by the function's flags: OOM and allow-oom", async () => {
    await load(
      lib(
        "oom",
        [
          "redis.register_function('w', function() return redis.call('SET', 'a', 'b') end)",
          "redis.register_function{function_name='wo', callback=function() return redis.call('SET', 'a', 'b') end, flags={'allow-oom'}}",
        ].join("\n"),
      ),
    );
    await c.call("CONFIG", "SET", "maxmemory", "1");
    expect(errorText(await c.call("FCALL", "w", "0"))).toBe(
      "OOM command not allowed when used memory > 'maxmemory'.",
    );
    expect(await c.call("FCALL", "wo", "0")).toBe("OK");
    expect(await c.call("FCALL", "getro", "1", "a")).toBe("b");
  });
});

describe("FUNCTION LIST, STATS, DELETE, FLUSH", () => {
  const FLAGGED = lib(
    "flagged",
    "redis.register_function{function_name='F5', callback=function() return 1 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='d'}",
  );

  it("lists libraries in Redis's shape, with LIBRARYNAME and WITHCODE", async () => {
    await load(FLAGGED);
    await load(lib("other", "redis.register_function('g', function() return 1 end)"));
    expect(await c.call("FUNCTION", "LIST", "LIBRARYNAME", "flag*", "WITHCODE")).toEqual([
      [
        "library_name",
        "flagged",
        "engine",
        "LUA",
        "functions",
        [
          [
            "name",
            "F5",
            "description",
            "d",
            "flags",
            ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"],
          ],
        ],
        "library_code",
        FLAGGED,
      ],
    ]);
    expect(await c.call("FUNCTION", "LIST", "LIBRARYNAME", "other")).toEqual([
      [
        "library_name",
        "other",
        "engine",
        "LUA",
        "functions",
        [["name", "g", "description", null, "flags", []]],
      ],
    ]);
    expect(((await c.call("FUNCTION", "LIST")) as unknown[]).length).toBe(2);
    expect(await c.call("FUNCTION", "LIST", "LIBRARYNAME", "nomatch")).toEqual([]);
    expect(errorText(await c.call("FUNCTION", "LIST", "LIBRARYNAME"))).toBe(
      "ERR library name argument was not given",
    );
    expect(errorText(await c.call("FUNCTION", "LIST", "foo"))).toBe("ERR Unknown argument foo");
    expect(errorText(await c.call("FUNCTION", "LIST", "WITHCODE", "WITHCODE"))).toBe(
      "ERR Unknown argument WITHCODE",
    );
  });

  it("answers RESP3 maps and sets", async () => {
    await load(FLAGGED);
    const r3 = await RespClient.connect(server.port, { typed: true });
    try {
      await r3.call("HELLO", "3");
      const list = (await r3.call("FUNCTION", "LIST")) as { type: string; value: unknown[] };
      expect(list.type).toBe("array");
      const libMap = list.value[0] as { type: string };
      expect(libMap.type).toBe("map");
      const stats = (await r3.call("FUNCTION", "STATS")) as { type: string };
      expect(stats.type).toBe("map");
    } finally {
      r3.close();
    }
  });

  it("reports STATS, and DELETE/FLUSH remove libraries", async () => {
    await load(MAIN);
    await load(FLAGGED);
    expect(await c.call("FUNCTION", "STATS")).toEqual([
      "running_script",
      null,
      "engines",
      ["LUA", ["libraries_count", 2, "functions_count", 5]],
    ]);
    const memory = await infoSection(c, "memory");
    expect(memory.get("number_of_functions")).toBe("5");
    expect(memory.get("number_of_libraries")).toBe("2");
    expect(errorText(await c.call("FUNCTION", "DELETE", "MAIN"))).toBe("ERR Library not found");
    expect(await c.call("FUNCTION", "DELETE", "main")).toBe("OK");
    expect(errorText(await c.call("FCALL", "setget", "1", "k", "v"))).toBe("ERR Function not found");
    expect(errorText(await c.call("FUNCTION", "FLUSH", "bad"))).toBe(
      "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
    );
    expect(errorText(await c.call("FUNCTION", "FLUSH", "sync", "x"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.",
    );
    expect(await c.call("FUNCTION", "FLUSH", "ASYNC")).toBe("OK");
    expect(await c.call("FUNCTION", "LIST")).toEqual([]);
  });

  it("keeps libraries across FLUSHALL", async () => {
    await load(MAIN);
    await c.call("FLUSHALL");
    expect(await c.call("FCALL", "setget", "1", "k", "v")).toBe("v");
  });

  it("answers KILL, HELP and unknown subcommands like Redis", async () => {
    expect(errorText(await c.call("FUNCTION", "KILL"))).toBe("NOTBUSY No scripts in execution right now.");
    const help = (await c.call("FUNCTION", "HELP")) as string[];
    expect(help[0]).toBe("FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help.at(-1)).toBe("    Prints this help.");
    expect(errorText(await c.call("FUNCTION", "FOO"))).toBe(
      "ERR unknown subcommand 'FOO'. Try FUNCTION HELP.",
    );
  });
});

describe("FUNCTION DUMP and RESTORE", () => {
  it("round-trips libraries under each policy", async () => {
    await load(MAIN);
    const payload = (await c.call("FUNCTION", "DUMP")) as string;
    expect(errorText(await c.call("FUNCTION", "RESTORE", payload))).toBe("ERR Library main already exists");
    expect(await c.call("FUNCTION", "RESTORE", payload, "REPLACE")).toBe("OK");
    await c.call("FUNCTION", "FLUSH");
    expect(await c.call("FUNCTION", "RESTORE", payload)).toBe("OK");
    expect(await c.call("FCALL", "setget", "1", "k", "v")).toBe("v");
    await load(lib("extra", "redis.register_function('e', function() return 1 end)"));
    expect(await c.call("FUNCTION", "RESTORE", payload, "FLUSH")).toBe("OK");
    expect(errorText(await c.call("FCALL", "e", "0"))).toBe("ERR Function not found");
    // A library of another name whose function collides.
    await c.call("FUNCTION", "FLUSH");
    await load(lib("clash", "redis.register_function('setget', function() return 1 end)"));
    expect(errorText(await c.call("FUNCTION", "RESTORE", payload))).toBe(
      "ERR Function setget already exists",
    );
  });

  it("refuses bad payloads and policies", async () => {
    await load(MAIN);
    const payload = (await c.call("FUNCTION", "DUMP")) as string;
    expect(errorText(await c.call("FUNCTION", "RESTORE", "bad"))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    const flipped = `${payload.slice(0, 5)}${String.fromCharCode(payload.charCodeAt(5) ^ 1)}${payload.slice(6)}`;
    expect(errorText(await c.call("FUNCTION", "RESTORE", flipped))).toBe(
      "ERR DUMP payload version or checksum are wrong",
    );
    expect(errorText(await c.call("FUNCTION", "RESTORE", payload, "bad"))).toBe(
      "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
    );
    expect(errorText(await c.call("FUNCTION", "RESTORE", payload, "a", "b"))).toBe(
      "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
    );
    // A key's DUMP is not a function payload.
    await c.call("SET", "s", "v");
    const keyDump = (await c.call("DUMP", "s")) as string;
    expect(errorText(await c.call("FUNCTION", "RESTORE", keyDump))).toBe("ERR given type is not a function");
    // An empty payload restores nothing.
    await c.call("FUNCTION", "FLUSH");
    const empty = (await c.call("FUNCTION", "DUMP")) as string;
    expect(empty.length).toBe(10);
    expect(await c.call("FUNCTION", "RESTORE", empty)).toBe("OK");
  });
});
