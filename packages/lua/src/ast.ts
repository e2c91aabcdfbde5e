/**
 * The syntax tree the parser builds and the compiler turns into JavaScript. Names are resolved
 * by the parser: every variable is a local of its function, an upvalue (a local of an
 * enclosing function) or a global. `line` is the line Lua 5.1 records for the instruction
 * that can fail, used for "chunk:LINE:" in runtime errors.
 */

/** A local variable declaration; `id` is unique within the chunk. */
export interface LocalVar {
  name: string;
  id: number;
}

export interface FuncProto {
  params: LocalVar[];
  isVararg: boolean;
  body: Block;
  /** linedefined (0 for the main chunk). */
  line: number;
}

export type Block = Stat[];

export type BinOp = "+" | "-" | "*" | "/" | "%" | "^" | "==" | "~=" | "<" | "<=" | ">" | ">=";

export type Expr =
  | { k: "nil" }
  | { k: "true" }
  | { k: "false" }
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "vararg" }
  | { k: "func"; f: FuncProto }
  | { k: "local"; v: LocalVar }
  | { k: "upval"; v: LocalVar }
  | { k: "global"; name: string; line: number }
  | { k: "index"; obj: Expr; key: Expr; line: number }
  | { k: "call"; fn: Expr; args: Expr[]; line: number }
  | { k: "method"; obj: Expr; name: string; args: Expr[]; line: number }
  | { k: "bin"; op: BinOp; a: Expr; b: Expr; line: number }
  | { k: "and"; a: Expr; b: Expr }
  | { k: "or"; a: Expr; b: Expr }
  | { k: "not"; a: Expr }
  | { k: "neg"; a: Expr; line: number }
  | { k: "len"; a: Expr; line: number }
  | { k: "concat"; parts: Expr[]; line: number }
  | { k: "paren"; e: Expr }
  | { k: "table"; items: TableItem[]; line: number };

export type TableItem = { pos: Expr } | { key: Expr; value: Expr; line: number };

export type Stat =
  | { k: "local"; vars: LocalVar[]; exprs: Expr[] }
  | { k: "localfunc"; v: LocalVar; f: FuncProto }
  | { k: "assign"; targets: Expr[]; exprs: Expr[]; line: number }
  | { k: "call"; call: Expr }
  | { k: "do"; body: Block }
  | { k: "while"; cond: Expr; body: Block; line: number }
  | { k: "repeat"; body: Block; cond: Expr; line: number }
  | { k: "if"; conds: Expr[]; blocks: Block[]; orelse: Block | null }
  | {
      k: "fornum";
      v: LocalVar;
      start: Expr;
      limit: Expr;
      step: Expr | null;
      body: Block;
      line: number;
    }
  | { k: "forin"; vars: LocalVar[]; exprs: Expr[]; body: Block; line: number }
  | { k: "return"; exprs: Expr[] }
  | { k: "break" };

/** Calls and `...` produce any number of values; everything else produces one. */
export function isMulti(e: Expr): boolean {
  return e.k === "call" || e.k === "method" || e.k === "vararg";
}
