#!/usr/bin/env bash
# Produces the README's operator guide transcript: examples/operator writes
# compressed, encrypted backups to MinIO, and the dictdb-backup CLI lists,
# verifies, restores and prunes them. It needs the test servers
# (./scripts/test-servers.sh up). With --update-readme it replaces the
# transcript between the markers in README.md; otherwise it prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
. .cache/servers/env.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/dictdb-backup" ./cmd/dictdb-backup
export PATH="$work/bin:$PATH"
prefix="guide-$(date +%s)"
URL="s3://$DICTDB_S3_BUCKET/$prefix?endpoint=$DICTDB_S3_ENDPOINT&use_path_style=true"

out="$work/transcript.txt"
# show prints a command as typed, then runs it and prints its output.
show() {
  local shown=$1
  shift
  echo "\$ $shown" >>"$out"
  (cd "$work" && "$@") >>"$out" 2>&1 || echo "(exit status $?)" >>"$out"
}

show "go run ./examples/operator -dir ops -url \"\$URL\" 2>/dev/null" \
  bash -c "cd '$PWD' && go run ./examples/operator -dir '$work/ops' -url '$URL' 2>/dev/null | sed 's#$work/##g; s#$prefix#db1#g'"
show "dictdb-backup list --identity ops/key.txt \"\$URL\"" dictdb-backup list --identity ops/key.txt "$URL"
show "dictdb-backup list \"\$URL\"" dictdb-backup list "$URL"
show "dictdb-backup verify --identity ops/key.txt \"\$URL\"" dictdb-backup verify --identity ops/key.txt "$URL"
show "dictdb-backup restore --identity ops/key.txt \"\$URL\" --out orders.json" dictdb-backup restore --identity ops/key.txt "$URL" --out orders.json
show "dictdb-backup prune --identity ops/key.txt --keep-last 2 \"\$URL\"" dictdb-backup prune --identity ops/key.txt --keep-last 2 "$URL"
show "dictdb-backup prune --identity ops/key.txt --keep-last 2 --yes \"\$URL\"" dictdb-backup prune --identity ops/key.txt --keep-last 2 --yes "$URL"
show "dictdb-backup list --identity ops/key.txt \"\$URL\"" dictdb-backup list --identity ops/key.txt "$URL"

# Readers see the prefix as db1 and the URL as $URL.
sed -i "s#$prefix#db1#g; s#$work/##g" "$out"

if [[ "${1:-}" == "--update-readme" ]]; then
  python3 - "$out" <<'PY'
import sys, re
t = open(sys.argv[1]).read()
r = open("README.md").read()
start, end = "<!-- transcript:start -->\n", "<!-- transcript:end -->"
i, j = r.index(start) + len(start), r.index(end)
open("README.md", "w").write(r[:i] + "```console\n" + t + "```\n" + r[j:])
PY
  echo "README.md updated"
else
  cat "$out"
fi
