#!/usr/bin/env bash
# Runs every fuzz target of the project, one after another, each for
# ${FUZZTIME:-60s}. Without fuzzing, `go test` already runs their seed
# corpora (f.Add seeds and testdata/fuzz/<FuzzName>/ files) as plain tests.
#
# Usage: ./scripts/fuzz.sh                 every target, 60s each
#        FUZZTIME=10m ./scripts/fuzz.sh    longer
#        FUZZTIME=5000x ./scripts/fuzz.sh  a fixed number of inputs each
#        FUZZMINIMIZETIME=0 ./scripts/fuzz.sh
#             do not minimize new inputs (go test spends up to 60s minimizing
#             each one by default, which the exec counter shows as 0/sec)
#
# A failing input is written by `go test` to testdata/fuzz/<FuzzName>/ in the
# target's package; the script stops at the first failure and prints the
# command to reproduce it.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-60s}
minimize=()
if [ -n "${FUZZMINIMIZETIME:-}" ]; then
  minimize=(-fuzzminimizetime "$FUZZMINIMIZETIME")
fi

# package  target (listed explicitly: a new target must be added here)
targets=(
  "./internal/jsonv/ FuzzDecode"
  "./internal/jsonv/ FuzzRoundTrip"
  "./dictdb/ FuzzLoad"
  "./dictdb/ FuzzDecodeDelta"
  "./dictdb/ FuzzApplyDelta"
  "./catalog/ FuzzHeader"
  "./internal/cborv/ FuzzCBORDecode"
  "./internal/cborv/ FuzzRoundTrip"
  "./dictdb/ FuzzLoadBinary"
  "./catalog/ FuzzScanBinary"
)

for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "== $name ($pkg, $fuzztime)"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "${minimize[@]}" "$pkg"; then
    echo "fuzz.sh: $name failed; the input is in ${pkg}testdata/fuzz/$name/" >&2
    echo "fuzz.sh: reproduce with: go test -run '^$name\$' $pkg" >&2
    exit 1
  fi
done
echo "fuzz.sh: all ${#targets[@]} targets ran for $fuzztime each without failure"
