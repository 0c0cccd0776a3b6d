#!/usr/bin/env bash
# Makes sure OpenAI's Codex CLI, at the exact version the interop tests were written against, is installed
# where they look for it: node_modules/.cache/openai-codex (test/support/real-codex.ts). It comes from the npm
# registry as @openai/codex (its native binary is in the optional package @openai/codex-linux-x64), installed
# as scripts/test-node24.sh installs Node 24, so nothing but npm is needed and nothing goes on the PATH.
# Idempotent: when the right version answers `codex --version`, it prints one line and changes nothing.
#
#   bash scripts/install-codex.sh
#
# Why a pinned version: test/codex-interop.test.ts asserts what this Codex accepts and reports as unknown in
# config.toml; a newer Codex may differ, and that should be a deliberate change here, not a surprise in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.169.0
dir=node_modules/.cache/openai-codex
codex="$dir/node_modules/.bin/codex"

installed() {
  # The launcher is a Node script that execs the native binary; stdin closed so nothing can wait on it.
  [ "$("$codex" --version </dev/null 2>/dev/null || true)" = "codex-cli $VERSION" ]
}

if installed; then
  echo "install-codex: already installed: codex-cli $VERSION ($dir)"
  exit 0
fi

echo "install-codex: installing @openai/codex@$VERSION from the npm registry into $dir (needed by the interop tests)" >&2
mkdir -p "$dir"
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "@openai/codex@$VERSION" >&2

if ! installed; then
  echo "install-codex: installed, but \`$codex --version\` does not print codex-cli $VERSION:" >&2
  "$codex" --version </dev/null >&2 || true
  exit 1
fi
echo "install-codex: installed codex-cli $VERSION ($dir)"
