/**
 * An ACL user (acl.c user): flags, password hashes and selectors, root first. `apply` is
 * ACLSetUser: user-level rules (on, off, >pass, nopass, reset, a `(...)` selector...) and, for
 * anything else, the root selector's rules.
 */

import { createHash } from "node:crypto";
import { splitInlineArgs } from "@keyhaven/protocol";
import type { AclCatalog } from "./catalog.js";
import { AclRuleError, RuleError, Selector } from "./selector.js";

/** ACLHashPassword: the SHA-256 of the password's bytes, lower-case hex. */
export function hashPassword(password: string): string {
  return createHash("sha256").update(Buffer.from(password, "latin1")).digest("hex");
}

function checkHash(hash: string): void {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(RuleError.badHash);
}

export enum Sanitize {
  Unset = 0,
  Skip = 1,
  Always = 2,
}

export class AclUser {
  readonly name: string;
  enabled = false;
  nopass = false;
  sanitize = Sanitize.Unset;
  passwords: string[] = [];
  selectors: Selector[];
  /** Cached: the root selector allows everything, so dispatch can skip the checks. */
  unrestricted = false;
  private readonly catalog: AclCatalog;
  private readonly allChannelsByDefault: () => boolean;

  constructor(name: string, catalog: AclCatalog, allChannelsByDefault: () => boolean) {
    this.name = name;
    this.catalog = catalog;
    this.allChannelsByDefault = allChannelsByDefault;
    this.selectors = [new Selector(catalog, true, allChannelsByDefault())];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  /** An unlinked copy to stage changes on (ACL SETUSER applies all rules or none). */
  clone(name = this.name): AclUser {
    const u = new AclUser(name, this.catalog, this.allChannelsByDefault);
    u.copyFrom(this);
    return u;
  }

  /** ACLCopyUser: takes over another user's rules, keeping its own name. */
  copyFrom(src: AclUser): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.refresh();
  }

  /** Whether `password` authenticates this user (ACLCheckUserCredentials after the lookup). */
  accepts(password: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    return this.passwords.includes(hashPassword(password));
  }

  /** Applies one rule, or throws AclRuleError. */
  apply(op: string): void {
    this.applyRule(op);
    this.refresh();
  }

  private applyRule(op: string): void {
    if (op === "") return;
    const lower = op.toLowerCase();
    if (lower === "on") this.enabled = true;
    else if (lower === "off") this.enabled = false;
    else if (lower === "skip-sanitize-payload") this.sanitize = Sanitize.Skip;
    else if (lower === "sanitize-payload") this.sanitize = Sanitize.Always;
    else if (lower === "nopass") {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === "resetpass") {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === ">" || op[0] === "#") {
      const hash = op[0] === ">" ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === "#") checkHash(hash);
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op[0] === "<" || op[0] === "!") {
      const hash = op[0] === "<" ? hashPassword(op.slice(1)) : op.slice(1);
      if (op[0] === "!") checkHash(hash);
      const i = this.passwords.indexOf(hash);
      if (i < 0) throw new AclRuleError(RuleError.noSuchPassword);
      this.passwords.splice(i, 1);
    } else if (op[0] === "(" && op[op.length - 1] === ")") {
      this.selectors.push(this.selectorFromRules(op.slice(1, -1)));
    } else if (lower === "clearselectors") {
      this.selectors.length = 1;
    } else if (lower === "reset") {
      this.applyRule("resetpass");
      this.applyRule("resetkeys");
      this.applyRule("resetchannels");
      if (this.allChannelsByDefault()) this.applyRule("allchannels");
      this.applyRule("off");
      this.applyRule("sanitize-payload");
      this.applyRule("clearselectors");
      this.applyRule("-@all");
    } else {
      this.root.apply(op);
    }
  }

  /** aclCreateSelectorFromOpSet: the rules inside parentheses, split as a config line is. */
  private selectorFromRules(inner: string): Selector {
    const bytes = Buffer.from(inner, "latin1");
    const rules = splitInlineArgs(bytes, 0, bytes.length);
    if (rules === null) throw new AclRuleError(RuleError.syntax);
    const selector = new Selector(this.catalog, false, this.allChannelsByDefault());
    for (const rule of rules) selector.apply(rule);
    return selector;
  }

  private refresh(): void {
    this.unrestricted = this.root.unrestricted;
  }
}

/**
 * ACLMergeSelectorArguments: a selector may arrive split over several arguments ("(~x" "+get)");
 * they are joined back with spaces. Returns the merged rules, or the index of an unclosed one.
 */
export function mergeSelectorArguments(rules: readonly string[]): string[] | number {
  const merged: string[] = [];
  let open = -1;
  let selector = "";
  for (let i = 0; i < rules.length; i++) {
    const op = rules[i];
    if (op.length > 0 && op[0] === "(" && op[op.length - 1] !== ")") {
      selector = op;
      open = i;
      continue;
    }
    if (open >= 0) {
      selector += ` ${op}`;
      if (op.length > 0 && op[op.length - 1] === ")") {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  return open >= 0 ? open : merged;
}
