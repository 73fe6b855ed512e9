#!/usr/bin/env bash
# Start, stop or describe the local infrastructure: a one-node Kafka (KRaft), PostgreSQL and
# Redis on 127.0.0.1, as throw-away instances under $ALPHA_PANDA_RUN. Downloads and builds are
# cached under $ALPHA_PANDA_CACHE so a second start takes seconds.
#
#   scripts/infra.sh up       start whatever is not running (idempotent), print the env file
#   scripts/infra.sh down     stop everything and delete the throw-away data
#   scripts/infra.sh status   show what runs where
#   scripts/infra.sh kafka-jars   fetch (once) the Kafka jars, print their directory
#
# A component whose address is already configured (ALPHA_PANDA_KAFKA_BOOTSTRAP,
# ALPHA_PANDA_POSTGRES_DSN, ALPHA_PANDA_REDIS_URL) is taken as external and not started.
set -euo pipefail

CACHE=${ALPHA_PANDA_CACHE:-$HOME/.cache/alpha-panda}
RUN=${ALPHA_PANDA_RUN:-/tmp/alpha-panda-infra}
KAFKA_VERSION=4.1.0
LOG4J_VERSION=2.24.3
ENV_FILE=$RUN/env

die() { echo "infra: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing: $2"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { # name port seconds logfile
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "infra: $1 did not open port $2 within $3 s; its log follows" >&2
      tail -n 40 "$4" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_apt() { # command package
  command -v "$1" >/dev/null 2>&1 && return
  [[ -x /usr/lib/postgresql/15/bin/$1 ]] && return
  need apt-get "install the Debian package $2 by hand"
  echo "infra: installing $2 from apt" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; } >/dev/null \
    || die "apt-get install $2 failed"
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && { echo "$d"; return; }; done
  die "PostgreSQL binaries not found after installing the postgresql package"
}

as_pg() { # PostgreSQL refuses to run as root
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

kafka_jars() {
  local dir=$CACHE/kafka-$KAFKA_VERSION
  if [[ ! -f $dir/.complete ]]; then
    need java "install a Java 17+ runtime (Debian: openjdk-17-jre-headless)"
    need mvn "install Maven (Debian: maven) to fetch the Kafka jars from Maven Central"
    echo "infra: fetching Kafka $KAFKA_VERSION jars from Maven Central into $dir" >&2
    mkdir -p "$dir"
    cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>alpha-panda</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
    (cd "$dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime >&2) \
      || die "fetching Kafka jars with Maven failed"
    touch "$dir/.complete"
  fi
  echo "$dir/lib"
}

start_kafka() {
  [[ -n ${ALPHA_PANDA_KAFKA_BOOTSTRAP:-} ]] && { echo "ALPHA_PANDA_KAFKA_BOOTSTRAP=$ALPHA_PANDA_KAFKA_BOOTSTRAP"; return; }
  local dir=$RUN/kafka
  if alive "$dir/pid"; then echo "ALPHA_PANDA_KAFKA_BOOTSTRAP=127.0.0.1:$(cat "$dir/port")"; return; fi
  local lib port cport
  lib=$(kafka_jars)
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(free_port); cport=$(free_port)
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Offset commits are written at once instead of lingering for a batch (default 5 ms per commit).
group.coordinator.append.linger.ms=0
# Tests delete their topics when they end: release the files at once, not after a minute.
file.delete.delay.ms=1000
PROPS
  cat >"$dir/log4j2.properties" <<LOG
rootLogger.level=WARN
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$dir/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=%d %p %c{1} %m%n
logger.kafka.name=kafka
logger.kafka.level=INFO
LOG
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC "-Dlog4j2.configurationFile=$dir/log4j2.properties")
  java "${java_opts[@]}" -cp "$lib/*" kafka.tools.StorageTool format \
    -t "$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
    -c "$dir/server.properties" >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "formatting Kafka storage failed"; }
  # every partition holds open files: take the hard limit, not a login shell's soft 1024
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  nohup java "${java_opts[@]}" -cp "$lib/*" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 9>&- &
  echo $! >"$dir/pid"; echo "$port" >"$dir/port"
  wait_port Kafka "$port" 90 "$dir/server.log"
  echo "ALPHA_PANDA_KAFKA_BOOTSTRAP=127.0.0.1:$port"
}

start_postgres() {
  [[ -n ${ALPHA_PANDA_POSTGRES_DSN:-} ]] && { echo "ALPHA_PANDA_POSTGRES_DSN=$ALPHA_PANDA_POSTGRES_DSN"; return; }
  local dir=$RUN/postgres port bin
  if [[ -f $dir/port ]] && as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "ALPHA_PANDA_POSTGRES_DSN=postgresql://alpha@127.0.0.1:$(cat "$dir/port")/alpha_panda"; return
  fi
  ensure_apt initdb postgresql
  bin=$(pg_bin)
  rm -rf "$dir" && mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres "$dir"
  port=$(free_port)
  as_pg "$bin/initdb" -D "$dir/data" -U alpha --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null 9>&- \
    || { tail -n 40 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  echo "$port" >"$dir/port"
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U alpha alpha_panda
  echo "ALPHA_PANDA_POSTGRES_DSN=postgresql://alpha@127.0.0.1:$port/alpha_panda"
}

start_redis() {
  [[ -n ${ALPHA_PANDA_REDIS_URL:-} ]] && { echo "ALPHA_PANDA_REDIS_URL=$ALPHA_PANDA_REDIS_URL"; return; }
  local dir=$RUN/redis port
  if alive "$dir/pid"; then echo "ALPHA_PANDA_REDIS_URL=redis://127.0.0.1:$(cat "$dir/port")/0"; return; fi
  ensure_apt redis-server redis-server
  rm -rf "$dir" && mkdir -p "$dir"
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/server.log" 9>&-
  wait_port Redis "$port" 20 "$dir/server.log"
  echo "$port" >"$dir/port"
  echo "ALPHA_PANDA_REDIS_URL=redis://127.0.0.1:$port/0"
}

up() {
  mkdir -p "$RUN" "$CACHE"
  chmod 755 "$RUN"   # the postgres user must reach its data directory below it
  exec 9>"$RUN/.lock"; flock 9   # concurrent callers (tests, make run) wait for one start
  { start_postgres; start_redis; start_kafka; } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  cat "$ENV_FILE"
}

down() {
  local f
  for f in "$RUN/kafka/pid" "$RUN/redis/pid"; do
    alive "$f" && kill "$(cat "$f")" 2>/dev/null || true
  done
  if [[ -d $RUN/postgres/data ]]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$RUN/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  for f in "$RUN/kafka/pid" "$RUN/redis/pid"; do
    while alive "$f"; do sleep 0.2; done
  done
  rm -rf "$RUN"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) [[ -f $ENV_FILE ]] && cat "$ENV_FILE" || echo "infra: not running" ;;
  kafka-jars) kafka_jars ;;
  *) echo "usage: $0 up|down|status|kafka-jars" >&2; exit 2 ;;
esac
