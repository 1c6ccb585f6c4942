# shellcheck shell=bash
# Shared by scripts/up.sh and scripts/down.sh (sourced, not run): which compose tool to use, which
# file and project, and the meso-specific steps around `compose up` and `compose down`.
#
# Both `docker compose` (v2) and Debian's `docker-compose` (1.29) work; v2 is preferred.
#
# Environment:
#   MESO_PROJECT   compose project name (default `meso`, or `meso-laptop` with --laptop)
#   MESO_COMPOSE   the compose command to use, e.g. "docker-compose" (default: detected)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
readonly full_file="${repo_root}/compose/docker-compose.yml"
readonly laptop_file="${repo_root}/compose/docker-compose.laptop.yml"

log() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

require_engine() {
  docker info >/dev/null 2>&1 ||
    fail "no Docker engine answers (on a build machine: bash .ci/install-docker.sh)"
}

# Sets the array `compose` to the compose command: $MESO_COMPOSE, `docker compose` or
# `docker-compose`.
detect_compose() {
  if [ -n "${MESO_COMPOSE:-}" ]; then
    read -r -a compose <<<"${MESO_COMPOSE}"
  elif docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    fail "neither 'docker compose' nor 'docker-compose' is installed (Debian: apt-get install docker-compose)"
  fi
}

# Parses --laptop (and leaves other arguments in `rest`); sets `compose_file` and `project`.
select_cluster() {
  compose_file="${full_file}"
  project="${MESO_PROJECT:-meso}"
  rest=()
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --laptop)
        compose_file="${laptop_file}"
        project="${MESO_PROJECT:-meso-laptop}"
        ;;
      *) rest+=("${arg}") ;;
    esac
  done
}

# Runs the compose command on the selected file and project. `up` leaves the `tools` profile
# (the one-off command line) out; `down` must include it to find its containers.
compose_run() { "${compose[@]}" -p "${project}" -f "${compose_file}" "$@"; }
compose_run_all_profiles() { "${compose[@]}" -p "${project}" -f "${compose_file}" --profile tools "$@"; }

# `host:port` a service's port is published at; empty when it is not running.
published() { compose_run port "$1" "$2" 2>/dev/null | tail -n 1 || true; }

# Task containers and the agents' network keepers are the agents' siblings, not compose services:
# `compose down` would leave them behind (and a keeper would keep the network from being
# removed). This removes every meso task container (label meso.agent_id) that belongs to an agent
# of the project, found two ways: it shares the network namespace of a project agent or of its
# keeper (`container:<id>`, the compose networking model; works even when the agent is down), or
# it carries the id a running agent reports on /state. Then the project's keepers go.
remove_task_containers() {
  local -a agent_containers=() keepers=() agent_ids=() doomed=()
  local agent agent_id task network_mode owner
  mapfile -t keepers < <(docker ps -aq --no-trunc --filter "label=meso.compose_project=${project}")
  mapfile -t agent_containers < <(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=${project}" \
    --filter "label=com.docker.compose.service=agent")
  for agent in "${agent_containers[@]}"; do
    agent_id="$(docker exec "${agent}" node -e \
      "fetch('http://127.0.0.1:' + (process.env.MESO_PORT ?? 5051) + '/state')
         .then((r) => r.json()).then((s) => console.log(s.id ?? ''), () => console.log(''))" \
      2>/dev/null || true)"
    if [ -n "${agent_id}" ]; then agent_ids+=("${agent_id}"); fi
  done
  while read -r task network_mode owner; do
    [ -n "${task}" ] || continue
    # `container:<id>` as the agent gave it: the full id or a prefix (its hostname) of it.
    if [[ "${network_mode}" == container:?* ]]; then
      for agent in "${agent_containers[@]}" "${keepers[@]}"; do
        if [[ "${agent}" == "${network_mode#container:}"* ]]; then doomed+=("${task}"); fi
      done
    fi
    for agent_id in "${agent_ids[@]}"; do
      if [ "${owner}" = "${agent_id}" ]; then doomed+=("${task}"); fi
    done
  done < <(docker ps -aq --filter label=meso.agent_id |
    xargs -r docker inspect -f '{{.Id}} {{.HostConfig.NetworkMode}} {{index .Config.Labels "meso.agent_id"}}')
  if [ "${#doomed[@]}" -gt 0 ]; then
    log "removing ${#doomed[@]} task container(s) of the project's agents"
    printf '%s\n' "${doomed[@]}" | sort -u | xargs docker rm -f >/dev/null
  fi
  if [ "${#keepers[@]}" -gt 0 ]; then
    log "removing ${#keepers[@]} network keeper(s) of the project's agents"
    docker rm -f "${keepers[@]}" >/dev/null
  fi
}
