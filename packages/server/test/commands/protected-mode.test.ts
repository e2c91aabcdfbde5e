/**
 * Protected mode and "local" clients, as Redis 7.0 decides them (clientAcceptHandler and
 * islocalClient): only 127.0.0.1, ::1 and Unix sockets are local, whatever `bind` says. A
 * connection from 127.0.0.2 is a loopback peer Redis does not call local, which lets this
 * suite see a refused connection without a second host.
 */

import { describe, expect, it } from "vitest";
import { PROTECTED_MODE_DENIED, protectedModeDenies } from "../../src/network/protected-mode.js";
import { errorText, RespClient, type ServerProcess, waitFor, withTarget } from "../helpers.js";

const DENIED = PROTECTED_MODE_DENIED.slice(1, -2);

describe("protected mode decision", () => {
  it("refuses only non-local peers, with protected-mode on and no password", () => {
    const local: [string | undefined, boolean][] = [
      ["127.0.0.1", false],
      ["::1", false],
      ["::ffff:127.0.0.1", false],
      [undefined, true],
      ["10.0.0.5", true],
    ];
    for (const [addr, unix] of local) expect(protectedModeDenies(addr, unix, true, false)).toBe(false);
    for (const addr of ["192.0.2.7", "127.0.0.2", "::2", "fd00::2", "::ffff:10.1.2.3", undefined]) {
      expect(protectedModeDenies(addr, false, true, false)).toBe(true);
      // A password for the default user, or protected-mode no, lets anyone connect.
      expect(protectedModeDenies(addr, false, true, true)).toBe(false);
      expect(protectedModeDenies(addr, false, false, false)).toBe(false);
    }
  });
});

describe("protected mode over TCP", () => {
  let server: ServerProcess;
  let c: RespClient;

  // An explicit bind no longer disables protected mode in 7.0.
  withTarget(
    { args: ["--protected-mode", "yes", "--enable-debug-command", "local"] },
    (t) => ({ server, c } = t),
  );

  const rejected = async () => {
    const info = (await c.call("INFO", "stats")) as string;
    return Number(/rejected_connections:(\d+)/.exec(info)![1]);
  };

  it("accepts loopback, refuses another peer with Redis's DENIED text", async () => {
    expect(await c.call("PING")).toBe("PONG");
    const before = await rejected();
    const remote = await RespClient.connect(server.port, { localAddress: "127.0.0.2" });
    expect(errorText(await remote.call("PING"))).toBe(DENIED);
    await waitFor(() => remote.isClosed, "refused connection closed", 5000);
    expect(await rejected()).toBe(before + 1);
  });

  it("a password or protected-mode no lets the peer in", async () => {
    expect(await c.call("CONFIG", "SET", "requirepass", "secret")).toBe("OK");
    let remote = await RespClient.connect(server.port, { localAddress: "127.0.0.2" });
    expect(errorText(await remote.call("PING"))).toBe("NOAUTH Authentication required.");
    remote.close();
    expect(await c.call("AUTH", "secret")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "requirepass", "", "protected-mode", "no")).toBe("OK");
    remote = await RespClient.connect(server.port, { localAddress: "127.0.0.2" });
    expect(await remote.call("PING")).toBe("PONG");
    remote.close();
    expect(await c.call("CONFIG", "SET", "protected-mode", "yes")).toBe("OK");
  });

  it("enable-debug-command local allows DEBUG from 127.0.0.1 only", async () => {
    expect(await c.call("DEBUG", "SLEEP", "0")).toBe("OK");
    expect(await c.call("CONFIG", "SET", "protected-mode", "no")).toBe("OK");
    const remote = await RespClient.connect(server.port, { localAddress: "127.0.0.2" });
    expect(errorText(await remote.call("DEBUG", "SLEEP", "0"))).toBe(
      `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
    );
    remote.close();
    expect(await c.call("CONFIG", "SET", "protected-mode", "yes")).toBe("OK");
  });
});
