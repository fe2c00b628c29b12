#!/usr/bin/env bash
# Runs every test the project has: formatting, vet, the check that README's
# operator's guide transcript is what the CLI prints, the unit tests and the
# integration tests against real MinIO, fake-gcs-server and Azurite (all with
# the race detector), and the examples, run from the repository root with
# relative directories as a user runs them. It starts the servers itself
# (scripts/test-servers.sh; the first run builds or installs them, MinIO
# taking about 10 minutes) and stops them when it ends, also on failure.
#
# Usage: ./scripts/test.sh          everything
#        ./scripts/test.sh -short   no servers: gofmt, vet, the transcript, the unit tests
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
go vet -tags integration ./integration/ ./cmd/...

echo "== operator's guide transcript (README.md)"
./scripts/operator-guide.sh --check

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

echo "== examples (from the repository root, relative directories)"
examples=./.cache/examples # gitignored
rm -rf "$examples"
trap 'rm -rf "$examples"; ./scripts/test-servers.sh down' EXIT
for ex in quickstart production restore operator continuous; do
  go run "./examples/$ex" -dir "$examples/$ex" >/dev/null
done
# The CLI reads what the operator example wrote, by relative paths.
go run ./cmd/dictdb-backup verify --identity "$examples/operator/key.txt" "$examples/operator/primary"
rm -rf "$examples"
echo "examples ran"
