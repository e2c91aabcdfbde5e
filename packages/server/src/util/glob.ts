/**
 * Redis's glob matching (util.c stringmatchlen) over strings of one-byte chars: `*`, `?`,
 * `[abc]`, `[^a-z]`, `\x` escapes, optional case folding. Used by KEYS, SCAN MATCH, PSUBSCRIBE,
 * CONFIG GET and CLIENT KILL. Like Redis 7.0 it stops exploring longer matches once a `*` has
 * failed at the end of the string, so hostile patterns cannot take exponential time.
 */

function lower(c: number, nocase: boolean): number {
  return nocase && c >= 65 && c <= 90 ? c + 32 : c;
}

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const skip = { longer: false };
  return matchFrom(pattern, 0, text, 0, nocase, skip, 0);
}

function matchFrom(
  p: string,
  pi: number,
  s: string,
  si: number,
  nocase: boolean,
  skip: { longer: boolean },
  depth: number,
): boolean {
  // Like Redis 7.0's nesting limit: refuse pathological recursion instead of overflowing.
  if (depth > 1000) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42: {
        // '*'
        while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchFrom(p, pi + 1, s, si, nocase, skip, depth + 1)) return true;
          if (skip.longer) return false;
          si++;
        }
        skip.longer = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: {
        // '['
        pi++;
        const not = pi < plen && p.charCodeAt(pi) === 94;
        if (not) pi++;
        let match = false;
        const sc = lower(s.charCodeAt(si), nocase);
        for (;;) {
          if (pi >= plen) {
            pi--; // unterminated class: like Redis, treat the pattern end as the class end
            break;
          }
          const c = p.charCodeAt(pi);
          if (c === 92 && pi + 1 < plen) {
            pi++;
            if (p.charCodeAt(pi) === s.charCodeAt(si)) match = true;
          } else if (c === 93) {
            break;
          } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45) {
            let start = lower(c, nocase);
            let end = lower(p.charCodeAt(pi + 2), nocase);
            if (start > end) [start, end] = [end, start];
            pi += 2;
            if (sc >= start && sc <= end) match = true;
          } else if (lower(c, nocase) === sc) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      case 92: // '\\'
        if (pi + 1 < plen) pi++;
        if (lower(p.charCodeAt(pi), nocase) !== lower(s.charCodeAt(si), nocase)) return false;
        si++;
        break;
      default:
        if (lower(pc, nocase) !== lower(s.charCodeAt(si), nocase)) return false;
        si++;
        break;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

/** True when the pattern has no glob metacharacters (an exact name). */
export function isLiteralPattern(pattern: string): boolean {
  return !/[*?[\\]/.test(pattern);
}
