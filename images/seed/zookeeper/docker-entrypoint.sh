#!/bin/bash
# Entrypoint of the seeded `zookeeper:3.9` image (see ../zookeeper.sh), following the official
# image's contract: as root it fixes the ownership of the data directories and re-executes itself
# as `zookeeper`; it writes $ZOO_CONF_DIR/zoo.cfg from the ZOO_* variables unless the file exists,
# and $ZOO_DATA_DIR/myid from ZOO_MY_ID unless that exists; then it runs the command.
set -euo pipefail

: "${ZOO_CONF_DIR:=/conf}" "${ZOO_DATA_DIR:=/data}" "${ZOO_DATA_LOG_DIR:=/datalog}" "${ZOO_LOG_DIR:=/logs}"

if [ "${1:-}" = zkServer.sh ] && [ "$(id -u)" -eq 0 ]; then
  chown -R zookeeper:zookeeper "${ZOO_DATA_DIR}" "${ZOO_DATA_LOG_DIR}" "${ZOO_LOG_DIR}"
  exec setpriv --reuid=zookeeper --regid=zookeeper --init-groups "$0" "$@"
fi

write_config() {
  local servers="${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}" entry
  {
    echo "dataDir=${ZOO_DATA_DIR}"
    echo "dataLogDir=${ZOO_DATA_LOG_DIR}"
    echo "tickTime=${ZOO_TICK_TIME:-2000}"
    echo "initLimit=${ZOO_INIT_LIMIT:-5}"
    echo "syncLimit=${ZOO_SYNC_LIMIT:-2}"
    echo "autopurge.snapRetainCount=${ZOO_AUTOPURGE_SNAPRETAINCOUNT:-3}"
    echo "autopurge.purgeInterval=${ZOO_AUTOPURGE_PURGEINTERVAL:-0}"
    echo "maxClientCnxns=${ZOO_MAX_CLIENT_CNXNS:-60}"
    echo "standaloneEnabled=${ZOO_STANDALONE_ENABLED:-true}"
    echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-true}"
    echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-srvr}"
    # Word splitting is the official contract: entries are separated by spaces.
    for entry in ${servers}; do echo "${entry}"; done
    for entry in ${ZOO_CFG_EXTRA:-}; do echo "${entry}"; done
  } >"${ZOO_CONF_DIR}/zoo.cfg"
}

if [ ! -f "${ZOO_CONF_DIR}/zoo.cfg" ]; then
  write_config
fi
if [ ! -f "${ZOO_DATA_DIR}/myid" ]; then
  echo "${ZOO_MY_ID:-1}" >"${ZOO_DATA_DIR}/myid"
fi

exec "$@"
