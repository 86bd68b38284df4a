#!/usr/bin/env bash
# Set up, build, and analyse the bundled sample capture.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
scripts/build.sh >/dev/null
out=${OUT_DIR:-out}
mkdir -p "$out"
build/plainsight -r tests/data/sample.pcap -l "$out"
echo
echo "Events by type in $out/eve.json:"
python3 - "$out/eve.json" <<'PY'
import collections, json, sys
counts = collections.Counter(json.loads(line)["event_type"] for line in open(sys.argv[1]))
for kind, n in sorted(counts.items()):
    print(f"  {kind:10} {n}")
PY
echo "EVE output: $(cd "$out" && pwd)/eve.json"
