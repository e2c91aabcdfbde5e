/**
 * Process-level start-up and configuration: config file errors with file and line, include,
 * quoting/units/legacy aliases, daemonize, port already taken, pidfile, unix socket, signals.
 * Runs against the target (keyhaven or real Redis); Keyhaven-only behaviour is marked.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  RespClient,
  SERVER_BIN,
  type ServerProcess,
  startTarget,
  tempDir,
  waitFor,
} from "../helpers.js";

const isRedis = process.env.KEYHAVEN_TEST_TARGET === "redis";
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

async function start(options: Parameters<typeof startTarget>[0]): Promise<ServerProcess> {
  const s = await startTarget(options);
  running.push(s);
  return s;
}

async function failing(configText: string): Promise<{ code: number | null; output: string; file: string }> {
  const dir = tempDir();
  const file = join(dir, "redis.conf");
  writeFileSync(file, configText);
  const s = await start({ configFile: file, waitReady: false });
  const code = await s.exited;
  return { code, output: s.output(), file };
}

describe("configuration file", () => {
  it("an unknown directive stops start-up with the line, its text and the reason", async () => {
    const { code, output } = await failing("# comment\nmaxmemory 1mb\nnosuchoption yes\n");
    expect(code).not.toBe(0);
    expect(output).toContain("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***");
    expect(output).toContain("Reading the configuration file, at line 3");
    expect(output).toContain(">>> 'nosuchoption yes'");
    expect(output).toContain("Bad directive or wrong number of arguments");
  });

  it("an invalid value names the problem", async () => {
    const { code, output } = await failing("maxmemory lots\n");
    expect(code).not.toBe(0);
    expect(output).toContain("at line 1");
    expect(output).toContain("argument must be a memory value");
    const bool = await failing("appendonly perhaps\n");
    expect(bool.output).toContain("argument must be 'yes' or 'no'");
  });

  it("keyhaven names the file of the bad line, also inside an include", async (ctx) => {
    if (isRedis) ctx.skip(); // Redis prints no file name
    const dir = tempDir();
    writeFileSync(join(dir, "inner.conf"), "maxmemory 1mb\nbogus 1\n");
    const main = join(dir, "main.conf");
    writeFileSync(main, `include ${join(dir, "inner.conf")}\n`);
    const s = await start({ configFile: main, waitReady: false });
    expect(await s.exited).not.toBe(0);
    expect(s.output()).toContain(`(in ${join(dir, "inner.conf")})`);
    expect(s.output()).toContain("at line 2");
  });

  it("include, quoting, units, booleans, multi-argument and legacy directives are honoured", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "inc.conf"), "maxmemory 2mb\n");
    const file = join(dir, "redis.conf");
    writeFileSync(
      file,
      [
        "# a comment",
        `include ${join(dir, "inc.conf")}`,
        'requirepass "pass word"',
        "slave-read-only no",
        "save 900 1",
        "save 300 10",
        "client-output-buffer-limit pubsub 64mb 16mb 90",
        "appendfsync always",
        "maxmemory-policy allkeys-lru",
        "notify-keyspace-events Ex",
        "tcp-keepalive 60",
        "",
      ].join("\n"),
    );
    const s = await start({ configFile: file });
    const c = await s.client();
    expect(await c.call("AUTH", "pass word")).toBe("OK");
    const get = async (name: string) => ((await c.call("CONFIG", "GET", name)) as string[])[1];
    expect(await get("maxmemory")).toBe("2097152");
    expect(await get("replica-read-only")).toBe("no");
    expect(await get("client-output-buffer-limit")).toBe(
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90",
    );
    expect(await get("appendfsync")).toBe("always");
    expect(await get("maxmemory-policy")).toBe("allkeys-lru");
    expect(await get("notify-keyspace-events")).toBe("xE");
    expect(await get("tcp-keepalive")).toBe("60");
    c.close();
  });

  it("include with a wildcard loads its matches in sorted order, none is no error; relative paths start at dir", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "conf.d"));
    mkdirSync(join(dir, "empty.d"));
    // Sorted: a.conf, then b.conf (its maxmemory wins); hidden and non-matching files are left out.
    writeFileSync(join(dir, "conf.d", "b.conf"), "maxmemory 2mb\n");
    writeFileSync(join(dir, "conf.d", "a.conf"), "maxmemory 1mb\ntcp-keepalive 7\n");
    writeFileSync(join(dir, "conf.d", ".hidden.conf"), "hz 50\n");
    writeFileSync(join(dir, "conf.d", "c.conf.disabled"), "hz 60\n");
    writeFileSync(join(dir, "rel.conf"), "maxmemory-policy allkeys-lfu\n");
    const file = join(dir, "redis.conf");
    writeFileSync(
      file,
      [
        `dir ${dir}`,
        "include conf.d/*.conf",
        `include ${join(dir, "empty.d")}/*.conf`,
        "include rel.conf",
        "",
      ].join("\n"),
    );
    const s = await start({ configFile: file });
    const c = await s.client();
    const get = async (name: string) => ((await c.call("CONFIG", "GET", name)) as string[])[1];
    expect(await get("maxmemory")).toBe("2097152");
    expect(await get("tcp-keepalive")).toBe("7");
    expect(await get("hz")).toBe("10");
    expect(await get("maxmemory-policy")).toBe("allkeys-lfu");
    c.close();
  });

  it("a missing include or dir stops start-up with Redis's message", async () => {
    const missing = await failing("port 0\ninclude /nonexistent-keyhaven/inc.conf\n");
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain(
      "Fatal error, can't open config file '/nonexistent-keyhaven/inc.conf': No such file or directory",
    );
    const dir = await failing("maxmemory 1mb\ndir /nonexistent-keyhaven/data\n");
    expect(dir.code).not.toBe(0);
    expect(dir.output).toContain("Reading the configuration file, at line 2");
    expect(dir.output).toContain(">>> 'dir /nonexistent-keyhaven/data'");
    expect(dir.output).toContain("No such file or directory");
  });

  it("Debian's stock redis.conf loads, with command-line overrides", async (ctx) => {
    const stock = "/etc/redis/redis.conf";
    let text: string;
    try {
      text = readFileSync(stock, "latin1");
    } catch {
      ctx.skip(); // redis-server's package is not installed here
      return;
    }
    const dir = tempDir();
    const file = join(dir, "redis.conf");
    writeFileSync(file, text);
    // The stock file daemonizes and logs to /var/log: the command line overrides both.
    const s = await start({
      configFile: file,
      args: ["--daemonize", "no", "--logfile", "", "--pidfile", join(dir, "pid"), "--supervised", "no"],
    });
    const c = await s.client();
    expect(await c.call("CONFIG", "GET", "client-output-buffer-limit")).toEqual([
      "client-output-buffer-limit",
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ]);
    expect(await c.call("CONFIG", "GET", "auto-aof-rewrite-min-size")).toEqual([
      "auto-aof-rewrite-min-size",
      "67108864",
    ]);
    c.close();
  });

  it("command-line directives: --save with several points and --save with no value", async () => {
    const s = await start({ args: ["--save", "900", "1", "--save", "300", "10", "--maxmemory", "1gb"] });
    const c = await s.client();
    expect(await c.call("CONFIG", "GET", "save")).toEqual(["save", "900 1 300 10"]);
    expect(await c.call("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", "1073741824"]);
    c.close();
  });

  it("CONFIG REWRITE keeps comments and unknown lines in place", async () => {
    const dir = tempDir();
    const file = join(dir, "redis.conf");
    writeFileSync(file, "# my settings\nmaxmemory 1mb\n\n# keep me\ntimeout 0\n");
    const s = await start({ configFile: file });
    const c = await s.client();
    await c.call("CONFIG", "SET", "maxmemory", "3mb", "timeout", "7");
    expect(await c.call("CONFIG", "REWRITE")).toBe("OK");
    const text = readFileSync(file, "latin1");
    expect(text).toMatch(/^# my settings\nmaxmemory 3mb\n\n# keep me\ntimeout 7\n/);
    c.close();
  });

  it("daemonize yes is refused clearly (keyhaven)", async (ctx) => {
    if (isRedis) ctx.skip(); // Redis would fork into the background
    const { code, output } = await failing("daemonize yes\n");
    expect(code).not.toBe(0);
    expect(output).toContain("daemonize yes is not supported");
  });
});

describe("process", () => {
  it("-v / --version print the version, -h / --help the usage (stderr, exit 1); not alone, they are directives", () => {
    const bin = isRedis ? "redis-server" : SERVER_BIN;
    const run = (...args: string[]) => spawnSync(bin, args, { encoding: "utf8", timeout: 15_000 });
    for (const flag of ["-v", "--version"]) {
      const r = run(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Redis server v=7\.0\.\d+ sha=/);
    }
    for (const flag of ["-h", "--help"]) {
      const r = run(flag);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^Usage: \.\/\S+ \[\/path\/to\/redis\.conf\] \[options\] \[-\]/);
    }
    // Not alone: --version is read as a config directive, which does not exist.
    const r = run("--port", "0", "--version");
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain("FATAL CONFIG FILE ERROR");
  });

  it("logs its PID and readiness, writes the pidfile and exits 0 on SIGTERM", async () => {
    const dir = tempDir();
    const pidfile = join(dir, "server.pid");
    const s = await start({ args: ["--pidfile", pidfile] });
    expect(s.output()).toContain(`pid=${s.pid}, just started`);
    // Without a terminal and without always-show-logo, no logo: the one-line form.
    expect(s.output()).toMatch(/Running mode=standalone, port=\d+\./);
    const logo = await start({ args: ["--always-show-logo", "yes"] });
    expect(logo.output()).toMatch(new RegExp(`Port: ${logo.port}\\b.* PID: ${logo.pid}\\b`, "s"));
    expect(s.output()).toContain("Ready to accept connections");
    expect(readFileSync(pidfile, "latin1").trim()).toBe(String(s.pid));
    expect(await s.stop("SIGTERM")).toBe(0);
    expect(existsSync(pidfile)).toBe(false);
  });

  /** Starts a server logging to a file at `loglevel`, once the file says it is ready. */
  async function startLoggingToFile(loglevel: string) {
    const logfile = join(tempDir(), "server.log");
    const s = await start({ args: ["--logfile", logfile, "--loglevel", loglevel], waitReady: false });
    await waitFor(
      () => existsSync(logfile) && readFileSync(logfile, "latin1").includes("Ready to accept connections"),
      "log",
    );
    return { s, logfile };
  }

  it("logs to logfile at the configured loglevel", async () => {
    const { s } = await startLoggingToFile("verbose");
    const c = await s.client();
    expect(await c.call("CONFIG", "GET", "loglevel")).toEqual(["loglevel", "verbose"]);
    expect(await c.call("CONFIG", "SET", "loglevel", "warning")).toBe("OK");
    c.close();
    expect(await s.stop()).toBe(0);
    expect(s.output()).not.toContain("Ready to accept connections");
  });

  // Keyhaven's own start-up work (persistence/rdb-warmup.ts): Redis has nothing to warm.
  it.skipIf(isRedis)("warms its RDB code after start-up and leaves the dataset and stats alone", async () => {
    const { s, logfile } = await startLoggingToFile("debug");
    const c = await s.client();
    expect(await c.call("SET", "written-meanwhile", "1")).toBe("OK");
    await waitFor(() => readFileSync(logfile, "latin1").includes("RDB warm-up done"), "warm-up", 30_000);
    expect(await c.call("DBSIZE")).toBe(1);
    const persistence = String(await c.call("INFO", "persistence"));
    expect(persistence).toContain("rdb_changes_since_last_save:1\r\n");
    expect(persistence).toContain("rdb_bgsave_in_progress:0\r\n");
    expect(persistence).toContain("rdb_saves:0\r\n");
    expect(await c.call("GET", "written-meanwhile")).toBe("1");
    c.close();
    expect(await s.stop()).toBe(0);
  });

  it("SIGINT also shuts down gracefully", async () => {
    const s = await start({});
    expect(await s.stop("SIGINT")).toBe(0);
  });

  it("fails with 'Failed listening on port' when the port is taken", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const s = await start({ port, waitReady: false, args: ["--always-show-logo", "yes"] });
      const code = await s.exited;
      expect(code).not.toBe(0);
      expect(s.output()).toContain(`Failed listening on port ${port}`);
      // The logo's " PID: " line, which Redis's test suite takes for a successful bind, is not
      // printed: its harness then retries on another port instead of waiting for this one.
      expect(s.output()).not.toContain(` PID: ${s.pid}`);
    } finally {
      blocker.close();
    }
  });

  it("listens on a unix socket with unixsocketperm, and on no TCP port with port 0", async () => {
    const dir = tempDir();
    const path = join(dir, "kh.sock");
    const s = await start({ args: ["--unixsocket", path, "--unixsocketperm", "700"] });
    expect(statSync(path).mode & 0o777).toBe(0o700);
    const sock = new Socket();
    await new Promise<void>((r) => sock.connect(path, r));
    const got = await new Promise<string>((r) => {
      sock.once("data", (d) => r(d.toString("latin1")));
      sock.write("PING\r\n");
    });
    expect(got).toBe("+PONG\r\n");
    sock.destroy();
    await s.stop();
    const path2 = join(dir, "only.sock");
    // Redis logs a different ready line without TCP: wait for the socket file instead.
    const unixOnly = await start({ args: ["--unixsocket", path2], port: 0, waitReady: false });
    await waitFor(() => existsSync(path2), "unix socket file");
    const only = new Socket();
    await new Promise<void>((r) => only.connect(path2, r));
    only.destroy();
    await unixOnly.stop();
  });

  it("binds several addresses", async () => {
    const s = await start({ args: ["--bind", "127.0.0.1", "::1"] });
    const c4 = await RespClient.connect(s.port, { host: "127.0.0.1" });
    expect(await c4.call("PING")).toBe("PONG");
    c4.close();
    try {
      const c6 = await RespClient.connect(s.port, { host: "::1" });
      expect(await c6.call("PING")).toBe("PONG");
      c6.close();
    } catch {
      // No IPv6 loopback on this machine.
    }
  });

  it("SHUTDOWN from a client stops the process", async () => {
    const s = await start({});
    const c = await s.client();
    await c.call("SHUTDOWN", "NOSAVE");
    await waitFor(() => s.proc.exitCode !== null, "exit");
    expect(s.proc.exitCode).toBe(0);
  });
});
