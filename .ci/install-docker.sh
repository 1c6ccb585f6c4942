#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, installing and starting one only when needed.
#
# Idempotent: when `docker info` already works it does nothing. Otherwise it installs Debian's
# `docker.io` (one `apt-get update`, only if `dockerd` is missing), starts `dockerd` in the
# background with its log in /var/log/dockerd.log, and waits, bounded, until the engine answers.
#
# Environment:
#   DOCKERD_WAIT_SECONDS  how long to wait for the engine to answer (default 60)
#   DOCKERD_LOG           where dockerd writes its log (default /var/log/dockerd.log)
set -euo pipefail

readonly wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"
readonly dockerd_log="${DOCKERD_LOG:-/var/log/dockerd.log}"

log() { printf 'install-docker: %s\n' "$*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then
    return
  fi
  log "dockerd not found; installing docker.io from the Debian archive"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
}

start_engine() {
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is already running; waiting for it to answer"
    return
  fi
  log "starting dockerd (log: ${dockerd_log})"
  # setsid detaches dockerd from this script's session so it outlives the calling shell.
  as_root setsid dockerd >"${dockerd_log}" 2>&1 </dev/null &
}

wait_for_engine() {
  local deadline=$((SECONDS + wait_seconds))
  until engine_answers; do
    if [ "${SECONDS}" -ge "${deadline}" ]; then
      log "the engine did not answer within ${wait_seconds}s; last lines of ${dockerd_log}:"
      tail -n 20 "${dockerd_log}" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

main() {
  if engine_answers; then
    log "the engine already answers"
    return
  fi
  install_engine
  start_engine
  wait_for_engine
  log "the engine answers: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
}

main "$@"
