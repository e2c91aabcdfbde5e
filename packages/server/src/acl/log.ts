/**
 * The ACL security log (ACL LOG): denied commands, keys, channels and failed authentications,
 * newest first. A denial like one of the last ten within a minute bumps that entry's count
 * instead of adding one (addACLLogEntry).
 */

import { AclResult } from "./check.js";

export type AclLogContext = "toplevel" | "multi" | "lua";

export interface AclLogEntry {
  count: number;
  reason: AclResult;
  context: AclLogContext;
  object: string;
  username: string;
  /** Milliseconds of the last occurrence. */
  time: number;
  clientInfo: string;
}

const GROUPING_WINDOW_MS = 60000;
const SCANNED_FOR_GROUPING = 10;

export function reasonName(reason: AclResult): string {
  switch (reason) {
    case AclResult.DeniedCommand:
      return "command";
    case AclResult.DeniedKey:
      return "key";
    case AclResult.DeniedChannel:
      return "channel";
    case AclResult.DeniedAuth:
      return "auth";
    default:
      return "unknown";
  }
}

export class AclLog {
  entries: AclLogEntry[] = [];

  add(entry: AclLogEntry, maxLen: number): void {
    const scan = Math.min(SCANNED_FOR_GROUPING, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i];
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.time - entry.time) <= GROUPING_WINDOW_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        e.count++;
        e.time = entry.time;
        e.clientInfo = entry.clientInfo;
        this.entries.splice(i, 1);
        this.entries.unshift(e);
        return;
      }
    }
    this.entries.unshift(entry);
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}
