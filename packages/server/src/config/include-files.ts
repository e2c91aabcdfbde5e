/**
 * The files a config file's `include` names, found as Redis 7.0's loadServerConfig finds them: a
 * path with a wildcard (`*`, `?`, `[`) is a glob(3) pattern (`include /etc/redis/conf.d/*.conf`),
 * whose matches are loaded in sorted order, and none is no error, so an empty conf.d folder is
 * fine; any other path must open. Relative paths are relative to the working directory as the
 * config has set it so far (Redis's `dir` chdir's while the config is read).
 *
 * Callers: config.ts (include).
 */

import { readdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { globMatch } from "../util/glob.js";

const WILDCARD = /[*?[]/;

export function hasWildcard(path: string): boolean {
  return WILDCARD.test(path);
}

/**
 * The existing files `pattern` matches under `cwd` (absolute paths, sorted as glob(3) sorts them
 * in the C locale). Directories are left out: Redis would read one as an empty file. A hidden name
 * is matched only by a component that starts with '.', as glob(3) does.
 */
export function globFiles(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern);
  const components = pattern.split("/").filter((c) => c !== "");
  let found = [absolute ? "/" : resolve(cwd)];
  for (let i = 0; i < components.length; i++) {
    const component = components[i];
    const last = i === components.length - 1;
    const next: string[] = [];
    for (const base of found) {
      if (!hasWildcard(component)) {
        next.push(join(base, component));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith(".") && !component.startsWith(".")) continue;
        if (globMatch(component, name)) next.push(join(base, name));
      }
    }
    found = next.filter((path) => {
      try {
        const st = statSync(path);
        return last ? !st.isDirectory() : st.isDirectory();
      } catch {
        return false;
      }
    });
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
