#!/usr/bin/env bash
# The test suite under AddressSanitizer and ThreadSanitizer (issue 10): the parser thread and its bounded queue, the
# SFTP watchdogs, the spool's finisher queue and the signal handling are what TSan checks.
# Usage: scripts/sanitizers.sh [address] [thread]     (default both; separate build folders .build-asan, .build-tsan)
# Extra arguments for `swift test` (a --filter, say) go in SANITIZER_TEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
status=0
for kind in "${kinds[@]}"; do
    scratch=".build-${kind:0:1}san"
    echo "== swift test --sanitize=$kind ($scratch)"
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch" -Xswiftc -DSANITIZING >/dev/null
    # The tests start the aafd binary built beside them: the sanitized one.
    # shellcheck disable=SC2086
    # Leaks that are not aafd's: XCTest's in the test runner (scripts/lsan-suppressions.txt), TOMLKit's C++ shim in
    # the aafd processes the tests start (compiled into the sanitized binary, -DSANITIZING); any other leak fails.
    if ! LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0" \
        AAFD_SANITIZER="$kind" AAFD_BIN="$PWD/$scratch/debug/aafd" swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" -Xswiftc -DSANITIZING ${SANITIZER_TEST_ARGS:-} \
        > "$scratch/test-output.txt" 2>&1; then
        status=1
    fi
    grep -E "Test run with|ERROR: (AddressSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer|SUMMARY" "$scratch/test-output.txt" | sort | uniq -c | head -20
done
exit $status
