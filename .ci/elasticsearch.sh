#!/usr/bin/env bash
# Fetch, unpack and start a single-node Elasticsearch for the search suites.
# Facts behind every setting: ../shared/reference/elasticsearch.md (the
# integ-test zip from Maven Central runs on Java 17, refuses root, answers 405
# on GET /, so readiness is /_cluster/health).
#
# Usage: eval "$(.ci/elasticsearch.sh)"  -> exports NCERT_TEST_ELASTICSEARCH_URL
# and ES_HOME (the unpacked tree, for the outage test's own node). Anything that
# fails exits non-zero: CI never skips the Elasticsearch suite.
set -euo pipefail
# The server's version is pinned with the client's major version
# (pyproject: elasticsearch>=8.19,<9).
ES_VERSION="${ES_VERSION:-8.19.21}"
ES_PORT="${ES_PORT:-9250}"
ES_USER="${ES_USER:-ncert-es}"
ES_ROOT="${ES_ROOT:-/tmp/ncert-es}"
ES_HOME="$ES_ROOT/elasticsearch-$ES_VERSION"
URL="http://127.0.0.1:$ES_PORT"
log() { echo "$@" >&2; }

if curl -fsS "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
  log "Elasticsearch already answering at $URL"
else
  artifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
  zip="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
  if [ ! -f "$zip" ]; then
    log "== fetching $artifact"
    mvn -B -q dependency:get -Dartifact="$artifact" -Dtransitive=false >&2
  fi
  if [ ! -d "$ES_HOME" ]; then
    mkdir -p "$ES_ROOT"
    unzip -q -o "$zip" -d "$ES_ROOT"
  fi
  # Elasticsearch refuses to run as root: a system user owns the tree.
  id -u "$ES_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --create-home --shell /usr/sbin/nologin "$ES_USER"
  mkdir -p "$ES_HOME/tmp"
  chown -R "$ES_USER:$ES_USER" "$ES_ROOT"
  chmod o+x "$ES_ROOT"
  java_home="${ES_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
  log "== starting Elasticsearch $ES_VERSION on $URL"
  runuser -u "$ES_USER" -- env ES_JAVA_HOME="$java_home" ES_TMPDIR="$ES_HOME/tmp" \
    ES_JAVA_OPTS="-Xms512m -Xmx512m" \
    "$ES_HOME/bin/elasticsearch" -d -p "$ES_HOME/es.pid" \
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 -Ehttp.port="$ES_PORT" \
    -Expack.security.enabled=false \
    -Ecluster.routing.allocation.disk.threshold_enabled=false >&2
  ok=
  for _ in $(seq 1 90); do
    if curl -fsS "$URL/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 2
  done
  if [ -z "$ok" ]; then
    log "Elasticsearch did not reach yellow at $URL; its log:"
    tail -n 50 "$ES_HOME"/logs/*.log >&2 || true
    exit 1
  fi
fi
log "Elasticsearch ready at $URL"
echo "export NCERT_TEST_ELASTICSEARCH_URL=$URL"
echo "export ES_HOME=$ES_HOME"
