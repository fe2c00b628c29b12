#!/usr/bin/env bash
# Produces the README's operator's guide transcript: the dictdb-backup CLI
# on a copy of the sample backups in examples/operator/testdata/ops, which
# examples/operator wrote with a fixed clock
# (go run ./examples/operator -dir ops -start 2026-01-05T09:00:00Z, then
# ops/primary and ops/key.txt kept). It needs no server. Every command runs
# as shown, in a fresh directory, with relative paths and none of the
# DICTDB_* variables of the caller's environment, so the transcript is the
# same on every run and machine; nothing is edited afterwards.
#
#   scripts/operator-guide.sh                  print the transcript
#   scripts/operator-guide.sh --check          fail unless README.md shows exactly it
#   scripts/operator-guide.sh --update-readme  put it into README.md
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
readme=$root/README.md

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/dictdb-backup" ./cmd/dictdb-backup
mkdir "$work/guide"
cp -R examples/operator/testdata/ops "$work/guide/ops"
chmod 600 "$work/guide/ops/key.txt"

out=$work/transcript.txt
: >"$out"
unset DICTDB_BACKUP_URL DICTDB_IDENTITY_FILE DICTDB_PASSPHRASE
export PATH="$work/bin:$PATH"
cd "$work/guide"

# show prints a command as typed, then runs exactly that (in this shell, so
# that an export lasts) and prints its output and a non-zero exit status.
show() {
  echo "\$ $1" >>"$out"
  local status=0
  eval "$1" >>"$out" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "(exit status $status)" >>"$out"
  fi
}

show "ls ops ops/primary"
show "dictdb-backup list ops/primary"
show "dictdb-backup list --identity ops/key.txt ops/primary"
show "export DICTDB_BACKUP_URL=ops/primary DICTDB_IDENTITY_FILE=ops/key.txt"
show "dictdb-backup verify"
show "dictdb-backup inspect dictdb_delta_1767610200_000000.json.zst.age"
show "dictdb-backup restore --out orders.json"
show "dictdb-backup restore --seq 4000 --json --out orders-4000.json"
show "dictdb-backup prune --keep-last 2"
show "dictdb-backup prune --keep-last 2 --yes"
show "dictdb-backup list"
show "rm ops/primary/dictdb_delta_1767609600_000000.json.zst.age"
show "dictdb-backup verify"
show "dictdb-backup restore --out orders.json --force"
show "dictdb-backup restore --out orders.json --force --time 2026-01-05T10:30:00.000000Z"
show "dictdb-backup verify ops/primray"

# block prints README.md's transcript, between the markers, without the
# code fence.
block() {
  awk '/^<!-- transcript:start -->$/ {in_block = 1; next}
       /^<!-- transcript:end -->$/ {in_block = 0}
       in_block' "$readme" | sed '1{/^```console$/d}; ${/^```$/d}'
}

case "${1:-}" in
--check)
  if ! diff -u <(block) "$out" >"$work/diff"; then
    echo "operator-guide: README.md's transcript differs from what scripts/operator-guide.sh prints:" >&2
    cat "$work/diff" >&2
    echo "operator-guide: run scripts/operator-guide.sh --update-readme" >&2
    exit 1
  fi
  echo "operator-guide: README.md's transcript is what the commands print"
  ;;
--update-readme)
  awk -v t="$out" '/^<!-- transcript:start -->$/ {print; print "```console"; while ((getline line < t) > 0) print line; print "```"; skip = 1; next}
       /^<!-- transcript:end -->$/ {skip = 0}
       !skip' "$readme" >"$work/README.md"
  cp "$work/README.md" "$readme"
  echo "README.md updated"
  ;;
"")
  cat "$out"
  ;;
*)
  echo "usage: scripts/operator-guide.sh [--check | --update-readme]" >&2
  exit 2
  ;;
esac
