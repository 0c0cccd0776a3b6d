#!/usr/bin/env bash
# Runs the test suite on Node 24 LTS as well as the machine's own Node (`npm run test:node24`); Node 24 comes
# from scripts/node24.sh. The suite runs the build `npm install` made; the tests spawn the CLI with the
# Node that runs them (process.execPath), so codex itself runs on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."

node="$(bash scripts/node24.sh)"
echo "test-node24: $("$node" --version)" >&2
CODEX_TEST_NODE_MAJOR=24 PATH="$(dirname "$node"):$PATH" exec "$node" node_modules/vitest/vitest.mjs run "$@"
