/**
 * Files of many read pieces: the loaders read a file into a few buffers they reuse once the
 * parser no longer holds them (rdb-file-load.ts PieceBuffers), and the parser merges pieces into
 * a buffer of its own that it reuses too (RdbInput.merge). Values longer than a piece stay
 * pending over several reads, and the bytes after an RDB are kept as they were read: a buffer
 * reused too early would show here as a wrong value or a wrong tail.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RdbWriter } from "@keyhaven/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { Db } from "../keyspace/db.js";
import { Server } from "../server.js";
import { loadRdbFile, loadRdbFileSync } from "./rdb-file-load.js";

const dir = mkdtempSync(join(tmpdir(), "kh-rdbfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = new Config();
config.loadText('save ""\nloglevel warning', "(test)");
const server = new Server(config);

/** Bytes LZF cannot shrink, so a long value takes as many file bytes as it has. */
function noise(length: number, seed: number): string {
  let x = seed | 1;
  let s = "";
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += String.fromCharCode(x & 255);
  }
  return s;
}

/** ~4.5 MB: 60k short and medium values, and values of 0.7, 1.3 and 2.1 pieces (512 KB each). */
const dataset = new Map<string, string>();
for (let i = 0; i < 60_000; i++) {
  dataset.set(`key:${i}`, i % 3 === 0 ? String(i) : noise(10 + (i % 97) * 5, i));
  if (i % 20_000 === 10_000) dataset.set(`long:${i}`, noise(360_000 + i * 20, i));
}
dataset.set("long:a", noise(680_000, 7));
dataset.set("long:b", noise(1_100_000, 11));

const rdb = (() => {
  const w = new RdbWriter({ compression: true });
  w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
  w.selectDb(0, dataset.size, 0);
  for (const [key, value] of dataset) w.entry(key, { type: "string", value }, -1);
  w.end();
  return Buffer.concat(w.take());
})();

function expectDataset(db: Db): void {
  expect(db.size).toBe(dataset.size);
  let wrong = 0;
  for (const [key, value] of dataset) if (db.peek(key)?.value !== value) wrong++;
  expect(wrong).toBe(0);
}

describe("loading a file of many pieces", () => {
  it("gives every value, also those longer than a piece, asynchronously and synchronously", async () => {
    expect(rdb.length).toBeGreaterThan(8 * 512 * 1024);
    const path = join(dir, "many.rdb");
    writeFileSync(path, rdb);

    const asyncTarget = [new Db(0, server)];
    const r = await loadRdbFile(server, path, { target: asyncTarget, manageLoading: false });
    expect(r?.keysLoaded).toBe(dataset.size);
    expectDataset(asyncTarget[0]);

    const syncTarget = [new Db(0, server)];
    expect(loadRdbFileSync(server, path, { target: syncTarget })?.keysLoaded).toBe(dataset.size);
    expectDataset(syncTarget[0]);
  });

  it("keeps the bytes after the RDB exactly as read (keepRest), over several pieces", async () => {
    const tail = Buffer.from(noise(1_300_000, 5), "latin1");
    const path = join(dir, "with-tail.rdb");
    writeFileSync(path, Buffer.concat([rdb, tail]));
    for (const async of [true, false]) {
      const target = [new Db(0, server)];
      const r = async
        ? await loadRdbFile(server, path, { target, manageLoading: false, keepRest: true })
        : loadRdbFileSync(server, path, { target, keepRest: true });
      expect(r?.rest.equals(tail)).toBe(true);
      expectDataset(target[0]);
    }
  });
});
