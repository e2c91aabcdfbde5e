/**
 * In-process property tests of the AOF loader: truncation at every kind of offset, and random
 * mutations of valid AOF files and manifests. The outcome is always a clear refusal (file and
 * offset in the log, the file untouched) or a correct load (a truncated tail cut at the last
 * complete command when aof-load-truncated allows it), never an exception, a hang or a partial
 * dataset reported as complete.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AOF_COMMAND,
  AofCommandReader,
  AofFormatError,
  type AofManifest,
  encodeCommand,
  formatAofManifest,
} from "@keyhaven/protocol";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import { datasetDigest } from "../debug/digest.js";
import { createServer } from "../index.js";
import type { Server } from "../server.js";
import type { Logger } from "../util/logger.js";
import { AofDir } from "./aof-files.js";
import { type AofLoadStatus, loadAppendOnlyFiles, runLoadSync } from "./aof-load.js";

const root = mkdtempSync(join(tmpdir(), "kh-aof-load-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines: string[] = [];
const captureLogger: Logger = {
  debug: () => {},
  verbose: () => {},
  notice: (o, m) => lines.push(typeof o === "string" ? o : (m ?? "")),
  warning: (o, m) => lines.push(typeof o === "string" ? o : (m ?? "")),
  isLevelEnabled: () => true,
  setLevel: () => {},
};

function newServer(): Server {
  const config = new Config();
  config.loadText("loglevel warning\n", "(test)");
  const server = createServer(config);
  server.logger = captureLogger;
  return server;
}

const server = newServer();
let case_ = 0;

/** Writes the files of one case: `files` in order (first = base), a manifest naming them. */
function writeCase(files: Buffer[], baseIsFirst = true): { dir: AofDir; names: string[] } {
  const caseRoot = join(root, `c${case_++}`);
  const dir = new AofDir("appendonlydir", "appendonly.aof", caseRoot);
  const am: AofManifest = { base: null, history: [], incr: [], currBaseFileSeq: 0, currIncrFileSeq: 0 };
  const names: string[] = [];
  files.forEach((_, i) => {
    if (i === 0 && baseIsFirst) {
      am.base = { fileName: "appendonly.aof.1.base.aof", fileSeq: 1, fileType: "b" };
      names.push(am.base.fileName);
    } else {
      const seq = am.incr.length + 1;
      am.incr.push({ fileName: `appendonly.aof.${seq}.incr.aof`, fileSeq: seq, fileType: "i" });
      names.push(am.incr[am.incr.length - 1].fileName);
    }
  });
  rmSync(caseRoot, { recursive: true, force: true });
  mkdirSync(dir.dirPath, { recursive: true });
  for (let i = 0; i < files.length; i++) writeFileSync(dir.path(names[i]), files[i]);
  writeFileSync(dir.manifestPath, formatAofManifest(am), "latin1");
  return { dir, names };
}

/** Loads a case into the (emptied) server synchronously. */
function load(dir: AofDir, truncatedOk: boolean): { status: AofLoadStatus; digest: string; log: string } {
  for (const db of server.dbs) db.clear();
  lines.length = 0;
  const am = dir.loadManifest(captureLogger);
  const outcome = runLoadSync(
    server,
    loadAppendOnlyFiles(
      {
        server,
        dir,
        truncatedOk,
        startLoading: () => {
          server.loading = true;
        },
        stopLoading: () => {
          server.loading = false;
        },
        addLoadedBytes: () => {},
      },
      am,
    ),
  );
  return { status: outcome.status, digest: datasetDigest(server.dbs), log: lines.join("\n") };
}

/** Commands of the generated files: strings, expiries, databases, transactions. */
const key = fc.constantFrom("a", "b", "c", "k:1", "k:2", "\xff\r\n");
const command: fc.Arbitrary<string[][]> = fc.oneof(
  fc.tuple(key, fc.string({ maxLength: 12 })).map(([k, v]) => [["SET", k, v]]),
  key.map((k) => [["INCR", k]]),
  key.map((k) => [["DEL", k]]),
  fc.tuple(key, fc.string({ maxLength: 5 })).map(([k, v]) => [["APPEND", k, v]]),
  fc
    .tuple(key, fc.integer({ min: 1, max: 3 }))
    .map(([k, d]) => [["PEXPIREAT", k, String(Date.now() + d * 3_600_000)]]),
  fc.integer({ min: 0, max: 3 }).map((d) => [["SELECT", String(d)]]),
  fc
    .array(fc.tuple(key, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 })
    .map((ops) => [["MULTI"], ...ops.map(([k, v]) => ["SET", k, v]), ["EXEC"]]),
);
const aofBody = fc
  .array(command, { minLength: 1, maxLength: 25 })
  .map((cmds) =>
    Buffer.concat([encodeCommand(["SELECT", "0"]), ...cmds.flat().map((a) => encodeCommand(a))]),
  );

/**
 * The model of a cut file: the end of the last complete command, except that a MULTI without its
 * EXEC is dropped whole (the file is cut before it). `clean`: nothing to truncate.
 */
function expectedCut(data: Buffer): { end: number; clean: boolean } {
  const r = new AofCommandReader();
  r.feed(data);
  let valid = 0;
  let beforeMulti = 0;
  let inMulti = false;
  for (let st = r.next(); st !== 0; st = r.next()) {
    if (st !== AOF_COMMAND) continue;
    const name = r.argv[0].toUpperCase();
    if (name === "MULTI" && !inMulti) {
      beforeMulti = valid;
      inMulti = true;
    } else if (name === "EXEC") {
      inMulti = false;
    }
    valid = r.itemEnd;
  }
  const complete = r.end() === "complete";
  return { end: inMulti ? beforeMulti : valid, clean: complete && !inMulti };
}

describe("AOF loader: truncation", () => {
  it("a cut anywhere loads up to the last complete command outside an open MULTI, and truncates there", () => {
    fc.assert(
      fc.property(aofBody, fc.nat(), fc.boolean(), (body, cutSeed, twoFiles) => {
        const cut = cutSeed % (body.length + 1);
        const cutBody = body.subarray(0, cut);
        const base = encodeCommand(["SET", "base", "1"]);
        const files = twoFiles ? [base, cutBody] : [cutBody];
        const { end: expectedEnd, clean } = expectedCut(cutBody);
        const { dir, names } = writeCase(files, twoFiles);
        const last = dir.path(names[names.length - 1]);
        const before = readFileSync(last);
        const strict = load(dir, false);
        if (clean) {
          expect(strict.status === "ok" || strict.status === "empty").toBe(true);
        } else {
          expect(strict.status).toBe("failed");
          expect(strict.log).toContain(names[names.length - 1]);
          expect(readFileSync(last).equals(before)).toBe(true);
        }
        const lenient = load(dir, true);
        if (clean) {
          expect(lenient.digest).toBe(strict.digest);
        } else {
          expect(lenient.status).toBe("truncated");
          expect(lenient.log).toContain(
            `Truncating the AOF ${names[names.length - 1]} at offset ${expectedEnd}`,
          );
          const after = readFileSync(last);
          expect(after.length).toBe(expectedEnd);
          expect(after.equals(before.subarray(0, expectedEnd))).toBe(true);
          // Loading the truncated file again is a clean load of the same dataset.
          const again = load(dir, false);
          expect(again.status === "ok" || again.status === "empty").toBe(true);
          expect(again.digest).toBe(lenient.digest);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a truncated file that is not the last one is refused and left untouched", () => {
    const body = Buffer.concat([encodeCommand(["SET", "a", "1"]), encodeCommand(["SET", "b", "2"])]);
    const cut = body.subarray(0, body.length - 3);
    const { dir, names } = writeCase([cut, encodeCommand(["SET", "c", "3"])]);
    const r = load(dir, true);
    expect(r.status).toBe("failed");
    expect(r.log).toContain("Fatal error: the truncated file is not the last file");
    expect(readFileSync(dir.path(names[0])).equals(cut)).toBe(true);
  });

  it("a file cut inside a value of '#'s is refused untouched, or truncated before that command", () => {
    // The cut's tail looks like bytes an `always` writer reserves (aof-reserve.ts); a refused
    // file must stay as it was all the same (found by the mutation property below).
    const good = encodeCommand(["SET", "a", "1"]);
    const append = encodeCommand(["APPEND", "k", "#    "]);
    const cut = Buffer.concat([good, append.subarray(0, append.indexOf("#") + 1)]);
    const { dir, names } = writeCase([cut], false);
    const path = dir.path(names[0]);
    const strict = load(dir, false);
    expect(strict.status).toBe("failed");
    expect(readFileSync(path).equals(cut)).toBe(true);
    expect(load(dir, true).status).toBe("truncated");
    expect(readFileSync(path).equals(good)).toBe(true);
  });

  it("a reservation a crash left is cut after the file loads, and kept when it is refused", () => {
    const good = encodeCommand(["SET", "a", "1"]);
    const reserved = Buffer.from(`${"#".repeat(63)}\n`.repeat(4));
    const loads = writeCase([Buffer.concat([good, reserved])], false);
    expect(load(loads.dir, false).status).toBe("ok");
    expect(readFileSync(loads.dir.path(loads.names[0])).equals(good)).toBe(true);
    // A write torn by the crash: the start of a command, then the reservation it overwrote.
    const torn = Buffer.concat([
      good,
      encodeCommand(["SET", "b", "2"]).subarray(0, 10),
      reserved.subarray(10),
    ]);
    const refused = writeCase([torn], false);
    expect(load(refused.dir, false).status).toBe("failed");
    expect(readFileSync(refused.dir.path(refused.names[0])).equals(torn)).toBe(true);
    expect(load(refused.dir, true).status).toBe("truncated");
    expect(readFileSync(refused.dir.path(refused.names[0])).equals(good)).toBe(true);
  });
});

/** Random damage to a buffer. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("digit" as const),
    at: fc.nat(),
    digit: fc.constantFrom("0", "9", "-", "+", " ", "x", "\n"),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(data: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(data);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === "flip") b[at] = m.byte;
    else if (m.kind === "insert")
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === "cut") b = b.subarray(0, at);
    else {
      // Damage next to a length or count: the likeliest place for a structural error.
      let i = at;
      while (i < b.length && b[i] !== 0x24 && b[i] !== 0x2a) i++;
      if (i + 1 < b.length) b[i + 1] = m.digit.charCodeAt(0);
    }
  }
  return b;
}

describe("AOF loader: mutated files", () => {
  it("refuses with the file and the offset, or loads; never throws; refused files stay untouched", () => {
    fc.assert(
      fc.property(
        aofBody,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (body, muts, lenient) => {
          const bad = mutate(body, muts);
          const { dir, names } = writeCase([encodeCommand(["SET", "base", "1"]), bad]);
          const path = dir.path(names[1]);
          const r = load(dir, lenient);
          expect(["ok", "truncated", "failed", "empty"]).toContain(r.status);
          if (r.status === "failed") {
            expect(readFileSync(path).equals(bad)).toBe(true);
            expect(r.log).toContain(names[1]);
            if (!r.log.includes("Unexpected end of file")) expect(r.log).toMatch(/offset \d+/);
          } else if (r.status === "truncated") {
            expect(lenient).toBe(true);
            const after = readFileSync(path);
            expect(after.length).toBeLessThan(bad.length);
            expect(after.equals(bad.subarray(0, after.length))).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a mutated manifest is a manifest error or a valid manifest (then a load or a refusal)", () => {
    const goodFiles = [encodeCommand(["SET", "base", "1"]), encodeCommand(["SET", "incr", "2"])];
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        const { dir } = writeCase(goodFiles);
        const manifest = readFileSync(dir.manifestPath);
        writeFileSync(dir.manifestPath, mutate(manifest, muts));
        let am: AofManifest;
        try {
          am = dir.loadManifest(captureLogger);
        } catch (err) {
          expect(err).toBeInstanceOf(AofFormatError);
          return;
        }
        void am;
        const r = load(dir, true);
        expect(["ok", "truncated", "failed", "empty", "not_exist", "open_err"]).toContain(r.status);
      }),
      { numRuns: 200 },
    );
  });
});

describe("AOF loader: RDB base", () => {
  it("a base that names a key twice is refused with the file and the offset where it stopped", () => {
    // REDIS0010, SELECTDB 0, "a"="1" twice, EOF, a zero checksum (saved with rdbchecksum no).
    const entry = Buffer.from([0x00, 0x01, 0x61, 0x01, 0x31]);
    const base = Buffer.concat([
      Buffer.from("REDIS0010", "latin1"),
      Buffer.from([0xfe, 0x00]),
      entry,
      entry,
      Buffer.from([0xff]),
      Buffer.alloc(8),
    ]);
    const { dir, names } = writeCase([base]);
    const before = readFileSync(dir.path(names[0]));
    const { status, log } = load(dir, true);
    expect(status).toBe("failed");
    expect(log).toMatch(/RDB has duplicated key 'a' in DB 0 \(offset \d+\)/);
    expect(readFileSync(dir.path(names[0]))).toEqual(before);
  });
});
