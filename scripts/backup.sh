#!/usr/bin/env bash
# Backs up a running keyhaven-server's (or redis-server's) dataset, with the seed's procedure:
# ask for a BGSAVE, poll INFO Persistence until rdb_bgsave_in_progress:0 (bounded), check that the
# save succeeded, then copy dump.rdb to the destination atomically (copy to a temporary name in the
# destination, fsync, optionally verify with redis-check-rdb, rename). A failed or timed-out backup
# leaves the previous backup in DEST_DIR untouched and exits non-zero.
#
#   scripts/backup.sh PORT SRC_DIR DEST_DIR
#
#   PORT      the server's port (on $HOST, default 127.0.0.1)
#   SRC_DIR   the server's `dir` (where dump.rdb is written)
#   DEST_DIR  where the backup goes: DEST_DIR/$DBFILENAME (created if missing)
#
# Environment: HOST (127.0.0.1), DBFILENAME (dump.rdb), TIMEOUT (seconds to wait for the BGSAVE,
# default 600), REDIS_CLI (redis-cli), CHECK_RDB (redis-check-rdb when installed; "" to skip),
# REDISCLI_AUTH (the password, read by redis-cli itself).
set -euo pipefail

usage() {
  echo "usage: $0 PORT SRC_DIR DEST_DIR" >&2
  exit 2
}
[ $# -eq 3 ] || usage
port=$1
src_dir=$2
dest_dir=$3
host=${HOST:-127.0.0.1}
dbfilename=${DBFILENAME:-dump.rdb}
timeout=${TIMEOUT:-600}
cli=${REDIS_CLI:-redis-cli}
if [ -z "${CHECK_RDB+x}" ]; then
  check_rdb=$(command -v redis-check-rdb || true)
else
  check_rdb=$CHECK_RDB
fi

log() { printf '[backup] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

case $port in '' | *[!0-9]*) die "PORT must be a number: '$port'" ;; esac
[ -d "$src_dir" ] || die "SRC_DIR is not a directory: $src_dir"
command -v "$cli" >/dev/null 2>&1 || die "$cli not found"

call() { "$cli" -h "$host" -p "$port" "$@"; }

info_field() {
  # One field of INFO persistence (redis-cli prints CRLF lines).
  call INFO persistence | tr -d '\r' | sed -n "s/^$1://p"
}

wait_idle() {
  local deadline=$((SECONDS + timeout))
  while :; do
    local state
    state=$(info_field rdb_bgsave_in_progress) || die "cannot read INFO persistence from $host:$port"
    [ "$state" = 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || die "BGSAVE still in progress after ${timeout}s"
    sleep 0.2
  done
}

reply=$(call BGSAVE 2>&1) || die "cannot reach $host:$port: $reply"
case $reply in
  *"Background saving started"*) ;;
  *"Background save already in progress"*)
    # That save may have begun before our writes of interest: let it finish, then take our own.
    log "a BGSAVE is already running; waiting for it, then starting ours"
    wait_idle
    reply=$(call BGSAVE 2>&1)
    case $reply in *"Background saving started"*) ;; *) die "BGSAVE refused: $reply" ;; esac
    ;;
  *) die "BGSAVE refused: $reply" ;;
esac
log "BGSAVE started on $host:$port"
wait_idle
status=$(info_field rdb_last_bgsave_status)
[ "$status" = ok ] || die "BGSAVE failed (rdb_last_bgsave_status:$status); see the server's log"

src="$src_dir/$dbfilename"
[ -f "$src" ] || die "no $src after a successful BGSAVE (is SRC_DIR the server's dir?)"
mkdir -p "$dest_dir"
tmp=$(mktemp "$dest_dir/.${dbfilename}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# A BGSAVE finishing meanwhile renames a new file over $src; cp keeps reading the one it opened.
cp "$src" "$tmp"
sync "$tmp"
if [ -n "$check_rdb" ]; then
  "$check_rdb" "$tmp" >/dev/null 2>&1 || die "the copy of $src does not pass $check_rdb"
fi
mv -f "$tmp" "$dest_dir/$dbfilename"
trap - EXIT
sync "$dest_dir"
log "backup written to $dest_dir/$dbfilename ($(wc -c <"$dest_dir/$dbfilename") bytes)"
echo "$dest_dir/$dbfilename"
