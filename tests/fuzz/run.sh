#!/bin/sh
# Fuzz harness runner.
#   run.sh corpus BUILD          replay every seed and regression input once
#   run.sh fuzz BUILD SECONDS    fuzz each harness for SECONDS (new inputs go
#                                to BUILD/fuzz/work/NAME, never the repo)
# Prints one line per harness with the executions done.
set -u
mode=$1
B=$2
secs=${3:-10}
failed=0
n=0
for bin in "$B"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	n=$((n + 1))
	seeds=""
	for d in tests/fuzz/corpus/$name tests/fuzz/regress/$name; do
		[ -d "$d" ] && seeds="$seeds $d"
	done
	# extra libFuzzer flags for a harness, one line in tests/fuzz/NAME.flags
	flags=$(cat "tests/fuzz/$name.flags" 2>/dev/null || true)
	case $mode in
	corpus)
		files=$(for d in $seeds; do find "$d" -type f; done)
		if [ -z "$files" ]; then
			echo "fuzz-corpus: $name: no seeds"
			continue
		fi
		# shellcheck disable=SC2086
		if "$bin" $flags -runs=0 $files >"$B/fuzz/$name.log" 2>&1; then
			echo "fuzz-corpus: $name: $(echo "$files" | wc -l) inputs ok"
		else
			echo "fuzz-corpus: $name: FAILED (see $B/fuzz/$name.log)"
			tail -n 30 "$B/fuzz/$name.log"
			failed=$((failed + 1))
		fi
		;;
	fuzz)
		work=$B/fuzz/work/$name
		mkdir -p "$work"
		# shellcheck disable=SC2086
		"$bin" $flags -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$B/fuzz/" "$work" $seeds \
			>"$B/fuzz/$name.log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz/$name.log")
		if [ $rc -eq 0 ]; then
			echo "fuzz: $name: ${execs:-?} executions in ${secs}s, no crash"
		else
			echo "fuzz: $name: CRASH after ${execs:-?} executions (see $B/fuzz/$name.log)"
			grep -m5 -E 'ERROR|SUMMARY|Test unit written' "$B/fuzz/$name.log"
			failed=$((failed + 1))
		fi
		;;
	esac
done
echo "fuzz $mode: $n harnesses, $failed failed"
[ "$failed" -eq 0 ]
