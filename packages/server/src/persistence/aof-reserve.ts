/**
 * The reserved tail of an incr file under `appendfsync always`: bytes written and fsynced ahead
 * of the AOF's end, which each turn's write then overwrites in place.
 *
 * Why: on ext4 (and most journaling file systems) an fdatasync after an append must also commit
 * the file's new size through the journal; after an overwrite of blocks already allocated and
 * written it flushes the data alone. Measured here (a 1.8 KB write + fdatasync, 3000 times):
 * appending 203-246 us of wall time and 57-73 us of CPU per fsync, overwriting 134-170 us and
 * 34-49 us. With `always` a turn's fdatasync is about half of the server's time, and the reply
 * waits for it.
 *
 * The reserved bytes must be harmless to every reader of an incr file, because a crash leaves
 * them there. They are annotation lines (`#...#\n`, 64 bytes), which Redis's
 * loadSingleAppendOnlyFile and redis-check-aof skip, as ours does. Three rules keep them so:
 * - lines stay far shorter than the loaders' 1024-byte line buffer: a longer line is read in
 *   pieces, and a last piece that is only its '\n' is an empty line, which Redis refuses;
 * - a write into the reservation is followed by one more '#' (not counted in the AOF's size): a
 *   write ending just before a line end would otherwise leave an empty line;
 * - the reservation ends with a line end, and a write never reaches it (RESERVE_MIN_AHEAD), so a
 *   redis-server appending to the file after a crash starts a line of its own.
 * A renewal is written before the write that needs it, from the reservation's end: a crash in
 * between leaves the commands as they were and a longer reservation, never a hole.
 *
 *   file:  [ commands ........ ][#][#####...#\n ... #####...#\n]
 *          0                   end              reservedEnd (the file's size)
 *
 * Files at rest carry no reservation: it is cut off when the writer leaves a file or `always`, and
 * after a good load when a crash left it (aof-load.ts loads up to reservedTail's start, and cuts
 * the rest only once the file loaded: a file it refuses stays as it was).
 *
 * Callers: aof-writer.ts (reserve, cut), aof-load.ts (find at load, cut after it).
 */

import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";

const HASH = 0x23;
const LF = 0x0a;
/** The byte written after every write into a reservation (the second rule above). */
export const RESERVE_MARK = HASH;
/**
 * How far past the end a reservation reaches when it is renewed. Each renewal is one append (its
 * fdatasync commits the size, and flushes these bytes). Measured with the fsync loop above:
 * 64 KB and 256 KB cost the same per fsync, and their slowest fsync (1.7-3.6 ms) is no worse than
 * appending's own (1.6-6.6 ms); 4 MB stalls 15-25 ms once per renewal.
 */
export const RESERVE_STEP = 256 * 1024;
/** A reservation is renewed when fewer bytes than this would be left after a write. */
export const RESERVE_MIN_AHEAD = 4096;

/** Length of a reserved line, '\n' included. */
const RESERVE_LINE = 64;

/**
 * Appends reserved lines at `from` (the reservation's end, or the commands' end when there is
 * none) reaching at least RESERVE_STEP past `end` (the end of the write about to be made);
 * returns the new reserved end (the file's size). Throws the write's error (ENOSPC: the disk is
 * full), having possibly written part of the lines.
 */
export function extendReservation(fd: number, from: number, end: number): number {
  const length = Math.ceil((end + RESERVE_STEP - from) / RESERVE_LINE) * RESERVE_LINE;
  const bytes = Buffer.alloc(length, HASH);
  for (let i = RESERVE_LINE - 1; i < length; i += RESERVE_LINE) bytes[i] = LF;
  let done = 0;
  while (done < length) done += writeSync(fd, bytes, done, length - done, from + done);
  return from + length;
}

/**
 * Where a reservation left at the end of `fd` (`size` bytes) starts, or `size` when there is
 * none: the longest tail made of '#' and '\n' that holds a '#', minus a leading '\n' (the line
 * end of the last command or annotation). Such a tail is annotations only, so cutting it loses
 * nothing; a command cut short by a crash before it (a torn write) then ends the file, where
 * aof-load-truncated finds it.
 */
export function reservationStart(fd: number, size: number): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let start = size;
  let sawHash = false;
  let pos = size;
  outer: while (pos > 0) {
    const n = Math.min(chunk.length, pos);
    pos -= n;
    let got = 0;
    while (got < n) got += readSync(fd, chunk, got, n - got, pos + got);
    for (let i = n - 1; i >= 0; i--) {
      const b = chunk[i];
      if (b !== HASH && b !== LF) break outer;
      if (b === HASH) sawHash = true;
      start = pos + i;
    }
  }
  if (!sawHash) return size;
  if (start < size && readByte(fd, start) === LF) start++;
  return start;
}

function readByte(fd: number, at: number): number {
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, at);
  return one[0];
}

/**
 * Where a reservation a crash left at the end of the file at `path` starts (`start` equals `size`
 * when there is none). Reads only. Throws when the file cannot be opened.
 */
export function reservedTail(path: string): { start: number; size: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    return { start: reservationStart(fd, size), size };
  } finally {
    closeSync(fd);
  }
}
