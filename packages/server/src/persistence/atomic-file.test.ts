/**
 * Crash-safe file replacement: the new content goes to a temporary file next to the target and
 * replaces it by rename only once complete; a write that fails midway (a full disk, an I/O error,
 * injected here) leaves the previous file byte for byte and no temporary file behind.
 */

import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { AtomicFileWriter, tempNameFor, writeFileAtomic, writeFileAtomicWith } from "./atomic-file.js";

const root = mkdtempSync(join(tmpdir(), "kh-atomic-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** A fresh directory holding `dump.rdb` with the previous ("old") content. */
function freshDir(): { dir: string; target: string; old: Buffer } {
  const dir = mkdtempSync(join(root, "d-"));
  const target = join(dir, "dump.rdb");
  const old = Buffer.from("old content that must survive a failed write\n".repeat(50));
  writeFileSync(target, old);
  return { dir, target, old };
}

const ioError = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe("tempNameFor", () => {
  it("names the temporary file in the target's directory, with the tag and the pid", () => {
    expect(tempNameFor("/data/redis/dump.rdb", "bgsave")).toBe(
      `/data/redis/temp-bgsave-${process.pid}-dump.rdb`,
    );
    // Never the target itself, whatever the tag.
    expect(tempNameFor("/d/x", "")).not.toBe("/d/x");
  });
});

describe("writeFileAtomic / writeFileAtomicWith (synchronous)", () => {
  it("replaces the target with the complete content and leaves no temporary file", () => {
    const { dir, target } = freshDir();
    const chunks = [Buffer.from("new "), Buffer.alloc(300_000, 7), Buffer.from(" end")];
    writeFileAtomic(target, chunks, "save");
    expect(readFileSync(target).equals(Buffer.concat(chunks))).toBe(true);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("writes to the temporary file, not the target, until it is complete", () => {
    const { target, old } = freshDir();
    let seenDuringWrite: { tempExists: boolean; targetIsOld: boolean } | null = null;
    writeFileAtomicWith(target, "save", (fd) => {
      writeSync(fd, Buffer.from("half"));
      seenDuringWrite = {
        tempExists: existsSync(tempNameFor(target, "save")),
        targetIsOld: readFileSync(target).equals(old),
      };
      writeSync(fd, Buffer.from(" and the rest"));
    });
    expect(seenDuringWrite).toEqual({ tempExists: true, targetIsOld: true });
    expect(readFileSync(target, "latin1")).toBe("half and the rest");
  });

  it("a write failing midway leaves the previous file intact and removes the temporary one", () => {
    const { dir, target, old } = freshDir();
    expect(() =>
      writeFileAtomicWith(target, "save", (fd) => {
        writeSync(fd, Buffer.alloc(100_000, 1));
        throw ioError("ENOSPC");
      }),
    ).toThrow("ENOSPC");
    expect(readFileSync(target).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("creates the target when there was none", () => {
    const dir = mkdtempSync(join(root, "e-"));
    const target = join(dir, "new.aof");
    writeFileAtomic(target, [Buffer.from("x")]);
    expect(readFileSync(target, "latin1")).toBe("x");
    expect(readdirSync(dir)).toEqual(["new.aof"]);
  });
});

/** The prototype of fs/promises FileHandle (not exported by name), to inject failures into. */
async function fileHandleProto(): Promise<object> {
  const h = await open(join(root, ".probe"), "w");
  const proto = Object.getPrototypeOf(h) as object;
  await h.close();
  return proto;
}

describe("AtomicFileWriter (streaming)", () => {
  it("streams chunks in order into the temporary file and renames it over the target on commit", async () => {
    const { dir, target, old } = freshDir();
    const w = new AtomicFileWriter(target, "bgsave");
    expect(w.tempPath).toBe(tempNameFor(target, "bgsave"));
    const parts: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const chunk = Buffer.alloc(10_000 + i, i);
      parts.push(chunk);
      w.write([chunk]);
    }
    // Before commit the target is still the previous file.
    expect(readFileSync(target).equals(old)).toBe(true);
    await w.commit();
    expect(readFileSync(target).equals(Buffer.concat(parts))).toBe(true);
    expect(w.bytesWritten).toBe(Buffer.concat(parts).length);
    expect(w.pendingBytes).toBe(0);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("a write failing midway: commit rejects, the previous file is intact, no temporary file", async () => {
    const { dir, target, old } = freshDir();
    const proto = await fileHandleProto();
    const realWritev = (proto as { writev: (...a: unknown[]) => Promise<unknown> }).writev;
    let calls = 0;
    vi.spyOn(proto as { writev: () => Promise<unknown> }, "writev").mockImplementation(function (
      this: unknown,
      ...args: unknown[]
    ) {
      // The first writes reach the file; the third fails as a full disk would.
      if (++calls === 3) return Promise.reject(ioError("ENOSPC"));
      return realWritev.apply(this, args) as Promise<unknown>;
    });
    const w = new AtomicFileWriter(target, "bgsave");
    for (let i = 0; i < 5; i++) w.write([Buffer.alloc(50_000, i)]);
    await expect(w.commit()).rejects.toThrow("ENOSPC");
    expect(calls).toBe(3); // later writes were skipped
    expect(w.error?.message).toContain("ENOSPC");
    expect(readFileSync(target).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("an fsync failing at commit leaves the previous file intact", async () => {
    const { dir, target, old } = freshDir();
    const proto = await fileHandleProto();
    vi.spyOn(proto as { sync: () => Promise<void> }, "sync").mockRejectedValue(ioError("EIO"));
    const w = new AtomicFileWriter(target, "rewriteaof-bg");
    w.write([Buffer.from("complete but never durable")]);
    await expect(w.commit()).rejects.toThrow("EIO");
    expect(readFileSync(target).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("abort removes the temporary file and leaves the target alone", async () => {
    const { dir, target, old } = freshDir();
    const w = new AtomicFileWriter(target, "bgsave");
    w.write([Buffer.from("partial snapshot")]);
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(w.tempPath)).toBe(true);
    await w.abort();
    expect(readFileSync(target).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(["dump.rdb"]);
  });

  it("a temporary file that cannot be created makes commit reject without touching anything", async () => {
    const target = join(root, "no-such-dir", "dump.rdb");
    const w = new AtomicFileWriter(target, "bgsave");
    w.write([Buffer.from("x")]);
    await expect(w.commit()).rejects.toThrow(/ENOENT/);
    expect(existsSync(join(root, "no-such-dir"))).toBe(false);
  });
});
