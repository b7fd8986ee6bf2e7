#!/usr/bin/env bash
# Installs what the tests need, builds, and runs the whole test suite (Swift Testing).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
