import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { argsToConfigText, loadSentinelConfig } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "kh-sentinel-main-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

describe("sentinel start-up configuration", () => {
  it("listens on 26379 unless told otherwise, with protected-mode off", async () => {
    const { config } = await loadSentinelConfig(
      conf("noport.conf", ["sentinel monitor m 127.0.0.1 6379 2"]),
      [],
    );
    expect(config.num("port")).toBe(26379);
    expect(config.bool("protected-mode")).toBe(false);
    const withPort = await loadSentinelConfig(conf("port.conf", ["port 26400"]), []);
    expect(withPort.config.num("port")).toBe(26400);
  });

  it("applies --directive value arguments after the file, sentinel ones included", async () => {
    const file = conf("args.conf", [
      "port 26400",
      "logfile /dev/null",
      "sentinel monitor m 127.0.0.1 6379 2",
      "sentinel down-after-milliseconds m 5000",
    ]);
    const log = join(dir, "s.log");
    const { config, state } = await loadSentinelConfig(file, [
      "--port",
      "26401",
      "--logfile",
      log,
      "--sentinel",
      "down-after-milliseconds",
      "m",
      "1234",
      "--sentinel",
      "monitor",
      "other",
      "127.0.0.1",
      "6390",
      "1",
    ]);
    expect(config.num("port")).toBe(26401);
    expect(config.str("logfile")).toBe(log);
    expect(state.masters.get("m")!.downAfterPeriod).toBe(1234);
    expect(state.masters.get("other")!.quorum).toBe(1);
  });

  it("quotes each argument as one word, as redis-server does", () => {
    expect(argsToConfigText(["--requirepass", "a b", "--sentinel", "auth-pass", "m", 'x"y'])).toBe(
      'requirepass "a b"\nsentinel "auth-pass" "m" "x\\"y"',
    );
  });

  it("reports an unreadable file and a bad command-line directive", async () => {
    await expect(loadSentinelConfig(join(dir, "missing.conf"), [])).rejects.toThrow(
      /Fatal error, can't open config file/,
    );
    await expect(
      loadSentinelConfig(conf("ok.conf", ["port 26400"]), ["--sentinel", "bogus", "1"]),
    ).rejects.toThrow(/Unrecognized sentinel configuration statement\./);
  });
});
