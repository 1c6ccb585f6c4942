#!/usr/bin/env bash
# Installs a compose implementation for the e2e tests: `docker compose` (v2) when the engine's
# client has it, else Debian's docker-compose 1.29. Idempotent.
set -euo pipefail
if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
if [ ! -d /var/lib/apt/lists/partial ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v partial)" ]; then
  apt-get update
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose
