/**
 * 03-runtime-reconf (tests/sentinel/tests/03-runtime-reconf.tcl): SENTINEL MONITOR / SET /
 * REMOVE / RESET / CONFIG SET / FLUSHCONFIG at run time, their events and errors, and that each
 * change reaches the config file. Also the process rules: config file required and writable.
 */

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/test/helpers.js";
import {
  errorText,
  MASTER,
  RespClient,
  SENTINEL_BIN,
  SentinelProcess,
  type ServerProcess,
  sleep,
  startDataNode,
  startSentinel,
  TARGET,
  tempDir,
  toRecord,
  waitFor,
} from "./helpers.js";

let master: ServerProcess;
let other: ServerProcess;
let s: SentinelProcess;

beforeAll(async () => {
  master = await startDataNode();
  other = await startDataNode();
  s = await startSentinel(TARGET, { masterPort: master.port, quorum: 1 });
});
afterAll(async () => {
  await s?.kill();
});

describe("03-runtime-reconf", () => {
  it("SENTINEL SET changes a master's settings, publishes +set and rewrites the config", async () => {
    expect(
      await s.call(
        "SENTINEL",
        "SET",
        MASTER,
        "down-after-milliseconds",
        "2000",
        "parallel-syncs",
        "3",
        "quorum",
        "2",
      ),
    ).toBe("OK");
    const m = await s.master();
    expect([m["down-after-milliseconds"], m["parallel-syncs"], m.quorum]).toEqual(["2000", "3", "2"]);
    const e = await s.waitEvent("+set", /down-after-milliseconds 2000$/);
    expect(e.message).toBe(`master ${MASTER} 127.0.0.1 ${master.port} down-after-milliseconds 2000`);
    await waitFor(
      () => s.conf().includes(`sentinel down-after-milliseconds ${MASTER} 2000`),
      "conf has 2000",
    );
    expect(s.conf()).toContain(`sentinel parallel-syncs ${MASTER} 3`);
    expect(errorText(await s.call("SENTINEL", "SET", MASTER, "quorum", "0"))).toBe(
      "ERR Invalid argument '0' for SENTINEL SET 'quorum'",
    );
    expect(errorText(await s.call("SENTINEL", "SET", MASTER, "nosuch", "1"))).toBe(
      "ERR Unknown option or number of arguments for SENTINEL SET 'nosuch'",
    );
    expect(errorText(await s.call("SENTINEL", "SET", MASTER, "notification-script", "/bin/true"))).toBe(
      "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
    );
    expect(errorText(await s.call("SENTINEL", "SET", "nope", "quorum", "1"))).toBe(
      "ERR No such master with that name",
    );
  });

  it("SENTINEL MONITOR and REMOVE add and drop masters with +monitor / -monitor", async () => {
    expect(errorText(await s.call("SENTINEL", "MONITOR", MASTER, "127.0.0.1", other.port, 1))).toBe(
      "ERR Duplicate master name.",
    );
    expect(errorText(await s.call("SENTINEL", "MONITOR", "m2", "127.0.0.1", other.port, 0))).toBe(
      "ERR Quorum must be 1 or greater.",
    );
    expect(errorText(await s.call("SENTINEL", "MONITOR", "m2", "127.0.0.1", 70000, 1))).toBe(
      "ERR Invalid port number.",
    );
    expect(await s.call("SENTINEL", "MONITOR", "m2", "127.0.0.1", other.port, 1)).toBe("OK");
    expect((await s.waitEvent("+monitor", /^master m2 /)).message).toBe(
      `master m2 127.0.0.1 ${other.port} quorum 1`,
    );
    await waitFor(() => s.conf().includes(`sentinel monitor m2 127.0.0.1 ${other.port} 1`), "conf has m2");
    const roleReply = (await s.call("ROLE")) as [string, string[]];
    expect([roleReply[0], [...roleReply[1]].sort()]).toEqual(["sentinel", ["m2", MASTER]]);
    await waitFor(
      async () => toRecord(await s.call("SENTINEL", "MASTER", "m2"))["role-reported"] === "master",
      "m2 INFO",
    );
    expect(await s.call("SENTINEL", "REMOVE", "m2")).toBe("OK");
    expect((await s.waitEvent("-monitor")).message).toBe(`master m2 127.0.0.1 ${other.port}`);
    expect(errorText(await s.call("SENTINEL", "MASTER", "m2"))).toBe("ERR No such master with that name");
    await waitFor(() => !s.conf().includes("sentinel monitor m2"), "m2 gone from conf");
  });

  it("resolve-hostnames / announce-hostnames: SENTINEL MONITOR with a hostname", async () => {
    expect(errorText(await s.call("SENTINEL", "MONITOR", "m3", "localhost", other.port, 1))).toBe(
      "ERR Invalid IP address or hostname specified",
    );
    expect(await s.call("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")).toBe("OK");
    expect(await s.call("SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes")).toBe("OK");
    try {
      expect(
        errorText(await s.call("SENTINEL", "MONITOR", "m4", "no-such-host.invalid", other.port, 1)),
      ).toBe("ERR Invalid IP address or hostname specified");
      expect(await s.call("SENTINEL", "MONITOR", "m3", "localhost", other.port, 1)).toBe("OK");
      expect((await s.waitEvent("+monitor", /^master m3 /)).message).toBe(
        `master m3 localhost ${other.port} quorum 1`,
      );
      expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m3")).toEqual([
        "localhost",
        String(other.port),
      ]);
      expect(toRecord(await s.call("SENTINEL", "MASTER", "m3")).ip).toBe("localhost");
      // The links reach it (through the resolved address) and the hellos name it by hostname.
      const sub = await RespClient.connect(other.port);
      try {
        await sub.call("SUBSCRIBE", "__sentinel__:hello");
        const [hello] = (await sub.waitPushed(1, 5000)) as string[][];
        expect(hello[2].split(",").slice(4, 7)).toEqual(["m3", "localhost", String(other.port)]);
      } finally {
        sub.close();
      }
      await waitFor(
        async () => toRecord(await s.call("SENTINEL", "MASTER", "m3"))["info-refresh"] !== "0",
        "INFO from m3",
      );
      await waitFor(() => s.conf().includes(`sentinel monitor m3 localhost ${other.port} 1`), "conf has m3");
      expect(s.conf()).toContain("sentinel resolve-hostnames yes");
      expect(s.conf()).toContain("sentinel announce-hostnames yes");
      // Without announce-hostnames, the resolved address is what is shown.
      expect(await s.call("SENTINEL", "CONFIG", "SET", "announce-hostnames", "no")).toBe("OK");
      expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m3")).toEqual([
        "127.0.0.1",
        String(other.port),
      ]);
      expect(await s.call("SENTINEL", "REMOVE", "m3")).toBe("OK");
      expect((await s.waitEvent("-monitor", /^master m3 /)).message).toBe(
        `master m3 127.0.0.1 ${other.port}`,
      );
    } finally {
      await s.call("SENTINEL", "REMOVE", "m3");
      await s.call("SENTINEL", "CONFIG", "SET", "announce-hostnames", "no");
      await s.call("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no");
    }
  });

  it("a hostname in sentinel.conf needs resolve-hostnames; announced with announce-hostnames", async () => {
    const write = async (lines: string[]) => {
      const dir = tempDir();
      const confPath = join(dir, "sentinel.conf");
      const port = await freePort();
      writeFileSync(
        confPath,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `sentinel monitor ${MASTER} localhost ${master.port} 1`,
          ...lines,
          "",
        ].join("\n"),
      );
      return new SentinelProcess(TARGET, port, dir, confPath);
    };
    const refused = await write([]);
    await expect(refused.start()).rejects.toThrow(/Can't resolve instance hostname\./);
    const ok = await write([
      "sentinel resolve-hostnames yes",
      "sentinel announce-hostnames yes",
      "logfile sentinel.log",
    ]);
    await ok.start();
    try {
      expect(await ok.masterAddr()).toBe(`localhost:${master.port}`);
      await waitFor(
        async () =>
          (await ok.master())["info-refresh"] !== "0" && (await ok.master())["role-reported"] === "master",
        "INFO from the master",
      );
      await waitFor(
        () => ok.conf().includes(`sentinel monitor ${MASTER} localhost ${master.port} 1`),
        "conf kept",
      );
      // logfile (relative to the start directory): the log goes there, events included.
      const log = () => readFileSync(join(ok.dir, "sentinel.log"), "latin1");
      await waitFor(
        () => log().includes(`+monitor master ${MASTER} localhost ${master.port} quorum 1`),
        "+monitor logged",
      );
      expect(log()).toMatch(/Sentinel ID is [0-9a-f]{40}/);
      expect(ok.out).not.toContain("+monitor");
      // CLIENT and SHUTDOWN are Sentinel commands too.
      const c = await RespClient.connect(ok.port);
      expect(await c.call("CLIENT", "SETNAME", "probe")).toBe("OK");
      expect(await c.call("CLIENT", "GETNAME")).toBe("probe");
      const id = await c.call("CLIENT", "ID");
      expect(String(await c.call("CLIENT", "LIST"))).toMatch(new RegExp(`^id=${id} .* name=probe `, "m"));
      expect(await c.call("SHUTDOWN")).toBeInstanceOf(Error);
      expect(await Promise.race([ok.exited, sleep(10_000).then(() => "still running")])).toBe(0);
      expect(c.isClosed).toBe(true);
    } finally {
      await ok.kill();
    }
  });

  it("SENTINEL RESET matches names by pattern and publishes +reset-master", async () => {
    expect(await s.call("SENTINEL", "RESET", "nomatch*")).toBe(0);
    expect(await s.call("SENTINEL", "RESET", "my*")).toBe(1);
    expect((await s.waitEvent("+reset-master")).message).toBe(`master ${MASTER} 127.0.0.1 ${master.port}`);
  });

  it("SENTINEL CONFIG SET/GET and FLUSHCONFIG", async () => {
    expect(await s.call("SENTINEL", "CONFIG", "SET", "announce-port", "12345")).toBe("OK");
    expect(toRecord(await s.call("SENTINEL", "CONFIG", "GET", "announce-*"))).toEqual({
      "announce-hostnames": "no",
      "announce-ip": "",
      "announce-port": "12345",
    });
    await waitFor(() => s.conf().includes("sentinel announce-port 12345"), "conf has announce-port");
    expect(await s.call("SENTINEL", "CONFIG", "SET", "announce-port", "0")).toBe("OK");
    expect(await s.call("SENTINEL", "FLUSHCONFIG")).toBe("OK");
    expect(s.conf()).not.toContain("announce-port");
    expect(s.conf()).toMatch(/^sentinel myid [0-9a-f]{40}$/m);
    expect(s.conf()).toMatch(/^sentinel current-epoch \d+$/m);
  });
});

describe.runIf(TARGET === "keyhaven")("03-runtime-reconf: process and config file", () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(SENTINEL_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (out += d));
      const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
      p.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });

  it("refuses to start without a config file or with an unwritable one", async () => {
    const none = await run([]);
    expect(none.code).toBe(1);
    expect(none.out).toContain("Sentinel needs config file on disk to save state.  Exiting...");
    // root may write a read-only file: an immutable one (chattr +i) it may not either.
    const dir = tempDir();
    const conf = join(dir, "ro.conf");
    writeFileSync(conf, `port ${await freePort()}\n`);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const made = spawnSync("chattr", ["+i", conf]);
      if (made.status !== 0) return; // no chattr, or a file system without the attribute
    } else {
      chmodSync(conf, 0o444);
    }
    try {
      const ro = await run([conf]);
      expect(ro.code).toBe(1);
      const reason = asRoot ? "Operation not permitted" : "Permission denied";
      expect(ro.out).toContain(`Sentinel config file ${conf} is not writable: ${reason}. Exiting...`);
    } finally {
      if (asRoot) spawnSync("chattr", ["-i", conf]);
    }
  });

  it("reports a bad sentinel directive with its file and line", async () => {
    const dir = tempDir();
    const conf = join(dir, "bad.conf");
    writeFileSync(conf, `port ${await freePort()}\nsentinel monitor m 127.0.0.1 6379 2\nsentinel bogus 1\n`);
    const r = await run([conf]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("Reading the configuration file, at line 3");
    expect(r.out).toContain(">>> 'sentinel bogus 1'");
    expect(r.out).toContain("Unrecognized sentinel configuration statement.");
  });

  it("accepts the seed's directives as written and keyhaven-server --sentinel runs it", async () => {
    const dir = tempDir();
    const conf = join(dir, "seed.conf");
    const port = await freePort();
    writeFileSync(
      conf,
      [
        `port ${port}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
        "down-after-milliseconds mymaster 5000",
        "parallel-syncs mymaster 1",
        "failover-timeout mymaster 180000",
        "# a comment that must survive",
        "",
      ].join("\n"),
    );
    const server = await import("../../server/test/helpers.js");
    const p = spawn(server.SERVER_BIN, [conf, "--sentinel"], { stdio: "ignore" });
    try {
      const { RespClient } = server;
      await waitFor(async () => {
        try {
          const c = await RespClient.connect(port);
          const m = toRecord(await c.call("SENTINEL", "MASTER", MASTER));
          c.close();
          return m["down-after-milliseconds"] === "5000" && m["failover-timeout"] === "180000";
        } catch {
          return false;
        }
      }, "seed config running");
      await waitFor(() => readFileSync(conf, "latin1").includes("sentinel myid"), "myid saved");
      const text = readFileSync(conf, "latin1");
      expect(text).toContain("# a comment that must survive");
      expect(text).toContain("sentinel down-after-milliseconds mymaster 5000");
    } finally {
      p.kill("SIGKILL");
    }
  });
});
