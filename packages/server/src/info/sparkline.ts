/**
 * ASCII sparklines as Redis 7.0 draws them for LATENCY GRAPH (sparkline.c, after antirez's
 * aspark): each sample is one column, its height spread over `rows` text rows of three levels
 * each, and its label (if any) written vertically below, one character per row, after a blank
 * spacer row. A sequence longer than the column budget wraps into blocks separated by an empty
 * line. The output is byte for byte what Redis renders for the same samples.
 */

/** Three levels per text row, low to high; the filled style stacks '|' under the top glyph. */
const LINE_CHARS = "_-`";
const FILL_CHARS = "_o#";
const LEVELS = LINE_CHARS.length;
/** Blank rows between the graph and the labels (only when some sample has a label). */
const LABEL_MARGIN_TOP = 1;

export interface SparklineOptions {
  /** Draw the area under the line ('|' below each top glyph) instead of the line alone. */
  fill: boolean;
  /** Scale heights by log(v + 1), which Redis offers but LATENCY GRAPH does not use. */
  logScale?: boolean;
}

export class Sparkline {
  private readonly values: number[] = [];
  private readonly labels: (string | null)[] = [];
  private labelCount = 0;
  private min = 0;
  private max = 0;

  get length(): number {
    return this.values.length;
  }

  /** An empty label counts as none, as in Redis. */
  add(value: number, label: string | null = null): void {
    if (this.values.length === 0) {
      this.min = value;
      this.max = value;
    } else if (value < this.min) {
      this.min = value;
    } else if (value > this.max) {
      this.max = value;
    }
    const kept = label === null || label === "" ? null : label;
    this.values.push(value);
    this.labels.push(kept);
    if (kept !== null) this.labelCount++;
  }

  /** sparklineRender: the whole sequence in blocks of at most `columns` samples. */
  render(columns: number, rows: number, options: SparklineOptions): string {
    let out = "";
    for (let start = 0; start < this.values.length; start += columns) {
      if (start !== 0) out += "\n";
      out += this.renderBlock(rows, start, Math.min(columns, this.values.length - start), options);
    }
    return out;
  }

  /**
   * One block: text rows top to bottom until a row would be empty. Heights are relative to the
   * minimum of the whole sequence, so wrapped blocks share one scale.
   */
  private renderBlock(rows: number, offset: number, len: number, options: SparklineOptions): string {
    const steps = LEVELS * rows;
    let range = this.max - this.min;
    if (options.logScale) range = Math.log(range + 1);
    else if (range === 0) range = 1;
    const heights = new Array<number>(len);
    for (let j = 0; j < len; j++) {
      let rel = this.values[offset + j] - this.min;
      if (options.logScale) rel = Math.log(rel + 1);
      // Redis truncates the scaled value to an int before dividing, then truncates again.
      let step = Math.trunc(Math.trunc(rel * steps) / range);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      heights[j] = step;
    }
    const glyphs = options.fill ? FILL_CHARS : LINE_CHARS;
    let out = "";
    const line = new Array<string>(len);
    for (let row = 0; ; row++) {
      line.fill(" ");
      let more = false;
      if (row < rows) {
        more = len > 0;
        const floor = (rows - row - 1) * LEVELS;
        for (let j = 0; j < len; j++) {
          const level = heights[j] - floor;
          if (level >= 0 && level < LEVELS) line[j] = glyphs[level];
          else if (options.fill && level >= LEVELS) line[j] = "|";
        }
      } else if (this.labelCount > 0 && row - rows < LABEL_MARGIN_TOP) {
        more = len > 0;
      } else {
        const at = row - rows - LABEL_MARGIN_TOP;
        for (let j = 0; j < len; j++) {
          const label = this.labels[offset + j];
          if (label !== null && label.length > at) {
            line[j] = label[at];
            more = true;
          }
        }
      }
      if (!more) return out;
      out += `${line.join("")}\n`;
    }
  }
}
