#!/usr/bin/env bash
# `npm run down`: removes a cluster `npm run up` started: the agents' task containers first
# (they are siblings, not compose services), then every container, network and volume of the
# compose project. Images stay, so the next `npm run up` starts at once.
#
# Usage: npm run down [-- --laptop]
# Idempotent: removing a cluster that is not there succeeds.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=compose-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose-lib.sh"

main() {
  select_cluster "$@"
  [ "${#rest[@]}" -eq 0 ] || fail "unknown argument '${rest[0]}' (usage: npm run down [-- --laptop])"
  require_engine
  detect_compose
  remove_task_containers
  compose_run_all_profiles down --volumes --remove-orphans
  log "project '${project}' removed"
}

main "$@"
