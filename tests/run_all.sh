#!/bin/sh
# Builds and runs every qnum test: a Release build with -Werror (tests, examples, benchmarks compiled, the
# single-header and packaging checks), then the tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# This is the README's test command; .ci/run calls it.
set -eu
cd "$(dirname "$0")/.."
tests/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j "$jobs"
ctest --test-dir build/release -j "$jobs" --output-on-failure

# -O1 without debug info keeps the instrumented build fast to compile; ASan/UBSan reports still name functions.
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DQNUM_SANITIZE=ON \
  -DQNUM_BUILD_BENCH=OFF
cmake --build build/sanitize -j "$jobs"
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
  ctest --test-dir build/sanitize -j "$jobs" --output-on-failure -LE no_sanitize
echo "qnum: all tests passed"
