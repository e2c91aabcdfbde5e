/**
 * Lua 5.1's lexer (llex.c): tokens, line counting and the exact error messages, e.g.
 * `user_script:1: unfinished string near '"abc'`.
 */

import { LuaError, stringToNumber } from "./value.js";

/** Token types: reserved words and operators as themselves, plus these four. */
export const TK_NAME = "<name>";
export const TK_STRING = "<string>";
export const TK_NUMBER = "<number>";
export const TK_EOS = "<eof>";

const RESERVED = new Set([
  "and",
  "break",
  "do",
  "else",
  "elseif",
  "end",
  "false",
  "for",
  "function",
  "if",
  "in",
  "local",
  "nil",
  "not",
  "or",
  "repeat",
  "return",
  "then",
  "true",
  "until",
  "while",
]);

export interface Token {
  type: string;
  /** The name, the string's contents or the number. */
  value: string | number;
  /** The token's text as llex's buffer holds it (for "near '...'"). */
  raw: string;
}

const EOZ = -1;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isAlnum(c: number): boolean {
  return isAlpha(c) || isDigit(c);
}
function isNewline(c: number): boolean {
  return c === 10 || c === 13;
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** luaO_chunkid with Redis's LUA_IDSIZE (60). */
export function chunkId(source: string): string {
  const IDSIZE = 60;
  if (source.startsWith("=")) return source.slice(1, IDSIZE);
  if (source.startsWith("@")) {
    const s = source.slice(1);
    const max = IDSIZE - 8;
    return s.length > max ? `...${s.slice(s.length - max)}` : s;
  }
  const max = IDSIZE - 17;
  let len = source.search(/[\n\r]/);
  if (len < 0) len = source.length;
  if (len > max) len = max;
  return len < source.length ? `[string "${source.slice(0, len)}..."]` : `[string "${source}"]`;
}

/** luaX_token2str for a token type (single characters, control characters as char(N)). */
export function tokenToString(type: string): string {
  if (type.length === 1) {
    const c = type.charCodeAt(0);
    return c < 32 || c === 127 ? `char(${c})` : type;
  }
  return type;
}

export class Lexer {
  private pos = 0;
  private current: number;
  private buf = "";
  /** Line of the character being read (ls->linenumber). */
  line = 1;
  /** Line of the last token consumed (ls->lastline). */
  lastLine = 1;
  token: Token = { type: TK_EOS, value: "", raw: "" };
  private ahead: Token | null = null;

  constructor(
    private readonly src: string,
    readonly chunk: string,
  ) {
    this.current = src.length > 0 ? src.charCodeAt(0) : EOZ;
  }

  /** luaX_next. */
  next(): void {
    this.lastLine = this.line;
    if (this.ahead !== null) {
      this.token = this.ahead;
      this.ahead = null;
      return;
    }
    this.token = this.lex();
  }

  /** luaX_lookahead. */
  lookahead(): Token {
    if (this.ahead === null) this.ahead = this.lex();
    return this.ahead;
  }

  /** luaX_lexerror: "chunk:line: msg near 'tok'" (no "near" when `near` is null). */
  error(msg: string, near: Token | string | null): never {
    let text = `${this.chunk}:${this.line}: ${msg}`;
    if (near !== null) {
      const t =
        typeof near === "string"
          ? near
          : near.type === TK_NAME || near.type === TK_STRING || near.type === TK_NUMBER
            ? near.raw
            : tokenToString(near.type);
      text += ` near '${t}'`;
    }
    throw new LuaError(text, 0);
  }

  /** luaX_syntaxerror: near the current token. */
  syntaxError(msg: string): never {
    this.error(msg, this.token);
  }

  /** The character being read (a method, so that comparisons do not narrow its type). */
  private ch(): number {
    return this.current;
  }

  private advance(): void {
    const p = ++this.pos;
    this.current = p < this.src.length ? this.src.charCodeAt(p) : EOZ;
  }

  private saveAndNext(): void {
    this.buf += String.fromCharCode(this.current);
    this.advance();
  }

  private incLine(): void {
    const old = this.current;
    this.advance();
    if (isNewline(this.current) && this.current !== old) this.advance();
    this.line++;
  }

  /** skip_sep: counts '=' in [==[ / ]==]; returns the count, or -(count)-1 when the bracket is not there. */
  private skipSep(): number {
    let count = 0;
    const s = this.current;
    this.saveAndNext();
    while (this.current === 61) {
      this.saveAndNext();
      count++;
    }
    return this.current === s ? count : -count - 1;
  }

  private readLongString(isString: boolean, sep: number): string {
    this.saveAndNext(); // second '['
    if (isNewline(this.current)) this.incLine();
    for (;;) {
      const c = this.current;
      if (c === EOZ) {
        this.error(isString ? "unfinished long string" : "unfinished long comment", TK_EOS);
      } else if (c === 91) {
        if (this.skipSep() === sep) {
          this.saveAndNext();
          if (sep === 0) this.error("nesting of [[...]] is deprecated", "[");
        }
      } else if (c === 93) {
        if (this.skipSep() === sep) {
          this.saveAndNext();
          break;
        }
      } else if (isNewline(c)) {
        this.buf += "\n";
        this.incLine();
        if (!isString) this.buf = "";
      } else if (isString) {
        this.saveAndNext();
      } else {
        this.advance();
      }
    }
    return isString ? this.buf.slice(2 + sep, this.buf.length - 2 - sep) : "";
  }

  private readString(delim: number): Token {
    this.saveAndNext();
    while (this.current !== delim) {
      const c = this.current;
      if (c === EOZ) this.error("unfinished string", TK_EOS);
      if (isNewline(c)) this.error("unfinished string", this.buf);
      if (c === 92) {
        this.advance();
        let ch: number;
        switch (this.current) {
          case 97:
            ch = 7;
            break;
          case 98:
            ch = 8;
            break;
          case 102:
            ch = 12;
            break;
          case 110:
            ch = 10;
            break;
          case 114:
            ch = 13;
            break;
          case 116:
            ch = 9;
            break;
          case 118:
            ch = 11;
            break;
          case 10:
          case 13:
            this.buf += "\n";
            this.incLine();
            continue;
          case EOZ:
            continue; // raises "unfinished string" on the next loop
          default: {
            if (!isDigit(this.current)) {
              this.saveAndNext(); // \\, \", \', \? and any other character as itself
              continue;
            }
            ch = 0;
            let i = 0;
            do {
              ch = 10 * ch + (this.current - 48);
              this.advance();
            } while (++i < 3 && isDigit(this.current));
            if (ch > 255) this.error("escape sequence too large", this.buf);
            this.buf += String.fromCharCode(ch);
            continue;
          }
        }
        this.buf += String.fromCharCode(ch);
        this.advance();
        continue;
      }
      this.saveAndNext();
    }
    this.saveAndNext();
    const raw = this.buf;
    return { type: TK_STRING, value: raw.slice(1, raw.length - 1), raw };
  }

  private readNumeral(): Token {
    do {
      this.saveAndNext();
    } while (isDigit(this.current) || this.current === 46);
    if (this.current === 69 || this.current === 101) {
      this.saveAndNext();
      if (this.ch() === 43 || this.ch() === 45) this.saveAndNext();
    }
    while (isAlnum(this.current)) this.saveAndNext();
    const raw = this.buf;
    const n = luaStr2Number(raw);
    if (n === undefined) this.error("malformed number", raw);
    return { type: TK_NUMBER, value: n, raw };
  }

  private lex(): Token {
    this.buf = "";
    for (;;) {
      const c = this.current;
      switch (c) {
        case 10:
        case 13:
          this.incLine();
          continue;
        case 45: {
          // '-' or comment
          this.advance();
          if (this.current !== 45) return tok("-");
          this.advance();
          if (this.ch() === 91) {
            this.buf = "";
            const sep = this.skipSep();
            this.buf = "";
            if (sep >= 0) {
              this.readLongString(false, sep);
              this.buf = "";
              continue;
            }
          }
          while (!isNewline(this.ch()) && this.ch() !== EOZ) this.advance();
          continue;
        }
        case 91: {
          const sep = this.skipSep();
          if (sep >= 0) {
            const value = this.readLongString(true, sep);
            return { type: TK_STRING, value, raw: this.buf };
          }
          if (sep !== -1) this.error("invalid long string delimiter", this.buf);
          return tok("[");
        }
        case 61:
          this.advance();
          if (this.current !== 61) return tok("=");
          this.advance();
          return tok("==");
        case 60:
          this.advance();
          if (this.current !== 61) return tok("<");
          this.advance();
          return tok("<=");
        case 62:
          this.advance();
          if (this.current !== 61) return tok(">");
          this.advance();
          return tok(">=");
        case 126:
          this.advance();
          if (this.current !== 61) return tok("~");
          this.advance();
          return tok("~=");
        case 34:
        case 39:
          return this.readString(c);
        case 46:
          this.saveAndNext();
          if (this.current === 46) {
            this.advance();
            if (this.current === 46) {
              this.advance();
              return tok("...");
            }
            return tok("..");
          }
          if (!isDigit(this.current)) return tok(".");
          return this.readNumeral();
        case EOZ:
          return tok(TK_EOS);
        default: {
          if (isSpace(c)) {
            this.advance();
            continue;
          }
          if (isDigit(c)) return this.readNumeral();
          if (isAlpha(c)) {
            const start = this.pos;
            do this.advance();
            while (isAlnum(this.current));
            const word = this.src.slice(start, this.pos);
            if (RESERVED.has(word)) return tok(word);
            return { type: TK_NAME, value: word, raw: word };
          }
          this.advance();
          return tok(String.fromCharCode(c));
        }
      }
    }
  }
}

function tok(type: string): Token {
  return { type, value: type, raw: type };
}

/** luaO_str2d as the lexer applies it to a numeral's text. */
function luaStr2Number(s: string): number | undefined {
  // strtod accepts "inf"/"nan" but a numeral always starts with a digit or '.', so only
  // decimal and hexadecimal forms can match here.
  return stringToNumber(s);
}
