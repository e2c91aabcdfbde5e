// Types of proc-net.mjs for its TypeScript users (tests/chaos).
export declare function socketInode(localPort: number, remotePort: number): string | undefined;
export declare function ownsSocket(pid: number, inode: string): boolean;
export declare function connectionOwner(
  clientPort: number,
  serverPort: number,
  candidates: ReadonlyMap<number, string>,
): string | undefined;
