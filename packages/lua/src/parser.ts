/**
 * Lua 5.1's parser (lparser.c): builds the syntax tree with names resolved to locals, upvalues
 * and globals, and reports syntax errors with Lua's exact messages and limits.
 */

import type { BinOp, Block, Expr, FuncProto, LocalVar, Stat, TableItem } from "./ast.js";
import { Lexer, TK_EOS, TK_NAME, TK_NUMBER, TK_STRING, tokenToString } from "./lexer.js";

const LUAI_MAXVARS = 200;
const LUAI_MAXUPVALUES = 60;
const LUAI_MAXCCALLS = 200;
const UNARY_PRIORITY = 8;

/** Left and right priorities of the binary operators (lparser.c's priority table). */
const PRIORITY: Record<string, [number, number]> = {
  "+": [6, 6],
  "-": [6, 6],
  "*": [7, 7],
  "/": [7, 7],
  "%": [7, 7],
  "^": [10, 9],
  "..": [5, 4],
  "==": [3, 3],
  "~=": [3, 3],
  "<": [3, 3],
  "<=": [3, 3],
  ">": [3, 3],
  ">=": [3, 3],
  and: [2, 2],
  or: [1, 1],
};

interface BlockScope {
  breakable: boolean;
  nactvar: number;
}

class FuncState {
  /** Active locals, hidden ones (for-loop state) included, in declaration order. */
  readonly actives: LocalVar[] = [];
  readonly blocks: BlockScope[] = [];
  readonly upvals: LocalVar[] = [];
  constructor(
    readonly parent: FuncState | null,
    readonly proto: FuncProto,
  ) {}
}

export interface ParseOptions {
  /** C-call levels already in use (nCcalls), which lower Lua's nesting limits. */
  baseLevel?: number;
}

/** Parses a chunk; `chunk` is the chunkid used in error messages. Throws LuaError. */
export function parse(source: string, chunk: string, options: ParseOptions = {}): FuncProto {
  return new Parser(source, chunk, options.baseLevel ?? 0).main();
}

class Parser {
  private readonly lx: Lexer;
  private fs!: FuncState;
  private level: number;
  private nextId = 0;

  constructor(source: string, chunk: string, baseLevel: number) {
    this.lx = new Lexer(source, chunk);
    this.level = baseLevel;
  }

  main(): FuncProto {
    const proto: FuncProto = { params: [], isVararg: true, body: [], line: 0 };
    this.fs = new FuncState(null, proto);
    this.lx.next();
    proto.body = this.chunk();
    this.check(TK_EOS);
    return proto;
  }

  // ---- helpers -------------------------------------------------------------------------

  private tk(): string {
    return this.lx.token.type;
  }

  private errorExpected(token: string): never {
    this.lx.syntaxError(`'${tokenToString(token)}' expected`);
  }

  private check(token: string): void {
    if (this.tk() !== token) this.errorExpected(token);
  }

  private checkNext(token: string): void {
    this.check(token);
    this.lx.next();
  }

  private testNext(token: string): boolean {
    if (this.tk() !== token) return false;
    this.lx.next();
    return true;
  }

  private checkMatch(what: string, who: string, line: number): void {
    if (this.tk() === what) {
      this.lx.next();
      return;
    }
    if (line === this.lx.line) this.errorExpected(what);
    this.lx.syntaxError(
      `'${tokenToString(what)}' expected (to close '${tokenToString(who)}' at line ${line})`,
    );
  }

  private checkName(): string {
    this.check(TK_NAME);
    const name = this.lx.token.value as string;
    this.lx.next();
    return name;
  }

  private enterLevel(): void {
    if (++this.level > LUAI_MAXCCALLS) this.lx.error("chunk has too many syntax levels", null);
  }

  private errorLimit(limit: number, what: string): never {
    const line = this.fs.proto.line;
    const msg =
      line === 0
        ? `main function has more than ${limit} ${what}`
        : `function at line ${line} has more than ${limit} ${what}`;
    this.lx.error(msg, null);
  }

  private checkLimit(v: number, limit: number, what: string): void {
    if (v > limit) this.errorLimit(limit, what);
  }

  // ---- scopes --------------------------------------------------------------------------

  /** new_localvar: a declared, not yet active, local (n = how many are pending before it). */
  private newLocal(name: string, pending: number): LocalVar {
    this.checkLimit(this.fs.actives.length + pending + 1, LUAI_MAXVARS, "local variables");
    return { name, id: ++this.nextId };
  }

  private activate(vars: LocalVar[]): void {
    for (const v of vars) this.fs.actives.push(v);
  }

  private enterBlock(breakable: boolean): void {
    this.fs.blocks.push({ breakable, nactvar: this.fs.actives.length });
  }

  private leaveBlock(): void {
    const bl = this.fs.blocks.pop()!;
    this.fs.actives.length = bl.nactvar;
  }

  private resolve(fs: FuncState, name: string): Expr | null {
    const actives = fs.actives;
    for (let i = actives.length - 1; i >= 0; i--) {
      if (actives[i].name === name) return { k: "local", v: actives[i] };
    }
    if (fs.parent === null) return null;
    const outer = this.resolve(fs.parent, name);
    if (outer === null) return null;
    const v = (outer as { v: LocalVar }).v;
    if (!fs.upvals.includes(v)) {
      if (fs.upvals.length + 1 > LUAI_MAXUPVALUES) {
        const saved = this.fs;
        this.fs = fs;
        this.errorLimit(LUAI_MAXUPVALUES, "upvalues");
        this.fs = saved;
      }
      fs.upvals.push(v);
    }
    return { k: "upval", v };
  }

  private singleVar(name: string): Expr {
    const r = this.resolve(this.fs, name);
    if (r !== null) return r;
    return { k: "global", name, line: this.lx.lastLine };
  }

  // ---- statements ----------------------------------------------------------------------

  private blockFollow(): boolean {
    switch (this.tk()) {
      case "else":
      case "elseif":
      case "end":
      case "until":
      case TK_EOS:
        return true;
      default:
        return false;
    }
  }

  private chunk(): Block {
    const stats: Block = [];
    let isLast = false;
    this.enterLevel();
    while (!isLast && !this.blockFollow()) {
      isLast = this.statement(stats);
      this.testNext(";");
    }
    this.level--;
    return stats;
  }

  private block(breakable = false): Block {
    this.enterBlock(breakable);
    const b = this.chunk();
    this.leaveBlock();
    return b;
  }

  /** Parses one statement into `out`; true for return and break (which must end a block). */
  private statement(out: Stat[]): boolean {
    const line = this.lx.line;
    switch (this.tk()) {
      case "if":
        out.push(this.ifStat(line));
        return false;
      case "while": {
        this.lx.next();
        const cond = this.expr();
        this.enterBlock(true);
        this.checkNext("do");
        const body = this.chunk();
        this.checkMatch("end", "while", line);
        this.leaveBlock();
        out.push({ k: "while", cond, body, line });
        return false;
      }
      case "do": {
        this.lx.next();
        const body = this.block();
        this.checkMatch("end", "do", line);
        out.push({ k: "do", body });
        return false;
      }
      case "for":
        out.push(this.forStat(line));
        return false;
      case "repeat": {
        this.enterBlock(true);
        this.enterBlock(false);
        this.lx.next();
        const body = this.chunk();
        this.checkMatch("until", "repeat", line);
        const cond = this.expr();
        this.leaveBlock();
        this.leaveBlock();
        out.push({ k: "repeat", body, cond, line });
        return false;
      }
      case "function": {
        this.lx.next();
        let target = this.singleVar(this.checkName());
        let needSelf = false;
        while (this.tk() === "." || this.tk() === ":") {
          needSelf = this.tk() === ":";
          this.lx.next();
          const key = this.checkName();
          target = { k: "index", obj: target, key: { k: "str", v: key }, line: this.lx.lastLine };
          if (needSelf) break;
        }
        const f = this.body(needSelf, line);
        out.push({ k: "assign", targets: [target], exprs: [{ k: "func", f }], line });
        return false;
      }
      case "local":
        this.lx.next();
        if (this.testNext("function")) {
          const v = this.newLocal(this.checkName(), 0);
          this.activate([v]);
          const f = this.body(false, this.lx.line);
          out.push({ k: "localfunc", v, f });
        } else {
          out.push(this.localStat());
        }
        return false;
      case "return": {
        this.lx.next();
        const exprs = this.blockFollow() || this.tk() === ";" ? [] : this.exprList();
        out.push({ k: "return", exprs });
        return true;
      }
      case "break": {
        this.lx.next();
        const blocks = this.fs.blocks;
        let found = false;
        for (let i = blocks.length - 1; i >= 0; i--) {
          if (blocks[i].breakable) {
            found = true;
            break;
          }
        }
        if (!found) this.lx.syntaxError("no loop to break");
        out.push({ k: "break" });
        return true;
      }
      default:
        out.push(this.exprStat());
        return false;
    }
  }

  private ifStat(line: number): Stat {
    const conds: Expr[] = [];
    const blocks: Block[] = [];
    let orelse: Block | null = null;
    do {
      this.lx.next(); // 'if' or 'elseif'
      conds.push(this.expr());
      this.checkNext("then");
      blocks.push(this.block());
    } while (this.tk() === "elseif");
    if (this.testNext("else")) orelse = this.block();
    this.checkMatch("end", "if", line);
    return { k: "if", conds, blocks, orelse };
  }

  private forStat(line: number): Stat {
    this.enterBlock(true);
    this.lx.next();
    const name = this.checkName();
    let stat: Stat;
    if (this.tk() === "=") {
      const hidden = [
        this.newLocal("(for index)", 0),
        this.newLocal("(for limit)", 1),
        this.newLocal("(for step)", 2),
      ];
      const v = this.newLocal(name, 3);
      this.lx.next();
      const start = this.expr();
      this.checkNext(",");
      const limit = this.expr();
      const step = this.testNext(",") ? this.expr() : null;
      this.activate(hidden);
      this.checkNext("do");
      this.enterBlock(false);
      this.activate([v]);
      const body = this.chunk();
      this.leaveBlock();
      stat = { k: "fornum", v, start, limit, step, body, line };
    } else if (this.tk() === "," || this.tk() === "in") {
      const hidden = [
        this.newLocal("(for generator)", 0),
        this.newLocal("(for state)", 1),
        this.newLocal("(for control)", 2),
      ];
      const vars = [this.newLocal(name, 3)];
      while (this.testNext(",")) vars.push(this.newLocal(this.checkName(), 3 + vars.length));
      this.checkNext("in");
      const exprLine = this.lx.line;
      const exprs = this.exprList();
      this.activate(hidden);
      this.checkNext("do");
      this.enterBlock(false);
      this.activate(vars);
      const body = this.chunk();
      this.leaveBlock();
      stat = { k: "forin", vars, exprs, body, line: exprLine };
    } else {
      this.lx.syntaxError("'=' or 'in' expected");
    }
    this.checkMatch("end", "for", line);
    this.leaveBlock();
    return stat;
  }

  private localStat(): Stat {
    const vars: LocalVar[] = [];
    do vars.push(this.newLocal(this.checkName(), vars.length));
    while (this.testNext(","));
    const exprs = this.testNext("=") ? this.exprList() : [];
    this.activate(vars);
    return { k: "local", vars, exprs };
  }

  private exprStat(): Stat {
    const first = this.primaryExp();
    if (first.k === "call" || first.k === "method") return { k: "call", call: first };
    const targets: Expr[] = [first];
    for (;;) {
      const last = targets[targets.length - 1];
      if (last.k !== "local" && last.k !== "upval" && last.k !== "global" && last.k !== "index") {
        this.lx.syntaxError("syntax error");
      }
      if (!this.testNext(",")) break;
      targets.push(this.primaryExp());
      this.checkLimit(targets.length - 1, LUAI_MAXCCALLS - this.level, "variables in assignment");
    }
    this.checkNext("=");
    const exprs = this.exprList();
    return { k: "assign", targets, exprs, line: this.lx.lastLine };
  }

  // ---- functions -----------------------------------------------------------------------

  private body(needSelf: boolean, line: number): FuncProto {
    const proto: FuncProto = { params: [], isVararg: false, body: [], line };
    const fs = new FuncState(this.fs, proto);
    this.fs = fs;
    this.checkNext("(");
    if (needSelf) proto.params.push(this.newLocal("self", 0));
    this.activate(proto.params);
    if (this.tk() !== ")") {
      const params: LocalVar[] = [];
      do {
        if (this.tk() === TK_NAME) {
          params.push(this.newLocal(this.checkName(), params.length));
        } else if (this.tk() === "...") {
          this.lx.next();
          proto.isVararg = true;
        } else {
          this.lx.syntaxError("<name> or '...' expected");
        }
      } while (!proto.isVararg && this.testNext(","));
      this.activate(params);
      proto.params.push(...params);
    }
    this.checkNext(")");
    proto.body = this.chunk();
    this.checkMatch("end", "function", line);
    this.fs = fs.parent!;
    return proto;
  }

  // ---- expressions ---------------------------------------------------------------------

  private exprList(): Expr[] {
    const list = [this.expr()];
    while (this.testNext(",")) list.push(this.expr());
    return list;
  }

  private expr(): Expr {
    return this.subexpr(0);
  }

  private subexpr(limit: number): Expr {
    this.enterLevel();
    let e: Expr;
    const t = this.tk();
    if (t === "not" || t === "-" || t === "#") {
      this.lx.next();
      const a = this.subexpr(UNARY_PRIORITY);
      if (t === "not") e = { k: "not", a };
      else if (t === "#") e = { k: "len", a, line: this.lx.lastLine };
      else if (a.k === "num") e = { k: "num", v: -a.v };
      else e = { k: "neg", a, line: this.lx.lastLine };
    } else {
      e = this.simpleExp();
    }
    for (;;) {
      const op = this.tk();
      const prio = PRIORITY[op];
      if (prio === undefined || prio[0] <= limit) break;
      this.lx.next();
      const b = this.subexpr(prio[1]);
      e = this.binary(op, e, b);
    }
    this.level--;
    return e;
  }

  private binary(op: string, a: Expr, b: Expr): Expr {
    const line = this.lx.lastLine;
    switch (op) {
      case "and":
        return { k: "and", a, b };
      case "or":
        return { k: "or", a, b };
      case "..":
        if (b.k === "concat") return { k: "concat", parts: [a, ...b.parts], line: b.line };
        return { k: "concat", parts: [a, b], line };
      default:
        return { k: "bin", op: op as BinOp, a, b, line };
    }
  }

  private simpleExp(): Expr {
    const tk = this.lx.token;
    switch (tk.type) {
      case TK_NUMBER:
        this.lx.next();
        return { k: "num", v: tk.value as number };
      case TK_STRING:
        this.lx.next();
        return { k: "str", v: tk.value as string };
      case "nil":
        this.lx.next();
        return { k: "nil" };
      case "true":
        this.lx.next();
        return { k: "true" };
      case "false":
        this.lx.next();
        return { k: "false" };
      case "...":
        if (!this.fs.proto.isVararg) this.lx.syntaxError("cannot use '...' outside a vararg function");
        this.lx.next();
        return { k: "vararg" };
      case "{":
        return this.constructorExp();
      case "function": {
        const line = this.lx.line;
        this.lx.next();
        return { k: "func", f: this.body(false, line) };
      }
      default:
        return this.primaryExp();
    }
  }

  private prefixExp(): Expr {
    if (this.tk() === "(") {
      const line = this.lx.line;
      this.lx.next();
      const e = this.expr();
      this.checkMatch(")", "(", line);
      return { k: "paren", e };
    }
    if (this.tk() === TK_NAME) return this.singleVar(this.checkName());
    this.lx.syntaxError("unexpected symbol");
  }

  private primaryExp(): Expr {
    let e = this.prefixExp();
    for (;;) {
      switch (this.tk()) {
        case ".": {
          this.lx.next();
          const key = this.checkName();
          e = { k: "index", obj: e, key: { k: "str", v: key }, line: this.lx.lastLine };
          break;
        }
        case "[": {
          this.lx.next();
          const key = this.expr();
          this.checkNext("]");
          e = { k: "index", obj: e, key, line: this.lx.lastLine };
          break;
        }
        case ":": {
          this.lx.next();
          const name = this.checkName();
          const line = this.lx.line;
          const args = this.funcArgs();
          e = { k: "method", obj: e, name, args, line };
          break;
        }
        case "(":
        case TK_STRING:
        case "{": {
          const line = this.lx.line;
          const args = this.funcArgs();
          e = { k: "call", fn: e, args, line };
          break;
        }
        default:
          return e;
      }
    }
  }

  private funcArgs(): Expr[] {
    const line = this.lx.line;
    switch (this.tk()) {
      case "(": {
        if (line !== this.lx.lastLine) {
          this.lx.syntaxError("ambiguous syntax (function call x new statement)");
        }
        this.lx.next();
        const args = this.tk() === ")" ? [] : this.exprList();
        this.checkMatch(")", "(", line);
        return args;
      }
      case "{":
        return [this.constructorExp()];
      case TK_STRING: {
        const v = this.lx.token.value as string;
        this.lx.next();
        return [{ k: "str", v }];
      }
      default:
        this.lx.syntaxError("function arguments expected");
    }
  }

  private constructorExp(): Expr {
    const line = this.lx.line;
    const items: TableItem[] = [];
    this.checkNext("{");
    do {
      if (this.tk() === "}") break;
      if (this.tk() === TK_NAME && this.lx.lookahead().type === "=") {
        const key: Expr = { k: "str", v: this.checkName() };
        this.checkNext("=");
        const value = this.expr();
        items.push({ key, value, line: this.lx.lastLine });
      } else if (this.tk() === "[") {
        this.lx.next();
        const key = this.expr();
        this.checkNext("]");
        this.checkNext("=");
        const value = this.expr();
        items.push({ key, value, line: this.lx.lastLine });
      } else {
        items.push({ pos: this.expr() });
      }
    } while (this.testNext(",") || this.testNext(";"));
    this.checkMatch("}", "{", line);
    return { k: "table", items, line };
  }
}
