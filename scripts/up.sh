#!/usr/bin/env bash
# `npm run up`: builds meso's images and brings up a whole cluster with Docker Compose, waits until
# a master leads and every agent has registered, and prints where everything is.
#
# Usage: npm run up [-- --laptop] [-- --agents N] [-- --without SERVICE ...]
#   (default)   compose/docker-compose.yml: 3 ZooKeeper, 3 masters, N agents (2), the gateway,
#               Prometheus and Grafana (Grafana only when its image can be had: it has no
#               Debian package to seed it from, see docs/deployment.md)
#   --laptop    compose/docker-compose.laptop.yml: 1 ZooKeeper, 1 master, N agents (1)
#   --without S leave service S out (e.g. grafana, prometheus); repeatable
#
# Idempotent: running it again rebuilds what changed and leaves the rest running. Base images
# are pulled, or seeded from Debian packages where no registry answers (scripts/seed-images.sh).
# Environment: see scripts/compose-lib.sh and the variables listed in compose/docker-compose.yml;
# MESO_UP_TIMEOUT_SECONDS bounds the wait (300).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=compose-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose-lib.sh"

readonly grafana_image="${GRAFANA_IMAGE:-grafana/grafana:11.2.0}"

# Sets `agents` from --agents N (else the file's default) and `without` from --without S.
parse_arguments() {
  agents=""
  without=(tools)
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --agents)
        agents="${2:?--agents needs a number}"
        shift 2
        ;;
      --without)
        without+=("${2:?--without needs a service name}")
        shift 2
        ;;
      *) fail "unknown argument '$1' (usage: npm run up [-- --laptop] [-- --agents N] [-- --without S])" ;;
    esac
  done
  if [ -z "${agents}" ]; then
    if [ "${compose_file}" = "${laptop_file}" ]; then agents=1; else agents=2; fi
  fi
}

# The images: meso's built, third-party ones pulled or seeded. Grafana is left out when its image
# cannot be had (no registry, and no Debian package to seed it from).
prepare_images() {
  "${repo_root}/scripts/seed-images.sh" meso/busybox:latest zookeeper:3.9
  if [ "${compose_file}" = "${full_file}" ]; then
    if ! is_without prometheus; then "${repo_root}/scripts/seed-images.sh" prom/prometheus:v2.42.0; fi
    if ! is_without grafana && ! docker image inspect "${grafana_image}" >/dev/null 2>&1 &&
      ! docker pull "${grafana_image}" >&2; then
      log "no ${grafana_image} here (no registry, and Debian has no Grafana): starting without Grafana"
      without+=(grafana)
    fi
  fi
  "${repo_root}/scripts/build-images.sh"
}

is_without() {
  local service
  for service in "${without[@]}"; do [ "${service}" = "$1" ] && return 0; done
  return 1
}

# Sets `services` to the file's services minus `without`.
select_services() {
  local service
  services=()
  while read -r service; do
    is_without "${service}" || services+=("${service}")
  done < <(compose_run config --services)
}

# Waits until the cluster's API names a leader and reports `agents` active agents.
wait_for_cluster() {
  local url="$1"
  log "waiting for a leading master and ${agents} agent(s) at ${url}"
  node --input-type=module - "${url}" "${agents}" "${MESO_UP_TIMEOUT_SECONDS:-300}" <<'EOF_JS'
const [url, wanted, timeoutSeconds] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
let last = 'no answer yet';
for (;;) {
  try {
    const state = await (await fetch(`${url}/master/state`, { signal: AbortSignal.timeout(3000) })).json();
    const active = (state.slaves ?? []).filter((agent) => agent.active).length;
    last = `leader ${state.leader_info?.hostname ?? 'none'}, ${active} active agent(s)`;
    if (state.leader_info !== undefined && active >= Number(wanted)) break;
  } catch (err) {
    last = String(err);
  }
  if (Date.now() > deadline) {
    console.error(`gave up after ${timeoutSeconds}s: ${last}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
console.error(last);
EOF_JS
}

print_endpoints() {
  local api="$1" prometheus grafana file="${compose_file#"${repo_root}/"}"
  echo
  echo "meso is up (compose project '${project}', ${agents} agent(s)):"
  if [ "${compose_file}" = "${laptop_file}" ]; then
    echo "  API and web UI   http://${api}"
  else
    echo "  API and web UI   http://${api}    (the leading master, through any master)"
    prometheus="$(published prometheus 9090)"
    grafana="$(published grafana 3000)"
    [ -z "${prometheus}" ] || echo "  Prometheus       http://${prometheus}"
    [ -z "${grafana}" ] || echo "  Grafana          http://${grafana}    (dashboard: meso)"
  fi
  echo
  echo "  a task:  ${compose[*]} -p ${project} -f ${file} run --rm tools meso run -- 'echo hello'"
  echo "  scale:   ${compose[*]} -p ${project} -f ${file} up -d --no-deps --scale agent=3 agent"
  echo "  stop:    npm run down$([ "${compose_file}" = "${full_file}" ] || echo ' -- --laptop')"
}

# Shows the cluster doing work: a one-off task in a sibling container, its output printed here.
run_first_task() {
  log "running a first task: meso run --image meso/busybox -- 'echo hello from meso; uname -a'"
  compose_run run --rm -T tools meso run --image meso/busybox -- 'echo hello from meso; uname -a' ||
    log "the first task did not succeed; see the agents' logs: ${compose[*]} -p ${project} logs agent"
}

main() {
  select_cluster "$@"
  parse_arguments "${rest[@]}"
  require_engine
  detect_compose
  prepare_images
  select_services
  log "starting project '${project}' with ${compose[*]}: ${services[*]}"
  compose_run up -d --no-build --remove-orphans --scale "agent=${agents}" "${services[@]}"
  local api
  if [ "${compose_file}" = "${laptop_file}" ]; then api="$(published master 5050)"; else api="$(published gateway 5050)"; fi
  [ -n "${api}" ] || fail "the API's port is not published; see: ${compose[*]} -p ${project} ps"
  wait_for_cluster "http://${api}"
  run_first_task
  print_endpoints "${api}"
}

main "$@"
