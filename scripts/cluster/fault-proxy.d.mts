// Types of fault-proxy.mjs for its TypeScript users (tests/chaos).
export type LinkMode = "pass" | "blackhole" | "reset";

export interface FaultProxyOptions {
  /** Name of the target, for messages. */
  name: string;
  targetPort: number;
  targetHost?: string;
  /** The source process of an accepted connection, by its peer port ("unknown" if undefined). */
  identify?: (peerPort: number, proxyPort: number) => string | undefined;
}

export declare class FaultProxy {
  readonly name: string;
  targetPort: number;
  readonly targetHost: string;
  port: number;
  /** Connections accepted per source. */
  readonly accepted: Map<string, number>;
  static start(options: FaultProxyOptions, port?: number): Promise<FaultProxy>;
  modeFor(source: string): LinkMode;
  set(mode: LinkMode, from?: string | readonly string[]): void;
  replaceRules(mode: LinkMode, from: readonly string[]): void;
  heal(): void;
  connections(): Map<string, number>;
  close(): Promise<void>;
  targetDown(): Promise<void>;
  targetUp(): Promise<void>;
}
