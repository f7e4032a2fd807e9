#!/usr/bin/env bash
# Rebuilds the committed BPF object crates/live/bpf/httpscope.bpf.o from its C source.
#
#   scripts/build-bpf.sh           rebuild it in place
#   scripts/build-bpf.sh --check   rebuild into a temporary file and fail if the committed
#                                  object differs (CI runs this)
#
# Needs Debian's clang, llvm (llvm-strip) and libbpf-dev. The object is reproducible: the
# source is named by a relative path and DWARF is stripped (BTF, which CO-RE needs, stays).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in clang llvm-strip; do
    command -v "$tool" >/dev/null || { echo "build-bpf: $tool is missing (apt-get install clang llvm libbpf-dev)" >&2; exit 1; }
done
[ -f /usr/include/bpf/bpf_helpers.h ] || { echo "build-bpf: libbpf headers are missing (apt-get install libbpf-dev)" >&2; exit 1; }
src=crates/live/bpf/httpscope.bpf.c
obj=crates/live/bpf/httpscope.bpf.o
out=$obj
if [ "${1:-}" = --check ]; then
    out=$(mktemp --suffix=.bpf.o)
    trap 'rm -f "$out"' EXIT
fi
clang -target bpf -mcpu=v3 -O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu \
    -fdebug-prefix-map="$PWD"=. -c "$src" -o "$out"
llvm-strip -g "$out"
if [ "${1:-}" = --check ]; then
    if ! cmp -s "$out" "$obj"; then
        echo "build-bpf: $obj is stale: run scripts/build-bpf.sh and commit the result" >&2
        exit 1
    fi
    echo "build-bpf: $obj is up to date ($(clang --version | head -1))"
fi
