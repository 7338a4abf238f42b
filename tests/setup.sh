#!/bin/sh
# Installs, from Debian's archive, what qnum's build, tests, examples and benchmarks need — only what is missing.
# The library itself needs xsimd alone; the rest are the test framework, Google Benchmark and the reference
# libraries qnum is compared against (gemmlowp, XNNPACK, oneDNN, OpenBLAS), and an AArch64 cross compiler + qemu-user
# to run the NEON kernels' tests.
set -eu
packages="cmake g++ make libxsimd-dev doctest-dev libbenchmark-dev libgemmlowp-dev libxnnpack-dev libpthreadpool-dev
          libdnnl-dev libopenblas-dev g++-aarch64-linux-gnu qemu-user-static"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "qnum: installing$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
