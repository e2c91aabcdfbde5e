/**
 * Debian's redis-cli against the target: argument mode, --no-raw formatting, commands read from
 * stdin, --scan, raw inline commands on a socket, and the backups it takes over the replication
 * protocol (--rdb: the dataset; --functions-rdb: the function libraries alone).
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorText, type ServerProcess, startTarget, tempDir } from "../helpers.js";

let server: ServerProcess;

function cli(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(server.port), ...args],
      { timeout: 20_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

beforeAll(async () => {
  server = await startTarget();
});
afterAll(async () => {
  await server?.stop();
});

describe("redis-cli", () => {
  it("runs commands given as arguments", async () => {
    expect(await cli(["PING"])).toBe("PONG\n");
    expect(await cli(["SET", "cli:a", "hello world"])).toBe("OK\n");
    expect(await cli(["GET", "cli:a"])).toBe("hello world\n");
    expect(await cli(["INCR", "cli:n"])).toBe("1\n");
    expect(await cli(["GET", "cli:none"])).toBe("\n");
  });

  it("formats replies with --no-raw as a terminal shows them", async () => {
    await cli(["DEL", "cli:x"]);
    expect(await cli(["--no-raw", "GET", "cli:a"])).toBe('"hello world"\n');
    expect(await cli(["--no-raw", "GET", "cli:none"])).toBe("(nil)\n");
    expect(await cli(["--no-raw", "INCR", "cli:n"])).toBe("(integer) 2\n");
    expect(await cli(["--no-raw", "MGET", "cli:a", "cli:none"])).toBe('1) "hello world"\n2) (nil)\n');
    expect(await cli(["--no-raw", "INCR", "cli:a"])).toBe(
      "(error) ERR value is not an integer or out of range\n",
    );
    expect(await cli(["--no-raw", "SET", "cli:b", "x\ny"])).toBe("OK\n");
    expect(await cli(["--no-raw", "GET", "cli:b"])).toBe('"x\\ny"\n');
  });

  it("reads commands from stdin", async () => {
    const out = await cli([], 'SET cli:in "a b"\nGET cli:in\nEXISTS cli:in cli:none\n');
    expect(out).toBe("OK\na b\n1\n");
  });

  it("--scan lists matching keys", async () => {
    for (let i = 0; i < 30; i++) await cli(["SET", `cli:scan:${i}`, "v"]);
    const out = await cli(["--scan", "--pattern", "cli:scan:*"]);
    expect(out.trim().split("\n").sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `cli:scan:${i}`).sort(),
    );
  });

  it("inline commands on a raw socket", async () => {
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(server.port, "127.0.0.1", resolve));
    const received: Buffer[] = [];
    socket.on("data", (d) => received.push(d));
    socket.write("SET cli:inline \"with space\"\r\nGET cli:inline\nPING\r\nECHO 'q\\'x'\r\n");
    const expected = "+OK\r\n$10\r\nwith space\r\n+PONG\r\n$3\r\nq'x\r\n";
    for (let i = 0; i < 200 && Buffer.concat(received).length < expected.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Buffer.concat(received).toString("latin1")).toBe(expected);
    socket.destroy();
  });

  describe("backups over the replication protocol", () => {
    const LIBRARY = "#!lua name=clilib\nredis.register_function('cli_one', function() return 1 end)";

    /** Starts the target on a directory holding `rdb` as its dump.rdb. */
    async function loadInFreshServer(rdb: string): Promise<ServerProcess> {
      const dir = tempDir();
      copyFileSync(rdb, join(dir, "dump.rdb"));
      return startTarget({ dir });
    }

    it("--rdb saves the dataset and --functions-rdb the libraries without the keys", async () => {
      const c = await server.client();
      try {
        // The transfer is diskless: without this it would wait 5 s for more replicas.
        await c.call("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        await c.call("FUNCTION", "LOAD", "REPLACE", LIBRARY);
        await c.call("SET", "cli:backup", "kept");
        const dbsize = (await c.call("DBSIZE")) as number;
        const dir = tempDir();
        const full = join(dir, "full.rdb");
        const functions = join(dir, "functions.rdb");
        await cli(["--rdb", full]);
        await cli(["--functions-rdb", functions]);
        expect(execFileSync("redis-check-rdb", [full], { encoding: "latin1" })).toContain(
          `${dbsize} keys read`,
        );
        expect(execFileSync("redis-check-rdb", [functions], { encoding: "latin1" })).toContain("0 keys read");

        for (const [file, keys] of [
          [full, dbsize],
          [functions, 0],
        ] as const) {
          const loaded = await loadInFreshServer(file);
          const l = await loaded.client();
          try {
            expect(await l.call("DBSIZE")).toBe(keys);
            expect(await l.call("FCALL", "cli_one", "0")).toBe(1);
          } finally {
            l.close();
            await loaded.stop();
          }
        }
      } finally {
        await c.call("FUNCTION", "FLUSH");
        c.close();
      }
    });

    it("REPLCONF rdb-filter-only: Redis's filters and errors", async () => {
      const c = await server.client();
      try {
        expect(await c.call("REPLCONF", "rdb-filter-only", "functions")).toBe("OK");
        expect(await c.call("REPLCONF", "rdb-filter-only", "")).toBe("OK");
        expect(errorText(await c.call("REPLCONF", "rdb-filter-only", "functions keys"))).toBe(
          "ERR Unsupported rdb-filter-only option: keys",
        );
        expect(errorText(await c.call("REPLCONF", "rdb-filter-only", '"functions'))).toBe(
          "ERR Missing rdb-filter-only values",
        );
        // A filtered RDB only goes to replicas that read the EOF-marked (diskless) format.
        expect(errorText(await c.call("SYNC"))).toBe("ERR Filtered replica requires EOF capability");
      } finally {
        c.close();
      }
    });
  });
});
