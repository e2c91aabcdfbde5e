/**
 * Which process opened a TCP connection on loopback, from Linux's /proc: the fault proxy uses it
 * to tell a Sentinel's connection from a replica's or the test's own client, so one proxy in front
 * of a node can cut some links to it and keep others (a partition is per link, while every
 * process must see a node at the same address, since Sentinels identify instances by address).
 *
 * How: the accepted socket's peer port is the client's local port; /proc/net/tcp maps that
 * (local, remote) pair to a socket inode, and /proc/<pid>/fd of the candidate processes shows
 * which one holds `socket:[inode]`. Called once per accepted connection; synchronous and cheap
 * (a few hundred readlinks). Returns undefined off Linux or when no candidate owns it.
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The inode of the IPv4 loopback socket whose local port is `localPort` and remote port `remotePort`. */
/**
 * @param {number} localPort
 * @param {number} remotePort
 * @returns {string | undefined}
 */
export function socketInode(localPort, remotePort) {
  let text;
  try {
    text = readFileSync("/proc/net/tcp", "latin1");
  } catch {
    return undefined;
  }
  const local = `:${localPort.toString(16).toUpperCase().padStart(4, "0")}`;
  const remote = `:${remotePort.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10 || !f[1].endsWith(local) || !f[2].endsWith(remote)) continue;
    return f[9];
  }
  return undefined;
}

/** Whether process `pid` has `socket:[inode]` among its open files. */
/**
 * @param {number} pid
 * @param {string} inode
 */
export function ownsSocket(pid, inode) {
  const want = `socket:[${inode}]`;
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

/**
 * The name of the process in `candidates` (pid -> name) that owns the client end of a connection
 * from 127.0.0.1:`clientPort` to 127.0.0.1:`serverPort`, or undefined.
 * @param {number} clientPort
 * @param {number} serverPort
 * @param {ReadonlyMap<number, string>} candidates
 * @returns {string | undefined}
 */
export function connectionOwner(clientPort, serverPort, candidates) {
  const inode = socketInode(clientPort, serverPort);
  if (inode === undefined || inode === "0") return undefined;
  for (const [pid, name] of candidates) if (ownsSocket(pid, inode)) return name;
  return undefined;
}
