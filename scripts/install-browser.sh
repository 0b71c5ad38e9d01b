#!/usr/bin/env bash
# Installs Debian's Chromium and its driver for the browser test (tests/test_admin_browser.py).
# Does nothing when they are already there; without root or apt it says so and exits 0:
# the browser test then skips itself with the reason.
set -uo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: not root or no apt-get: the browser test will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null; then
    apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null ||
        echo "install-browser: apt-get could not install chromium: the browser test will be skipped" >&2
fi
exit 0
