#!/usr/bin/env bash
# Runs every test the project has: formatting, vet, the unit tests with the
# race detector, the examples, and the fuzz seed corpora (which run as normal
# tests). Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "test.sh: Go is not installed (need Go 1.26 or newer: https://go.dev/doc/install)" >&2
  exit 1
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ex in quickstart production restore; do
  go run "./examples/$ex" -dir "$tmp/$ex" >/dev/null
done
echo "examples ran"
