/**
 * node-redis 5 against the target server, in RESP2 and in RESP3: commands, MULTI/WATCH,
 * pub/sub and isolated connections, unchanged; and its client-side cache (RESP3), which relies
 * on CLIENT TRACKING's invalidations.
 */
import { BasicClientSideCache, createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startTarget } from "../helpers.js";

let server: ServerProcess;
type Client = ReturnType<typeof createClient>;
const opened: Client[] = [];

async function connect(resp: 2 | 3): Promise<Client> {
  const c = createClient({ socket: { port: server.port, host: "127.0.0.1" }, RESP: resp }) as Client;
  c.on("error", () => {});
  opened.push(c);
  await c.connect();
  return c;
}

beforeAll(async () => {
  server = await startTarget();
});
afterAll(async () => {
  for (const c of opened) if (c.isOpen) c.destroy();
  await server?.stop();
});

for (const resp of [2, 3] as const) {
  describe(`node-redis 5 in RESP${resp}`, () => {
    it("commands and errors", async () => {
      const c = await connect(resp);
      expect(await c.ping()).toBe("PONG");
      expect(String(await c.clientInfo().then((i) => i.resp))).toBe(String(resp));
      expect(await c.set(`nr${resp}:a`, "1", { EX: 100 })).toBe("OK");
      expect(await c.get(`nr${resp}:a`)).toBe("1");
      expect(await c.incrBy(`nr${resp}:a`, 4)).toBe(5);
      expect(await c.ttl(`nr${resp}:a`)).toBe(100);
      expect(await c.mGet([`nr${resp}:a`, `nr${resp}:none`])).toEqual(["5", null]);
      expect(await c.exists(`nr${resp}:a`)).toBe(1);
      await c.set(`nr${resp}:s`, "x");
      await expect(c.incr(`nr${resp}:s`)).rejects.toThrow("ERR value is not an integer or out of range");
      expect(await c.hello()).toMatchObject({ server: "redis", version: "7.0.15", proto: resp });
    });

    it("MULTI and WATCH", async () => {
      const c = await connect(resp);
      const other = await connect(resp);
      expect(await c.multi().set(`nr${resp}:t`, "1").incr(`nr${resp}:t`).get(`nr${resp}:t`).exec()).toEqual([
        "OK",
        2,
        "2",
      ]);
      await c.watch(`nr${resp}:t`);
      await other.set(`nr${resp}:t`, "9");
      await expect(c.multi().set(`nr${resp}:t`, "3").exec()).rejects.toThrow();
      expect(await c.get(`nr${resp}:t`)).toBe("9");
    });

    it("pub/sub", async () => {
      const sub = await connect(resp);
      const pub = await connect(resp);
      const got: string[] = [];
      await sub.subscribe(`nr${resp}:ch`, (msg: string) => {
        got.push(msg);
      });
      expect(await pub.publish(`nr${resp}:ch`, "hi")).toBe(1);
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual(["hi"]);
      await sub.unsubscribe(`nr${resp}:ch`);
    });

    it("a pool of isolated connections", async () => {
      const c = await connect(resp);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          c.multi().set(`nr${resp}:iso:${i}`, String(i)).get(`nr${resp}:iso:${i}`).exec(),
        ),
      );
      expect(results.map((r) => r[1])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    });
  });
}

describe("node-redis 5 client-side caching (RESP3)", () => {
  it("serves repeated reads from its cache until the server invalidates the key", async () => {
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: "LRU" });
    const c = createClient({
      socket: { port: server.port, host: "127.0.0.1" },
      RESP: 3,
      clientSideCache: cache,
    }) as Client;
    c.on("error", () => {});
    opened.push(c);
    await c.connect();
    const writer = await connect(2);
    await writer.set("csc:k", "v1");
    expect(await c.get("csc:k")).toBe("v1");
    expect(await c.get("csc:k")).toBe("v1");
    expect(cache.stats().hitCount).toBe(1);
    expect(cache.size()).toBe(1);
    await writer.set("csc:k", "v2");
    // The invalidation arrives on the cached connection: the entry goes, the next read fetches.
    for (let i = 0; i < 100 && cache.size() !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(cache.size()).toBe(0);
    expect(await c.get("csc:k")).toBe("v2");
    expect(cache.stats().missCount).toBe(2);
  });
});
