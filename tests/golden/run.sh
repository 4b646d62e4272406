#!/bin/sh
# Golden-output tests. tests/golden/cases.list has one case per line:
#   NAME  COMMAND...
# COMMAND runs from the repository top with $B/bin first in PATH; its stdout
# and exit status ("# exit N" appended) must equal tests/golden/expected/NAME.out.
# UPDATE=1 rewrites the expected files instead (review the diff!).
set -u
B=$1
PATH="$PWD/$B/bin:$PATH"
export PATH
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while read -r name cmd; do
	case $name in ''|'#'*) continue ;; esac
	exp=tests/golden/expected/$name.out
	(eval "$cmd"; echo "# exit $?") >"$tmp" 2>/dev/null
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$tmp" "$exp"
		pass=$((pass + 1))
		continue
	fi
	if [ -f "$exp" ] && cmp -s "$tmp" "$exp"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "golden: $name differs:"
		if [ -f "$exp" ]; then diff -u "$exp" "$tmp" | head -n 40; else echo "  (no $exp)"; fi
	fi
done < tests/golden/cases.list
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
