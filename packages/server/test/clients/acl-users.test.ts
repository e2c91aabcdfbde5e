/**
 * Applications that connect as an ACL user, through ioredis and node-redis as they ship:
 * username and password in the client options (AUTH user pass, or HELLO AUTH in RESP3), the
 * user's permissions enforced, and a wrong password refused at connection time.
 */
import Redis from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespClient, type ServerProcess, startTarget, waitFor } from "../helpers.js";

let server: ServerProcess;
let admin: RespClient;

beforeAll(async () => {
  server = await startTarget();
  admin = await RespClient.connect(server.port);
  expect(
    await admin.call(
      "ACL",
      "SETUSER",
      "app",
      "on",
      ">app-secret",
      "~app:*",
      "&app:*",
      "+@all",
      "-@dangerous",
    ),
  ).toBe("OK");
});
afterAll(async () => {
  admin?.close();
  await server?.stop();
});

describe("ioredis as an ACL user", () => {
  it("authenticates with username and password and is held to the user's rules", async () => {
    const r = new Redis({ port: server.port, host: "127.0.0.1", username: "app", password: "app-secret" });
    try {
      expect(await r.call("ACL", "WHOAMI")).toBe("app");
      expect(await r.set("app:1", "v")).toBe("OK");
      expect(await r.get("app:1")).toBe("v");
      await expect(r.get("other")).rejects.toThrow(
        "NOPERM this user has no permissions to access one of the keys used as arguments",
      );
      await expect(r.flushall()).rejects.toThrow(
        "NOPERM this user has no permissions to run the 'flushall' command",
      );
      await expect(r.publish("news", "x")).rejects.toThrow(
        "NOPERM this user has no permissions to access one of the channels used as arguments",
      );
      expect(await r.publish("app:news", "x")).toBe(0);
    } finally {
      r.disconnect();
    }
  });

  it("reports a wrong password as WRONGPASS", async () => {
    const r = new Redis({
      port: server.port,
      host: "127.0.0.1",
      username: "app",
      password: "nope",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    r.on("error", (err: Error) => errors.push(err.message));
    try {
      await r.connect().catch(() => {});
      await waitFor(() => errors.length > 0, "an error from ioredis", 5000);
      expect(errors[0]).toContain("WRONGPASS invalid username-password pair or user is disabled.");
    } finally {
      r.disconnect();
    }
  });
});

describe("node-redis as an ACL user", () => {
  for (const resp of [2, 3] as const) {
    it(`RESP${resp}: connects with username and password and is held to the user's rules`, async () => {
      const c = createClient({
        socket: { port: server.port, host: "127.0.0.1" },
        username: "app",
        password: "app-secret",
        RESP: resp,
      });
      c.on("error", () => {});
      await c.connect();
      try {
        expect(await c.sendCommand(["ACL", "WHOAMI"])).toBe("app");
        expect(await c.set("app:2", "w")).toBe("OK");
        await expect(c.get("elsewhere")).rejects.toThrow(
          "NOPERM this user has no permissions to access one of the keys used as arguments",
        );
        const info = String(await c.sendCommand(["CLIENT", "INFO"]));
        expect(info).toContain(" user=app ");
      } finally {
        c.destroy();
      }
    });
  }
});
