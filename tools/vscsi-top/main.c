/*
 * vscsi-top: a live viewer of virtio-scsi traffic, in the manner of top(1).
 * Options and run modes; see vscsi-top(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "top.h"

static void usage(FILE *f)
{
	fputs("usage: vscsi-top -r FILE [--speed F | --follow] [options]\n"
	      "       vscsi-top --monitor SOCKET [options]\n"
	      "  -r, --read FILE      a capture file (.pcap.zst or .pcap)\n"
	      "  -S, --speed F        play it F times its own pace (default 1);\n"
	      "                       0: as fast as possible\n"
	      "  -F, --follow         a file still being written: read it live\n"
	      "  -m, --monitor SOCK   the capture proxy's monitor socket\n"
	      "  -d, --delay SECS     refresh interval (default 1)\n"
	      "  -b, --batch          plain text per interval, no screen\n"
	      "  -n, --count N        batch: stop after N intervals\n"
	      "  -v, --views LIST     views: luns,queues,opcodes,inflight,\n"
	      "                       errors,latency, 1-6 or all (the first\n"
	      "                       one opens the screen; batch prints all)\n"
	      "  -f, --filter EXPR    filter (see vscsi-top(1))\n"
	      "  -l, --lun T:N        select a LUN for the other views\n"
	      "  -o, --opcode NAME    select an opcode (latency view)\n"
	      "  -s, --sort COLUMN    sort the first view by COLUMN\n"
	      "  -R, --reverse        reverse the sort\n"
	      "  -t, --totals         figures since the start, not per interval\n"
	      "      --rows N         batch: at most N rows of a view\n"
	      "      --no-color       no colour\n"
	      "  -V, --version        print the version\n"
	      "  -h, --help           this text\n", f);
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return end == s || *end || errno ? -1 : 0;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return end == s || *end || errno ? -1 : 0;
}

/* "luns,errors" or "all" -> bit mask; first view in *first. */
static int parse_views(const char *s, unsigned *mask, unsigned *first)
{
	char buf[256], *tok, *save = NULL;
	int any = 0;

	if (!strcmp(s, "all")) {
		*mask = (1u << VIEW_COUNT) - 1;
		*first = VIEW_LUNS;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int v = view_lookup(tok);

		if (v < 0)
			return -1;
		if (!any)
			*first = (unsigned)v;
		any = 1;
		*mask |= 1u << v;
	}
	return any ? 0 : -1;
}

/* The filter, with a caret under the column an error names. */
int top_apply_selection(const top_opts *o, model *m)
{
	char err[256];
	size_t col = 0;
	uint64_t key;

	if (o->filter &&
	    model_set_filter(m, o->filter, err, sizeof(err), &col) != VSCSI_OK) {
		fprintf(stderr, "%s: filter: %s\n", TOP_NAME, err);
		if (col) {
			fprintf(stderr, "  %s\n  %*s^\n", o->filter, (int)col - 1,
				"");
		}
		return -1;
	}
	if (o->lun) {
		if (fmt_parse_lun(o->lun, &key)) {
			fprintf(stderr, "%s: --lun %s: a LUN is T:N or N\n",
				TOP_NAME, o->lun);
			return -1;
		}
		model_select_lun(m, 1, key);
	}
	if (o->opcode) {
		if (fmt_parse_op(o->opcode, &key)) {
			fprintf(stderr, "%s: --opcode %s: unknown opcode\n",
				TOP_NAME, o->opcode);
			return -1;
		}
		model_select_op(m, 1, key);
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_ROWS = 256, O_NO_COLOR };
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "speed", required_argument, NULL, 'S' },
		{ "follow", no_argument, NULL, 'F' },
		{ "monitor", required_argument, NULL, 'm' },
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "views", required_argument, NULL, 'v' },
		{ "filter", required_argument, NULL, 'f' },
		{ "lun", required_argument, NULL, 'l' },
		{ "opcode", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "totals", no_argument, NULL, 't' },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	top_opts o;
	model *m;
	source *src;
	char err[256];
	int c, rc, speed_set = 0;

	memset(&o, 0, sizeof(o));
	o.speed = 1;
	o.delay = 1;
	o.views = 1u << VIEW_LUNS;
	o.first_view = VIEW_LUNS;
	while ((c = getopt_long(argc, argv, "r:S:Fm:d:bn:v:f:l:o:s:RtVh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.file = optarg;
			break;
		case 'S':
			if (parse_double(optarg, &o.speed) || o.speed < 0 ||
			    o.speed > 1e6) {
				fprintf(stderr, "%s: --speed %s: a factor from "
					"0 to 1000000\n", TOP_NAME, optarg);
				return 2;
			}
			speed_set = 1;
			break;
		case 'F':
			o.follow = 1;
			break;
		case 'm':
			o.monitor = optarg;
			break;
		case 'd':
			if (parse_double(optarg, &o.delay) || !(o.delay >= 0.01) ||
			    o.delay > 86400) {
				fprintf(stderr, "%s: --delay %s: seconds from "
					"0.01 to 86400\n", TOP_NAME, optarg);
				return 2;
			}
			break;
		case 'b':
			o.batch = 1;
			break;
		case 'n':
			if (parse_long(optarg, &o.count) || o.count < 1) {
				fprintf(stderr, "%s: -n %s: a count from 1\n",
					TOP_NAME, optarg);
				return 2;
			}
			break;
		case 'v':
			if (parse_views(optarg, &o.views, &o.first_view)) {
				fprintf(stderr, "%s: --views %s: unknown view\n",
					TOP_NAME, optarg);
				return 2;
			}
			break;
		case 'f':
			o.filter = optarg;
			break;
		case 'l':
			o.lun = optarg;
			break;
		case 'o':
			o.opcode = optarg;
			break;
		case 's':
			o.sort = optarg;
			break;
		case 'R':
			o.reverse = 1;
			break;
		case 't':
			o.totals = 1;
			break;
		case O_ROWS:
			if (parse_long(optarg, &o.rows) || o.rows < 1) {
				fprintf(stderr, "%s: --rows %s: a count from 1\n",
					TOP_NAME, optarg);
				return 2;
			}
			break;
		case O_NO_COLOR:
			o.no_color = 1;
			break;
		case 'V':
			printf("vscsi-top %s\n", vscsi_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !o.file == !o.monitor) {
		if (optind < argc)
			fprintf(stderr, "%s: unexpected argument '%s'\n",
				TOP_NAME, argv[optind]);
		else
			fprintf(stderr, "%s: give -r FILE or --monitor SOCKET "
				"(one of them)\n", TOP_NAME);
		usage(stderr);
		return 2;
	}
	if (o.follow && (!o.file || speed_set)) {
		fprintf(stderr, "%s: --follow goes with -r FILE and no "
			"--speed\n", TOP_NAME);
		return 2;
	}
	if (speed_set && !o.file) {
		fprintf(stderr, "%s: --speed goes with -r FILE\n", TOP_NAME);
		return 2;
	}
	if (o.sort && view_sort_lookup(o.first_view, o.sort) < 0) {
		fprintf(stderr, "%s: --sort %s: the %s view has no such "
			"column\n", TOP_NAME, o.sort, view_name(o.first_view));
		return 2;
	}
	if (!o.batch && o.delay < 0.1) {
		fprintf(stderr, "%s: --delay: at least 0.1 s on the screen\n",
			TOP_NAME);
		return 2;
	}
	if (!o.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "%s: not a terminal; use -b for batch mode\n",
			TOP_NAME);
		return 2;
	}

	m = model_new();
	if (!m) {
		fprintf(stderr, "%s: out of memory\n", TOP_NAME);
		return 1;
	}
	if (top_apply_selection(&o, m)) {
		model_free(m);
		return 2;
	}
	src = src_open(&o, m, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "%s: %s\n", TOP_NAME, err);
		model_free(m);
		return 1;
	}
	rc = o.batch ? batch_run(&o, m, src) : screen_run(&o, m, src);
	src_close(src);
	model_free(m);
	return rc;
}
