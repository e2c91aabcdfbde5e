/**
 * Wires RDB persistence into a server (called by createServer): the subsystem (load at start-up,
 * cron save points, shutdown save, MISCONF gate), the commands (SAVE, BGSAVE, DUMP, RESTORE),
 * DEBUG RELOAD, FLUSHALL's save and the INFO persistence section.
 */

import { debugSubcommands } from "../commands/debug.js";
import { flushAllHooks } from "../commands/keys.js";
import { persistenceCommands, persistenceDebugSubcommands } from "../commands/persistence.js";
import type { Server } from "../server.js";
import { persistenceInfo } from "./persistence-info.js";
import { installRdbPersistence, type RdbPersistence } from "./rdb-persistence.js";

export function registerPersistence(server: Server): RdbPersistence {
  const p = installRdbPersistence(server);
  server.commands.add(persistenceCommands);
  for (const [name, handler] of persistenceDebugSubcommands) debugSubcommands.set(name, handler);
  flushAllHooks.push((c) => {
    if (c.server === server) p.onFlushAll(c);
  });
  server.infoSections.set("persistence", () => persistenceInfo(server));
  return p;
}
