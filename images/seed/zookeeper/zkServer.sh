#!/bin/bash
# `zkServer.sh` of the seeded `zookeeper:3.9` image (see ../zookeeper.sh): the two commands the
# official image's users rely on.
#
#   zkServer.sh start-foreground   runs the server on $ZOOCFGDIR/zoo.cfg (JVMFLAGS honoured)
#   zkServer.sh status             asks the local server (`srvr`, allowed by default) for its mode;
#                                  exits 0 when it serves (standalone, leader or follower), 1 if not
set -euo pipefail

home="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
readonly home
readonly config="${ZOOCFGDIR:-/conf}/zoo.cfg"

# The client port: `clientPort=`, else the `;port` suffix of this server's `server.<myid>=` line.
client_port() {
  local port myid
  port="$(sed -n 's/^clientPort=\([0-9]*\).*/\1/p' "${config}" | tail -n 1)"
  if [ -z "${port}" ]; then
    myid="$(cat "$(sed -n 's/^dataDir=//p' "${config}" | tail -n 1)/myid" 2>/dev/null || echo 1)"
    port="$(sed -n "s/^server\.${myid}=.*;\([^:;]*:\)\{0,1\}\([0-9]*\)\$/\2/p" "${config}" | tail -n 1)"
  fi
  echo "${port:-2181}"
}

case "${1:-}" in
  start-foreground)
    # shellcheck disable=SC2086 # JVMFLAGS is a list of options, as in the official script.
    exec java ${JVMFLAGS:-} -Dzookeeper.log.dir="${ZOO_LOG_DIR:-/logs}" \
      -cp "${ZOOCFGDIR:-/conf}:${home}/lib/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "${config}"
    ;;
  status)
    if ! { exec 3<>"/dev/tcp/127.0.0.1/$(client_port)"; } 2>/dev/null; then
      echo "Error contacting service. It is probably not running." >&2
      exit 1
    fi
    printf 'srvr' >&3
    reply="$(cat <&3)"
    exec 3<&-
    mode="$(sed -n 's/^Mode: //p' <<<"${reply}")"
    if [ -z "${mode}" ]; then
      echo "Error contacting service. It is probably not running." >&2
      exit 1
    fi
    echo "Mode: ${mode}"
    ;;
  *)
    echo "usage: zkServer.sh start-foreground|status (this image supports only these)" >&2
    exit 2
    ;;
esac
