/**
 * Test helper for the string/table/math libraries: runs Lua expressions through the real
 * lua5.1 (one process per batch) and encodes each outcome — values or error message — the
 * same way as our own results, so tests compare strings.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LuaError, LuaFunction, LuaTable, type LuaValue } from "../src/value.js";

export const HAVE_LUA51 = spawnSync("lua5.1", ["-v"], { timeout: 5000 }).status === 0;

function hex(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

function canonicalNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (Object.is(n, -0)) return "-0";
  return String(n);
}

/** Strips the "chunk:line: " a Lua function's error gets (the library's own errors have none). */
function stripPosition(msg: string): string {
  return msg.replace(/^[^:\n]*:\d+: /, "");
}

/** Our outcome of a call: "ok|<value>|..." or "err:<message>". */
export function outcome(thunk: () => LuaValue[]): string {
  let values: LuaValue[];
  try {
    values = thunk();
  } catch (e) {
    if (e instanceof LuaError) return `err:${stripPosition(String(e.value))}`;
    throw e;
  }
  return ["ok", ...values.map(encodeValue)].join("|");
}

export function encodeValue(v: LuaValue): string {
  if (typeof v === "string") return `s:${hex(v)}`;
  if (typeof v === "number") return `n:${canonicalNumber(v)}`;
  if (v === undefined) return "nil";
  if (typeof v === "boolean") return String(v);
  if (v instanceof LuaTable) return "table";
  if (v instanceof LuaFunction) return "function";
  return "userdata";
}

/** A JS value as Lua source. */
export function lit(v: LuaValue): string {
  if (typeof v === "string") {
    let out = '"';
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      out += c >= 32 && c < 127 && c !== 34 && c !== 92 ? v[i] : `\\${String(c).padStart(3, "0")}`;
    }
    return `${out}"`;
  }
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "(0/0)";
    if (v === Number.POSITIVE_INFINITY) return "(1/0)";
    if (v === Number.NEGATIVE_INFINITY) return "(-1/0)";
    if (Object.is(v, -0)) return `tonumber("-0")`; // a folded constant -0 would share 0's slot
    return v < 0 ? `(${String(v)})` : String(v);
  }
  if (v === undefined) return "nil";
  if (typeof v === "boolean") return String(v);
  throw new Error("no literal for this value");
}

/** `name(args...)` as Lua source. */
export function callSource(name: string, args: LuaValue[]): string {
  return `${name}(${args.map(lit).join(", ")})`;
}

const PRELUDE = `
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function num(v)
  if v ~= v then return "nan" end
  if v == 0 and 1/v < 0 then return "-0" end
  return string.format("%.17g", v)
end
local function enc(v)
  local t = type(v)
  if t == "string" then return "s:" .. hex(v)
  elseif t == "number" then return "n:" .. num(v)
  elseif t == "boolean" or t == "nil" then return tostring(v)
  else return t end
end
pack = function(...) return {n = select("#", ...), ...} end
function run(f)
  local r = pack(pcall(f))
  local out = {}
  if r[1] then
    out[1] = "ok"
    for i = 2, r.n do out[#out + 1] = enc(r[i]) end
  else
    out[1] = "err:" .. hex(tostring(r[2]))
  end
  io.write(table.concat(out, "|"), "\\n")
end
`;

function unhex(h: string): string {
  let out = "";
  for (let i = 0; i < h.length; i += 2) out += String.fromCharCode(Number.parseInt(h.slice(i, i + 2), 16));
  return out;
}

/** Normalizes lua5.1's line: numbers parsed, error messages decoded and position-stripped. */
function normalize(line: string): string {
  if (line.startsWith("err:")) return `err:${stripPosition(unhex(line.slice(4)))}`;
  return line
    .split("|")
    .map((tok) => {
      if (!tok.startsWith("n:")) return tok;
      const t = tok.slice(2);
      if (t === "nan" || t === "-nan") return "n:nan";
      if (t === "inf") return "n:Infinity";
      if (t === "-inf") return "n:-Infinity";
      return `n:${canonicalNumber(Number(t))}`;
    })
    .join("|");
}

/**
 * Runs each Lua expression list (e.g. `string.format("%d", 1)`) in lua5.1 and returns its
 * outcome. Calls are not tail calls, so error messages name the function as in a script.
 * `setup` is Lua source run first (helper definitions).
 */
export function runLua51(exprs: string[], setup = ""): string[] {
  const body = exprs.map((e) => `run(function() local r = pack(${e}) return unpack(r, 1, r.n) end)`);
  const script = `${PRELUDE}\n${setup}\n${body.join("\n")}\n`;
  const res = spawnSync("lua5.1", ["-"], { input: script, timeout: 30000, maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`lua5.1 failed: ${res.stderr?.toString()}`);
  const lines = res.stdout.toString("latin1").split("\n");
  lines.pop();
  if (lines.length !== exprs.length) throw new Error(`lua5.1 printed ${lines.length} of ${exprs.length}`);
  return lines.map(normalize);
}

export const HAVE_REDIS =
  spawnSync("redis-server", ["--version"], { timeout: 5000 }).status === 0 &&
  spawnSync("redis-cli", ["--version"], { timeout: 5000 }).status === 0;

/** A throwaway redis-server on a free port, driven through redis-cli. */
export class RedisProcess {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "keyhaven-lua-"));
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--bind", "127.0.0.1"],
      { stdio: "ignore" },
    );
    const r = new RedisProcess(port, child, dir);
    for (let i = 0; i < 100; i++) {
      if (r.cli(["PING"]).trim() === "PONG") return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    r.stop();
    throw new Error("redis-server did not start");
  }

  /** redis-cli's raw output of one command. */
  cli(args: string[]): string {
    const res = spawnSync("redis-cli", ["-p", String(this.port), ...args], { timeout: 20000 });
    return res.stdout?.toString("latin1") ?? "";
  }

  /** EVAL script 0, the reply as redis-cli prints it without the trailing newline. */
  eval(script: string): string {
    return this.cli(["EVAL", script, "0"]).replace(/\n$/, "");
  }

  stop(): void {
    this.child.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
