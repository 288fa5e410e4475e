#!/bin/sh
# Threads for each of N sampling shards under make: the machine's cores divided among the shards
# make runs at once (its -jN, read from $MAKEFLAGS, at most N), at least one.
#
#   shard-threads.sh N
set -eu
cores=$(nproc)
jobs=$(printf '%s\n' "${MAKEFLAGS:-}" | sed -n 's/.*-j\([0-9][0-9]*\).*/\1/p')
jobs=${jobs:-1}
[ "$jobs" -gt "$1" ] && jobs=$1
threads=$((cores / jobs))
echo $((threads > 0 ? threads : 1))
