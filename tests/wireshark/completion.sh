#!/bin/bash
# Bash completion for vscsi-dump, vscsi-capture, vscsi-replay and vscsi-top
# (completion/): each file sources cleanly and registers its function; the
# functions, called with COMP_WORDS / COMP_CWORD set as bash sets them, offer
# the options, files and filter words expected; every filter word they
# offer compiles in libvscsi-decode's filter language, and every field of
# the language is offered.
# For each tool already built in BIN_DIR, the option list a completion file
# falls back on (when the tool is not on PATH) holds every option of the
# tool's --help.
# Usage: tests/wireshark/completion.sh CHECK_WORDS [BIN_DIR]   (from the top
# of the tree; CHECK_WORDS is the built tests/wireshark/check_words.c).
# Prints one line per check and ends with "completion: N passed, N failed".
set -u
top=$(pwd)
words_bin=${1:?usage: completion.sh CHECK_WORDS [BIN_DIR]}
bin_dir=${2:-build/bin}
comp=$top/completion
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - completion: $*"; }
bad() { fail=$((fail + 1)); echo "not ok - completion: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/files/sub" "$tmp/bin"
for f in a.pcap.zst b.pcap c.txt r.html j.json x.xml; do
	: >"$tmp/files/$f"
done

# run one completion in a clean bash: TOOL WORD... (the last word is the
# one being completed); prints the candidates one per line
complete_words() {
	local tool=$1
	(cd "$tmp/files" && PATH="$tmp/bin:/usr/bin:/bin" bash --norc -c '
		. "$1/$2" || exit 9
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		fn=$(complete -p "$1" 2>/dev/null | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || exit 8
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$comp" "$tool" "$@")
}

# expect DESCRIPTION "WANTED;..." "UNWANTED;..." TOOL WORD...
expect() {
	local desc=$1 want=$2 unwant=$3 got w
	shift 3
	got=$(complete_words "$@" 2>&1)
	local IFS=';'
	for w in $want; do
		if ! printf '%s\n' "$got" | grep -qxF -- "$w"; then
			bad "$desc: '$w' not offered (got: $(printf '%s' "$got" | tr '\n' ' '))"
			return
		fi
	done
	for w in $unwant; do
		if printf '%s\n' "$got" | grep -qxF -- "$w"; then
			bad "$desc: '$w' offered"
			return
		fi
	done
	ok "$desc"
}

for t in vscsi-dump vscsi-capture vscsi-replay vscsi-top; do
	if bash -n "$comp/$t" && bash --norc -c ". '$comp/$t' && complete -p $t" >/dev/null 2>"$tmp/err" &&
		! [ -s "$tmp/err" ]; then
		ok "$t sources cleanly and registers"
	else
		bad "$t does not source cleanly: $(cat "$tmp/err")"
	fi
done

# vscsi-dump
expect "dump: capture files and folders" "a.pcap.zst;b.pcap;sub" "c.txt;r.html" vscsi-dump ""
expect "dump: long option" "--stats" "--follow" vscsi-dump --st
expect "dump: short options" "-j;-f;-c;-v;-t;-s;-i;-F" "" vscsi-dump -
expect "dump: --time modes" "rel;abs;epoch;delta;none" "" vscsi-dump --time ""
expect "dump: --report takes html" "r.html;sub" "a.pcap.zst" vscsi-dump --report ""
expect "dump: --export formats" "fio;csv" "" vscsi-dump --export ""
expect "dump: --filter=VALUE form" "status;sense.key" "a.pcap.zst" vscsi-dump --filter = s
expect "dump: filter field" "status" "" vscsi-dump -f "'st"
expect "dump: filter value after ==" "status == check_condition" "" vscsi-dump -f "'status == ch"
expect "dump: filter field after and" "lat > 1ms and status" "" vscsi-dump -f "'lat > 1ms and st"
expect "dump: filter operators after a field" "op ==;op !=;op >=" "" vscsi-dump -f "'op "
expect "dump: filter and/or after a value" "status == good and;status == good or" "" vscsi-dump -f "'status == good "
expect "dump: filter op names" "op == read10;op == read16" "op == write10" vscsi-dump -f "'op == read1"
expect "dump: filter sense keys" "sense.key == medium_error" "" vscsi-dump -f "'sense.key == med"
expect "dump: filter inside parentheses" "(tmf == abort_task" "" vscsi-dump -f "'(tmf == abort_task"
expect "dump: unquoted op==VALUE, split at =" "write10;write16" "read10" vscsi-dump -f op == wr
expect "dump: unquoted one word" "op==write10" "" vscsi-dump -f op==write1
# vscsi-capture
expect "capture: options" "--listen;--connect;--write;--snaplen;--no-data;--monitor" "" vscsi-capture --
expect "capture: -w takes capture files" "a.pcap.zst;b.pcap;sub" "c.txt" vscsi-capture -w ""
expect "capture: -l takes any file (sockets)" "c.txt;a.pcap.zst" "" vscsi-capture -l ""
expect "capture: --monitor takes any file" "c.txt" "" vscsi-capture --monitor ""
# vscsi-replay
expect "replay: options" "--serve;--lun;--ctl;--queues;--vhost-user;--map;--timing;--dry-run;--write;--report-json;--report-junit" "" vscsi-replay --
expect "replay: --lun PATH,options" "img,ro;img,bs=512;img,bs=4096" "" vscsi-replay --lun 0 : 1 = img,
expect "replay: --ctl commands" "add;remove;resize;list" "" vscsi-replay --ctl s ""
expect "replay: --ctl add T:L=PATH" "c.txt" "" vscsi-replay --ctl s add 0 : 1 = ""
expect "replay: --serve takes any file (socket)" "c.txt" "" vscsi-replay --serve ""
expect "replay: --timing" "asap;original;scale=" "" vscsi-replay --timing ""
cpu0=$(awk '/^Cpus_allowed_list/ { split($2, a, /[-,]/); print a[1] }' /proc/self/status)
expect "replay: --cpus offers the CPUs" "$cpu0" "c.txt" vscsi-replay --cpus ""
expect "replay: --poll-us offers nothing" "" "c.txt" vscsi-replay --poll-us ""
expect "replay: --lun T:L=PATH path" "c.txt;sub" "" vscsi-replay --lun 0 : 1 = ""
expect "replay: --lun T:L before = offers nothing" "" "c.txt" vscsi-replay --lun 0 : ""
expect "replay: --report-junit takes xml" "x.xml;sub" "j.json" vscsi-replay --report-junit ""
expect "replay: --report-json takes json" "j.json" "x.xml" vscsi-replay --report-json ""
expect "replay: capture argument" "a.pcap.zst" "c.txt" vscsi-replay --write ""
expect "replay: filter" "attr == ordered" "" vscsi-replay -f "'attr == or"
# vscsi-top
expect "top: options" "--monitor;-m;-r;-S;--speed;-F;--follow;-b;-n;-d;-v;-o;-s;-R;-t;--rows;--no-color" "" vscsi-top -
expect "top: -r takes capture files" "a.pcap.zst;sub" "c.txt" vscsi-top -r ""
expect "top: --views list" "luns,errors;luns,latency" "luns,luns2" vscsi-top --views luns,
expect "top: --opcode names" "write10;write16" "read10" vscsi-top -o write1
expect "top: filter" "class == unmap" "" vscsi-top -f "'class == un"

# a tool on PATH: its --help decides the options
cat >"$tmp/bin/vscsi-top" <<'EOF'
#!/bin/sh
echo "usage: vscsi-top [--frobnicate] [-Z N] --monitor SOCKET"
EOF
chmod +x "$tmp/bin/vscsi-top"
expect "top: options read from --help of the installed tool" "--frobnicate;-Z;--monitor" "--speed" vscsi-top -
rm -f "$tmp/bin/vscsi-top"

# a built tool's options are all in its file's fallback list
for t in vscsi-dump vscsi-capture vscsi-replay vscsi-top; do
	[ -x "$bin_dir/$t" ] || continue
	opts=$("$bin_dir/$t" --help 2>&1 </dev/null | tr -s ' \t,[]|=()' '\n' |
		grep -E '^(-[A-Za-z0-9]|--[A-Za-z0-9][-A-Za-z0-9]*)$' | sort -u)
	var="_$(printf '%s' "$t" | tr - _)_options"
	static=$(bash --norc -c '. "$1/$2"; printf "%s" "${!3}"' sh "$comp" "$t" "$var")
	missing=
	for o in $opts; do
		case " $(printf '%s' "$static" | tr '\n' ' ') " in
		*" $o "*) ;;
		*) missing="$missing $o" ;;
		esac
	done
	if [ -n "$opts" ] && [ -z "$missing" ]; then
		ok "$t: the file lists all $(printf '%s\n' "$opts" | wc -l) options of the built tool's --help"
	else
		bad "$t: options of the built tool missing from completion/$t:$missing"
	fi
done

# every filter word offered compiles, and every field is offered
bash --norc -c '
	. "$1/vscsi-trace-common"
	for f in $_vscsi_filter_fields; do echo "$f -"; done
	for k in status response sense_key tmf type attr class op; do
		v=_vscsi_filter_values_$k
		for x in ${!v}; do echo "${k/sense_key/sense.key} $x"; done
	done' sh "$comp" >"$tmp/words"
if out=$("$words_bin" <"$tmp/words"); then
	ok "all $(wc -l <"$tmp/words") filter words compile in the library"
else
	bad "filter words the library refuses: $out"
fi
missing=
for f in $("$words_bin" -f); do
	grep -qx "$f -" "$tmp/words" || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "every filter field of the library is offered"
else
	bad "filter fields not offered:$missing"
fi

echo "completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
