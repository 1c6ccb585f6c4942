# shellcheck shell=bash
# Recipe for scripts/seed-images.sh: `zookeeper:3.9`, a stand-in for the official image when no
# registry answers. Debian bookworm with a headless Java 17 and Debian's ZooKeeper (3.8, which
# speaks the same client and quorum protocols as 3.9; meso needs nothing newer), laid out and
# configured like the official image:
#
#   - the same entrypoint contract (zookeeper/docker-entrypoint.sh): zoo.cfg generated from
#     ZOO_MY_ID, ZOO_SERVERS, ZOO_TICK_TIME, ZOO_INIT_LIMIT, ZOO_SYNC_LIMIT, ZOO_MAX_CLIENT_CNXNS,
#     ZOO_STANDALONE_ENABLED, ZOO_ADMINSERVER_ENABLED, ZOO_4LW_COMMANDS_WHITELIST,
#     ZOO_AUTOPURGE_*, ZOO_CFG_EXTRA unless /conf/zoo.cfg exists; /data, /datalog, /logs volumes;
#     user `zookeeper` (uid 1000); JVMFLAGS honoured;
#   - `zkServer.sh start-foreground` (the CMD) and `zkServer.sh status` (for health checks) on
#     the PATH (zookeeper/zkServer.sh; only those two commands).
#
# Seeding takes about 60 s; the image is about 340 MB (a Java runtime and Debian's ZooKeeper jars).

seed_zookeeper_3_9() {
  local -r home=/apache-zookeeper
  # libzookeeper-java's zookeeper.jar names its dependencies (netty, snappy, metrics, ...) in its
  # manifest's Class-Path, so the server runs with just that jar and a logging binding.
  debian_rootfs default-jre-headless,libzookeeper-java,libslf4j-java
  mkdir -p "rootfs${home}/lib"
  local jar
  for jar in zookeeper.jar slf4j-simple.jar; do
    ln -s "/usr/share/java/${jar}" "rootfs${home}/lib/${jar}"
  done
  # shellcheck disable=SC2154 # recipes_dir: set by scripts/seed-images.sh, which sources this file
  install -D -m 0755 "${recipes_dir}/zookeeper/zkServer.sh" "rootfs${home}/bin/zkServer.sh"
  install -D -m 0755 "${recipes_dir}/zookeeper/docker-entrypoint.sh" rootfs/docker-entrypoint.sh

  printf 'zookeeper:x:1000:\n' >>rootfs/etc/group
  printf 'zookeeper:x:1000:1000::%s:/bin/bash\n' "${home}" >>rootfs/etc/passwd
  printf 'zookeeper:*:19000:0:99999:7:::\n' >>rootfs/etc/shadow
  install -d -o 1000 -g 1000 rootfs/conf rootfs/data rootfs/datalog rootfs/logs

  printf '%s\n' \
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${home}/bin" \
    "ENV ZOOCFGDIR=/conf ZOO_CONF_DIR=/conf ZOO_DATA_DIR=/data ZOO_DATA_LOG_DIR=/datalog ZOO_LOG_DIR=/logs" \
    'VOLUME ["/data", "/datalog", "/logs"]' \
    'EXPOSE 2181 2888 3888 8080' \
    'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    'CMD ["zkServer.sh", "start-foreground"]' >"${SEED_CHANGES}"
  rootfs_tar
}

register_image zookeeper:3.9 seed_zookeeper_3_9 pull
