/**
 * The RESP connections `./keyhaven cluster` keeps to its nodes: one command link per node (status
 * probes, start-up checks) and one PSUBSCRIBE link per Sentinel (its events). Built on the
 * project's own protocol package, which the caller has checked is built before importing this.
 */

import { Socket } from "node:net";

const PROTOCOL = new URL("../../packages/protocol/dist/index.js", import.meta.url);
const { encodeCommand, ReplyParser, RespError } = await import(PROTOCOL.href);

export { RespError };

/**
 * A persistent RESP2 connection that reconnects on demand. `call` resolves with the reply (an
 * error reply as a RespError), or null when the node cannot be reached within `timeoutMs`.
 * Messages nobody asked for (pub/sub) go to `onPush`.
 */
export class Link {
  constructor(host, port, onPush = null) {
    this.host = host;
    this.port = port;
    this.onPush = onPush;
    this.socket = null;
    /** @type {Promise<boolean> | null} */
    this.connecting = null;
    this.waiting = [];
  }

  connect(timeoutMs) {
    if (this.socket !== null) return Promise.resolve(true);
    if (this.connecting !== null) return this.connecting;
    this.connecting = new Promise((res) => {
      const socket = new Socket();
      const parser = new ReplyParser({ strings: "utf8" });
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.setNoDelay(true);
      socket.on("connect", () => {
        clearTimeout(timer);
        this.socket = socket;
        res(true);
      });
      socket.on("data", (chunk) => {
        parser.feed(chunk);
        for (;;) {
          const status = parser.next();
          if (status === 1) {
            const w = this.waiting.shift();
            if (w !== undefined) w(parser.value);
            else this.onPush?.(parser.value);
          } else if (status === -1) {
            socket.destroy();
            return;
          } else break;
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        if (this.socket === socket) this.socket = null;
        for (const w of this.waiting.splice(0)) w(null);
        res(false);
      });
      socket.connect(this.port, this.host);
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  async call(args, timeoutMs = 1000) {
    if (!(await this.connect(timeoutMs))) return null;
    const socket = this.socket;
    return new Promise((res) => {
      const timer = setTimeout(() => {
        // A node that does not answer in time: drop the link so replies cannot get out of step.
        socket.destroy();
      }, timeoutMs);
      this.waiting.push((v) => {
        clearTimeout(timer);
        res(v);
      });
      socket.write(encodeCommand(args));
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** INFO's text as a map of field to value. */
export function parseInfo(text) {
  const map = new Map();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && line[0] !== "#") map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

/** A flat [field, value, ...] reply (SENTINEL MASTER) as an object. */
export function toRecord(flat) {
  const o = {};
  if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]] = String(flat[i + 1]);
  return o;
}
