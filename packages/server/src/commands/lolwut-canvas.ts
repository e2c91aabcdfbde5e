/**
 * The drawing surface LOLWUT's art is made on (lolwut.c's lwCanvas): a grid of small color
 * numbers with pixel, line and rotated-square primitives, plus the Braille rendering version 5
 * prints (each character shows a 2x4 block of on/off pixels).
 *
 * Geometry follows Redis's C closely, single-precision floats and C's rounding included, so a
 * drawing without random input (LOLWUT VERSION 5 with at most two rows of squares) comes out
 * identical to Redis's.
 */

/** C's round(): halfway cases away from zero (Math.round sends -2.5 to -2). */
export function cRound(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

const f32 = Math.fround;

export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height);
    if (background !== 0) this.pixels.fill(background);
  }

  /** Drawing off the canvas is allowed and does nothing. */
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** Off-canvas pixels read as 0. */
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** Bresenham's line, both ends included. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) return;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /**
   * lwDrawSquare: a square of side about `size` centred on (x, y), turned by `angle` radians.
   * Its corners sit on a circle at 45° + angle and every 90° after; `size` and `angle` are C
   * floats in Redis, so they are kept in single precision here.
   */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // The circle's radius: a square inscribed in a unit circle has sides of sqrt(2).
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: Redis's truncated constant, kept for identical rounding.
    const radius = f32(cRound(f32(f32(size) / 1.4142135623)));
    const px = [0, 0, 0, 0];
    const py = [0, 0, 0, 0];
    let k = f32(Math.PI / 4 + f32(angle));
    for (let j = 0; j < 4; j++) {
      px[j] = cRound(Math.sin(k) * radius + x);
      py[j] = cRound(Math.cos(k) * radius + y);
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/**
 * The canvas as Braille text, one character per 2x4 block. The dot numbering of U+2800..U+28FF
 * is column-major for the top three rows (bits 0-2 left, 3-5 right) and then bit 6 and 7 for the
 * bottom row. Each text row ends with a newline unless its block starts on the canvas's last
 * pixel row (Redis's test, which most heights fail: the drawing then ends with a newline).
 */
export function renderBraille(canvas: Canvas): string {
  const rows: string[] = [];
  const codes = new Array<number>(Math.ceil(canvas.width / 2));
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0, i = 0; x < canvas.width; x += 2, i++) {
      let bits = 0;
      if (canvas.get(x, y)) bits |= 1 << 0;
      if (canvas.get(x, y + 1)) bits |= 1 << 1;
      if (canvas.get(x, y + 2)) bits |= 1 << 2;
      if (canvas.get(x + 1, y)) bits |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) bits |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) bits |= 1 << 5;
      if (canvas.get(x, y + 3)) bits |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) bits |= 1 << 7;
      codes[i] = 0x2800 + bits;
    }
    rows.push(String.fromCharCode(...codes));
    if (y !== canvas.height - 1) rows.push("\n");
  }
  return rows.join("");
}
