#!/usr/bin/env bash
# `npm run up`: builds meso's images and brings up a whole cluster with Docker Compose, waits until
# a master leads and every agent has registered, and prints where everything is.
#
# Usage: npm run up [-- --laptop] [-- --agents N]
#   (default)   compose/docker-compose.yml: 3 ZooKeeper, 3 masters, N agents (2), the gateway,
#               Prometheus and Grafana (Grafana only when its image can be had: it has no
#               Debian package to seed it from, see docs/deployment.md)
#   --laptop    compose/docker-compose.laptop.yml: 1 ZooKeeper, 1 master, N agents (1)
#
# Idempotent: running it again rebuilds what changed and leaves the rest running. Base images
# are pulled, or seeded from Debian packages where no registry answers (scripts/seed-images.sh).
# Environment: see scripts/compose-lib.sh and the variables listed in compose/docker-compose.yml;
# MESO_UP_TIMEOUT_SECONDS bounds the wait (300).
set -euo pipefail
# shellcheck source=compose-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/compose-lib.sh"

readonly grafana_image="${GRAFANA_IMAGE:-grafana/grafana:11.2.0}"

# Sets `agents` from --agents N (else the file's default) and `services` to what to start.
parse_arguments() {
  agents=""
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --agents)
        agents="${2:?--agents needs a number}"
        shift 2
        ;;
      *) fail "unknown argument '$1' (usage: npm run up [-- --laptop] [-- --agents N])" ;;
    esac
  done
  if [ -z "${agents}" ]; then
    if [ "${compose_file}" = "${laptop_file}" ]; then agents=1; else agents=2; fi
  fi
}

# The third-party images, pulled or seeded; sets `services` (empty: all) without Grafana when
# its image cannot be had.
prepare_images() {
  services=()
  if [ "${compose_file}" = "${laptop_file}" ]; then
    "${repo_root}/scripts/seed-images.sh" zookeeper:3.9
  else
    "${repo_root}/scripts/seed-images.sh" zookeeper:3.9 prom/prometheus:v2.42.0
    if ! docker image inspect "${grafana_image}" >/dev/null 2>&1 && ! docker pull "${grafana_image}" >&2; then
      log "no ${grafana_image} here (no registry, and Debian has no Grafana): starting without Grafana"
      mapfile -t services < <(compose_run config --services | grep -v -x -e grafana -e tools)
    fi
  fi
  "${repo_root}/scripts/build-images.sh"
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
  local api prometheus grafana
  if [ "${compose_file}" = "${laptop_file}" ]; then api="$(published master 5050)"; else api="$(published gateway 5050)"; fi
  cat <<EOF_TEXT

meso is up (compose project '${project}', ${agents} agent(s)):
  API and web UI   http://${api}          (the leading master, through any master)
EOF_TEXT
  if [ "${compose_file}" = "${full_file}" ]; then
    prometheus="$(published prometheus 9090)"
    grafana="$(published grafana 3000)"
    echo "  Prometheus       http://${prometheus}"
    if [ -n "${grafana}" ]; then echo "  Grafana          http://${grafana}    (dashboard: meso)"; fi
  fi
  cat <<EOF_TEXT

  a task:    ${compose[*]} -p ${project} -f ${compose_file#"${repo_root}/"} run --rm tools meso run -- 'echo hello'
  scale:     ${compose[*]} -p ${project} -f ${compose_file#"${repo_root}/"} up -d --no-deps --scale agent=3 agent
  stop:      npm run down$([ "${compose_file}" = "${laptop_file}" ] && echo ' -- --laptop')
EOF_TEXT
}

main() {
  select_cluster "$@"
  parse_arguments "${rest[@]+"${rest[@]}"}"
  require_engine
  detect_compose
  prepare_images
  log "starting project '${project}' with ${compose[*]}"
  compose_run up -d --no-build --remove-orphans --scale "agent=${agents}" "${services[@]+"${services[@]}"}"
  local api
  if [ "${compose_file}" = "${laptop_file}" ]; then api="$(published master 5050)"; else api="$(published gateway 5050)"; fi
  wait_for_cluster "http://${api}"
  print_endpoints
}

main "$@"
