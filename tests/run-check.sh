#!/bin/sh
# make check: run every layer, report each, fail when any failed.
# Usage: tests/run-check.sh BUILD_DIR MAKE
B=$1
MAKE=${2:-make}
pass=0
fail=0
failed=""
layer() {
	name=$1
	shift
	echo "=== $name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "=== $name FAILED"
	fi
}
layer unit $MAKE --no-print-directory check-unit
layer asan $MAKE --no-print-directory check-asan
layer golden $MAKE --no-print-directory check-golden
layer man $MAKE --no-print-directory check-man
layer dump sh tests/dump/run.sh "$B"
layer top $MAKE --no-print-directory check-top
layer report sh tests/report/run.sh "$B"
layer tshark sh tests/capture/tshark.sh "$B"
layer wireshark sh tests/wireshark/run.sh "$B"
layer pkgconfig $MAKE --no-print-directory check-pkgconfig
layer fuzz-corpus $MAKE --no-print-directory check-fuzz-corpus
layer replay sh tests/replay/run.sh "$B"
layer wire sh tests/wire/run.sh "$B"
layer wire-poll env WIRE_SERVE_ARGS="--poll-us 100" sh tests/wire/run.sh "$B"
layer capture-proxy sh tests/capture-proxy/run.sh "$B"
layer e2e $MAKE --no-print-directory check-e2e
layer e2e-proxy env E2E_PROXY=1 $MAKE --no-print-directory check-e2e
echo
[ -n "$failed" ] && echo "failed layers:$failed"
echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
