/**
 * A minimal RESP client for observing the cluster (INFO, SENTINEL, DEBUG DIGEST, MGET) and for
 * writers that must see every reply exactly, built on our own protocol package. `call()` resolves
 * with the reply (an error reply is a RespError value, not a rejection) or with a RespError
 * "CONNECTION CLOSED" when the connection dies first; pushed messages go to `onPush`.
 */

import { Socket } from "node:net";
import { encodeCommand, REPLY_ERROR, REPLY_VALUE, ReplyParser, RespError } from "@keyhaven/protocol";

export { RespError };

export class RespClient {
  private readonly socket: Socket;
  private readonly parser = new ReplyParser({ typed: false, strings: "latin1" });
  private readonly waiting: ((r: unknown) => void)[] = [];
  private closed = false;
  /** Replies nobody waited for (pub/sub messages). */
  onPush: (message: unknown) => void = () => {};

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.parser.feed(chunk);
      for (;;) {
        const status = this.parser.next();
        if (status === REPLY_VALUE) {
          const w = this.waiting.shift();
          if (w) w(this.parser.value);
          else this.onPush(this.parser.value);
        } else if (status === REPLY_ERROR) {
          socket.destroy(new Error(this.parser.error));
          return;
        } else break;
      }
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(new RespError("CONNECTION CLOSED"));
    });
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1", timeoutMs = 3000): Promise<RespClient> {
    return new Promise((res, rej) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        rej(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once("error", (err) => {
        clearTimeout(timer);
        rej(err);
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        res(new RespClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  call(...args: (string | number | Buffer)[]): Promise<unknown> {
    return new Promise((res) => {
      if (this.closed) return res(new RespError("CONNECTION CLOSED"));
      this.waiting.push(res);
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
