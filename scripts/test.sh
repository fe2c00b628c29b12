#!/usr/bin/env bash
# Runs every test the project has: formatting, vet, the unit tests and the
# integration tests against real MinIO, fake-gcs-server and Azurite (all with
# the race detector), and the examples. It starts the servers itself
# (scripts/test-servers.sh; the first run builds or installs them, MinIO
# taking about 10 minutes) and stops them when it ends, also on failure.
#
# Usage: ./scripts/test.sh          everything
#        ./scripts/test.sh -short   unit tests only, no servers
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "test.sh: Go is not installed (need Go 1.26 or newer: https://go.dev/doc/install)" >&2
  exit 1
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go vet"
go vet ./...
go vet -tags integration ./integration/

if [ "${1:-}" = -short ]; then
  echo "== go test -race (unit tests)"
  go test -race -count=1 ./...
  exit 0
fi

echo "== test servers"
trap './scripts/test-servers.sh down' EXIT
./scripts/test-servers.sh up
# shellcheck disable=SC1091
. .cache/servers/env.sh
export DICTDB_REQUIRE_INTEGRATION=1 # the servers are up: a skipped integration test is a failure

echo "== go test -race (unit and integration tests)"
go test -race -count=1 -timeout 30m -tags integration ./...

echo "== examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; ./scripts/test-servers.sh down' EXIT
for ex in quickstart production restore operator continuous; do
  go run "./examples/$ex" -dir "$tmp/$ex" >/dev/null
done
echo "examples ran"
