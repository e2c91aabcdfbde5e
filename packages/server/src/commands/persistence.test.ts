/**
 * In-process checks of what a socket cannot show: the propagation form of RESTORE (absolute TTL +
 * ABSTTL, DEL for an already expired replacement) and BGSAVE's answers while an AOF rewrite
 * snapshot runs (the AOF side lives in another branch, so a rewrite is simulated here with a
 * snapshot of purpose "aof-rewrite").
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDumpPayload, REPLY_VALUE, ReplyParser, RespError } from "@keyhaven/protocol";
import { describe, expect, it } from "vitest";
import { Config } from "../config/config.js";
import type { PropagationSink } from "../exec/propagate.js";
import { createServer } from "../index.js";
import { refreshClock } from "../keyspace/clock.js";
import type { Client } from "../network/client.js";
import type { Server } from "../server.js";

function newServer(extra = ""): Server {
  const config = new Config();
  config.loadText(`save ""\nloglevel warning\n${extra}`, "(test)");
  return createServer(config);
}

function run(server: Server, c: Client, ...argv: string[]): unknown {
  c.argv = argv;
  server.processCommand(c);
  const out = c.out.takeBuffer();
  const parser = new ReplyParser({ strings: "latin1" });
  parser.feed(out);
  expect(parser.next()).toBe(REPLY_VALUE);
  return parser.value;
}

class Capture implements PropagationSink {
  readonly kind = "repl" as const;
  readonly commands: string[][] = [];
  feed(_db: number, command: Buffer): void {
    // Decode the multibulk back into argv.
    const parts = command.toString("latin1").split("\r\n");
    const argv: string[] = [];
    for (let i = 1; i < parts.length - 1; i += 2) argv.push(parts[i + 1]);
    this.commands.push(argv);
  }
}

const payload = (value: string) => createDumpPayload({ type: "string", value }).toString("latin1");

describe("RESTORE propagation", () => {
  it("a relative TTL is propagated as an absolute one with ABSTTL", () => {
    const server = newServer();
    const cap = new Capture();
    server.propagator.addSink(cap);
    const c = server.createFakeClient();
    refreshClock();
    const before = Date.now();
    expect(run(server, c, "RESTORE", "k", "5000", payload("v"))).toBe("OK");
    expect(cap.commands).toHaveLength(1);
    const [name, key, ttl, data, absttl] = cap.commands[0];
    expect([name, key, data, absttl]).toEqual(["RESTORE", "k", payload("v"), "ABSTTL"]);
    expect(Number(ttl)).toBeGreaterThanOrEqual(before + 5000);
    expect(Number(ttl)).toBeLessThan(before + 6000);
    // Without a TTL (or with ABSTTL already) it is propagated as sent.
    expect(run(server, c, "RESTORE", "k2", "0", payload("v"))).toBe("OK");
    expect(cap.commands[1]).toEqual(["RESTORE", "k2", "0", payload("v")]);
    const at = String(Date.now() + 60_000);
    expect(run(server, c, "RESTORE", "k3", at, payload("v"), "ABSTTL")).toBe("OK");
    expect(cap.commands[2]).toEqual(["RESTORE", "k3", at, payload("v"), "ABSTTL"]);
  });

  it("an already expired replacement propagates as DEL of the replaced key, else nothing", () => {
    const server = newServer();
    const cap = new Capture();
    server.propagator.addSink(cap);
    const c = server.createFakeClient();
    expect(run(server, c, "SET", "k", "old")).toBe("OK");
    const past = String(Date.now() - 1000);
    expect(run(server, c, "RESTORE", "k", past, payload("v"), "ABSTTL", "REPLACE")).toBe("OK");
    expect(run(server, c, "EXISTS", "k")).toBe(0);
    expect(run(server, c, "RESTORE", "gone", past, payload("v"), "ABSTTL")).toBe("OK");
    expect(cap.commands).toEqual([
      ["SET", "k", "old"],
      ["DEL", "k"],
    ]);
  });
});

describe("BGSAVE while an AOF rewrite runs", () => {
  it("refuses BGSAVE, schedules BGSAVE SCHEDULE, and runs it when the rewrite ends", async () => {
    const server = newServer("rdb-key-save-delay 1000");
    const c = server.createFakeClient();
    for (let i = 0; i < 50; i++) run(server, c, "SET", `k${i}`, "v");
    const chunks: Buffer[] = [];
    const rewrite = server.snapshots.start({ purpose: "aof-rewrite" }, [
      { write: (b) => chunks.push(...b), end: () => {}, fail: () => {}, backlogBytes: () => 0 },
    ]);
    expect(errorMessage(run(server, c, "BGSAVE"))).toBe(
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
    expect(run(server, c, "BGSAVE", "SCHEDULE")).toBe("Background saving scheduled");
    expect(info(server, c).get("rdb_bgsave_in_progress")).toBe("0");
    expect(info(server, c).get("current_save_keys_total")).toBe("50");
    // SAVE is allowed during a rewrite (only an RDB child blocks it).
    const dir = mkdtempSync(join(tmpdir(), "kh-persist-"));
    server.config.setInternal("dir", dir);
    expect(run(server, c, "SAVE")).toBe("OK");
    expect(existsSync(join(dir, "dump.rdb"))).toBe(true);
    server.config.setInternal("rdb-key-save-delay", 0);
    await rewrite.whenDone;
    server.cron.tick();
    expect(info(server, c).get("rdb_bgsave_in_progress")).toBe("1");
    expect(info(server, c).get("rdb_saves")).toBe("2");
    server.snapshots.current?.abort(new Error("test over"));
    await new Promise((r) => setTimeout(r, 50));
    rmSync(dir, { recursive: true, force: true });
  });
});

function errorMessage(reply: unknown): string | null {
  return reply instanceof RespError ? reply.message : null;
}

function info(server: Server, c: Client): Map<string, string> {
  const text = String(run(server, c, "INFO", "persistence"));
  return new Map(
    text
      .split("\r\n")
      .filter((l) => l.includes(":"))
      .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)] as [string, string]),
  );
}
