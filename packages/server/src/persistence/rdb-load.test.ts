/**
 * Hostile input for the RDB loaders: fast-check mutations of a valid file (flipped bytes, cut
 * short, bytes inserted or removed), fed in arbitrary chunkings. A load must always end in one of
 * two ways: a typed error naming an offset (RdbFileLoadError / RdbFormatError / RdbLoadError),
 * or the complete, correct dataset. Never a crash (any other exception), a hang, or a silently
 * partial dataset. Also: the loaders honour rdbchecksum.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RdbFormatError, type RdbValue, RdbWriter } from "@keyhaven/protocol";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { Db } from "../keyspace/db.js";
import { Server } from "../server.js";
import { loadRdbFile, loadRdbFileSync, RdbFileLoadError } from "./rdb-file-load.js";
import { RdbKeyspaceLoader, RdbLoadError } from "./rdb-load.js";

const dir = mkdtempSync(join(tmpdir(), "kh-rdbload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = new Config();
config.loadText('save ""\nloglevel warning\ndatabases 4', "(test)");
const server = new Server(config);

/** The original dataset: strings of every encoding (int, short, LZF-compressible, binary), TTLs. */
const FUTURE = Date.now() + 3_600_000;
const dataset: { db: number; key: string; value: string; expireAt: number }[] = [];
for (let i = 0; i < 300; i++) {
  const value =
    i % 4 === 0
      ? String(i * 1000003)
      : i % 4 === 1
        ? `v${i}`
        : i % 4 === 2
          ? "z".repeat(30 + i)
          : String.fromCharCode(...Array.from({ length: 9 }, (_, j) => (i * 31 + j * 7) & 255));
  dataset.push({ db: i % 3, key: `key:${i}`, value, expireAt: i % 5 === 0 ? FUTURE + i : -1 });
}

function makeFile(checksum: boolean): Buffer {
  const w = new RdbWriter({ checksum });
  w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
  for (let db = 0; db < 3; db++) {
    const keys = dataset.filter((d) => d.db === db);
    w.selectDb(db, keys.length, keys.filter((k) => k.expireAt >= 0).length);
    for (const k of keys) w.entry(k.key, { type: "string", value: k.value }, k.expireAt);
  }
  w.end();
  return Buffer.concat(w.take());
}

const good = makeFile(true);
const goodNoCrc = makeFile(false);

/** The loaded dataset in the same shape as `dataset`. */
function contents(dbs: Db[]): typeof dataset {
  const out: typeof dataset = [];
  for (const db of dbs) {
    for (const e of db.entries())
      out.push({ db: db.id, key: e.key, value: e.value as string, expireAt: e.expireAt });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}
const expected = [...dataset].sort((a, b) => (a.key < b.key ? -1 : 1));

function isTyped(err: unknown): boolean {
  return err instanceof RdbFormatError || err instanceof RdbLoadError || err instanceof RdbFileLoadError;
}

type Mutation =
  | { kind: "flip"; at: number; xor: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "remove"; at: number; len: number };

const mutation = (size: number): fc.Arbitrary<Mutation[]> =>
  fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.nat({ max: size - 1 }),
        xor: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat({ max: size - 1 }) }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat({ max: size }),
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
      }),
      fc.record({
        kind: fc.constant("remove" as const),
        at: fc.nat({ max: size - 1 }),
        len: fc.integer({ min: 1, max: 16 }),
      }),
    ),
    { minLength: 1, maxLength: 3 },
  );

function applyMutations(src: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of muts) {
    const at = Math.min(m.at, b.length);
    switch (m.kind) {
      case "flip":
        if (at < b.length) b[at] ^= m.xor;
        break;
      case "cut":
        b = b.subarray(0, at);
        break;
      case "insert":
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case "remove":
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
    }
  }
  return b;
}

/** Feeds `bytes` in chunks of the given sizes (cycled); returns the dbs or the error thrown. */
function loadChunked(bytes: Buffer, chunkSizes: number[]): { dbs: Db[] } | { error: unknown } {
  const loader = new RdbKeyspaceLoader(server, { dropExpired: true });
  try {
    let off = 0;
    for (let i = 0; off < bytes.length; i++) {
      const n = chunkSizes[i % chunkSizes.length];
      loader.feed(bytes.subarray(off, off + n));
      off += n;
    }
    loader.finish();
    return { dbs: loader.target };
  } catch (error) {
    return { error };
  }
}

describe("RDB loading of hostile files", () => {
  it("the unmutated file loads completely in any chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }), (sizes) => {
        const r = loadChunked(good, sizes);
        if ("error" in r) throw r.error;
        expect(contents(r.dbs)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("with a checksum, a mutated file is refused with a typed error or loads the exact dataset", () => {
    let refused = 0;
    fc.assert(
      fc.property(
        mutation(good.length),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 4 }),
        (muts, sizes) => {
          const r = loadChunked(applyMutations(good, muts), sizes);
          if ("error" in r) {
            if (!isTyped(r.error)) throw r.error;
            expect((r.error as { offset: number }).offset).toBeGreaterThanOrEqual(0);
            refused++;
            return;
          }
          expect(contents(r.dbs)).toEqual(expected);
        },
      ),
      { numRuns: 1500 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it("without a checksum, a mutated file never crashes the loader", () => {
    fc.assert(
      fc.property(mutation(goodNoCrc.length), (muts) => {
        const r = loadChunked(applyMutations(goodNoCrc, muts), [1024]);
        if ("error" in r && !isTyped(r.error)) throw r.error;
      }),
      { numRuns: 1500 },
    );
  });

  it("loadRdbFileSync and loadRdbFile report the file and never return a partial dataset as success", async () => {
    await fc.assert(
      fc.asyncProperty(mutation(good.length), fc.boolean(), async (muts, async) => {
        const path = join(dir, "dump.rdb");
        writeFileSync(path, applyMutations(good, muts));
        const target = server.dbs.map((d) => new Db(d.id, server));
        try {
          if (async) await loadRdbFile(server, path, { target, manageLoading: false });
          else loadRdbFileSync(server, path, { target });
        } catch (err) {
          expect(err).toBeInstanceOf(RdbFileLoadError);
          expect((err as RdbFileLoadError).file).toBe(path);
          expect((err as Error).message).toContain(path);
          return;
        }
        expect(contents(target)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("a missing file is an empty start (null), not an error", async () => {
    expect(loadRdbFileSync(server, join(dir, "missing.rdb"))).toBeNull();
    expect(await loadRdbFile(server, join(dir, "missing.rdb"))).toBeNull();
  });
});

describe("rdbchecksum", () => {
  // Every loader (start-up, DEBUG RELOAD, AOF preamble, a replica's full sync) takes the setting
  // from the server's config unless told otherwise.
  const badTrailer = Buffer.from(good);
  for (let i = badTrailer.length - 8; i < badTrailer.length; i++) badTrailer[i] ^= 0x3c;

  it("with rdbchecksum no, a wrong CRC trailer loads the whole dataset", () => {
    const lenientConfig = new Config();
    lenientConfig.loadText('save ""\nloglevel warning\ndatabases 4\nrdbchecksum no', "(test)");
    const lenient = new Server(lenientConfig);
    const loader = new RdbKeyspaceLoader(lenient, { dropExpired: true });
    loader.feed(badTrailer);
    loader.finish();
    expect(contents(loader.target)).toEqual(expected);
  });

  it("with rdbchecksum yes (the default), it is refused at the trailer's offset", () => {
    const r = loadChunked(badTrailer, [4096]);
    expect("error" in r).toBe(true);
    const err = (r as { error: RdbFormatError }).error;
    expect(err).toBeInstanceOf(RdbFormatError);
    expect(err.message).toContain("RDB CRC error");
    expect(err.offset).toBe(badTrailer.length - 8);
  });
});

describe("repeated members", () => {
  /** An RDB of one collection key, `k`, as the writer encodes it (packed when small). */
  function rdbOf(value: RdbValue): Buffer {
    const w = new RdbWriter({ checksum: true });
    w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
    w.selectDb(0, 1, 0);
    w.entry("k", value, -1);
    w.end();
    return Buffer.concat(w.take());
  }
  const many = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
  const cases: [string, (members: string[]) => RdbValue, string][] = [
    ["set", (ms) => ({ type: "set", value: ms }), "Duplicate set members detected"],
    ["zset", (ms) => ({ type: "zset", value: ms.map((m, i) => [m, i]) }), "Duplicate zset fields detected"],
    ["hash", (ms) => ({ type: "hash", value: ms.map((m) => [m, "v"]) }), "Duplicate hash fields detected"],
  ];

  // Small (listpack or pairwise search) and large (the built index finds them) collections.
  for (const [type, make, message] of cases) {
    for (const size of [3, 40, 700]) {
      it(`fail the load of a ${type} of ${size} members, naming the key`, () => {
        const members = many(size);
        const loader = new RdbKeyspaceLoader(server, { dropExpired: true });
        loader.feed(rdbOf(make(members)));
        loader.finish();
        expect(loader.target[0].size).toBe(1);
        const repeated = [...members.slice(0, -1), members[size >> 1]];
        const failing = new RdbKeyspaceLoader(server, { dropExpired: true });
        expect(() => failing.feed(rdbOf(make(repeated)))).toThrow(`Cannot load key 'k': ${message}`);
        expect(failing.target[0].size).toBe(0);
      });
    }
  }
});

describe("duplicate keys", () => {
  function withDuplicate(): Buffer {
    const w = new RdbWriter({ checksum: true });
    w.header({ redisVer: "7.0.15", ctime: 0, usedMem: 0 });
    w.selectDb(0, 3, 0);
    w.entry("a", { type: "string", value: "first" }, -1);
    w.entry("b", { type: "string", value: "b" }, -1);
    w.entry("a", { type: "string", value: "second" }, -1);
    w.end();
    return Buffer.concat(w.take());
  }

  it("are refused, naming the key, and the target keeps the first value", () => {
    const loader = new RdbKeyspaceLoader(server, { dropExpired: true });
    expect(() => loader.feed(withDuplicate())).toThrow("RDB has duplicated key 'a' in DB 0");
    const db = loader.target[0];
    expect(db.size).toBe(2);
    expect(db.peek("a")?.value).toBe("first");
    expect(db.entryAt(db.peek("a")!.slot)).toBe(db.peek("a"));
  });

  it("with allowDuplicates (DEBUG RELOAD MERGE), the later value replaces the earlier", () => {
    const loader = new RdbKeyspaceLoader(server, { dropExpired: true, allowDuplicates: true });
    loader.feed(withDuplicate());
    loader.finish();
    const db = loader.target[0];
    expect(db.size).toBe(2);
    expect(db.peek("a")?.value).toBe("second");
  });
});
