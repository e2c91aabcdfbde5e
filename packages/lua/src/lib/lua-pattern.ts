/**
 * Lua 5.1's pattern matcher (lstrlib.c), over one-char-per-byte strings: the same backtracking
 * algorithm, the same errors, the same treatment of the pattern as a C string (it ends at its
 * first "\0", as in C Lua), and the subject read as if it had C Lua's terminating "\0" (what
 * %f sees at the end of the subject).
 */

import { LuaError, type LuaValue } from "../value.js";

/** LUA_MAXCAPTURES. */
export const MAX_CAPTURES = 32;
/**
 * How deeply matching may recurse before "pattern too complex". C Lua 5.1 has no such limit (it
 * recurses on the C stack); ours keeps the JS stack safe.
 */
const MAX_MATCH_DEPTH = 4000;

const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;

const L_ESC = 37; // '%'

// C-locale ctype classes as bit flags per byte.
const ALPHA = 1;
const CNTRL = 2;
const DIGIT = 4;
const LOWER = 8;
const PUNCT = 16;
const SPACE = 32;
const UPPER = 64;
const XDIGIT = 128;

const CTYPE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let f = 0;
  if (c >= 65 && c <= 90) f |= ALPHA | UPPER;
  if (c >= 97 && c <= 122) f |= ALPHA | LOWER;
  if (c < 32 || c === 127) f |= CNTRL;
  if (c >= 48 && c <= 57) f |= DIGIT | XDIGIT;
  if ((c >= 65 && c <= 70) || (c >= 97 && c <= 102)) f |= XDIGIT;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
    f |= PUNCT;
  }
  if ((c >= 9 && c <= 13) || c === 32) f |= SPACE;
  CTYPE[c] = f;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** match_class: does byte c belong to class letter cl (%a, %A, ...)? */
function matchClass(c: number, cl: number): boolean {
  let res: boolean;
  switch (cl | 0x20) {
    case 97: // a
      res = (CTYPE[c] & ALPHA) !== 0;
      break;
    case 99: // c
      res = (CTYPE[c] & CNTRL) !== 0;
      break;
    case 100: // d
      res = (CTYPE[c] & DIGIT) !== 0;
      break;
    case 108: // l
      res = (CTYPE[c] & LOWER) !== 0;
      break;
    case 112: // p
      res = (CTYPE[c] & PUNCT) !== 0;
      break;
    case 115: // s
      res = (CTYPE[c] & SPACE) !== 0;
      break;
    case 117: // u
      res = (CTYPE[c] & UPPER) !== 0;
      break;
    case 119: // w
      res = (CTYPE[c] & (ALPHA | DIGIT)) !== 0;
      break;
    case 120: // x
      res = (CTYPE[c] & XDIGIT) !== 0;
      break;
    case 122: // z
      res = c === 0;
      break;
    default:
      return cl === c;
  }
  // tolower() only folds letters; a non-letter class char took the default branch above.
  return (CTYPE[cl] & LOWER) !== 0 ? res : !res;
}

function patternError(message: string): never {
  throw new LuaError(message, 1);
}

/**
 * The state of one match (MatchState): subject, pattern and captures. Reused across the start
 * positions of a find/gmatch/gsub, as lstrlib.c does.
 */
export class Matcher {
  readonly src: string;
  readonly srcEnd: number;
  /** The pattern up to its first "\0" (where C Lua's matcher stops reading it). */
  readonly pat: string;
  readonly patEnd: number;
  /** The pattern's bytes followed by zeros: C's terminating NUL, and room to look past it. */
  private readonly pc: Uint8Array;
  level = 0;
  readonly captureInit: number[] = new Array(MAX_CAPTURES).fill(0);
  readonly captureLen: number[] = new Array(MAX_CAPTURES).fill(0);
  private depth = 0;

  constructor(src: string, pattern: string) {
    this.src = src;
    this.srcEnd = src.length;
    const nul = pattern.indexOf("\0");
    this.pat = nul < 0 ? pattern : pattern.slice(0, nul);
    this.patEnd = this.pat.length;
    this.pc = new Uint8Array(this.patEnd + 4);
    for (let i = 0; i < this.patEnd; i++) this.pc[i] = this.pat.charCodeAt(i);
  }

  /** Matches at subject position s with the pattern from index p: the match's end, or -1. */
  match(s: number, p: number): number {
    // No try/finally: an error ends the whole match, and run() resets the depth.
    if (++this.depth > MAX_MATCH_DEPTH) patternError("pattern too complex");
    const res = this.doMatch(s, p);
    this.depth--;
    return res;
  }

  /** classend: the index just past the single-char class that starts at p. */
  private classEnd(p: number): number {
    const c = this.pc[p++];
    if (c === L_ESC) {
      if (p >= this.patEnd) patternError("malformed pattern (ends with '%')");
      return p + 1;
    }
    if (c === 91) {
      // '['
      if (this.pc[p] === 94) p++; // '^'
      do {
        // look for a ']'
        if (p >= this.patEnd) patternError("malformed pattern (missing ']')");
        const cc = this.pc[p++];
        if (cc === L_ESC && p < this.patEnd) p++; // skip escapes (e.g. '%]')
      } while (this.pc[p] !== 93);
      return p + 1;
    }
    return p;
  }

  /** matchbracketclass: p at '[', ec at the closing ']'. */
  private matchBracketClass(c: number, p: number, ec: number): boolean {
    let sig = true;
    if (this.pc[p + 1] === 94) {
      sig = false;
      p++; // skip the '^'
    }
    while (++p < ec) {
      const pc = this.pc[p];
      if (pc === L_ESC) {
        p++;
        if (matchClass(c, this.pc[p])) return sig;
      } else if (this.pc[p + 1] === 45 && p + 2 < ec) {
        // range a-z
        p += 2;
        if (pc <= c && c <= this.pc[p]) return sig;
      } else if (pc === c) {
        return sig;
      }
    }
    return !sig;
  }

  /** singlematch: does byte c match the class at p (ending at ep)? */
  private singleMatch(c: number, p: number, ep: number): boolean {
    const pc = this.pc[p];
    switch (pc) {
      case 46: // '.'
        return true;
      case L_ESC:
        return matchClass(c, this.pc[p + 1]);
      case 91: // '['
        return this.matchBracketClass(c, p, ep - 1);
      default:
        return pc === c;
    }
  }

  private matchBalance(s: number, p: number): number {
    if (p >= this.patEnd || p + 1 >= this.patEnd) patternError("unbalanced pattern");
    const src = this.src;
    if (s >= this.srcEnd || src.charCodeAt(s) !== this.pc[p]) return -1;
    const b = this.pc[p];
    const e = this.pc[p + 1];
    let cont = 1;
    while (++s < this.srcEnd) {
      const c = src.charCodeAt(s);
      if (c === e) {
        if (--cont === 0) return s + 1;
      } else if (c === b) {
        cont++;
      }
    }
    return -1; // string ends out of balance
  }

  private maxExpand(s: number, p: number, ep: number): number {
    const src = this.src;
    let i = 0; // counts maximum expand for item
    while (s + i < this.srcEnd && this.singleMatch(src.charCodeAt(s + i), p, ep)) i++;
    // keeps trying to match with the maximum repetitions
    while (i >= 0) {
      const res = this.match(s + i, ep + 1);
      if (res !== -1) return res;
      i--; // else didn't match; reduce 1 repetition to try again
    }
    return -1;
  }

  private minExpand(s: number, p: number, ep: number): number {
    for (;;) {
      const res = this.match(s, ep + 1);
      if (res !== -1) return res;
      if (s < this.srcEnd && this.singleMatch(this.src.charCodeAt(s), p, ep)) s++;
      else return -1;
    }
  }

  private startCapture(s: number, p: number, what: number): number {
    const level = this.level;
    if (level >= MAX_CAPTURES) patternError("too many captures");
    this.captureInit[level] = s;
    this.captureLen[level] = what;
    this.level = level + 1;
    const res = this.match(s, p);
    if (res === -1) this.level--; // undo capture
    return res;
  }

  private endCapture(s: number, p: number): number {
    const l = this.captureToClose();
    this.captureLen[l] = s - this.captureInit[l]; // close capture
    const res = this.match(s, p);
    if (res === -1) this.captureLen[l] = CAP_UNFINISHED; // undo capture
    return res;
  }

  private captureToClose(): number {
    let level = this.level;
    for (level--; level >= 0; level--) if (this.captureLen[level] === CAP_UNFINISHED) return level;
    patternError("invalid pattern capture");
  }

  private checkCapture(l: number): number {
    l -= 49; // '1'
    if (l < 0 || l >= this.level || this.captureLen[l] === CAP_UNFINISHED) {
      patternError("invalid capture index");
    }
    return l;
  }

  private matchCapture(s: number, l: number): number {
    l = this.checkCapture(l);
    const len = this.captureLen[l];
    // A position capture has len -2: as size_t it is huge, so it never fits.
    if (len < 0) return -1;
    const init = this.captureInit[l];
    if (this.srcEnd - s >= len && this.src.substr(init, len) === this.src.substr(s, len)) return s + len;
    return -1;
  }

  private doMatch(s: number, p: number): number {
    const src = this.src;
    const srcEnd = this.srcEnd;
    for (;;) {
      if (p >= this.patEnd) return s; // end of pattern: match succeeded
      const pc = this.pc[p];
      switch (pc) {
        case 40: // '(' start capture
          if (this.pc[p + 1] === 41) return this.startCapture(s, p + 2, CAP_POSITION);
          return this.startCapture(s, p + 1, CAP_UNFINISHED);
        case 41: // ')' end capture
          return this.endCapture(s, p + 1);
        case 36: // '$'
          if (p + 1 === this.patEnd) return s === srcEnd ? s : -1;
          break; // else a literal '$'
        case L_ESC: {
          const next = this.pc[p + 1];
          if (next === 98) {
            // %b: balanced string
            s = this.matchBalance(s, p + 2);
            if (s === -1) return -1;
            p += 4;
            continue;
          }
          if (next === 102) {
            // %f: frontier
            p += 2;
            if (this.pc[p] !== 91) patternError("missing '[' after '%f' in pattern");
            const ep = this.classEnd(p);
            const previous = s === 0 ? 0 : src.charCodeAt(s - 1);
            const current = s < srcEnd ? src.charCodeAt(s) : 0;
            if (this.matchBracketClass(previous, p, ep - 1) || !this.matchBracketClass(current, p, ep - 1)) {
              return -1;
            }
            p = ep;
            continue;
          }
          if (isDigitCode(next)) {
            // back-reference %0-%9
            s = this.matchCapture(s, next);
            if (s === -1) return -1;
            p += 2;
            continue;
          }
          break; // a class such as %a
        }
      }
      // A single-char class, possibly followed by a repetition.
      const ep = this.classEnd(p);
      const m = s < srcEnd && this.singleMatch(src.charCodeAt(s), p, ep);
      const epc = this.pc[ep];
      if (epc === 63) {
        // '?'
        if (m) {
          const res = this.match(s + 1, ep + 1);
          if (res !== -1) return res;
        }
        p = ep + 1;
        continue;
      }
      if (epc === 42) return this.maxExpand(s, p, ep); // '*'
      if (epc === 43) return m ? this.maxExpand(s + 1, p, ep) : -1; // '+'
      if (epc === 45) return this.minExpand(s, p, ep); // '-'
      if (!m) return -1;
      s++;
      p = ep;
    }
  }

  /**
   * Runs the whole match from subject position s, pattern index p, as the library does for
   * each start position: captures reset, JS stack exhaustion reported as Lua would see it.
   */
  run(s: number, p: number): number {
    this.level = 0;
    this.depth = 0;
    try {
      return this.match(s, p);
    } catch (e) {
      if (e instanceof RangeError) patternError("pattern too complex");
      throw e;
    }
  }

  /** push_onecapture: capture i of a match spanning [s, e). */
  capture(i: number, s: number, e: number): LuaValue {
    if (i >= this.level) {
      if (i === 0) return this.src.slice(s, e); // whole match
      patternError("invalid capture index");
    }
    const l = this.captureLen[i];
    if (l === CAP_UNFINISHED) patternError("unfinished capture");
    const init = this.captureInit[i];
    if (l === CAP_POSITION) return init + 1;
    return this.src.substr(init, l);
  }

  /** push_captures: all captures, or the whole match when there are none and `wholeIfNone`. */
  captures(s: number, e: number, wholeIfNone: boolean): LuaValue[] {
    const n = this.level === 0 && wholeIfNone ? 1 : this.level;
    const out: LuaValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.capture(i, s, e);
    return out;
  }
}

/** SPECIALS of str_find_aux: does the pattern (as a C string) need the matcher? */
export function hasSpecials(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0) return false;
    // ^$*+?.([%-
    if (
      c === 94 ||
      c === 36 ||
      c === 42 ||
      c === 43 ||
      c === 63 ||
      c === 46 ||
      c === 40 ||
      c === 91 ||
      c === 37 ||
      c === 45
    ) {
      return true;
    }
  }
  return false;
}
