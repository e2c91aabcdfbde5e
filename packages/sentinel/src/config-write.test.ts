import type * as fs from "node:fs";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Config } from "@keyhaven/server";
import { afterAll, describe, expect, it, vi } from "vitest";
import { applySentinelDirectives, splitConfigText, writeSentinelConfig } from "./config.js";
import { SentinelState } from "./instance.js";

/** When set, renameSync fails with this code (as on a bind-mounted file or across devices). */
let renameFails: string | null = null;
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const renameSync: typeof fs.renameSync = (from, to) => {
    if (renameFails !== null) {
      throw Object.assign(new Error(`${renameFails}: rename refused`), { code: renameFails });
    }
    real.renameSync(from, to);
  };
  return { ...real, default: { ...real, renameSync }, renameSync };
});

const dir = mkdtempSync(join(tmpdir(), "kh-sentinel-write-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(name: string): { path: string; state: SentinelState } {
  const path = join(dir, name);
  const text = "# keep me\nport 26400\nsentinel monitor m 127.0.0.1 6379 2\n";
  writeFileSync(path, text);
  const state = new SentinelState();
  applySentinelDirectives(state, splitConfigText(text, path).directives);
  return { path, state };
}

describe("sentinel.conf rewrite", () => {
  it("replaces the file by rename when it can", () => {
    const { path, state } = setup("renamed.conf");
    const inode = statSync(path).ino;
    writeSentinelConfig(path, state, new Config(), 26400);
    expect(statSync(path).ino).not.toBe(inode);
    expect(readFileSync(path, "latin1")).toContain(`sentinel myid ${state.myid}`);
  });

  it.each(["EXDEV", "EBUSY"])("falls back to an in-place write when rename fails with %s", (code) => {
    const { path, state } = setup(`inplace-${code}.conf`);
    const inode = statSync(path).ino;
    renameFails = code;
    try {
      state.currentEpoch = 7;
      writeSentinelConfig(path, state, new Config(), 26400);
    } finally {
      renameFails = null;
    }
    // Same file (a bind mount stays valid), new content, no temporary file left behind.
    expect(statSync(path).ino).toBe(inode);
    const text = readFileSync(path, "latin1");
    expect(text.startsWith("# keep me\nport 26400\n")).toBe(true);
    expect(text).toContain("sentinel current-epoch 7");
    expect(text).toContain(`sentinel myid ${state.myid}`);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("reports other rename errors", () => {
    const { path, state } = setup("enospc.conf");
    renameFails = "ENOSPC";
    try {
      expect(() => writeSentinelConfig(path, state, new Config(), 26400)).toThrow(/ENOSPC/);
    } finally {
      renameFails = null;
    }
    expect(readFileSync(path, "latin1")).not.toContain("sentinel myid");
  });
});
