/**
 * Corrupt and truncated AOF directories, differential against real Redis 7.0: fast-check mutations
 * of a valid directory (its incr file, base file or manifest) are given to both servers. Where Redis
 * refuses to start, Keyhaven refuses too, naming the file and the offset (or the manifest line) and
 * leaving the files as they were; where Redis loads, Keyhaven loads the same dataset. Keyhaven
 * never crashes or hangs. Cases where Redis itself crashes (it aborts on some absurd lengths) only
 * require Keyhaven to refuse or load cleanly; a wrong argument count, which Redis executes with
 * undefined results, is a refusal for Keyhaven.
 */

import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sleep, tempDir } from "../helpers.js";
import {
  AOF_DIR,
  digest,
  expiries,
  type Kind,
  MANIFEST,
  populate,
  readManifest,
  startAof,
  targetUnsupported,
  waitRewriteDone,
} from "./aof-helpers.js";

interface Outcome {
  kind: "loaded" | "refused" | "crashed";
  digest: string | null;
  output: string;
}

/** Starts a server on `dir` and reports whether it loaded (with its digest), refused or crashed. */
async function outcome(kind: Kind, dir: string, truncatedOk: boolean): Promise<Outcome> {
  const s = await startAof(kind, dir, ["--aof-load-truncated", truncatedOk ? "yes" : "no"], {
    waitReady: false,
  });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (/Ready to accept connections/.test(s.output())) break;
      if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
        const code = await s.exited;
        const crashed =
          s.proc.signalCode !== null ||
          code !== 1 ||
          /REDIS BUG REPORT|Out Of Memory|ASSERTION FAILED/.test(s.output());
        return { kind: crashed ? "crashed" : "refused", digest: null, output: s.output() };
      }
      if (Date.now() > deadline) throw new Error(`${kind} neither started nor exited:\n${s.output()}`);
      await sleep(20);
    }
    const c = await s.client();
    // A full SCAN first: it deletes keys whose TTL passed (a cut file may keep one whose DEL was
    // cut off), which active expiry would otherwise remove at a different moment on each server.
    // The dump is also what was loaded, for the failure message.
    const dump: string[] = [];
    for (const [k, at] of await expiries(c)) {
      const [db, key] = [k.slice(0, k.indexOf(":")), k.slice(k.indexOf(":") + 1)];
      await c.call("SELECT", db);
      dump.push(`${k}=${String(await c.call("GET", key)).slice(0, 40)}@${at}`);
    }
    const d = await digest(c);
    c.close();
    return { kind: "loaded", digest: d, output: `${s.output()}\n${dump.sort().join("\n")}` };
  } finally {
    await s.kill();
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("digit" as const),
    at: fc.nat(),
    digit: fc.constantFrom("0", "7", "9", " ", "x"),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(data: Buffer, m: Mutation): Buffer {
  const at = data.length === 0 ? 0 : m.at % data.length;
  const b = Buffer.from(data);
  switch (m.kind) {
    case "flip":
      b[at] = m.byte;
      return b;
    case "insert":
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    case "delete":
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    case "cut":
      return b.subarray(0, at);
    case "digit": {
      let i = at;
      while (i < b.length && b[i] !== 0x24 && b[i] !== 0x2a) i++;
      if (i + 1 < b.length) b[i + 1] = m.digit.charCodeAt(0);
      return b;
    }
  }
}

function snapshotFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(join(dir, AOF_DIR))) out.set(f, readFileSync(join(dir, AOF_DIR, f)));
  return out;
}

describe("corrupt and truncated AOF directories, compared with real Redis", () => {
  it("Keyhaven refuses what Redis refuses (file and offset logged, files untouched) and loads what Redis loads", {
    timeout: 300_000,
  }, async () => {
    // A valid directory written by real Redis: base (RDB) + incr with strings, TTLs, MULTI.
    // Always Keyhaven against Redis, whatever the suite's target.
    const skip = await targetUnsupported("keyhaven");
    const source = tempDir();
    const s = await startAof("redis", source);
    const c = await s.client();
    await populate(c, "a:", skip);
    expect(await c.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    await waitRewriteDone(c);
    await populate(c, "b:", skip);
    c.close();
    await s.stop();
    const am = readManifest(source);
    const targets = [
      am.incr[0].fileName,
      am.incr[0].fileName,
      am.incr[0].fileName,
      am.base!.fileName,
      MANIFEST,
    ];

    const deadline = Date.now() + 150_000;
    const tally = { refusedBoth: 0, loadedBoth: 0, redisCrashed: 0, arityRefusals: 0 };
    const samples = fc.sample(
      fc.record({ target: fc.nat(targets.length - 1), m: mutation, truncatedOk: fc.boolean() }),
      { numRuns: 40, seed: 0x4a0f },
    );
    for (const { target, m, truncatedOk } of samples) {
      if (Date.now() > deadline) break;
      const name = targets[target];
      const redisDir = tempDir();
      const ourDir = tempDir();
      cpSync(source, redisDir, { recursive: true });
      cpSync(source, ourDir, { recursive: true });
      const original = readFileSync(join(source, AOF_DIR, name));
      const bad = mutate(original, m);
      writeFileSync(join(redisDir, AOF_DIR, name), bad);
      writeFileSync(join(ourDir, AOF_DIR, name), bad);
      const before = snapshotFiles(ourDir);
      const [theirs, ours] = await Promise.all([
        outcome("redis", redisDir, truncatedOk),
        outcome("keyhaven", ourDir, truncatedOk),
      ]);
      const what = `${name} ${JSON.stringify(m)} aof-load-truncated=${truncatedOk}\nredis: ${theirs.output.slice(-2500)}\nkeyhaven: ${ours.output.slice(-2500)}`;
      expect(ours.kind, what).not.toBe("crashed");
      if (ours.kind === "refused") {
        // Nothing was modified, and the log's last line says where (Redis's own tests read that
        // line, as an operator reading the end of the log would).
        expect(snapshotFiles(ourDir), what).toEqual(before);
        const lastLine = ours.output.trimEnd().split("\n").at(-1) ?? "";
        expect(lastLine, what).toMatch(
          /offset \d+|at line \d+|Unexpected end of file|doesn't exist|Unable to obtain|FATAL AOF MANIFEST/,
        );
      }
      if (theirs.kind === "crashed") {
        tally.redisCrashed++;
        continue;
      }
      if (
        theirs.kind === "loaded" &&
        ours.kind === "refused" &&
        /wrong number of arguments/.test(ours.output)
      ) {
        tally.arityRefusals++;
        continue;
      }
      expect(ours.kind, what).toBe(theirs.kind);
      if (theirs.kind === "loaded") {
        expect(ours.digest, what).toBe(theirs.digest);
        tally.loadedBoth++;
      } else {
        tally.refusedBoth++;
      }
    }
    console.log(`[aof-corrupt] ${JSON.stringify(tally)}`);
    expect(tally.refusedBoth + tally.loadedBoth).toBeGreaterThan(5);
  });
});
