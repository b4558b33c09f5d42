#!/bin/sh
# Hostile-input suite: generates each file of cmd/emporix-import's
# hostileCases (up to ~1.3 GB in a temporary directory, removed on exit or
# interrupt), runs `validate` on it under /usr/bin/time -v and checks the exit
# code, peak RSS <= 200 MB and CPU time (user + system) <= 10 s. CPU time, not
# wall time: on a shared 2-core CI machine the wall time depends on the load,
# the CPU a run needs does not. Wall time is printed for reference.
# Prints a Markdown table (README's reliability section).
# A run still going after HOSTILE_MAX_WALL_S (300 s: a hang, or a machine far
# too busy) is killed and fails. HOSTILE_MAX_RSS_MB and HOSTILE_MAX_CPU_S
# override the other bounds.
set -eu
max_mb=${HOSTILE_MAX_RSS_MB:-200}
max_cpu=${HOSTILE_MAX_CPU_S:-10}
max_wall=${HOSTILE_MAX_WALL_S:-300}
[ -x /usr/bin/time ] || { echo "hostile.sh: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM HUP
go build -o "$dir/emporix-import" ./cmd/emporix-import
EMPORIX_HOSTILE_DIR="$dir" go test -count=1 -run '^TestWriteHostileFiles$' ./cmd/emporix-import/ >/dev/null
fail=0
echo "| Input | Exit | Peak RSS | Wall time | CPU time | Outcome |"
echo "|---|---|---|---|---|---|"
while IFS="$(printf '\t')" read -r file want what; do
	report="$dir/report-$file.csv"
	case "$file" in wide-*) report="$dir/report-$file.xlsx" ;; esac
	set +e
	timeout "$max_wall" /usr/bin/time -v "$dir/emporix-import" validate "$dir/$file" --quiet --report "$report" \
		>"$dir/out" 2>"$dir/err"
	code=$?
	set -e
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/err")
	secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/err")
	msg=$(grep -v '^\s' "$dir/err" | grep -v 'Command exited' | head -1 | cut -c1-110)
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$dir/err")
	mb=$((${rss:-0} / 1024))
	sec=$(echo "$secs" | awk -F: '{ printf "%.1f", ($1 * 60) + $2 }')
	ok=ok
	if [ "$code" != "$want" ]; then ok="FAIL (want exit $want)"; fi
	if [ "$code" = 124 ]; then ok="FAIL (killed after $max_wall s)"; fi
	if [ "$mb" -gt "$max_mb" ]; then ok="FAIL (over $max_mb MB)"; fi
	if [ "$(echo "$cpu $max_cpu" | awk '{ print ($1 > $2) }')" = 1 ]; then ok="FAIL (over $max_cpu s CPU)"; fi
	[ "$ok" = ok ] || fail=1
	echo "| $what | $code | $mb MB | $sec s | $cpu s | $ok: $msg |"
	rm -f "$dir/$file"
done <"$dir/MANIFEST"
exit $fail
