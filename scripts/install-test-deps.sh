#!/usr/bin/env bash
# Makes sure the system packages the test suites need beyond npm are installed (Debian/Ubuntu, apt-get).
# Idempotent: when everything is present it prints one line and changes nothing.
#
#   bash scripts/install-test-deps.sh
#
# Used by the OAuth sign-in tests (test/support/browser.ts drives /usr/bin/chromium via playwright-core) and the
# keyring tests (test/support/keyring.ts runs a private D-Bus session bus with dbus-daemon, a gnome-keyring
# Secret Service on it, and reads it with secret-tool and dbus-send), and the fault tests (test/faults.test.ts runs
# codex under faketime with its clock years off), and the completion tests (test/completion.test.ts loads each script
# in bash, zsh and fish and has it complete), and the docs test (test/docs-run.test.ts runs the docs' examples, some
# of which pipe codex's JSON into jq), and the proxy tests (test/proxy.test.ts runs tinyproxy as a real forward proxy,
# and makes a throwaway CA with openssl; slim images lack the openssl command).
set -euo pipefail

# ---------------------------------------------------------------------------------------------------------------
# Packages the tests need. Each entry is "<debian package>:<file that proves it is installed>".
# To add one, append a line here.
# Since Debian 12 the "dbus" package is split: dbus-daemon (/usr/bin/dbus-daemon, dbus-run-session) depends on
# dbus-bin (dbus-send, also used by the keyring tests); Debian 11's "dbus" provides the name dbus-daemon.
# ---------------------------------------------------------------------------------------------------------------
REQUIRED=(
  "chromium:/usr/bin/chromium"
  "gnome-keyring:/usr/bin/gnome-keyring-daemon"
  "dbus-daemon:/usr/bin/dbus-daemon"
  "libsecret-tools:/usr/bin/secret-tool"
  "faketime:/usr/bin/faketime"
  "zsh:/usr/bin/zsh"
  "fish:/usr/bin/fish"
  "jq:/usr/bin/jq"
  "tinyproxy:/usr/bin/tinyproxy"
  "openssl:/usr/bin/openssl"
)

missing=()
for entry in "${REQUIRED[@]}"; do
  pkg="${entry%%:*}"
  probe="${entry#*:}"
  if [ ! -e "$probe" ]; then
    missing+=("$pkg")
  fi
done

names=()
for entry in "${REQUIRED[@]}"; do names+=("${entry%%:*}"); done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: already installed: ${names[*]}"
  exit 0
fi

echo "install-test-deps: installing ${missing[*]} (needed by the test suites)" >&2

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: apt-get not found; install these packages yourself: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-test-deps: not root and sudo is not available; as root, run:" >&2
  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

${as_root[@]+"${as_root[@]}"} apt-get update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

still=()
for entry in "${REQUIRED[@]}"; do
  if [ ! -e "${entry#*:}" ]; then still+=("${entry%%:*} (${entry#*:})"); fi
done
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-test-deps: installed, but still missing: ${still[*]}" >&2
  exit 1
fi
echo "install-test-deps: installed ${missing[*]}"
