/**
 * Compiles a parsed chunk to JavaScript source. Lua locals become JS `let` variables (unique
 * per chunk, so inner functions capture them directly and a local declared in a loop body is
 * fresh on every iteration, as Lua's closures require); every operation is a call to a small
 * helper from runtime.ts, which V8 inlines. Each Lua function keeps its current line in `$l`
 * and gives errors leaving it their "chunk:line:" position in one try/catch.
 *
 * The generated source is the body of `function (R, $S, $env)` returning the main function.
 */

import type { Block, Expr, FuncProto, LocalVar, Stat } from "./ast.js";
import { isMulti } from "./ast.js";

const HELPERS = [
  "closure",
  "call",
  "idx",
  "idxs",
  "setidx",
  "gget",
  "gset",
  "add",
  "sub",
  "mul",
  "div",
  "mod",
  "pow",
  "unm",
  "len",
  "cc",
  "eq",
  "lt",
  "le",
  "gt",
  "ge",
  "truthy",
  "forNum",
  "forStep",
  "tlist",
  "tmix",
  "varargs",
];

const ARITH: Record<string, string> = {
  "+": "$add",
  "-": "$sub",
  "*": "$mul",
  "/": "$div",
  "%": "$mod",
  "^": "$pow",
};

const COMPARE: Record<string, string> = { "<": "$lt", "<=": "$le", ">": "$gt", ">=": "$ge" };

const BUDGET = "if(--$S.budget<0)$S.tick();";

/**
 * A loop's budget check: when the hook runs there, an error it raises (a script timeout or
 * kill) names the loop's line, as Lua's count hook reports the running instruction's line.
 */
function loopBudget(line: number): string {
  return `if(--$S.budget<0){$l=${line};$S.tick();}`;
}

interface FnCtx {
  /** The value `$l` is known to hold at this point of the code, or -1. */
  cur: number;
  tmp: number;
  maxTmp: number;
  /**
   * The first zero constant of the function (0 or -0): Lua 5.1 keeps one constant per number
   * value and 0 == -0, so every zero literal of a function is the first one it compiled
   * (`tostring(-0) .. 1/0` gives "-0-inf" in Lua 5.1 and Redis).
   */
  zero?: number;
}

function L(v: LocalVar): string {
  return `L${v.id}`;
}

function numLit(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${v})` : String(v);
}

function str(s: string): string {
  return JSON.stringify(s);
}

/** How Lua 5.1's ldebug names the value of an expression in error messages. */
export function describe(e: Expr): string | undefined {
  switch (e.k) {
    case "local":
      return `local '${e.v.name}'`;
    case "upval":
      return `upvalue '${e.v.name}'`;
    case "global":
      return `global '${e.name}'`;
    case "index":
      return e.key.k === "str" ? `field '${e.key.v}'` : "field '?'";
    case "paren":
      return describe(e.e);
    default:
      return undefined;
  }
}

function W(e: Expr): string {
  const d = describe(e);
  return d === undefined ? "void 0" : str(d);
}

function isBool(e: Expr): boolean {
  switch (e.k) {
    case "true":
    case "false":
    case "not":
      return true;
    case "bin":
      return !(e.op in ARITH);
    case "paren":
      return isBool(e.e);
    default:
      return false;
  }
}

export function generate(main: FuncProto, chunk: string): string {
  return new Compiler().chunk(main, chunk);
}

class Compiler {
  private fn: FnCtx = { cur: -1, tmp: 0, maxTmp: 0 };
  private uniq = 0;

  chunk(main: FuncProto, chunk: string): string {
    const names = HELPERS.map((h) => `${h}:$${h}`).join(",");
    return `"use strict";const{${names}}=R;const $C=${str(chunk)},$fix=R.makeFixer($C);\nreturn ${this.func(main, "$env")};`;
  }

  private u(): number {
    return ++this.uniq;
  }

  /** Code evaluating `code` after setting `$l` to `line` (unless it already holds it). */
  private at(line: number, code: string): string {
    if (line === this.fn.cur) return code;
    this.fn.cur = line;
    return `($l=${line},${code})`;
  }

  private tmp(): string {
    const t = `$t${this.fn.tmp++}`;
    if (this.fn.tmp > this.fn.maxTmp) this.fn.maxTmp = this.fn.tmp;
    return t;
  }

  private freeTmp(): void {
    this.fn.tmp--;
  }

  // ---- functions -----------------------------------------------------------------------

  private func(f: FuncProto, env: string): string {
    const saved = this.fn;
    const first = f.line > 0 ? f.line : 1;
    this.fn = { cur: first, tmp: 0, maxTmp: 0 };
    const n = f.params.length;
    let prologue = "";
    if (n > 0) prologue += `let ${f.params.map((p, i) => `${L(p)}=args[${i}]`).join(",")};`;
    if (f.isVararg) prologue += n === 0 ? "const $va=args;" : `const $va=$varargs(args,${n});`;
    const body = this.block(f.body);
    let decl = `let $l=${first}`;
    for (let i = 0; i < this.fn.maxTmp; i++) decl += `,$t${i}`;
    this.fn = saved;
    return `$closure(${env},($self)=>(args)=>{${decl};try{${BUDGET}${prologue}\n${body}\nreturn[];}catch($e){throw $fix($e,$l);}})`;
  }

  // ---- statements ----------------------------------------------------------------------

  private block(b: Block): string {
    let out = "";
    for (const s of b) out += `${this.stat(s)}\n`;
    return out;
  }

  private stat(s: Stat): string {
    switch (s.k) {
      case "local":
        return this.localStat(s.vars, s.exprs);
      case "localfunc":
        return `let ${L(s.v)};${L(s.v)}=${this.func(s.f, "$self.env")};`;
      case "assign":
        return this.assign(s.targets, s.exprs, s.line);
      case "call":
        return `${this.multi(s.call)};`;
      case "do":
        return `{${this.block(s.body)}}`;
      case "while": {
        this.fn.cur = -1;
        const c = this.cond(s.cond);
        const body = this.block(s.body);
        this.fn.cur = -1;
        return `for(;;){if(!${c})break;${loopBudget(s.line)}\n${body}}`;
      }
      case "repeat": {
        this.fn.cur = -1;
        const body = this.block(s.body);
        const c = this.cond(s.cond);
        this.fn.cur = -1;
        return `for(;;){${loopBudget(s.line)}\n${body}if(${c})break;}`;
      }
      case "if": {
        let out = "";
        for (let i = 0; i < s.conds.length; i++) {
          const c = this.cond(s.conds[i]);
          const after = this.fn.cur;
          const body = this.block(s.blocks[i]);
          this.fn.cur = after;
          out += `${i === 0 ? "if" : "else if"}(${c}){${body}}`;
        }
        if (s.orelse !== null) out += `else{${this.block(s.orelse)}}`;
        this.fn.cur = -1;
        return out;
      }
      case "fornum":
        return this.forNum(s);
      case "forin":
        return this.forIn(s.vars, s.exprs, s.body, s.line);
      case "return":
        if (s.exprs.length === 0) return "return[];";
        if (s.exprs.length === 1 && isMulti(s.exprs[0])) return `return ${this.multi(s.exprs[0])};`;
        return `return ${this.list(s.exprs)};`;
      case "break":
        return "break;";
    }
  }

  private localStat(vars: LocalVar[], exprs: Expr[]): string {
    if (exprs.length === 0) return `let ${vars.map(L).join(",")};`;
    if (vars.length === 1 && exprs.length === 1) return `let ${L(vars[0])}=${this.exp(exprs[0])};`;
    // Every value is computed before the new locals exist (they are not in scope yet).
    let out = "";
    const vals: string[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i];
      if (i === exprs.length - 1 && isMulti(e) && i < vars.length) {
        const m = `$m${this.u()}`;
        out += `const ${m}=${this.multi(e)};`;
        for (let j = i; j < vars.length; j++) vals.push(`${m}[${j - i}]`);
      } else if (i < vars.length) {
        const c = `$v${this.u()}`;
        out += `const ${c}=${this.exp(e)};`;
        vals.push(c);
      } else {
        out += `${isMulti(e) ? this.multi(e) : this.exp(e)};`;
      }
    }
    while (vals.length < vars.length) vals.push("void 0");
    return `${out}let ${vars.map((v, i) => `${L(v)}=${vals[i]}`).join(",")};`;
  }

  private assign(targets: Expr[], exprs: Expr[], line: number): string {
    if (targets.length === 1 && exprs.length === 1) {
      const t = targets[0];
      if (t.k === "local" || t.k === "upval") return `${L(t.v)}=${this.exp(exprs[0])};`;
      if (t.k === "global") {
        return `$gset($self.env,${str(t.name)},${this.exp(exprs[0])},${this.at(line, "0")});`;
      }
      if (t.k === "index") {
        const o = this.exp(t.obj);
        const k = this.exp(t.key);
        const v = this.exp(exprs[0]);
        return `$setidx(${o},${k},${v},${this.at(line, W(t.obj))});`;
      }
    }
    // General case: evaluate the targets' tables and keys, then every value, then assign
    // (right to left, as Lua 5.1 does).
    let out = "{";
    const refs: [string, string][] = [];
    for (const t of targets) {
      if (t.k === "index") {
        const n = this.u();
        out += `const $o${n}=${this.exp(t.obj)},$k${n}=${this.exp(t.key)};`;
        refs.push([`$o${n}`, `$k${n}`]);
      } else {
        refs.push(["", ""]);
      }
    }
    const r = `$r${this.u()}`;
    out += `const ${r}=${this.list(exprs)};`;
    for (let i = targets.length - 1; i >= 0; i--) {
      const t = targets[i];
      const v = `${r}[${i}]`;
      if (t.k === "local" || t.k === "upval") out += `${L(t.v)}=${v};`;
      else if (t.k === "global") out += `$gset($self.env,${str(t.name)},${v},${this.at(line, "0")});`;
      else out += `$setidx(${refs[i][0]},${refs[i][1]},${v},${this.at(line, W((t as { obj: Expr }).obj))});`;
    }
    return `${out}}`;
  }

  private forNum(s: Extract<Stat, { k: "fornum" }>): string {
    const n = this.u();
    const [i, lim, st] = [`$i${n}`, `$lim${n}`, `$st${n}`];
    const start = this.exp(s.start);
    const limit = this.exp(s.limit);
    const step = s.step === null ? "1" : this.exp(s.step);
    let out = `{const $a${n}=${start},$b${n}=${limit},$c${n}=${step};`;
    out += `let ${i}=$forNum($a${n},"initial value",${this.at(s.line, "0")}),${lim}=$forNum($b${n},"limit",0),${st}=$forNum($c${n},"step",0);`;
    out += `${i}-=${st};`;
    let cond: string;
    const stepValue = s.step === null ? 1 : s.step.k === "num" ? s.step.v : Number.NaN;
    if (stepValue > 0) cond = `${i}<=${lim}`;
    else if (stepValue <= 0) cond = `${lim}<=${i}`;
    else cond = `(0<${st}?${i}<=${lim}:${lim}<=${i})`;
    this.fn.cur = -1;
    const body = this.block(s.body);
    this.fn.cur = -1;
    return `${out}for(;;){${i}+=${st};if(!(${cond}))break;${loopBudget(s.line)}let ${L(s.v)}=${i};\n${body}}}`;
  }

  private forIn(vars: LocalVar[], exprs: Expr[], body: Block, line: number): string {
    const n = this.u();
    const r = `$r${n}`;
    const init = exprs.length === 1 && isMulti(exprs[0]) ? this.multi(exprs[0]) : this.list(exprs);
    let out = `{const ${r}=${init};let $f${n}=${r}[0],$s${n}=${r}[1],$c${n}=${r}[2];`;
    this.fn.cur = -1;
    const step = `$forStep($f${n},$s${n},$c${n},${this.at(line, "0")})`;
    const x = `$x${n}`;
    const first = L(vars[0]);
    let locals = `let ${first}=${x}[0];if(${first}===void 0)break;$c${n}=${first};`;
    for (let j = 1; j < vars.length; j++) locals += `let ${L(vars[j])}=${x}[${j}];`;
    const b = this.block(body);
    this.fn.cur = -1;
    out += `for(;;){const ${x}=${step};${locals}${loopBudget(line)}\n${b}}`;
    return `${out}}`;
  }

  // ---- expressions ---------------------------------------------------------------------

  /** An array literal of the values of an expression list (the last one expanded). */
  private list(exprs: Expr[]): string {
    const parts: string[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const e = exprs[i];
      if (i === exprs.length - 1 && isMulti(e)) parts.push(`...${this.multi(e)}`);
      else parts.push(this.exp(e));
    }
    return `[${parts.join(",")}]`;
  }

  /** Code for the array of values of a call or `...`. */
  private multi(e: Expr): string {
    switch (e.k) {
      case "vararg":
        return "$va";
      case "call": {
        const f = this.exp(e.fn);
        const args = this.list(e.args);
        return `$call(${f},${args},${this.at(e.line, W(e.fn))},$C,$l)`;
      }
      case "method": {
        const t = this.tmp();
        const o = this.exp(e.obj);
        const m = `$idxs(${t},${str(e.name)},${this.at(e.line, W(e.obj))})`;
        const args = this.list(e.args);
        const argsWithSelf = args === "[]" ? `[${t}]` : `[${t},${args.slice(1)}`;
        const what = str(`method '${e.name}'`);
        this.freeTmp();
        return `(${t}=${o},$call(${m},${argsWithSelf},${this.at(e.line, what)},$C,$l))`;
      }
      default:
        return `[${this.exp(e)}]`;
    }
  }

  /** Code for an expression's (first) value. */
  private exp(e: Expr): string {
    switch (e.k) {
      case "nil":
        return "void 0";
      case "true":
        return "true";
      case "false":
        return "false";
      case "num":
        if (e.v === 0) {
          this.fn.zero ??= e.v;
          return numLit(this.fn.zero);
        }
        return numLit(e.v);
      case "str":
        return str(e.v);
      case "vararg":
        return "$va[0]";
      case "func":
        return this.func(e.f, "$self.env");
      case "local":
      case "upval":
        return L(e.v);
      case "global":
        return `$gget($self.env,${str(e.name)},${this.at(e.line, "0")})`;
      case "index": {
        const o = this.exp(e.obj);
        if (e.key.k === "str") return `$idxs(${o},${str(e.key.v)},${this.at(e.line, W(e.obj))})`;
        const k = this.exp(e.key);
        return `$idx(${o},${k},${this.at(e.line, W(e.obj))})`;
      }
      case "call":
      case "method":
        return `${this.multi(e)}[0]`;
      case "bin": {
        const a = this.exp(e.a);
        const b = this.exp(e.b);
        const arith = ARITH[e.op];
        if (arith !== undefined) return `${arith}(${a},${b},${W(e.a)},${this.at(e.line, W(e.b))})`;
        if (e.op === "==") return `$eq(${a},${b},${this.at(e.line, "0")})`;
        if (e.op === "~=") return `(!$eq(${a},${b},${this.at(e.line, "0")}))`;
        return `${COMPARE[e.op]}(${a},${b},${this.at(e.line, "0")})`;
      }
      case "and":
      case "or":
        return this.andOr(e.k, e.a, e.b);
      case "not":
        return `(!${this.cond(e.a)})`;
      case "neg":
        return `$unm(${this.exp(e.a)},${this.at(e.line, W(e.a))})`;
      case "len":
        return `$len(${this.exp(e.a)},${this.at(e.line, W(e.a))})`;
      case "concat": {
        const parts = e.parts.map((p) => this.exp(p));
        const n = parts.length;
        let code = `$cc(${parts[n - 2]},${parts[n - 1]},${W(e.parts[n - 2])},${this.at(e.line, W(e.parts[n - 1]))})`;
        for (let i = n - 3; i >= 0; i--) {
          code = `$cc(${parts[i]},${code},${W(e.parts[i])},void 0)`;
        }
        return code;
      }
      case "paren":
        return this.exp(e.e);
      case "table":
        return this.table(e);
    }
  }

  private andOr(k: "and" | "or", a: Expr, b: Expr): string {
    if (isBool(a)) {
      const ca = this.cond(a);
      const before = this.fn.cur;
      const cb = this.exp(b);
      if (this.fn.cur !== before) this.fn.cur = -1;
      return k === "and" ? `(${ca}?${cb}:false)` : `(${ca}?true:${cb})`;
    }
    const t = this.tmp();
    const ca = this.exp(a);
    const before = this.fn.cur;
    const cb = this.exp(b);
    if (this.fn.cur !== before) this.fn.cur = -1;
    this.freeTmp();
    const falsy = `(${t}=${ca})===void 0||${t}===false`;
    return k === "and" ? `(${falsy}?${t}:${cb})` : `(${falsy}?${cb}:${t})`;
  }

  /** Code for an expression's truth as a JS boolean. */
  private cond(e: Expr): string {
    switch (e.k) {
      case "true":
        return "true";
      case "false":
      case "nil":
        return "false";
      case "not":
        return `(!${this.cond(e.a)})`;
      case "paren":
        return this.cond(e.e);
      case "and":
      case "or": {
        const a = this.cond(e.a);
        const before = this.fn.cur;
        const b = this.cond(e.b);
        if (this.fn.cur !== before) this.fn.cur = -1;
        return `(${a}${e.k === "and" ? "&&" : "||"}${b})`;
      }
      default:
        return isBool(e) ? this.exp(e) : `$truthy(${this.exp(e)})`;
    }
  }

  private table(e: Extract<Expr, { k: "table" }>): string {
    if (e.items.length === 0) return "new R.LuaTable()";
    const values: string[] = [];
    let layout = "";
    let keyed = false;
    e.items.forEach((item, i) => {
      if ("pos" in item) {
        if (i === e.items.length - 1 && isMulti(item.pos)) {
          values.push(`...${this.multi(item.pos)}`);
        } else {
          values.push(this.exp(item.pos));
          layout += "p";
        }
      } else {
        keyed = true;
        values.push(this.exp(item.key), this.exp(item.value));
        layout += "k";
      }
    });
    if (!keyed) return `$tlist([${values.join(",")}],0)`;
    return `$tmix([${values.join(",")}],${str(layout)},${this.at(e.line, "0")})`;
  }
}
