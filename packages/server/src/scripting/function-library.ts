/**
 * The data model of Redis 7.0 functions (functions.c): libraries of named functions, the
 * `#!<engine> name=<library>` metadata line every library starts with, and a library context
 * (functionsLibCtx): the libraries by name plus every function by name, kept consistent by
 * linking and unlinking whole libraries. A context other than the server's current one is built
 * by RDB loads and FUNCTION RESTORE, then swapped in or joined, so a failure leaves the current
 * libraries untouched.
 *
 * Function names are looked up case-insensitively across libraries (functionDictType), library
 * names and a library's own function names case-sensitively, as in Redis.
 */

import type { LuaFunction } from "@keyhaven/lua";
import { splitInlineArgs } from "@keyhaven/protocol";

export interface FunctionInfo {
  name: string;
  fn: LuaFunction;
  description: string | null;
  /** ScriptFlag bits (shebang.ts). */
  flags: number;
  library: FunctionLibrary;
}

export interface FunctionLibrary {
  name: string;
  /** The engine's registered name ("LUA"), whatever case the metadata used. */
  engine: string;
  /** The whole code, metadata line included (what FUNCTION LIST WITHCODE and the RDB hold). */
  code: string;
  /** Case-sensitive, in registration order. */
  functions: Map<string, FunctionInfo>;
}

export interface LibraryMetadata {
  engine: string;
  name: string;
  /** The code after the metadata line (its newline kept, so line numbers stay the user's). */
  body: string;
}

/**
 * Redis 7.0.15's text for both library and function names (the function error reuses the
 * library one there).
 */
export const BAD_NAME =
  "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/** functionsVerifyName: [A-Za-z0-9_]+. */
export function verifyName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** functionExtractLibMetaData: the metadata, or the error text Redis replies with. */
export function extractLibMetadata(code: string): LibraryMetadata | string {
  if (!code.startsWith("#!")) return "Missing library metadata";
  const end = code.indexOf("\n");
  if (end === -1) return "Invalid library metadata";
  const line = Buffer.from(code.slice(0, end), "latin1");
  const parts = splitInlineArgs(line, 0, line.length);
  if (parts === null || parts.length === 0) return "Invalid library metadata";
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part.length >= 5 && part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) return "Invalid metadata value, name argument was given multiple times";
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === null) return "Library name was not given";
  return { engine, name, body: code.slice(end) };
}

/** Bytes a function's bookkeeping takes in Redis (functionMallocSize, roughly). */
function functionOverhead(fi: FunctionInfo): number {
  return 48 + fi.name.length + 9 + (fi.description === null ? 0 : fi.description.length + 9) + 8;
}

/** Bytes a library's bookkeeping takes in Redis (libraryMallocSize, roughly). */
function libraryOverhead(li: FunctionLibrary): number {
  return 40 + li.name.length + 9 + li.code.length + 9;
}

/** functionsLibCtx. */
export class LibraryContext {
  readonly libraries = new Map<string, FunctionLibrary>();
  /** Keyed by the lower-cased name. */
  readonly functions = new Map<string, FunctionInfo>();
  /** cache_memory: the bookkeeping bytes of the linked libraries and functions. */
  cacheMemory = 0;

  get functionCount(): number {
    return this.functions.size;
  }

  lookupFunction(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /** libraryLink: the library and its functions become visible. */
  link(li: FunctionLibrary): void {
    for (const fi of li.functions.values()) {
      const key = fi.name.toLowerCase();
      // dictAdd keeps the first of two names equal but for case, within one library.
      if (!this.functions.has(key)) this.functions.set(key, fi);
      this.cacheMemory += functionOverhead(fi);
    }
    this.libraries.set(li.name, li);
    this.cacheMemory += libraryOverhead(li);
  }

  /** libraryUnlink. */
  unlink(li: FunctionLibrary): void {
    for (const fi of li.functions.values()) {
      const key = fi.name.toLowerCase();
      if (this.functions.get(key) === fi) this.functions.delete(key);
      this.cacheMemory -= functionOverhead(fi);
    }
    this.libraries.delete(li.name);
    this.cacheMemory -= libraryOverhead(li);
  }

  clear(): void {
    this.libraries.clear();
    this.functions.clear();
    this.cacheMemory = 0;
  }

  /** The first function of `li` whose name another linked library already has. */
  collision(li: FunctionLibrary): FunctionInfo | undefined {
    for (const fi of li.functions.values()) if (this.functions.has(fi.name.toLowerCase())) return fi;
    return undefined;
  }

  /**
   * libraryJoin: moves every library of `src` into this context. A name taken here fails the
   * join ("Library x already exists") unless `replace`, which swaps the old library out; a
   * function name taken by a library that stays fails it too. On failure this context is as
   * before and the error text is returned; on success null.
   */
  join(src: LibraryContext, replace: boolean): string | null {
    const replaced: FunctionLibrary[] = [];
    const restore = (): void => {
      for (const li of replaced) this.link(li);
    };
    for (const li of src.libraries.values()) {
      const old = this.libraries.get(li.name);
      if (old === undefined) continue;
      if (!replace) {
        restore();
        return `Library ${li.name} already exists`;
      }
      this.unlink(old);
      replaced.push(old);
    }
    for (const fi of src.functions.values()) {
      if (this.functions.has(fi.name.toLowerCase())) {
        restore();
        return `Function ${fi.name} already exists`;
      }
    }
    for (const li of src.libraries.values()) this.link(li);
    src.clear();
    return null;
  }
}
