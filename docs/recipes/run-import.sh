#!/bin/sh
# run-import.sh INPUT [import flags...]
#
# Runs `emporix-import import INPUT ...` for cron, systemd and Kubernetes, and
# adds --resume when the previous attempt did not finish: killed (kill -9, OOM,
# node loss, pod eviction), interrupted (exit 130) or aborted by --max-errors /
# --stop-on-error (exit 4). The marker file lives in STATE_DIR, which must be
# the same persistent directory on every attempt (the journal is beside the
# report, by default in ./reports/.journal: run from that directory too).
#
# No flock is needed: emporix-import itself takes an exclusive per-tenant lock
# and a second run exits 1 naming the holder.
#
# Environment: EMPORIX_IMPORT (binary, default emporix-import), STATE_DIR
# (default .). The exit status is emporix-import's.
set -u

input=${1:?usage: run-import.sh INPUT [import flags...]}
shift
bin=${EMPORIX_IMPORT:-emporix-import}
marker=${STATE_DIR:-.}/.emporix-import-unfinished

if [ -e "$marker" ]; then
	echo "run-import: the previous run did not finish: resuming" >&2
	set -- --resume "$@"
fi
touch "$marker" || exit 1

"$bin" import "$input" "$@"
rc=$?

case $rc in
4 | 130) ;; # resumable: keep the marker, the next attempt passes --resume
*) rm -f "$marker" ;;
esac
exit $rc
