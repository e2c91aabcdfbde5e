/**
 * A stand-in MIGRATE target in the test process: it parses the commands it receives and answers
 * them as told, so tests can hold replies back, stay silent, drop the connection, or answer
 * errors, and count the connections a source opens and keeps.
 */

import { createServer, type Server, type Socket } from "node:net";
import { PARSE_COMMAND, RequestParser } from "@keyhaven/protocol";

export type FakeMode = "ok" | "hold" | "silent" | "close";

export class FakeTarget {
  readonly commands: string[][] = [];
  /** Connections accepted so far, and those still open. */
  accepted = 0;
  readonly open = new Set<Socket>();
  mode: FakeMode;
  /** Replies owed while holding, per socket. */
  private readonly owed = new Map<Socket, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    mode: FakeMode,
  ) {
    this.mode = mode;
  }

  static start(mode: FakeMode = "ok"): Promise<FakeTarget> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const addr = server.address();
        const port = typeof addr === "object" && addr !== null ? addr.port : 0;
        const fake = new FakeTarget(server, port, mode);
        server.on("connection", (socket) => fake.accept(socket));
        resolve(fake);
      });
    });
  }

  private accept(socket: Socket): void {
    this.accepted++;
    this.open.add(socket);
    const parser = new RequestParser();
    socket.on("close", () => {
      this.open.delete(socket);
      this.owed.delete(socket);
    });
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      if (this.mode === "close") {
        socket.destroy();
        return;
      }
      parser.feed(chunk);
      while (parser.next() === PARSE_COMMAND) {
        this.commands.push(parser.argv);
        if (this.mode === "ok") socket.write("+OK\r\n");
        else if (this.mode === "hold") this.owed.set(socket, (this.owed.get(socket) ?? 0) + 1);
      }
    });
  }

  /** Commands received and not answered yet (hold mode). */
  get held(): number {
    let n = 0;
    for (const v of this.owed.values()) n += v;
    return n;
  }

  /** Answers every held command with `line` (default +OK) and goes back to answering at once. */
  release(line = "+OK"): void {
    for (const [socket, n] of this.owed) socket.write(`${line}\r\n`.repeat(n));
    this.owed.clear();
    this.mode = "ok";
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
