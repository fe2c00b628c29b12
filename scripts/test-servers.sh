#!/usr/bin/env bash
# Starts or stops the object-store servers the integration tests use, all on
# 127.0.0.1: MinIO (:9000), fake-gcs-server (:4443) and Azurite (:10000).
#
#   scripts/test-servers.sh up     start them, wait until healthy, create the buckets,
#                                  and write the environment to $STATE/env.sh
#   scripts/test-servers.sh down   stop exactly the processes "up" started
#   scripts/test-servers.sh env    print the environment (source it: eval "$(scripts/test-servers.sh env)")
#
# Where a Docker engine runs, "up" uses docker compose (docker-compose.yml).
# Otherwise it runs the servers natively, building or installing them once
# into a cache folder (DICTDB_CACHE_DIR, default ./.cache, gitignored):
# MinIO and fake-gcs-server with `go install` (MinIO takes about 10 minutes
# on 2 cores the first time), Azurite from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
FAKE_GCS_VERSION=v1.56.1
AZURITE_VERSION=3.37.0

cache=${DICTDB_CACHE_DIR:-$root/.cache}
state=$root/.cache/servers
bin=$cache/bin
mkdir -p "$bin" "$state"

log() { echo "test-servers: $*" >&2; }

write_env() {
  cat >"$state/env.sh" <<ENV
export DICTDB_S3_ENDPOINT=http://127.0.0.1:9000
export DICTDB_S3_BUCKET=dictdb-test
export AWS_ACCESS_KEY_ID=minioadmin
export AWS_SECRET_ACCESS_KEY=minioadmin
export AWS_REGION=us-east-1
export STORAGE_EMULATOR_HOST=127.0.0.1:4443
export DICTDB_GCS_BUCKET=dictdb-test
export DICTDB_AZURE_DOMAIN=127.0.0.1:10000
export DICTDB_AZURE_CONTAINER=dictdb-test
export AZURE_STORAGE_ACCOUNT=devstoreaccount1
export AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
ENV
}

have_docker() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1
}

install_binaries() {
  if [ ! -x "$bin/minio" ]; then
    log "building MinIO $MINIO_VERSION into $bin (about 10 minutes the first time)"
    GOBIN=$bin GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION"
  fi
  if [ ! -x "$bin/fake-gcs-server" ]; then
    log "building fake-gcs-server $FAKE_GCS_VERSION into $bin"
    GOBIN=$bin GOFLAGS=-buildvcs=false go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  fi
  if [ ! -x "$cache/azurite/node_modules/.bin/azurite-blob" ]; then
    command -v npm >/dev/null 2>&1 || { log "npm is needed for Azurite (install Node.js 20+)"; exit 1; }
    log "installing azurite@$AZURITE_VERSION from npm into $cache/azurite"
    mkdir -p "$cache/azurite"
    (cd "$cache/azurite" && npm install --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION")
  fi
}

# start NAME CMD...: runs CMD in the background, logging to $state/NAME.log,
# and records its pid.
start() {
  local name=$1
  shift
  if [ -f "$state/$name.pid" ] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then
    log "$name already running (pid $(cat "$state/$name.pid"))"
    return
  fi
  "$@" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  log "started $name (pid $!)"
}

# wait_for NAME CHECK...: polls CHECK until it succeeds, for up to 60 s.
wait_for() {
  local name=$1
  shift
  for _ in $(seq 1 240); do
    if "$@" >/dev/null 2>&1; then
      log "$name is healthy"
      return
    fi
    if [ -f "$state/$name.pid" ] && ! kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then
      log "$name exited; its log:"
      tail -n 30 "$state/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.25
  done
  log "$name did not become healthy in 60 s; its log:"
  tail -n 30 "$state/$name.log" >&2 || true
  exit 1
}

http_answers() { # URL: any HTTP status means the server is serving
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)
  [ -n "$code" ] && [ "$code" != "000" ]
}

up() {
  write_env
  if have_docker; then
    log "Docker engine found: docker compose up"
    docker compose up -d --wait
    echo docker >"$state/mode"
  else
    install_binaries
    echo native >"$state/mode"
    mkdir -p "$state/minio-data" "$state/azurite-data"
    MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin MINIO_BROWSER=off \
      start minio "$bin/minio" server --quiet --address 127.0.0.1:9000 --console-address 127.0.0.1:9001 "$state/minio-data"
    start fake-gcs "$bin/fake-gcs-server" -scheme http -host 127.0.0.1 -port 4443 \
      -public-host 127.0.0.1:4443 -external-url http://127.0.0.1:4443 -backend memory -log-level warn
    start azurite "$cache/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 10000 \
      --location "$state/azurite-data" --skipApiVersionCheck --loose --silent
  fi
  wait_for minio curl -sf --max-time 2 http://127.0.0.1:9000/minio/health/live
  wait_for fake-gcs curl -sf --max-time 2 http://127.0.0.1:4443/storage/v1/b
  wait_for azurite http_answers "http://127.0.0.1:10000/devstoreaccount1?comp=list"
  # shellcheck disable=SC1091
  (. "$state/env.sh" && go run ./scripts/mkbuckets)
  log "buckets ready; environment in $state/env.sh"
}

down() {
  if [ "$(cat "$state/mode" 2>/dev/null)" = docker ]; then
    docker compose down -v || true
  fi
  for name in minio fake-gcs azurite; do
    local pidfile=$state/$name.pid
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      log "stopped $name (pid $pid)"
    fi
    rm -f "$pidfile"
  done
  rm -rf "$state/minio-data" "$state/azurite-data" "$state/mode"
}

case "${1:-}" in
up) up ;;
down) down ;;
env) write_env; cat "$state/env.sh" ;;
*) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
