#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the web UI tests (driven by playwright-core; no
# browser download). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e partial -e lock)" ]; then
  apt-get update
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
