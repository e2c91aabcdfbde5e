/**
 * The contract between the server and the subsystems that plug into it (persistence, AOF,
 * replication): the life-cycle hooks Server.start, beforeSleep and shutdown call in
 * registration order, and the shape of an INFO section. Server (server.ts) drives them; each
 * subsystem registers itself with addSubsystem and infoSections.
 */

/** A subsystem's INFO section: returns `field:value` lines. */
export type InfoSection = () => string[];

/** Hooks a subsystem registers to take part in the server's life cycle. */
export interface Subsystem {
  /** Runs after the config is loaded, before listening. */
  start?(): Promise<void> | void;
  /**
   * Runs once the listeners are bound, before "Ready to accept connections" (Redis's
   * loadDataFromDisk): loads the dataset while clients that connect get -LOADING.
   */
  load?(): Promise<void> | void;
  /** Runs at the end of each event-loop turn, before replies are written (AOF flush). */
  beforeSleep?(): void;
  /** Runs on SHUTDOWN / SIGTERM; may save. Returns false to abort the shutdown. */
  shutdown?(options: ShutdownOptions): Promise<boolean> | boolean;
}

export interface ShutdownOptions {
  save: boolean | null;
  now: boolean;
  force: boolean;
}
