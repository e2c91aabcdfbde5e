/**
 * Who counts as a local client, for protected mode (clientAcceptHandler) and for the "local"
 * value of enable-debug-command / enable-protected-configs (islocalClient in Redis 7.0's
 * networking.c). Pure functions of the peer address, so the decision is testable without a
 * remote host.
 */

/**
 * islocalClient: a Unix socket, or a TCP peer at exactly 127.0.0.1 or ::1 (Redis 7.0 compares
 * the whole address, so 127.0.0.2 is not local). A dual-stack listener reports 127.0.0.1 as
 * ::ffff:127.0.0.1, which is the same peer. An unknown address (the socket already closed) is
 * not local, as Redis's failed connPeerToString leaves an empty address.
 */
export function isLocalPeer(remoteAddress: string | undefined, unix: boolean): boolean {
  if (unix) return true;
  return remoteAddress === "127.0.0.1" || remoteAddress === "::1" || remoteAddress === "::ffff:127.0.0.1";
}

/**
 * clientAcceptHandler's check: with protected-mode on and no password for the default user, a
 * connection that is not local is refused whatever `bind` says (Redis 7.0 dropped the bind
 * condition 6.x had). Returns true when the connection must get PROTECTED_MODE_DENIED.
 */
export function protectedModeDenies(
  remoteAddress: string | undefined,
  unix: boolean,
  protectedMode: boolean,
  defaultUserHasPassword: boolean,
): boolean {
  return protectedMode && !defaultUserHasPassword && !isLocalPeer(remoteAddress, unix);
}

/** Written to a refused connection before it is closed; Redis 7.0's text, byte for byte. */
export const PROTECTED_MODE_DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
  "In this mode connections are only accepted from the loopback interface. " +
  "If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  "by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
  "from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the " +
  "protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  "4) Setup a an authentication password for the default user. " +
  "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
