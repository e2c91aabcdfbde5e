/**
 * LOLWUT [VERSION v] [args...] (lolwut.c, lolwut5.c, lolwut6.c): a piece of computer art and the
 * server's version. Redis 7.0 has no art of its own, so without VERSION it prints just
 * "Redis ver. 7.0.15"; VERSION 5 draws Georg Nees's "Schotter" in Braille characters and
 * VERSION 6 a city skyline in terminal colours, each with its own optional size arguments.
 *
 * The drawings are random, as Redis's are; their sizes, limits, argument errors and captions
 * are Redis's.
 */

import type { Client } from "../network/client.js";
import { RAND_MAX, rand } from "../util/c-rand.js";
import { REDIS_VERSION } from "../version.js";
import { intOrReply, parseInt64 } from "./args.js";
import { Canvas, renderBraille } from "./lolwut-canvas.js";
import { type CommandSpec, spec } from "./spec.js";

const f32 = Math.fround;

/**
 * The optional integer arguments of a version's drawing, each clamped to [1, max]; null after an
 * error reply. Arguments past the ones a version takes are ignored, as in Redis.
 */
function sizeArgs(c: Client, args: readonly string[], defaults: number[], max: number[]): number[] | null {
  const out = defaults.slice();
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = intOrReply(c, args[i]);
    if (n === null) return null;
    out[i] = Math.min(max[i], Math.max(1, n));
  }
  return out;
}

/**
 * lwDrawSchotter: a grid of squares that tilt and drift more and more towards the bottom. The
 * canvas is two pixels per text column wide, with a two-pixel margin when it is wide enough.
 * Redis computes in C floats, so the sizes here are rounded to single precision the same way.
 */
function drawSchotter(columns: number, perRow: number, perCol: number): Canvas {
  const width = columns * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f32(f32(width - padding * 2) / perRow);
  const height = Math.trunc(f32(f32(side * perCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  const unit = () => f32(f32(rand()) / f32(RAND_MAX));
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f32(f32(f32(x * side) + f32(side / 2)) + padding));
      let sy = Math.trunc(f32(f32(f32(y * side) + f32(side / 2)) + padding));
      let angle = 0;
      // The first two rows stay in order; below them disorder grows with the row.
      if (y > 1) {
        let r1 = f32(f32(unit() / perCol) * y);
        let r2 = f32(f32(unit() / perCol) * y);
        let r3 = f32(f32(unit() / perCol) * y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f32(sx + f32(f32(r2 * side) / 3)));
        sy = Math.trunc(f32(sy + f32(f32(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** LOLWUT VERSION 5 [columns [squares-per-row [squares-per-col]]]: 66, 8 and 12 by default. */
function lolwut5(c: Client, args: readonly string[]): void {
  const sizes = sizeArgs(c, args, [66, 8, 12], [1000, 200, 200]);
  if (sizes === null) return;
  const art = renderBraille(drawSchotter(sizes[0], sizes[1], sizes[2]));
  c.out.verbatim(
    `${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`,
    "txt",
  );
}

/** A building of the skyline: its left edge, size, colour, and whether it has lit windows. */
interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/**
 * generateSkyscraper: a block standing on the bottom row, its roof two pixels narrower on each
 * side. Windows are two pixels wide and one tall (text cells are taller than wide), one of the
 * two grays other than the wall's, and kept off the walls' outer pixels.
 */
function drawSkyscraper(canvas: Canvas, s: Skyscraper): void {
  const bottom = canvas.height - 1;
  const top = bottom - s.height + 1;
  for (let y = bottom; y >= top; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      if (y === top && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > top + 1 && y < bottom - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (top + 1);
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do {
            color = 1 + (rand() % 2);
          } while (color === s.color);
          // The second pixel of a window takes the first one's colour.
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/**
 * generateSkyline: two layers of windowless buildings (the lighter gray behind), then the black
 * foreground buildings with windows, each layer placed left to right at random gaps. Heights
 * use C's precedence: `h/2 + rand()%h/2` is h/2 + (rand() % h)/2.
 */
function drawSkyline(canvas: Canvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + Math.trunc((rand() % h) / (color === 2 ? 2 : 3));
      drawSkyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    drawSkyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

/** Foreground and background set together, so terminals agree on the four grays. */
const GRAYS = [
  "\x1b[0;30;40m \x1b[0m",
  "\x1b[0;90;100m \x1b[0m",
  "\x1b[0;37;47m \x1b[0m",
  "\x1b[0;97;107m \x1b[0m",
];

function renderColors(canvas: Canvas): string {
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    const cells = new Array<string>(canvas.width);
    for (let x = 0; x < canvas.width; x++) cells[x] = GRAYS[canvas.get(x, y)] ?? GRAYS[0];
    rows.push(cells.join(""));
  }
  return rows.join("\n");
}

/** LOLWUT VERSION 6 [columns [rows]]: 80 by 20 by default, white sky. */
function lolwut6(c: Client, args: readonly string[]): void {
  const sizes = sizeArgs(c, args, [80, 20], [1000, 1000]);
  if (sizes === null) return;
  const canvas = new Canvas(sizes[0], sizes[1], 3);
  drawSkyline(canvas);
  c.out.verbatim(
    `${renderColors(canvas)}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
    "txt",
  );
}

/**
 * Which art a version string gets, by Redis's prefix test: 5.x (and 4.9) Schotter, 6.x (and 5.9,
 * the 6.0 previews) the skyline, anything else the plain version line.
 */
function artFor(version: string): "5" | "6" | null {
  if (version.startsWith("5.") ? version[2] !== "9" : version.startsWith("4.9")) return "5";
  if (version.startsWith("6.") ? version[2] !== "9" : version.startsWith("5.9")) return "6";
  return null;
}

function lolwutCommand(c: Client): void {
  let version = REDIS_VERSION;
  let args = c.argv.slice(1);
  if (c.argv.length >= 3 && c.argv[1].toLowerCase() === "version") {
    const v = parseInt64(c.argv[2]);
    if (v === null) {
      c.error("ERR value is not an integer or out of range");
      return;
    }
    // Redis prints the number as a C unsigned int: it wraps modulo 2^32.
    version = `${BigInt.asUintN(32, v)}.0.0`;
    args = c.argv.slice(3);
  }
  const art = artFor(version);
  if (art === "5") lolwut5(c, args);
  else if (art === "6") lolwut6(c, args);
  else c.out.verbatim(`Redis ver. ${REDIS_VERSION}\n`, "txt");
}

export const lolwutCommands = [
  spec(
    "lolwut",
    -1,
    "readonly fast",
    [0, 0, 0],
    "server",
    "Display some computer art and the Redis version",
    "5.0.0",
    lolwutCommand,
  ),
] satisfies CommandSpec[];
