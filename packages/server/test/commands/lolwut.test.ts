/**
 * LOLWUT and PFSELFTEST. LOLWUT's drawings are random, so they are checked by shape (rows,
 * width, alphabet, caption); a VERSION 5 drawing with at most two rows of squares involves no
 * random number and is compared to the character. PFSELFTEST runs Redis's HyperLogLog
 * self-test against the server's own HLL code (seconds of work on either server).
 */

import { describe, expect, it } from "vitest";
import { errorText, RespClient, type ServerProcess, withTarget } from "../helpers.js";

const VERSION_LINE = "Redis ver. 7.0.15\n";
const SCHOTTER = "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n";
const SKYLINE =
  "Dedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n";
/** One cell of VERSION 6's picture: a space in one of four grays, colours reset after it. */
const CELL = /\x1b\[0;(?:30;40|90;100|37;47|97;107)m \x1b\[0m/y;
const WHITE = "\x1b[0;97;107m \x1b[0m";

/** Replies come as latin1 (one char per byte); the art is UTF-8. */
const utf8 = (reply: unknown) => Buffer.from(reply as string, "latin1").toString("utf8");

/** Splits a VERSION 5 reply into its Braille rows, checking the caption (after a blank line or not). */
function braille(text: string): string[] {
  expect(text.endsWith(`\n${SCHOTTER}`)).toBe(true);
  const rows = text.slice(0, -SCHOTTER.length - 1).split("\n");
  if (rows.at(-1) === "") rows.pop();
  for (const row of rows) expect(row).toMatch(/^[\u2800-\u28ff]*$/);
  return rows;
}

/** The number of cells in a VERSION 6 row (every character belongs to a cell). */
function cells(row: string): number {
  CELL.lastIndex = 0;
  let n = 0;
  while (CELL.lastIndex < row.length) {
    const at = CELL.lastIndex;
    if (!CELL.test(row)) throw new Error(`not a cell at ${at}: ${JSON.stringify(row.slice(at, at + 16))}`);
    n++;
  }
  return n;
}

function skyline(reply: unknown): string[] {
  const text = reply as string;
  expect(text.endsWith(`\n${SKYLINE}`)).toBe(true);
  return text.slice(0, -SKYLINE.length - 1).split("\n");
}

describe("LOLWUT", () => {
  let c: RespClient;
  let server: ServerProcess;

  withTarget({}, (t) => ({ c, server } = t));

  it("prints the version line without a VERSION of its own art", async () => {
    expect(await c.call("LOLWUT")).toBe(VERSION_LINE);
    // Arguments without VERSION are ignored, as is a VERSION with no number after it.
    expect(await c.call("LOLWUT", "5", "6")).toBe(VERSION_LINE);
    expect(await c.call("lolwut", "version")).toBe(VERSION_LINE);
    for (const v of ["7", "4", "0", "59", "-1", "10"])
      expect(await c.call("LOLWUT", "VERSION", v)).toBe(VERSION_LINE);
    const t = await RespClient.connect(server.port, { typed: true });
    await t.call("HELLO", "3");
    const reply = (await t.call("LOLWUT")) as { type: string; format: string; value: Buffer };
    t.close();
    expect([reply.type, reply.format, reply.value.toString()]).toEqual(["verbatim", "txt", VERSION_LINE]);
  });

  it("VERSION 5 without randomness matches Redis to the character", async () => {
    // Two rows of squares: no square is turned or moved.
    expect(utf8(await c.call("LOLWUT", "VERSION", "5", "12", "3", "2"))).toBe(
      `⢰⠒⠒⠒⣶⠒⠒⡖⡖⠒⠒⡆\n⢸⠀⠀⠀⣿⠀⠀⡇⡇⠀⠀⡇\n⢸⠛⠛⠛⣿⠛⠛⡟⡟⠛⠛⡇\n⢸⠀⠀⠀⣿⠀⠀⡇⡇⠀⠀⡇\n⠈⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠁\n${SCHOTTER}`,
    );
    // A canvas whose height is not 1 more than a multiple of 4 leaves a blank line before the
    // caption; limits clamp each argument to at least 1; the version wraps as a C unsigned int.
    const tiny = `⠋\n\n${SCHOTTER}`;
    expect(utf8(await c.call("LOLWUT", "VERSION", "5", "1", "1", "1"))).toBe(tiny);
    expect(utf8(await c.call("LOLWUT", "VERSION", "5", "0", "-3", "0"))).toBe(tiny);
    expect(utf8(await c.call("LOLWUT", "VERSION", "4294967301", "1", "1", "1", "extra"))).toBe(tiny);
  });

  it("VERSION 5 default: 66 columns, 8 by 12 squares", async () => {
    const rows = braille(utf8(await c.call("LOLWUT", "VERSION", "5")));
    // 132 x 196 pixels: 49 rows of 66 characters.
    expect(rows.length).toBe(49);
    for (const row of rows) expect(row.length).toBe(66);
    // Only the squares from the third row down move: the top rows are those of a 2-row drawing.
    const ordered = braille(utf8(await c.call("LOLWUT", "VERSION", "5", "66", "8", "2")));
    expect(rows.slice(0, 7)).toEqual(ordered.slice(0, 7));
    const custom = braille(utf8(await c.call("lolwut", "version", "5", "40", "5", "7")));
    // 80 pixels wide, squares of 76/5 = 15.2: 15.2 * 7 + 4 = 110 pixels high.
    expect(custom.length).toBe(28);
    for (const row of custom) expect(row.length).toBe(40);
  });

  it("VERSION 5 caps the columns at 1000 and squares at 200 per side", async () => {
    const capped = utf8(await c.call("LOLWUT", "VERSION", "5", "5000", "1", "1"));
    expect(capped).toBe(utf8(await c.call("LOLWUT", "VERSION", "5", "1000", "1", "1")));
    const rows = braille(capped);
    // One square of 1996 pixels plus margins: 2000 x 2000 pixels.
    expect(rows.length).toBe(500);
    for (const row of rows) expect(row.length).toBe(1000);
    const many = braille(utf8(await c.call("LOLWUT", "VERSION", "5", "20", "999", "2")));
    expect(many).toEqual(braille(utf8(await c.call("LOLWUT", "VERSION", "5", "20", "200", "2"))));
  });

  it("VERSION 6: a skyline of gray cells, 80 x 20 by default", async () => {
    const rows = skyline(await c.call("LOLWUT", "VERSION", "6"));
    expect(rows.length).toBe(20);
    for (const row of rows) expect(cells(row)).toBe(80);
    // The top row is above every building: all sky.
    expect(rows[0]).toBe(WHITE.repeat(80));
    const custom = skyline(await c.call("LOLWUT", "VERSION", "6", "33", "7", "ignored"));
    expect(custom.length).toBe(7);
    for (const row of custom) expect(cells(row)).toBe(33);
    // One row of height: no building is tall enough to show.
    expect(await c.call("LOLWUT", "VERSION", "6", "1", "1")).toBe(`${WHITE}\n${SKYLINE}`);
    expect(await c.call("LOLWUT", "VERSION", "6", "-4", "0")).toBe(`${WHITE}\n${SKYLINE}`);
    expect(await c.call("LOLWUT", "VERSION", "6", "5", "1")).toBe(`${WHITE.repeat(5)}\n${SKYLINE}`);
    const capped = skyline(await c.call("LOLWUT", "VERSION", "6", "2000", "3"));
    expect(capped.length).toBe(3);
    for (const row of capped) expect(cells(row)).toBe(1000);
  });

  it("argument errors", async () => {
    const notInt = "ERR value is not an integer or out of range";
    expect(errorText(await c.call("LOLWUT", "VERSION", "abc"))).toBe(notInt);
    expect(errorText(await c.call("LOLWUT", "VERSION", "5.5"))).toBe(notInt);
    expect(errorText(await c.call("LOLWUT", "VERSION", "5", "x"))).toBe(notInt);
    expect(errorText(await c.call("LOLWUT", "VERSION", "5", "10", "10", "1e3"))).toBe(notInt);
    expect(errorText(await c.call("LOLWUT", "VERSION", "6", "10", " 5"))).toBe(notInt);
    // Only the arguments a version takes are parsed.
    expect(errorText(await c.call("LOLWUT", "VERSION", "6", "1", "1", "x"))).toBeNull();
  });

  it("COMMAND INFO and DOCS", async () => {
    const [info] = (await c.call("COMMAND", "INFO", "lolwut")) as unknown[][];
    expect(info.slice(0, 7)).toEqual(["lolwut", -1, ["readonly", "fast"], 0, 0, 0, ["@read", "@fast"]]);
    const docs = (await c.call("COMMAND", "DOCS", "lolwut")) as unknown[];
    const fields = docs[1] as unknown[];
    expect(docs[0]).toBe("lolwut");
    expect(fields.slice(0, 6)).toEqual([
      "summary",
      "Display some computer art and the Redis version",
      "since",
      "5.0.0",
      "group",
      "server",
    ]);
  });
});

describe("PFSELFTEST", () => {
  let c: RespClient;

  withTarget({}, (t) => ({ c } = t));

  it("passes on a working HyperLogLog implementation and touches no key", { timeout: 60_000 }, async () => {
    expect(await c.call("PFSELFTEST")).toBe("OK");
    expect(await c.call("DBSIZE")).toBe(0);
  });

  it("arity and the command table", async () => {
    expect(errorText(await c.call("PFSELFTEST", "x"))).toBe(
      "ERR wrong number of arguments for 'pfselftest' command",
    );
    const [info] = (await c.call("COMMAND", "INFO", "pfselftest")) as unknown[][];
    expect(info.slice(0, 7)).toEqual([
      "pfselftest",
      1,
      ["admin"],
      0,
      0,
      0,
      ["@hyperloglog", "@admin", "@slow", "@dangerous"],
    ]);
    const docs = (await c.call("COMMAND", "DOCS", "pfselftest")) as unknown[];
    expect((docs[1] as unknown[]).slice(0, 6)).toEqual([
      "summary",
      "An internal command for testing HyperLogLog values",
      "since",
      "2.8.9",
      "group",
      "hyperloglog",
    ]);
  });
});
