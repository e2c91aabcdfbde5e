/**
 * Comparison against a real redis-server for the tests of the Redis-bundled Lua libraries
 * (cjson, cmsgpack, bit, struct): starts one redis-server on a free port in a temp dir, runs
 * batches of Lua snippets through EVAL and returns each snippet's results in a canonical,
 * lossless text form that `canon()` reproduces for our own LuaValues. The server is killed by
 * PID when the test file ends (also on failure) and when the process exits.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatNumberG } from "../src/printf.js";
import { LuaError, LuaFunction, LuaTable, LuaUserdata, type LuaValue } from "../src/value.js";

export function hasRedis(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type Reply = string | number | null | Reply[] | { error: string };

/** A minimal RESP2 client: one request at a time, strings as latin1 (one char per byte). */
class RespClient {
  private buf = Buffer.alloc(0);
  private waiting: ((r: Reply) => void) | null = null;
  private failed: Error | null = null;

  constructor(private readonly sock: Socket) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    sock.on("error", (e) => {
      this.failed = e;
    });
  }

  private drain(): void {
    if (this.waiting === null) return;
    const parsed = parseReply(this.buf, 0);
    if (parsed === undefined) return;
    this.buf = this.buf.subarray(parsed[1]);
    const w = this.waiting;
    this.waiting = null;
    w(parsed[0]);
  }

  command(args: string[]): Promise<Reply> {
    if (this.failed !== null) return Promise.reject(this.failed);
    const parts = [`*${args.length}\r\n`];
    for (const a of args) parts.push(`$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`);
    const p = new Promise<Reply>((resolve) => {
      this.waiting = resolve;
    });
    this.sock.write(Buffer.from(parts.join(""), "latin1"));
    return p;
  }

  close(): void {
    this.sock.destroy();
  }
}

function parseReply(b: Buffer, at: number): [Reply, number] | undefined {
  const nl = b.indexOf("\r\n", at, "latin1");
  if (nl < 0) return undefined;
  const type = String.fromCharCode(b[at]);
  const line = b.toString("latin1", at + 1, nl);
  const next = nl + 2;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [{ error: line }, next];
    case ":":
      return [Number(line), next];
    case "$": {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (b.length < next + n + 2) return undefined;
      return [b.toString("latin1", next, next + n), next + n + 2];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(b, pos);
        if (r === undefined) return undefined;
        items.push(r[0]);
        pos = r[1];
      }
      return [items, pos];
    }
    default:
      throw new Error(`bad RESP type ${type}`);
  }
}

export interface RedisRef {
  /** EVAL script 0 args... */
  eval(script: string, args?: string[]): Promise<Reply>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) if (p.exitCode === null && p.pid !== undefined) process.kill(p.pid, "SIGKILL");
});

export async function startRedis(): Promise<RedisRef> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kh-lua-ref-"));
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(proc);
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => proc.on("exit", () => r()));
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.pid !== undefined) {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }
    running.delete(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15000;
  while (!/Ready to accept connections/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await kill();
      throw new Error(`redis-server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const sock = new Socket();
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.connect(port, "127.0.0.1", () => resolve());
  });
  const client = new RespClient(sock);
  return {
    eval: (script, args = []) => client.command(["EVAL", script, "0", ...args]),
    stop: async () => {
      client.close();
      await kill();
    },
  };
}

// ---------------------------------------------------------------------------- canonical form

/**
 * Lua helpers prepended to every script: `ser` prints a value losslessly and canonically
 * (numbers %.17g, strings with \ddd escapes, tables as sorted [k]=v lists, cjson.null as null)
 * and `run` calls a function under pcall and returns "ok:<values>" or "err:<message>".
 */
export const PRELUDE = `
local function bytelt(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function esc(s)
  return (string.gsub(s, '.', function(c)
    local b = string.byte(c)
    if b < 32 or b > 126 or b == 34 or b == 92 then return string.format('\\\\%03d', b) end
  end))
end
local ser
ser = function(v)
  local t = type(v)
  if t == 'string' then return '"' .. esc(v) .. '"'
  elseif t == 'number' then
    if v ~= v then return 'nan' end
    return string.format('%.17g', v)
  elseif t == 'table' then
    local items = {}
    for k, x in pairs(v) do items[#items + 1] = '[' .. ser(k) .. ']=' .. ser(x) end
    table.sort(items, bytelt)
    return '{' .. table.concat(items, ',') .. '}'
  elseif t == 'userdata' then
    if v == cjson.null then return 'null' end
    return 'userdata'
  elseif t == 'function' then return 'function'
  else return tostring(v) end
end
local function pack(...) return {n = select('#', ...), ...} end
local function run(f)
  local r = pack(pcall(f))
  if not r[1] then return 'err:' .. tostring(r[2]) end
  local parts = {}
  for i = 2, r.n do parts[#parts + 1] = ser(r[i]) end
  return 'ok:' .. table.concat(parts, ',')
end
`;

function escBytes(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    out += b < 32 || b > 126 || b === 34 || b === 92 ? `\\${String(b).padStart(3, "0")}` : s[i];
  }
  return out;
}

function canonNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  return formatNumberG(n, 17);
}

/** The canonical text of a value, as PRELUDE's `ser` prints it. */
export function canon(v: LuaValue): string {
  switch (typeof v) {
    case "undefined":
      return "nil";
    case "boolean":
      return String(v);
    case "number":
      return canonNumber(v);
    case "string":
      return `"${escBytes(v)}"`;
  }
  if (v instanceof LuaTable) {
    const items: string[] = [];
    for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
      items.push(`[${canon(e[0])}]=${canon(e[1])}`);
    }
    items.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${items.join(",")}}`;
  }
  if (v instanceof LuaFunction) return "function";
  if (v instanceof LuaUserdata && v.isNullPointer) return "null";
  return "userdata";
}

/** Runs our implementation the way PRELUDE's `run` reports it. */
export function runOurs(f: () => LuaValue[]): string {
  try {
    return `ok:${f().map(canon).join(",")}`;
  } catch (e) {
    if (e instanceof LuaError) return `err:${typeof e.value === "string" ? e.value : canon(e.value)}`;
    throw e;
  }
}

/** A Lua source literal for a value (tables with their 1..n part positional). */
export function luaLiteral(v: LuaValue): string {
  switch (typeof v) {
    case "undefined":
      return "nil";
    case "boolean":
      return String(v);
    case "number":
      if (Number.isNaN(v)) return "(0/0)";
      if (v === Number.POSITIVE_INFINITY) return "(1/0)";
      if (v === Number.NEGATIVE_INFINITY) return "(-1/0)";
      if (Object.is(v, -0)) return "(-1/math.huge)";
      return `(${formatNumberG(v, 17)})`;
    case "string":
      return `"${escBytes(v)}"`;
  }
  if (v instanceof LuaTable) {
    const parts: string[] = [];
    const n = v.length();
    for (let i = 1; i <= n; i++) parts.push(luaLiteral(v.getInt(i)));
    for (let e = v.next(undefined); e !== undefined; e = v.next(e[0])) {
      const k = e[0];
      if (typeof k === "number" && Number.isInteger(k) && k >= 1 && k <= n) continue;
      parts.push(`[${luaLiteral(k)}]=${luaLiteral(e[1])}`);
    }
    return `{${parts.join(",")}}`;
  }
  if (v instanceof LuaUserdata && v.isNullPointer) return "cjson.null";
  throw new Error("no literal for this value");
}

/** Strips the "user_script:1: " position Redis's interpreter puts before error messages. */
export function stripPosition(s: string): string {
  return s.replace(/^err:user_script:\d+: /, "err:");
}

/**
 * Runs Lua function bodies (each `return ...` something) in Redis, in batches, and returns
 * each one's `run` result with the position prefix of errors removed.
 */
export async function runInRedis(redis: RedisRef, bodies: string[], batch = 200): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < bodies.length; i += batch) {
    const chunk = bodies.slice(i, i + batch);
    const script = `${PRELUDE}\nreturn {${chunk.map((b) => `run(function() ${b} end)`).join(",\n")}}`;
    const reply = await redis.eval(script);
    if (!Array.isArray(reply)) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    for (const r of reply) results.push(stripPosition(String(r)));
  }
  return results;
}

/** A library call as a case: Lua source for Redis and the call on our own globals. */
export interface CallCase {
  /** e.g. "cjson.encode" */
  fn: string;
  args: LuaValue[];
}

export function callBody(c: CallCase): string {
  return `return ${c.fn}(${c.args.map(luaLiteral).join(", ")})`;
}

export function callOurs(globals: LuaTable, c: CallCase): string {
  const [lib, name] = c.fn.split(".");
  const f = (globals.get(lib) as LuaTable).get(name) as LuaFunction;
  return runOurs(() => f.call(c.args.slice()));
}

/** Table shorthand: positional values, then an optional record of string keys. */
export function tbl(values: LuaValue[] = [], record: Record<string, LuaValue> = {}): LuaTable {
  const t = LuaTable.fromArray(values);
  for (const [k, v] of Object.entries(record)) t.set(k, v);
  return t;
}

/** A table from explicit [key, value] pairs, in that insertion order. */
export function pairsTable(entries: [LuaValue, LuaValue][]): LuaTable {
  const t = new LuaTable();
  for (const [k, v] of entries) t.set(k, v);
  return t;
}
