#!/usr/bin/env bash
# Runs a command with its output in FILE (shown as it comes), SECONDS at most. A hang must not eat CI's 90 minutes
# without a word: at the deadline this prints the process tree and, for each test process, every thread's backtrace
# (gdb), flushes that process's buffered output, then stops the command and everything it started; exit 124.
# The output goes to a file, not a pipe, so that a daemon a test left behind cannot hold the end of it open.
# Usage: scripts/bounded.sh SECONDS FILE COMMAND...
set -u
seconds="$1" out="$2"
shift 2
: >"$out"
setsid "$@" >"$out" 2>&1 </dev/null &
pid=$!
tail -n +1 -f --pid="$pid" "$out" &
shower=$!
(
    for _ in $(seq "$seconds"); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 1
    done
    {
        echo "TIMEOUT: $* did not end in $seconds s; the processes it started:"
        ps -o pid,ppid,etimes,stat,args --forest -g "$pid" || ps -ef --forest
        for test in $(pgrep -s "$pid" -f 'PackageTests\.xctest|swiftpm-testing-helper' || true); do
            echo "--- threads of $test ($(tr '\0' ' ' <"/proc/$test/cmdline" | cut -c1-160)):"
            if command -v gdb >/dev/null; then
                gdb -p "$test" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt 25' \
                    -ex 'call (int)fflush(0)' 2>/dev/null | grep -E '^(Thread|#)' | cut -c1-220
            else
                echo "(gdb missing: no backtraces)"
            fi
        done
    } >>"$out" 2>&1
    sleep 2
    kill -TERM -- "-$pid" 2>/dev/null
    sleep 5
    kill -KILL -- "-$pid" 2>/dev/null
) &
watchdog=$!
wait "$pid"
status=$?
wait "$watchdog" 2>/dev/null
wait "$shower" 2>/dev/null
# The watchdog fired: its report is in FILE, and the command's status (killed) says 124.
grep -q '^TIMEOUT: ' "$out" && exit 124
exit "$status"
