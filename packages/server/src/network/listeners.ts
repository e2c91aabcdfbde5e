/**
 * The listening sockets (Redis's listenToPort and the unix socket): TCP on each `bind` address,
 * opened at start and again by CONFIG SET port|bind (rebind). The clients they accepted are not
 * theirs: closing the listeners leaves connected clients alone. Connections are accepted paused:
 * Server.acceptConnection moves each into a socket that reads into the shared buffer
 * (shared-reads.ts).
 */

import { chmodSync, unlinkSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import type { Server } from "../server.js";

export class Listeners {
  private readonly server: Server;
  private readonly sockets: NetServer[] = [];
  /** The TCP port bound (port 0, in tests, binds a free one). */
  boundPort = 0;

  constructor(server: Server) {
    this.server = server;
  }

  async listen(): Promise<void> {
    const { config, logger } = this.server;
    const port = config.num("port");
    if (port !== 0 || config.str("unixsocket") === "") {
      const hosts = bindAddresses(config.get("bind") as string[]);
      let boundAny = false;
      for (const { host, optional } of hosts) {
        const srv = createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
          this.server.acceptConnection(socket, false),
        );
        try {
          await listenOn(srv, { port: this.boundPort || port, host, backlog: config.num("tcp-backlog") });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (optional && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT")) continue;
          logger.warning(
            { host, port, error: (err as Error).message },
            `Warning: Could not create server TCP listening socket ${host}:${port}: ${(err as Error).message}`,
          );
          logger.warning(`Failed listening on port ${port} (tcp), aborting.`);
          throw err;
        }
        const address = srv.address();
        if (address !== null && typeof address === "object") this.boundPort = address.port;
        this.sockets.push(srv);
        boundAny = true;
      }
      if (!boundAny) throw new Error(`Failed listening on port ${port} (tcp), aborting.`);
    }
    const unixPath = config.str("unixsocket");
    if (unixPath !== "") {
      removeSocketFile(unixPath);
      const srv = createServer({ pauseOnConnect: true }, (socket) =>
        this.server.acceptConnection(socket, true),
      );
      await listenOn(srv, { path: unixPath });
      const perm = config.num("unixsocketperm");
      if (perm !== 0) chmodSync(unixPath, perm);
      this.sockets.push(srv);
    }
  }

  /**
   * changeListenPort / changeBindAddr for CONFIG SET port|bind: closes the listening sockets
   * and listens again with the current settings. On failure nothing is left listening: the caller
   * restores the previous settings and calls this again.
   */
  async rebind(): Promise<void> {
    this.close();
    // The listening handles close on the next turn; only then is the port free again.
    await new Promise((resolve) => setImmediate(resolve));
    this.boundPort = 0;
    try {
      await this.listen();
    } catch (err) {
      this.close();
      await new Promise((resolve) => setImmediate(resolve));
      throw err;
    }
  }

  close(): void {
    for (const srv of this.sockets.splice(0)) srv.close();
  }
}

/** Removes a unix socket file (one left by an earlier run would make listening fail). */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // No such file.
  }
}

/** Expands Redis's bind list: "*" is every IPv4 address, "::*" every IPv6, "-" marks optional. */
function bindAddresses(binds: string[]): { host: string; optional: boolean }[] {
  return binds.map((b) => {
    const optional = b.startsWith("-");
    const addr = optional ? b.slice(1) : b;
    const host = addr === "*" ? "0.0.0.0" : addr === "::*" ? "::" : addr;
    return { host, optional };
  });
}

function listenOn(
  srv: NetServer,
  options: { port?: number; host?: string; backlog?: number; path?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    srv.once("error", onError);
    srv.listen({ ...options, ipv6Only: options.host === "::" }, () => {
      srv.off("error", onError);
      resolve();
    });
  });
}
