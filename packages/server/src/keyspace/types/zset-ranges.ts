/**
 * Score and lex intervals with Redis's inclusive/exclusive and infinite bounds (t_zset.c
 * zrangespec/zlexrangespec and their zslValueGteMin/zslLexValueLteMax predicates). Parsing the
 * command arguments into them is commands/zset-common.ts's job.
 */

/** A score interval (zrangespec). */
export class ScoreRange {
  constructor(
    public min: number,
    public minex: boolean,
    public max: number,
    public maxex: boolean,
  ) {}
  gteMin(v: number): boolean {
    return this.minex ? v > this.min : v >= this.min;
  }
  lteMax(v: number): boolean {
    return this.maxex ? v < this.max : v <= this.max;
  }
  /** Ranges that can never match anything (zslIsInRange's first test). */
  isEmpty(): boolean {
    return this.min > this.max || (this.min === this.max && (this.minex || this.maxex));
  }
}

/** A member interval (zlexrangespec); `inf` -1 stands for "-", 1 for "+", 0 for a string. */
export class LexRange {
  constructor(
    public min: string,
    public minex: boolean,
    public minInf: number,
    public max: string,
    public maxex: boolean,
    public maxInf: number,
  ) {}
  gteMin(m: string): boolean {
    if (this.minInf !== 0) return this.minInf < 0;
    return this.minex ? m > this.min : m >= this.min;
  }
  lteMax(m: string): boolean {
    if (this.maxInf !== 0) return this.maxInf > 0;
    return this.maxex ? m < this.max : m <= this.max;
  }
  /** sdscmplex(min, max) > 0, or equal with an exclusive end. */
  isEmpty(): boolean {
    let cmp: number;
    if (this.minInf !== 0 || this.maxInf !== 0) {
      if (this.minInf === this.maxInf) cmp = 0;
      else cmp = this.minInf === -1 || this.maxInf === 1 ? -1 : 1;
    } else {
      cmp = this.min < this.max ? -1 : this.min > this.max ? 1 : 0;
    }
    return cmp > 0 || (cmp === 0 && (this.minex || this.maxex));
  }
}
