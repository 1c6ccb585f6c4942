#!/usr/bin/env bash
# Installs Debian's Prometheus (2.42) and promtool for the tests in test/integration/metrics-*.test.ts.
# Idempotent: does nothing when both binaries are already on PATH. Needs root (CI runners and the
# build machines run as root).
#
# The package ships a systemd unit and an init script; neither is started here. The tests run
# the binary themselves, with a temporary config and data directory, on a free loopback port.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "prometheus already installed: $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# A fresh runner has empty package lists; refresh them only when the package is unknown.
if ! apt-cache show prometheus >/dev/null 2>&1; then
  apt-get update -qq
fi

# policy-rc.d answering 101 keeps the package's maintainer scripts from starting the service on
# machines that have an init system; it is removed again whatever happens.
policy=/usr/sbin/policy-rc.d
created_policy=false
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=true
fi
cleanup() { if [[ "$created_policy" == true ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get install -y -qq --no-install-recommends prometheus >/dev/null

command -v prometheus >/dev/null 2>&1 || { echo "prometheus installed but not on PATH" >&2; exit 1; }
command -v promtool >/dev/null 2>&1 || { echo "prometheus installed but promtool is missing" >&2; exit 1; }
echo "prometheus installed: $(prometheus --version 2>&1 | head -n 1)"
