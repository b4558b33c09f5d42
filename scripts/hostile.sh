#!/bin/sh
# Hostile-input suite: generates each file of cmd/emporix-import's
# hostileCases (several GB in a temporary directory), runs `validate` on it
# under /usr/bin/time -v and checks the exit code, peak RSS <= 200 MB and
# wall time <= 10 s (on a busy machine, judge by the CPU time column).
# Prints a Markdown table (README's reliability section).
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/emporix-import" ./cmd/emporix-import
EMPORIX_HOSTILE_DIR="$dir" go test -count=1 -run '^TestWriteHostileFiles$' ./cmd/emporix-import/ >/dev/null
fail=0
echo "| Input | Exit | Peak RSS | Wall time | CPU time | Outcome |"
echo "|---|---|---|---|---|---|"
while IFS="$(printf '\t')" read -r file want what; do
	report="$dir/report-$file.csv"
	case "$file" in wide-*) report="$dir/report-$file.xlsx" ;; esac
	set +e
	/usr/bin/time -v "$dir/emporix-import" validate "$dir/$file" --quiet --report "$report" \
		>"$dir/out" 2>"$dir/err"
	code=$?
	set -e
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/err")
	secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/err")
	msg=$(grep -v '^\s' "$dir/err" | grep -v 'Command exited' | head -1 | cut -c1-110)
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$dir/err")
	mb=$((rss / 1024))
	sec=$(echo "$secs" | awk -F: '{ printf "%.1f", ($1 * 60) + $2 }')
	ok=ok
	if [ "$code" != "$want" ] || [ "$mb" -gt 200 ] || [ "$(echo "$sec" | awk '{ print ($1 > 10) }')" = 1 ]; then ok="FAIL (want exit $want)"; fail=1; fi
	echo "| $what | $code | $mb MB | $sec s | $cpu s | $ok: $msg |"
	rm -f "$dir/$file"
done <"$dir/MANIFEST"
exit $fail
