#!/usr/bin/env bash
# A Rendan cluster of several nodes on this machine, against one PostgreSQL.
#
#   scripts/cluster.sh start            build the jar if missing, start the nodes, wait until all are ready
#   scripts/cluster.sh status           readiness of each node and the members as node 1 sees them
#   scripts/cluster.sh stop             SIGTERM every node: shards hand over, nodes leave one by one
#   scripts/cluster.sh kill N           SIGKILL node N (a crash: the others take over its entities)
#   scripts/cluster.sh restart N        stop node N gracefully and start it again
#   scripts/cluster.sh rolling-restart  restart every node in turn, each once the cluster is ready again
#
# Settings (environment):
#   RENDAN_DB_URL       default jdbc:postgresql://127.0.0.1:5432/rendan
#   RENDAN_DB_USER, RENDAN_DB_PASSWORD, RENDAN_JWT_SECRET, RENDAN_DEV_MODE, any other RENDAN_* (passed on)
#   CLUSTER_NODES       number of nodes, default 3
#   CLUSTER_HTTP_PORT   API port of node 1, default 8081 (node N: +N-1)
#   CLUSTER_PORT        cluster (Artery) port of node 1, default 25521
#   CLUSTER_MGMT_PORT   management port of node 1, default 8561
#   CLUSTER_DIR         logs and pid files, default ./cluster-run
#   JAVA_OPTS           JVM options of every node, default -Xmx512m
# See docs/CLUSTER.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/server/target/rendan-server.jar"
nodes="${CLUSTER_NODES:-3}"
http_base="${CLUSTER_HTTP_PORT:-8081}"
cluster_base="${CLUSTER_PORT:-25521}"
mgmt_base="${CLUSTER_MGMT_PORT:-8561}"
dir="${CLUSTER_DIR:-$root/cluster-run}"
java_opts="${JAVA_OPTS:--Xmx512m}"
export RENDAN_DB_URL="${RENDAN_DB_URL:-jdbc:postgresql://127.0.0.1:5432/rendan}"

http_port() { echo $((http_base + $1 - 1)); }
cluster_port() { echo $((cluster_base + $1 - 1)); }
mgmt_port() { echo $((mgmt_base + $1 - 1)); }
pid_of() { cat "$dir/node-$1.pid" 2>/dev/null || true; }
running() { local pid; pid="$(pid_of "$1")"; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

seeds() {
  local list="" i
  for i in $(seq 1 "$nodes"); do
    list="${list:+$list,}pekko://rendan@127.0.0.1:$(cluster_port "$i")"
  done
  echo "$list"
}

start_node() {
  local i="$1"
  if running "$i"; then
    echo "node $i already runs (pid $(pid_of "$i"))"
    return
  fi
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  RENDAN_HTTP_HOST=127.0.0.1 \
    RENDAN_HTTP_PORT="$(http_port "$i")" \
    RENDAN_CLUSTER_HOST=127.0.0.1 \
    RENDAN_CLUSTER_PORT="$(cluster_port "$i")" \
    RENDAN_MANAGEMENT_PORT="$(mgmt_port "$i")" \
    RENDAN_MANAGEMENT_BIND_HOST=127.0.0.1 \
    RENDAN_SEED_NODES="$(seeds)" \
    RENDAN_DATA_DIR="$dir/node-$i" \
    nohup java $java_opts -jar "$jar" >>"$dir/node-$i.log" 2>&1 &
  echo $! >"$dir/node-$i.pid"
  echo "node $i started (pid $!): http://127.0.0.1:$(http_port "$i"), management http://127.0.0.1:$(mgmt_port "$i"), log $dir/node-$i.log"
}

await_ready() {
  local i="$1" deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null "http://127.0.0.1:$(http_port "$i")/health/ready" 2>/dev/null; do
    if ! running "$i"; then
      echo "node $i exited; last lines of $dir/node-$i.log:" >&2
      tail -n 20 "$dir/node-$i.log" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "node $i not ready after 120 s; see $dir/node-$i.log" >&2
      exit 1
    fi
    sleep 1
  done
  echo "node $i ready"
}

stop_node() {
  local i="$1" pid deadline=$((SECONDS + 60))
  pid="$(pid_of "$i")"
  if ! running "$i"; then
    echo "node $i is not running"
    rm -f "$dir/node-$i.pid"
    return
  fi
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "node $i (pid $pid) still runs 60 s after SIGTERM; see $dir/node-$i.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  rm -f "$dir/node-$i.pid"
  echo "node $i stopped"
}

check_node_number() {
  if ! [[ "${1:-}" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ] || [ "$1" -gt "$nodes" ]; then
    echo "name a node from 1 to $nodes" >&2
    exit 2
  fi
}

case "${1:-}" in
  start)
    if [ ! -f "$jar" ]; then
      echo "building $jar"
      (cd "$root" && mvn -q -pl server -am package -DskipTests)
    fi
    for i in $(seq 1 "$nodes"); do start_node "$i"; done
    for i in $(seq 1 "$nodes"); do await_ready "$i"; done
    ;;
  status)
    for i in $(seq 1 "$nodes"); do
      printf 'node %s: ' "$i"
      if running "$i"; then
        curl -sS "http://127.0.0.1:$(http_port "$i")/health/ready" || printf 'no answer'
        echo
      else
        echo "not running"
      fi
    done
    for i in $(seq 1 "$nodes"); do
      if running "$i"; then
        curl -sS "http://127.0.0.1:$(mgmt_port "$i")/cluster/members" && echo
        break
      fi
    done
    ;;
  stop)
    for i in $(seq "$nodes" -1 1); do stop_node "$i"; done
    ;;
  kill)
    check_node_number "${2:-}"
    if running "$2"; then
      kill -KILL "$(pid_of "$2")"
      rm -f "$dir/node-$2.pid"
      echo "node $2 killed"
    else
      echo "node $2 is not running"
    fi
    ;;
  restart)
    check_node_number "${2:-}"
    stop_node "$2"
    start_node "$2"
    await_ready "$2"
    ;;
  rolling-restart)
    for i in $(seq 1 "$nodes"); do
      stop_node "$i"
      start_node "$i"
      await_ready "$i"
    done
    ;;
  *)
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
