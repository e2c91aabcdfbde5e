/**
 * The fault proxy on its own, in front of a line echo server: pass forwards both ways, blackhole
 * holds bytes (in both directions, for open and new connections) until healed and loses none,
 * reset sends RST, rules apply per source (set one by one or replaced at once), and sources are
 * recognized by process through /proc.
 */

import { spawn } from "node:child_process";
import { createServer, type Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "../../../scripts/cluster/fault-proxy.mjs";
import { connectionOwner } from "../../../scripts/cluster/proc-net.mjs";

let echo: Server | null = null;
const echoSockets = new Set<Socket>();
let proxies: FaultProxy[] = [];
afterEach(async () => {
  for (const p of proxies) await p.close();
  proxies = [];
  for (const s of echoSockets) s.destroy();
  echoSockets.clear();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  echo = null;
});

async function echoServer(): Promise<number> {
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on("close", () => echoSockets.delete(s));
    s.on("error", () => {});
    s.on("data", (d) => s.write(d));
  });
  await new Promise<void>((r) => echo!.listen(0, "127.0.0.1", () => r()));
  const a = echo.address();
  return typeof a === "object" && a !== null ? a.port : 0;
}

/** A client whose received bytes accumulate in `got`; `closed` says how it ended. */
async function client(port: number): Promise<{ s: Socket; got: () => string; closed: () => string | null }> {
  const s = new Socket();
  let got = "";
  let closed: string | null = null;
  s.on("data", (d) => {
    got += d.toString();
  });
  s.on("error", (e: NodeJS.ErrnoException) => {
    closed = e.code ?? e.message;
  });
  s.on("close", () => {
    closed ??= "closed";
  });
  // Settles on close too: a reset may beat the connect event (both ends live in this process).
  await new Promise<void>((r) => {
    s.once("close", () => r());
    s.connect(port, "127.0.0.1", () => r());
  });
  return { s, got: () => got, closed: () => closed };
}

async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

async function proxy(targetPort: number, identify?: () => string): Promise<FaultProxy> {
  const p = await FaultProxy.start({ name: "echo", targetPort, identify });
  proxies.push(p);
  return p;
}

describe("fault proxy", () => {
  it("passes, blackholes without losing bytes, heals, and resets", async () => {
    const p = await proxy(await echoServer());
    const a = await client(p.port);
    a.s.write("one\n");
    expect(await until(() => a.got() === "one\n")).toBe(true);

    p.set("blackhole");
    a.s.write("two\n");
    const b = await client(p.port);
    b.s.write("new\n");
    // Nothing comes back while blackholed, on the open connection or the new one.
    expect(await until(() => a.got() !== "one\n" || b.got() !== "", 300)).toBe(false);
    p.heal();
    expect(await until(() => a.got() === "one\ntwo\n" && b.got() === "new\n")).toBe(true);

    p.set("reset");
    expect(await until(() => a.closed() !== null && b.closed() !== null)).toBe(true);
    expect(a.closed()).toBe("ECONNRESET");
    const c = await client(p.port);
    expect(await until(() => c.closed() !== null)).toBe(true);
    p.heal();
    const d = await client(p.port);
    d.s.write("back\n");
    expect(await until(() => d.got() === "back\n")).toBe(true);
    d.s.destroy();
  });

  it("applies rules per source and leaves other sources alone", async () => {
    let next = "alpha";
    const p = await proxy(await echoServer(), () => next);
    const alpha = await client(p.port);
    next = "beta";
    const beta = await client(p.port);
    expect(await until(() => p.connections().get("beta") === 1)).toBe(true);
    p.set("blackhole", "alpha");
    alpha.s.write("a\n");
    beta.s.write("b\n");
    expect(await until(() => beta.got() === "b\n")).toBe(true);
    expect(alpha.got()).toBe("");
    p.set("pass", "alpha");
    expect(await until(() => alpha.got() === "a\n")).toBe(true);
    // replaceRules: the new set of cut sources, in one step; the old rules are gone.
    p.replaceRules("blackhole", ["beta"]);
    alpha.s.write("a2\n");
    beta.s.write("b2\n");
    expect(await until(() => alpha.got() === "a\na2\n")).toBe(true);
    expect(beta.got()).toBe("b\n");
    p.heal();
    expect(await until(() => beta.got() === "b\nb2\n")).toBe(true);
    alpha.s.destroy();
    beta.s.destroy();
  });

  it("recognizes the process that opened a connection (/proc)", async () => {
    const candidates = new Map<number, string>([[process.pid, "me"]]);
    const p = await proxy(await echoServer(), undefined);
    const seen: string[] = [];
    const identified = await FaultProxy.start({
      name: "who",
      targetPort: p.targetPort,
      identify: (peer, local) => {
        const who = connectionOwner(peer, local, candidates) ?? "unknown";
        seen.push(who);
        return who;
      },
    });
    proxies.push(identified);
    const mine = await client(identified.port);
    expect(await until(() => seen.length === 1)).toBe(true);
    expect(seen[0]).toBe("me");
    // A child process connecting is told apart from this one.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const s=require("net").connect(${identified.port},"127.0.0.1",()=>s.write("x"));s.on("data",()=>process.exit(0));setTimeout(()=>process.exit(1),5000)`,
      ],
      { stdio: "ignore" },
    );
    candidates.set(child.pid!, "child");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(seen).toEqual(["me", "child"]);
    mine.s.destroy();
  });
});
