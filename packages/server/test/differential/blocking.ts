/**
 * Blocking commands driven from two connections, for the differential tests: one connection
 * sends the blocking command, the other acts only once the server reports the first one
 * blocked (CLIENT LIST ID <id> shows flag `b`), so the interleaving is the same on both servers.
 *
 * A client still blocked after the waking command's reply is one the command did not serve:
 * Redis serves blocked clients before it replies to the command that readied their key. It is
 * then ended with CLIENT UNBLOCK (a timeout reply) instead of waiting out its timeout, which
 * keeps each step short whatever the timeout says.
 */

import type { RespClient } from "../helpers.js";
import { sleep } from "../helpers.js";

/**
 * A blocking command and what the other connection then sends (null: nothing, the timeout
 * expires): one command, or several (a MULTI ... EXEC block wakes the client at EXEC).
 */
export interface BlockingStep {
  block: string[];
  wake: string[][] | null;
}

export interface BlockingReplies {
  /**
   * Whether the server blocked the client (false: the command was served at once); null when
   * nothing was to wake it, since a short timeout may end before the poll sees it blocked.
   */
  blocked: boolean | null;
  block: unknown;
  /** The waking commands' replies, or null when there were none. */
  wake: unknown[] | null;
  /** CLIENT UNBLOCK's reply (1: still blocked after the waking command), or null when not sent. */
  unblock: unknown;
}

/** Long timeout for a blocking command that another connection may wake (ended by CLIENT UNBLOCK). */
export const WAKE_TIMEOUT = "5";
/** Timeout when nothing will wake the client: it must expire on its own (fractional, short). */
export const EXPIRE_TIMEOUT = "0.02";

const ids = new WeakMap<RespClient, string>();

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  if (v !== null && typeof v === "object" && "value" in v) return text((v as { value: unknown }).value);
  return String(v);
}

async function clientId(cl: RespClient): Promise<string> {
  let id = ids.get(cl);
  if (id === undefined) {
    id = text(await cl.call("CLIENT", "ID"));
    ids.set(cl, id);
  }
  return id;
}

/** Polls until the client is blocked (true) or its command has replied (false); bounded. */
async function waitBlocked(observer: RespClient, id: string, replied: () => boolean): Promise<boolean> {
  for (let i = 0; i < 2000; i++) {
    if (replied()) return false;
    const list = text(await observer.call("CLIENT", "LIST", "ID", id));
    if (/ flags=\w*b/.test(list)) return true;
    if (replied()) return false;
    await sleep(1);
  }
  throw new Error(`client ${id} neither blocked nor replied`);
}

/**
 * The step, with the blocking command's timeout (the argument TIMEOUT) chosen by whether
 * anything wakes it; with `sameKey` the waking commands write the first key the client waits on
 * (random keys alone would seldom serve it).
 */
export function blockingStep(block: string[], wake: string[][] | null, sameKey: boolean): BlockingStep {
  const timeout = wake === null ? EXPIRE_TIMEOUT : WAKE_TIMEOUT;
  const argv = block.map((a) => (a === "TIMEOUT" ? timeout : a));
  if (wake !== null && sameKey) {
    // BLMPOP / BZMPOP: timeout numkeys key...; the others: key... (timeout last).
    const first = /MPOP$/.test(argv[0].toUpperCase()) ? argv[3] : argv[1];
    // The key written is the first argument, or the destination of LMOVE / RPOPLPUSH.
    wake = wake.map((w) => {
      if (w.length < 2 || w[0] === "EXEC") return w;
      const at = /^(LMOVE|RPOPLPUSH)$/i.test(w[0]) ? 2 : 1;
      return w.map((a, i) => (i === at ? first : a));
    });
  }
  return { block: argv, wake };
}

/** Runs one blocking step on one server: `blocker` blocks, `waker` acts. */
export async function runBlocking(
  blocker: RespClient,
  waker: RespClient,
  step: BlockingStep,
): Promise<BlockingReplies> {
  if (step.wake === null)
    return { blocked: null, block: await blocker.call(...step.block), wake: null, unblock: null };
  const id = await clientId(blocker);
  let done = false;
  const pending = blocker.call(...step.block).finally(() => {
    done = true;
  });
  const blocked = await waitBlocked(waker, id, () => done);
  const wake: unknown[] = [];
  for (const argv of step.wake) wake.push(await waker.call(...argv));
  const unblock = blocked ? await waker.call("CLIENT", "UNBLOCK", id) : null;
  return { blocked, block: await pending, wake, unblock };
}
