#!/usr/bin/env bash
# Installs Debian's Chromium and its WebDriver (packages chromium and
# chromium-driver: /usr/bin/chromium, /usr/bin/chromedriver) for the
# console's browser tests; idempotent. The test command runs it beside the
# build (it mostly waits on the package mirror and the disk).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
install() {
  $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null
}
# A fresh machine may have no package lists yet.
install 2>/dev/null || { $sudo apt-get update -q >/dev/null && install; }
