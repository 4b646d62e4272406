#!/bin/sh
# Run each Check suite binary given; print its summary; fail when any fails.
failed=0
n=0
for t in "$@"; do
	n=$((n + 1))
	if ! "$t"; then
		echo "FAILED: $t" >&2
		failed=$((failed + 1))
	fi
done
echo "unit: $n suites, $failed failed"
[ "$failed" -eq 0 ]
