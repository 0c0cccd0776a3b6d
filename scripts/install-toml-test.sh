#!/usr/bin/env bash
# Puts the toml-lang/toml-test suite's files (valid/ and invalid/ TOML documents) in
# node_modules/.cache/toml-test/ for test/toml-test-suite.test.ts. They come from a registry, Debian's
# package golang-github-burntsushi-toml-dev, which ships toml-test's tests with BurntSushi/toml's sources
# (1.2.0-2 on Debian 12: 100 valid and 234 invalid documents); the package's version is written to
# node_modules/.cache/toml-test/VERSION. Idempotent: when the files are there it prints one line and exits.
#
#   bash scripts/install-toml-test.sh
#
# The newest suite can be run by hand instead: CODEX_TOML_TEST_DIR=<toml-test checkout>/tests (see the test).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=golang-github-burntsushi-toml-dev
DEST=node_modules/.cache/toml-test

if [ -s "$DEST/VERSION" ] && [ -d "$DEST/valid" ] && [ -d "$DEST/invalid" ]; then
  echo "install-toml-test: already installed: $(cat "$DEST/VERSION")"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "install-toml-test: apt-get and dpkg-deb are needed to fetch Debian's $PACKAGE" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# `apt-get download` needs no root, only package lists; a fresh machine has none until `apt-get update`.
if ! (cd "$work" && apt-get download "$PACKAGE" >/dev/null 2>&1); then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-toml-test: cannot download $PACKAGE; as root, run \`apt-get update\` and try again" >&2
    exit 1
  fi
  echo "install-toml-test: updating the package lists to download $PACKAGE" >&2
  ${as_root[@]+"${as_root[@]}"} apt-get update >&2
  (cd "$work" && apt-get download "$PACKAGE" >&2)
fi

deb=("$work"/*.deb)
dpkg-deb -x "${deb[0]}" "$work/root"
# The path inside the package has moved between versions; find the suite's tests directory wherever it is.
tests="$(find "$work/root" -type d -path '*/toml-test/tests' -print -quit)"
if [ -z "$tests" ] || [ ! -d "$tests/valid" ] || [ ! -d "$tests/invalid" ]; then
  echo "install-toml-test: $(basename "${deb[0]}") holds no toml-test tests directory" >&2
  exit 1
fi

# Built beside the destination and renamed into place, so an interrupted run never looks installed.
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.new" "$DEST"
cp -R "$tests" "$DEST.new"
echo "$PACKAGE $(dpkg-deb -f "${deb[0]}" Version)" >"$DEST.new/VERSION"
mv "$DEST.new" "$DEST"
echo "install-toml-test: installed $(cat "$DEST/VERSION") ($(find "$DEST" -name '*.toml' | wc -l) TOML files)"
