/*
 * vscsi-dump: print and analyse virtio-scsi traffic recorded in a capture
 * (vscsi-capture(5)), one line per event, as JSON lines, or as summary
 * tables; see vscsi-dump(1). --demo decodes built-in example chains.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static void usage(FILE *f)
{
	fputs("usage: vscsi-dump [-jv] [-f EXPR] [-c N] [-t MODE] [--stats]\n"
	      "                  [--interval SECS] [--follow] [--strict] FILE\n"
	      "       vscsi-dump --report OUT.html [-f EXPR] [--strict] FILE\n"
	      "       vscsi-dump --export fio|csv [-f EXPR] [-c N] [--strict] FILE\n"
	      "       vscsi-dump --demo [-j] [-v|-vv]\n"
	      "  FILE              a capture (.pcap.zst or .pcap); - reads\n"
	      "                    standard input\n"
	      "  -j, --json        one JSON object per line\n"
	      "  -v, -vv           more fields (head, raw CDB, the record's\n"
	      "                    chain and digest); -vv adds hex dumps\n"
	      "  -f, --filter EXPR show only events that match EXPR\n"
	      "                    (e.g. \"op == read10 and lat > 1ms\")\n"
	      "  -c, --count N     stop after N events\n"
	      "  -t, --time MODE   rel (since the first record, the default),\n"
	      "                    abs (UTC date), epoch, delta, none\n"
	      "  -s, --stats       summary tables instead of events\n"
	      "  -i, --interval S  the tables per S seconds of capture time\n"
	      "  -F, --follow      keep reading a file that is still being\n"
	      "                    written, until interrupted\n"
	      "      --strict      a damaged or truncated file is an error\n"
	      "      --report OUT  write an HTML page of plots and tables\n"
	      "                    (- for standard output)\n"
	      "      --export FMT  fio (an iolog for fio --read_iolog) or\n"
	      "                    csv (one row per completed command)\n"
	      "      --demo        decode built-in example chains posted by a\n"
	      "                    simulated guest and answered by a toy device\n"
	      "  -V, --version     print the version\n"
	      "  -h, --help        this text\n", f);
}

/* A positive decimal number of seconds ("0.5", "2") in ns. */
static int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e9 || isnan(v))
		return -1;
	*ns = (uint64_t)llround(v * 1e9);
	return *ns ? 0 : -1;
}

static int parse_count(const char *s, uint64_t *n)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return -1;
	*n = v;
	return 0;
}

static int parse_time(const char *s, int *mode)
{
	static const char *const names[] = { "rel", "abs", "epoch", "delta",
					     "none" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*mode = i;
			return 0;
		}
	return -1;
}

/* Compile -f: a syntax error shows the text and points at the column. */
static int compile_filter(const char *expr, vscsi_filter **out)
{
	char msg[256];
	size_t col = 0, i;
	int rc = vscsi_filter_compile(expr, out, msg, sizeof(msg), &col);

	if (rc == VSCSI_OK)
		return 0;
	fprintf(stderr, "vscsi-dump: filter: %s\n", msg);
	if (rc == VSCSI_ERR_SYNTAX && col > 0 && strlen(expr) < 200 &&
	    !strchr(expr, '\n')) {
		fprintf(stderr, "  %s\n  ", expr);
		for (i = 1; i < col; i++)
			fputc(expr[i - 1] == '\t' ? '\t' : ' ', stderr);
		fputs("^\n", stderr);
	}
	return -1;
}

int main(int argc, char **argv)
{
	enum { OPT_DEMO = 256, OPT_STRICT, OPT_REPORT, OPT_EXPORT };
	static const struct option longopts[] = {
		{ "demo", no_argument, NULL, OPT_DEMO },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "filter", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "time", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "follow", no_argument, NULL, 'F' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "export", required_argument, NULL, OPT_EXPORT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char outbuf[1 << 16];
	const char *filter = NULL;
	dump_opts o;
	int c, demo = 0, status;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "jvf:c:t:si:FVh", longopts,
				NULL)) != -1) {
		switch (c) {
		case OPT_DEMO:
			demo = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'c':
			if (parse_count(optarg, &o.count)) {
				fprintf(stderr, "vscsi-dump: -c: '%s' is not a "
					"positive number\n", optarg);
				return DUMP_EXIT_FAIL;
			}
			break;
		case 't':
			if (parse_time(optarg, &o.time_mode)) {
				fprintf(stderr, "vscsi-dump: --time: '%s' is "
					"not rel, abs, epoch, delta or none\n",
					optarg);
				return DUMP_EXIT_FAIL;
			}
			break;
		case 's':
			o.stats = 1;
			break;
		case 'i':
			if (parse_seconds(optarg, &o.interval_ns)) {
				fprintf(stderr, "vscsi-dump: --interval: '%s' "
					"is not a positive number of seconds\n",
					optarg);
				return DUMP_EXIT_FAIL;
			}
			o.stats = 1;
			break;
		case 'F':
			o.follow = 1;
			break;
		case OPT_STRICT:
			o.strict = 1;
			break;
		case OPT_REPORT:
			o.report = optarg;
			break;
		case OPT_EXPORT:
			if (strcmp(optarg, "fio") == 0) {
				o.export_kind = DUMP_EXPORT_FIO;
			} else if (strcmp(optarg, "csv") == 0) {
				o.export_kind = DUMP_EXPORT_CSV;
			} else {
				fprintf(stderr, "vscsi-dump: --export: '%s' is "
					"not fio or csv\n", optarg);
				return DUMP_EXIT_FAIL;
			}
			break;
		case 'V':
			printf("vscsi-dump %s\n", vscsi_version());
			return DUMP_EXIT_OK;
		case 'h':
			usage(stdout);
			return DUMP_EXIT_OK;
		default:
			usage(stderr);
			return DUMP_EXIT_FAIL;
		}
	}
	if (demo) {
		if (optind < argc) {
			usage(stderr);
			return DUMP_EXIT_FAIL;
		}
		return dump_demo(&o);
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return DUMP_EXIT_FAIL;
	}
	o.path = argv[optind];
	if ((o.report || o.export_kind) &&
	    (o.stats || o.follow || (o.report && o.export_kind))) {
		fprintf(stderr, "vscsi-dump: --report and --export go with "
			"neither each other, --stats nor --follow\n");
		return DUMP_EXIT_FAIL;
	}
	if (filter && compile_filter(filter, &o.filter))
		return DUMP_EXIT_FAIL;
	o.filter_text = filter;
	/* a file still being written is read as it grows: show each line */
	if (o.follow && !o.stats)
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (o.report)
		status = dump_html(&o);
	else if (o.export_kind)
		status = dump_export(&o);
	else
		status = dump_file(&o);
	vscsi_filter_free(o.filter);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vscsi-dump: standard output: %s\n",
			strerror(errno));
		return DUMP_EXIT_FAIL;
	}
	return status;
}
