#!/usr/bin/env bash
# The same mail-corpus job (parse the MIME message, find the InterNetX XML,
# extract ctid and status) in Rust (this project), Python (email +
# xml.etree) and Node (mailparser + fast-xml-parser), side by side:
# median µs per mail and our time / peer time. Writes target/peers.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="$root/events/mail"
cd "$root/bench/peers"
if [ ! -d node_modules ]; then
  npm install --no-audit --no-fund --silent
fi
ours=$(cd "$root" && cargo run --release --quiet -p bench -- mail-job)
python=$(python3 peer.py "$corpus" 50)
node=$(node peer.mjs "$corpus" 50)
python3 - "$ours" "$python" "$node" "$root/target/peers.json" <<'PY'
import json, sys
ours, *peers = (json.loads(a) for a in sys.argv[1:4])
print("| implementation | median µs per mail | ours / theirs | theirs / ours |")
print("|---|---|---|---|")
print(f"| {ours['implementation']} | {ours['median_us_per_mail']:.1f} | 1 | 1 |")
for p in peers:
    print(f"| {p['implementation']} | {p['median_us_per_mail']:.1f} | "
          f"{ours['median_us_per_mail'] / p['median_us_per_mail']:.3f} | "
          f"{p['median_us_per_mail'] / ours['median_us_per_mail']:.0f}× |")
json.dump({"ours": ours, "peers": peers}, open(sys.argv[4], "w"), indent=2)
PY
