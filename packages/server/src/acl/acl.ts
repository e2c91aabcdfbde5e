/**
 * The ACL subsystem (acl.c): the users, the default user every connection starts as, the
 * security log, and what changes them: ACL SETUSER/DELUSER/LOAD, `user` directives, `aclfile`,
 * and `requirepass` (the default user's password).
 */

import { readFileSync } from "node:fs";
import { clientInfoString } from "../commands/client.js";
import type { Command } from "../commands/spec.js";
import type { ConfigLine } from "../config/config.js";
import { writeFileAtomically } from "../config/rewrite.js";
import { ConfigError } from "../errors.js";
import { type Client, ClientFlag } from "../network/client.js";
import type { Server } from "../server.js";
import { strerror } from "../util/strerror.js";
import { AclCatalog } from "./catalog.js";
import { AclResult, type AclVerdict, channelAllowed } from "./check.js";
import { describeUser } from "./describe.js";
import { AclLog, type AclLogContext } from "./log.js";
import { AclRuleError, hasSpaces, RuleError } from "./selector.js";
import { AclUser, mergeSelectorArguments } from "./user.js";

/** A `user` line of the configuration, applied once the command table exists. */
export interface UserDirective {
  args: string[];
  where: ConfigLine;
}

/** getAclErrorMessage: the reason a script's command was refused. */
export function aclErrorMessage(result: AclResult): string {
  switch (result) {
    case AclResult.DeniedCommand:
      return "can't run this command or subcommand";
    case AclResult.DeniedKey:
      return "can't access at least one of the keys mentioned in the command arguments";
    case AclResult.DeniedChannel:
      return "can't publish to the channel mentioned in the command";
    default:
      return "lacking the permissions for the command";
  }
}

/** The -NOPERM reply to a command refused at dispatch. */
export function nopermText(result: AclResult, cmd: Command): string {
  switch (result) {
    case AclResult.DeniedCommand:
      return `NOPERM this user has no permissions to run the '${cmd.fullName}' command`;
    case AclResult.DeniedKey:
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case AclResult.DeniedChannel:
      return "NOPERM this user has no permissions to access one of the channels used as arguments";
    default:
      return "NOPERM no permission";
  }
}

export class Acl {
  readonly catalog: AclCatalog;
  users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  readonly log = new AclLog();
  private readonly server: Server;

  constructor(server: Server) {
    this.server = server;
    this.catalog = new AclCatalog(server.commands);
    this.defaultUser = this.newDefaultUser();
    this.users.set("default", this.defaultUser);
  }

  private readonly allChannelsByDefault = (): boolean =>
    this.server.config.str("acl-pubsub-default") === "allchannels";

  /** A user not registered anywhere (to stage rules on). */
  newUser(name: string): AclUser {
    return new AclUser(name, this.catalog, this.allChannelsByDefault);
  }

  private newDefaultUser(): AclUser {
    const u = this.newUser("default");
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) u.apply(op);
    return u;
  }

  /** Users by name in byte order, as Redis's radix tree lists them. */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A user as ACL LIST, ACL SAVE and CONFIG REWRITE write it: `user <name> <rules>`. */
  userLine(u: AclUser): string {
    return `user ${u.name} ${describeUser(u, this.catalog, () => this.server.commands.all())}`;
  }

  /** The `user` lines CONFIG REWRITE writes (rewriteConfigUserOption), none with an ACL file. */
  configLines(): string[] | null {
    if (this.server.config.str("aclfile") !== "") return null;
    return this.sortedUsers().map((u) => this.userLine(u));
  }

  /** authRequired without the client part: the default user does not let everyone in. */
  authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  /** A new connection starts authenticated as the default user when it is on and nopass. */
  startsAuthenticated(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  /** ACLAuthenticateUser: AUTH and HELLO AUTH; a failure is logged. */
  authenticate(c: Client, username: string, password: string): boolean {
    const u = this.users.get(username);
    if (u?.accepts(password)) {
      c.authenticated = true;
      c.user = u;
      return true;
    }
    const context = (c.flags & (ClientFlag.Multi | ClientFlag.InExec)) !== 0 ? "multi" : "toplevel";
    this.addLogEntry(c, AclResult.DeniedAuth, context, c.argv[0], username);
    return false;
  }

  /** Logs a denial found by checkCommand, naming the command, key or channel. */
  logDenial(
    c: Client,
    verdict: AclVerdict,
    context: AclLogContext,
    cmd: Command,
    argv: readonly string[],
  ): void {
    const object = verdict.result === AclResult.DeniedCommand ? cmd.fullName : argv[verdict.pos];
    this.addLogEntry(c, verdict.result, context, object, c.user?.name ?? "default");
  }

  private addLogEntry(
    c: Client,
    reason: AclResult,
    context: AclLogContext,
    object: string,
    username: string,
  ): void {
    const entry = {
      count: 1,
      reason,
      context,
      object,
      username,
      time: Date.now(),
      clientInfo: clientInfoString(c),
    };
    this.log.add(entry, this.server.config.num("acllog-max-len"));
  }

  /** ACL SETUSER: applies every rule to a copy first; returns Redis's error text or null. */
  setUser(name: string, rules: readonly string[]): string | null {
    if (hasSpaces(name)) return "ERR Usernames can't contain spaces or null characters";
    const merged = mergeSelectorArguments(rules);
    if (typeof merged === "number") {
      return `ERR Unmatched parenthesis in acl selector starting at '${rules[merged]}'.`;
    }
    const existing = this.users.get(name);
    const staged = existing?.clone() ?? this.newUser(name);
    for (const op of merged) {
      try {
        staged.apply(op);
      } catch (err) {
        if (!(err instanceof AclRuleError)) throw err;
        return `ERR Error in ACL SETUSER modifier '${op}': ${err.reason}`;
      }
    }
    if (existing !== undefined) {
      this.killPubsubClientsIfNeeded(staged, existing);
      existing.copyFrom(staged);
    } else this.users.set(name, staged);
    return null;
  }

  /** ACL DELUSER: the number of users removed; their connections are closed. */
  deleteUsers(current: Client, names: readonly string[]): number {
    let deleted = 0;
    for (const name of names) {
      const u = this.users.get(name);
      if (u === undefined) continue;
      this.users.delete(name);
      this.disconnectUser(current, u);
      deleted++;
    }
    return deleted;
  }

  /** ACLFreeUserAndKillClients: the user's connections end (the current one after its reply). */
  private disconnectUser(current: Client | null, u: AclUser): void {
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== u) continue;
      c.user = this.defaultUser;
      c.authenticated = false;
      if (c === current) c.flags |= ClientFlag.CloseAfterReply;
      else this.server.closeClient(c);
    }
  }

  /**
   * ACLKillPubsubClientsIfNeeded: subscribers of a user whose channel permissions shrank are
   * disconnected if one of their subscriptions is no longer allowed.
   */
  private killPubsubClientsIfNeeded(updated: AclUser, original: AclUser): void {
    if (updated.selectors.some((s) => s.allChannels)) return;
    const upcoming = updated.selectors.flatMap((s) => s.channels);
    const stillCovered = original.selectors.every(
      (s) => !s.allChannels && s.channels.every((ch) => upcoming.includes(ch)),
    );
    if (stillCovered) return;
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== original) continue;
      const violates =
        [...c.patterns].some((p) => !channelAllowed(upcoming, p, true)) ||
        [...c.channels].some((ch) => !channelAllowed(upcoming, ch, false)) ||
        [...c.shardChannels].some((ch) => !channelAllowed(upcoming, ch, false));
      if (violates) this.server.closeClient(c);
    }
  }

  /** ACLUpdateDefaultUserPassword: `requirepass`, empty for nopass. */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply("resetpass");
    this.defaultUser.apply(password === "" ? "nopass" : `>${password}`);
  }

  /**
   * ACLLoadUsersAtStartup: the `user` directives, or the ACL file. Throws ConfigError for a bad
   * directive and Error (with Redis's log text) for a bad ACL file.
   */
  loadAtStartup(directives: readonly UserDirective[]): void {
    const aclfile = this.server.config.str("aclfile");
    if (aclfile !== "" && directives.length > 0) {
      throw new Error(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
      );
    }
    for (const { args, where } of directives) this.loadDirective(args, where);
    if (aclfile !== "") {
      const errors = this.loadFile(aclfile);
      if (errors !== null) throw new Error(`Aborting Redis startup because of ACL errors: ${errors}`);
    }
  }

  private loadDirective(args: string[], where: ConfigLine): void {
    const [name, ...rules] = args;
    const fail = (what: string, reason: string) =>
      new ConfigError(`Error in user declaration '${what}': ${reason}`, where.file, where.line, where.text);
    if (hasSpaces(name)) throw fail(name, "Spaces not allowed in ACL usernames");
    const merged = mergeSelectorArguments(rules);
    if (typeof merged === "number") throw fail(rules[merged], "Unmatched parenthesis in selector definition");
    let u = this.users.get(name);
    if (u === undefined) {
      u = this.newUser(name);
      this.users.set(name, u);
    } else u.apply("reset");
    for (const op of merged) {
      try {
        u.apply(op);
      } catch (err) {
        if (!(err instanceof AclRuleError)) throw err;
        throw fail(op, err.reason);
      }
    }
    if (!u.enabled) {
      this.server.logger.notice(
        `The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`,
      );
    }
  }

  /**
   * ACLLoadFromFile: replaces every user with the file's, or changes nothing and returns the
   * errors found (one line each, as Redis reports them). Connections of the replaced users end.
   */
  loadFile(path: string): string | null {
    let text: string;
    try {
      text = readFileSync(path, "latin1");
    } catch (err) {
      return `Error loading ACLs, opening file '${path}': ${strerror(err)}`;
    }
    const filename = this.server.config.str("aclfile");
    const loaded = new Map<string, AclUser>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      const linenum = i + 1;
      if (line === "") continue;
      const argv = line.split(" ");
      if (argv[0] !== "user" || argv.length < 2) {
        errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1];
      if (hasSpaces(name)) {
        errors += `'${filename}:${linenum}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (loaded.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(name);
      loaded.set(name, u);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (typeof merged === "number") {
        errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
        try {
          u.apply(op);
        } catch (err) {
          if (!(err instanceof AclRuleError)) throw err;
          if (err.reason === RuleError.unknownName) {
            errors += `${filename}:${linenum}: Error in applying operation '${op}': ${err.reason}. `;
          } else if (!syntaxError) {
            errors += `${filename}:${linenum}: ${err.reason}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== "") {
      return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    }
    const previous = this.users;
    this.defaultUser.copyFrom(loaded.get("default") ?? this.newDefaultUser());
    loaded.set("default", this.defaultUser);
    this.users = loaded;
    for (const u of previous.values())
      if (u !== this.defaultUser) this.disconnectUser(this.currentClient(), u);
    return null;
  }

  private currentClient(): Client | null {
    return this.server.currentClient ?? null;
  }

  /** ACLSaveToFile: every user as a `user` line, written atomically. */
  saveFile(path: string): boolean {
    const text = this.sortedUsers()
      .map((u) => `${this.userLine(u)}\n`)
      .join("");
    try {
      writeFileAtomically(path, text);
      return true;
    } catch (err) {
      this.server.logger.warning(`Writing ACL file for ACL SAVE: ${strerror(err)}`);
      return false;
    }
  }
}
