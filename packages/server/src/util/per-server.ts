/**
 * One lazily created instance per server, for subsystems most servers never use (the EVAL and
 * functions engines: a Lua state with its libraries is not free). `started` reads it without
 * creating it (INFO, saves).
 */

import type { Server } from "../server.js";

export interface PerServer<T> {
  of(server: Server): T;
  started(server: Server): T | undefined;
}

export function perServer<T>(create: (server: Server) => T): PerServer<T> {
  const instances = new WeakMap<Server, T>();
  return {
    of(server) {
      let instance = instances.get(server);
      if (instance === undefined) {
        instance = create(server);
        instances.set(server, instance);
      }
      return instance;
    },
    started: (server) => instances.get(server),
  };
}
