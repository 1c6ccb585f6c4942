# Shared by scripts/up.sh and scripts/down.sh (sourced, not run): which compose tool to use, which
# file and project, and the meso-specific steps around `compose up` and `compose down`.
#
# Both `docker compose` (v2) and Debian's `docker-compose` (1.29) work; v2 is preferred.
#
# Environment:
#   MESO_PROJECT   compose project name (default `meso`, or `meso-laptop` with --laptop)
#   MESO_COMPOSE   the compose command to use, e.g. "docker-compose" (default: detected)

readonly repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

# Task containers are the agents' siblings, not compose services: `compose down` would leave
# them behind. Each is labelled with its agent's id (meso.agent_id), which the agent's /state
# reports; this removes the tasks of every running agent of the project.
remove_task_containers() {
  local agent agent_id tasks
  for agent in $(docker ps -q --filter "label=com.docker.compose.project=${project}" \
    --filter "label=com.docker.compose.service=agent"); do
    agent_id="$(docker exec "${agent}" node -e \
      "fetch('http://127.0.0.1:' + (process.env.MESO_PORT ?? 5051) + '/state')
         .then((r) => r.json()).then((s) => console.log(s.id ?? ''), () => console.log(''))")"
    [ -n "${agent_id}" ] || continue
    tasks="$(docker ps -aq --filter "label=meso.agent_id=${agent_id}")"
    if [ -n "${tasks}" ]; then
      log "removing the task containers of agent ${agent_id}"
      # shellcheck disable=SC2086 # one id per word
      docker rm -f ${tasks} >/dev/null
    fi
  done
}
