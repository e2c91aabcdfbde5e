/**
 * The reservation ahead of an `appendfsync always` incr file: its bytes, where a crash leaves it,
 * and the reading of such files as Redis's loader reads them (AofCommandReader mirrors
 * loadSingleAppendOnlyFile's 1023-byte fgets). redis-check-aof and redis-server themselves read a
 * crashed file in test/integration/aof-interop.test.ts.
 */

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AOF_COMMAND, AOF_NEED_MORE, AofCommandReader, encodeCommand } from "@keyhaven/protocol";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Logger } from "../util/logger.js";
import { extendReservation, RESERVE_MIN_AHEAD, RESERVE_STEP, reservedTail } from "./aof-reserve.js";
import { AofWriter } from "./aof-writer.js";

const dir = mkdtempSync(join(tmpdir(), "kh-aof-reserve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `f${n++}.aof`);

const quiet: Logger = {
  debug: () => {},
  verbose: () => {},
  notice: () => {},
  warning: () => {},
  isLevelEnabled: () => false,
  setLevel: () => {},
};

/** The commands a Redis 7.0 loader replays from `bytes`, and whether the file ended cleanly. */
function replay(bytes: Buffer): { commands: string[][]; complete: boolean } {
  const r = new AofCommandReader();
  r.feed(bytes);
  const commands: string[][] = [];
  for (;;) {
    const s = r.next();
    if (s === AOF_NEED_MORE) break;
    if (s === AOF_COMMAND) commands.push(r.argv);
  }
  return { commands, complete: r.end() === "complete" };
}

describe("extendReservation", () => {
  it("appends 64-byte '#' lines to RESERVE_STEP past the coming write's end", () => {
    const path = fresh();
    const cmd = encodeCommand(["SET", "a", "1"]);
    writeFileSync(path, cmd);
    const fd = openSync(path, "r+");
    try {
      const first = extendReservation(fd, cmd.length, cmd.length + 10);
      expect(first).toBeGreaterThanOrEqual(cmd.length + 10 + RESERVE_STEP);
      const file = readFileSync(path);
      expect(file.length).toBe(first);
      expect(file.subarray(0, cmd.length).equals(cmd)).toBe(true);
      const reserved = file.subarray(cmd.length).toString("latin1");
      expect(reserved).toBe(`${"#".repeat(63)}\n`.repeat(reserved.length / 64));
      // A renewal continues from the reservation's end, in whole lines.
      const second = extendReservation(fd, first, first + 100);
      expect(second).toBeGreaterThanOrEqual(first + 100 + RESERVE_STEP);
      expect((second - cmd.length) % 64).toBe(0);
      expect(readFileSync(path).subarray(0, first).equals(file)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});

describe("reservedTail", () => {
  const cmd = encodeCommand(["SET", "k", "v"]);
  const cases: [string, Buffer, number][] = [
    ["no reservation", cmd, cmd.length],
    ["a reservation after a command", Buffer.concat([cmd, Buffer.from("#####\n")]), cmd.length],
    ["a reservation after an annotation", Buffer.from("#TS:1700000000\r\n###\n"), 16],
    [
      "a reservation cut by a crash before its line end",
      Buffer.concat([cmd, Buffer.from("####")]),
      cmd.length,
    ],
    // A torn write: the start of a command, then the old reservation. The command is left cut
    // short at the end, where aof-load-truncated finds it.
    [
      "a command torn by a crash",
      Buffer.concat([cmd, Buffer.from("*3\r\n$3\r\nSET\r\n$1\r\nk"), Buffer.from("######\n")]),
      cmd.length + 18,
    ],
    ["a file that is only a reservation", Buffer.from("########\n"), 0],
    // Not ours: Redis refuses empty lines, and so must we, so they stay.
    ["empty lines without '#'", Buffer.concat([cmd, Buffer.from("\n\n")]), cmd.length + 2],
  ];
  for (const [label, bytes, kept] of cases) {
    it(`finds ${kept} bytes before the reservation in ${label}, and changes nothing`, () => {
      const path = fresh();
      writeFileSync(path, bytes);
      expect(reservedTail(path)).toEqual({ start: kept, size: bytes.length });
      expect(readFileSync(path).equals(bytes)).toBe(true);
    });
  }

  it("works through a reservation longer than its read chunk", () => {
    const path = fresh();
    writeFileSync(path, Buffer.concat([cmd, Buffer.alloc(200_000, "#"), Buffer.from("\n")]));
    expect(reservedTail(path)).toEqual({ start: cmd.length, size: cmd.length + 200_001 });
  });
});

describe("an always writer's file, read as Redis's loader reads it", () => {
  it("at every moment holds exactly the commands written, then annotations only", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer({ min: 0, max: 3 * RESERVE_MIN_AHEAD }).map((k) => "v".repeat(k)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 25 }),
        (turns) => {
          const path = fresh();
          const w = new AofWriter({
            logger: quiet,
            snapshotActive: () => false,
            scheduleFlush: () => {},
            fatal: (m: string): never => {
              throw new Error(m);
            },
          });
          w.switchFile(AofWriter.openNew(path));
          w.fsyncPolicy = "always";
          w.accepting = true;
          const written: string[][] = [];
          let i = 0;
          try {
            for (const turn of turns) {
              for (const v of turn) {
                const argv = ["SET", `k${i++}`, v];
                w.feedArgv(0, argv);
                written.push(argv);
              }
              w.flush(false);
              const file = readFileSync(path);
              expect(file.length).toBeGreaterThanOrEqual(w.lastIncrSize + RESERVE_MIN_AHEAD);
              expect(file[file.length - 1]).toBe(0x0a);
              const { commands, complete } = replay(file);
              expect(complete).toBe(true);
              expect(commands).toEqual([["SELECT", "0"], ...written]);
            }
          } finally {
            closeSync(w.fd);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
