import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

const dir = mkdtempSync(join(tmpdir(), "kh-logger-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("logger", () => {
  it("writes one JSON object per line with level, pid, role and only that line's fields", () => {
    const path = join(dir, "a.log");
    const log = createLogger("notice", path, "M");
    log.notice({ port: 7000 }, "Ready to accept connections tcp");
    log.setRole?.("S");
    log.warning("MASTER <-> REPLICA sync started");
    log.verbose("not written at notice");
    const [first, second, ...rest] = lines(path);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ level: "notice", pid: process.pid, role: "M", port: 7000 });
    expect(second).toMatchObject({ level: "warning", pid: process.pid, role: "S" });
    expect(second.msg).toBe("MASTER <-> REPLICA sync started");
    expect(second).not.toHaveProperty("port");
  });
});
