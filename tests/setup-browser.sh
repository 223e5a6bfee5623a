#!/usr/bin/env bash
# Test set-up: the report tests open reports in headless Chromium (Debian's `chromium`).
# Installs it when missing and this shell may use apt-get; otherwise says how, and the browser
# tests are skipped (in CI, where CI=true, they fail instead).
set -uo pipefail
browser="${PLANNER_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
    exit 0
fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing chromium for the browser tests ..."
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -qq chromium >/dev/null 2>&1 ||
       { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; then
        exit 0
    fi
fi
echo "chromium is not installed: the browser tests will be skipped" \
     "(install Debian's chromium package, or set PLANNER_CHROMIUM to a Chromium binary)" >&2
exit 0
