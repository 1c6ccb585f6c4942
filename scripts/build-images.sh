#!/usr/bin/env bash
# Builds meso's role images from images/Dockerfile: meso/master, meso/agent, meso/gateway and
# meso/tools, tagged $MESO_TAG (default `dev`), with OCI labels from package.json and git. The
# base images are seeded first when no registry provides them (scripts/seed-images.sh).
#
# Usage: scripts/build-images.sh [ROLE...]      (no argument: every role)
#
# Idempotent and cached: Docker reuses the shared build stage, so a rebuild without source
# changes takes seconds. Prints each image's size at the end.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
readonly tag="${MESO_TAG:-dev}"
readonly all_roles=(master agent gateway services jobs tools)

log() { printf 'build-images: %s\n' "$*" >&2; }

label_args() {
  # Commit values, not the clock: rebuilding the same commit yields the same image, so
  # `docker compose up` does not recreate containers for nothing.
  local version revision source
  version="$(node -p "require('${repo_root}/package.json').version")"
  revision="$(git -C "${repo_root}" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  source="$(git -C "${repo_root}" remote get-url origin 2>/dev/null || true)"
  printf '%s\n' --build-arg "VERSION=${version}" --build-arg "REVISION=${revision}" \
    --build-arg "CREATED=$(git -C "${repo_root}" log -1 --format=%cI 2>/dev/null || echo unknown)" \
    --build-arg "SOURCE=${source}"
}

main() {
  local -a roles=("$@")
  if [ "${#roles[@]}" -eq 0 ]; then roles=("${all_roles[@]}"); fi
  "${repo_root}/scripts/seed-images.sh" node:22-bookworm-slim
  local -a labels
  mapfile -t labels < <(label_args)
  local role
  for role in "${roles[@]}"; do
    log "building meso/${role}:${tag}"
    docker build --force-rm -f "${repo_root}/images/Dockerfile" --target "${role}" \
      "${labels[@]}" -t "meso/${role}:${tag}" "${repo_root}" >&2
  done
  # Earlier builds of these images, now untagged and used by no container (prune spares those).
  docker image prune --force --filter "label=org.opencontainers.image.vendor=meso" >/dev/null
  for role in "${roles[@]}"; do
    log "meso/${role}:${tag} $(docker image inspect -f '{{.Size}}' "meso/${role}:${tag}" |
      awk '{ printf "%.0f MB", $1 / 1000 / 1000 }')"
  done
}

main "$@"
