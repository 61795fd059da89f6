#!/usr/bin/env bash
# memprobe.sh: peak RSS of the built binary on hostile 10 MB inputs
# (issue 11, "Memory on big pages"). Needs bash, python3 (to write the
# inputs and serve them on 127.0.0.1) and GNU time (/usr/bin/time).
# Usage: bash docs/memprobe.sh   (from the repository root)
set -euo pipefail
dir=$(mktemp -d /tmp/memprobe.XXXXXX)
trap 'kill "${srv:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/newswatch" ./cmd/newswatch
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
div = '<div>Kremlin statement word</div>'
n = (9_900_000 - 200) // len(div)
open(f'{d}/divs.html', 'w').write('<!DOCTYPE html><html><head><title>Divs</title></head><body>' + div * n + '</body></html>')
k = 9_900_000 // len('<div></div>')
open(f'{d}/deep.html', 'w').write('<!DOCTYPE html><html><head><title>Deep</title></head><body>' + '<div>' * k + 'Kremlin' + '</div>' * k + '</body></html>')
m = 10_000_000 // len('<a></a>')
open(f'{d}/nested.xml', 'w').write('<?xml version="1.0"?><rss version="2.0"><channel><title>N</title><item><title>Deep</title><link>http://127.0.0.1/n</link><description>Kremlin</description>' + '<a>' * m + '</a>' * m + '</item></channel></rss>')
open(f'{d}/feed-divs.xml', 'w').write('<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><item><title>Divs</title><link>http://127.0.0.1/f</link><description><![CDATA[' + div * n + ']]></description></item></channel></rss>')
open(f'{d}/listing.html', 'w').write('<html><body><ul><li><a href="/divs.html">Divs</a></li><li><a href="/deep.html">Deep</a></li></ul></body></html>')
PY
port=$((20000 + RANDOM % 20000))
(cd "$dir" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
srv=$!
sleep 1
cat > "$dir/newswatch.yaml" <<YAML
state: $dir/state.db
listen: ""
max_age: 87600h
retention: 87600h
sources:
  - name: feed-divs
    feed: http://127.0.0.1:$port/feed-divs.xml
  - name: pages
    page: http://127.0.0.1:$port/listing.html
    links: "li a"
  - name: big-listing
    page: http://127.0.0.1:$port/divs.html
    links: "div a"
rules:
  - name: kremlin
    query: Kremlin
YAML
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%M %e %x" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || true
  read -r kb secs code < <(tail -n 1 "$dir/time")
  printf "%-40s peak RSS %4d MB  %5.2f s  exit %s  matches %d\n" "$label" $((kb / 1024)) "$secs" "$code" "$(grep -ci kremlin "$dir/out" || true)"
}
for f in divs.html deep.html feed-divs.xml nested.xml; do
  measure "test FILE $f ($(($(stat -c %s "$dir/$f") / 1000)) kB)" "$dir/newswatch" test -query Kremlin "$dir/$f"
  measure "test URL  $f" "$dir/newswatch" test -query Kremlin "http://127.0.0.1:$port/$f"
done
# Undated items on a first fetch are recorded without an alert, so the
# once run shows no matches; its debug log shows what it read.
NEWSWATCH_DEBUG=1 measure "once (9.9 MB feed, listing, 3 big pages)" "$dir/newswatch" once -config "$dir/newswatch.yaml"
grep -o "msg=\"crawler: charset[^\"]*\" url=[^ ]*" "$dir/err" || true
