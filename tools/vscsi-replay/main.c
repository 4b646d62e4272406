/*
 * vscsi-replay: the replay device. It replays capture files against
 * file-backed LUNs (the built-in SCSI emulation) or into any
 * vhost-user-scsi back-end and verifies every completion (replay*.c,
 * verify.c, report.c); with --serve it is itself a live vhost-user-scsi
 * back-end over the same emulation (serve.c, sdev.c), and --ctl talks to a
 * running one (ctl.c).
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static void usage(FILE *f)
{
	fputs("usage: vscsi-replay [options] --lun T:L=PATH[,opts] ... FILE\n"
	      "       vscsi-replay [options] --vhost-user SOCKET FILE\n"
	      "       vscsi-replay -n [options] FILE\n"
	      "       vscsi-replay --serve SOCKET --lun T:L=PATH[,opts] ... "
	      "[--ctl CTLSOCKET]\n"
	      "                    [--queues N] [--poll-us US] [--cpus LIST] "
	      "[-v]\n"
	      "       vscsi-replay --ctl CTLSOCKET add T:L=PATH[,opts] | "
	      "remove T:L |\n"
	      "                    resize T:L | list | help\n"
	      "replay (FILE: a capture; every request issued again and "
	      "verified):\n"
	      "  --lun SPEC      a LUN of the built-in emulation (repeatable)\n"
	      "  --vhost-user SOCKET  replay into a vhost-user-scsi back-end\n"
	      "  --write         let commands that change the medium through\n"
	      "  --skip-writes   leave out commands that change the medium\n"
	      "  --map T:L=T:L   send the capture's LUN to another (repeatable)\n"
	      "  -f, --filter EXPR  only requests that match (vscsi-dump's "
	      "filters)\n"
	      "  --start SEC, --end SEC  a window, seconds from the capture's "
	      "start\n"
	      "  --timing asap|original|scale=F  when to issue (default asap)\n"
	      "  -j, --jobs N|auto  threads of an asap replay (auto: one per "
	      "CPU, up to 4)\n"
	      "  -n, --dry-run   print the plan, issue nothing\n"
	      "  --report-json FILE, --report-junit FILE  reports for tools "
	      "and CI\n"
	      "  --max-diffs N   differences listed in the text (default 20, "
	      "0: all)\n"
	      "  --digest-images print each LUN file's digest at the end\n"
	      "  --record FILE   write a capture of what was sent and answered\n"
	      "  -q, --quiet     only the result line\n"
	      "  exit status: 0 no difference, 1 differences, 2 an error\n"
	      "serve:\n"
	      "  --serve SOCKET  listen on a unix socket as a vhost-user-scsi "
	      "back-end\n"
	      "  --lun SPEC      a LUN: T:L=PATH[,ro][,bs=512|4096]"
	      "[,serial=S][,cdrom]\n"
	      "                  [,direct][,io=auto|inline|uring] "
	      "(repeatable)\n"
	      "  --ctl SOCKET    with --serve: a control socket; alone: send "
	      "it a command\n"
	      "  --queues N      request queues offered (default 16)\n"
	      "  --poll-us US    poll busy queues US microseconds before "
	      "sleeping (default 0)\n"
	      "  --cpus LIST     run each connection's thread on one CPU of "
	      "LIST, in turn\n"
	      "                  (as 0,2 or 1-3; pin polling threads away "
	      "from the guest's)\n"
	      "  -v, --verbose   log connections (-vv: every vhost-user "
	      "message);\n"
	      "                  with a replay: list every difference\n"
	      "  -V, --version   print the version\n"
	      "  -h, --help      this text\n",
	      f);
}

/*
 * A decimal count in [lo, hi] into *out; 0, or -1 after telling why
 * (the option's name, the range, and what else it takes: or_else).
 */
static int parse_count(const char *opt, const char *s, unsigned long lo,
		       unsigned long hi, const char *or_else, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end || n < lo || n > hi) {
		fprintf(stderr, "%s: %s %s: want %lu to %lu%s\n", REPLAY_PROG,
			opt, s, lo, hi, or_else);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/*
 * --cpus LIST: CPU numbers and ranges separated by commas ("1", "0,2",
 * "2-5"), each a CPU this process may run on, none twice; into cpus[]
 * (room for CPU_SETSIZE). The count, or -1 after telling why.
 */
static int parse_cpus(const char *s, unsigned *cpus)
{
	cpu_set_t allowed, seen;
	const char *p = s;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "%s: --cpus: cannot read this process's CPUs\n",
			REPLAY_PROG);
		return -1;
	}
	CPU_ZERO(&seen);
	for (;;) {
		unsigned long lo, hi, c;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		lo = hi = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo > hi)
			goto bad;
		for (c = lo; c <= hi; c++) {
			if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
				fprintf(stderr, "%s: --cpus %s: CPU %lu is not "
					"one this process may run on\n",
					REPLAY_PROG, s, c);
				return -1;
			}
			if (CPU_ISSET(c, &seen))
				goto bad;
			CPU_SET(c, &seen);
			cpus[n++] = (unsigned)c;
		}
		if (*p == 0)
			return (int)n;
		if (*p++ != ',')
			goto bad;
	}
bad:
	fprintf(stderr, "%s: --cpus %s: want CPU numbers and ranges such as "
		"0,2 or 1-3, each CPU once\n", REPLAY_PROG, s);
	return -1;
}

/* --timing asap|original|scale=F */
static int parse_timing(const char *s, replay_opts *r)
{
	char *end;
	double f;

	if (strcmp(s, "asap") == 0) {
		r->timing = REPLAY_ASAP;
		return 0;
	}
	if (strcmp(s, "original") == 0) {
		r->timing = REPLAY_ORIGINAL;
		return 0;
	}
	if (strncmp(s, "scale=", 6) != 0)
		return -1;
	f = strtod(s + 6, &end);
	if (end == s + 6 || *end || !(f > 0) || f > 1e6)
		return -1;
	r->timing = REPLAY_SCALE;
	r->scale = f;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "serve", required_argument, NULL, 'S' },
		{ "lun", required_argument, NULL, 'L' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "vhost-user", required_argument, NULL, 'U' },
		{ "write", no_argument, NULL, 'W' },
		{ "skip-writes", no_argument, NULL, 'K' },
		{ "map", required_argument, NULL, 'M' },
		{ "filter", required_argument, NULL, 'f' },
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "timing", required_argument, NULL, 'T' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "report-json", required_argument, NULL, 'J' },
		{ "report-junit", required_argument, NULL, 'X' },
		{ "max-diffs", required_argument, NULL, 'D' },
		{ "digest-images", no_argument, NULL, 'G' },
		{ "record", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned cpus[CPU_SETSIZE];
	serve_opts o;
	replay_opts ro;
	const char **luns, **maps;
	int c, rc, jobs_set = 0;

	memset(&o, 0, sizeof(o));
	memset(&ro, 0, sizeof(ro));
	ro.max_diffs = 20;
	ro.jobs = -1;
	o.queues = SDEV_DEFAULT_QUEUES;
	o.poll_us = SDEV_DEFAULT_POLL_US;
	luns = calloc((size_t)argc, sizeof(*luns));
	maps = calloc((size_t)argc, sizeof(*maps));
	if (!luns || !maps) {
		fprintf(stderr, "%s: out of memory\n", REPLAY_PROG);
		free(luns);
		free(maps);
		return 2;
	}
	o.luns = luns;
	ro.maps = maps;
	/* '+': stop at the first non-option (the control command) */
	while ((c = getopt_long(argc, argv, "+f:j:nqvVh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'S':
			o.socket = optarg;
			break;
		case 'L':
			luns[o.nluns++] = optarg;
			break;
		case 'C':
			o.ctl = optarg;
			break;
		case 'Q':
			if (parse_count("--queues", optarg, 1, SDEV_MAX_QUEUES,
					"", &o.queues)) {
				rc = 2;
				goto out;
			}
			break;
		case 'P':
			if (parse_count("--poll-us", optarg, 0, 1000000, "",
					&o.poll_us)) {
				rc = 2;
				goto out;
			}
			break;
		case 'c': {
			int n = parse_cpus(optarg, cpus);

			if (n < 0) {
				rc = 2;
				goto out;
			}
			o.cpus = cpus;
			o.ncpus = (unsigned)n;
			break;
		}
		case 'U':
			ro.vhost_user = optarg;
			break;
		case 'W':
			ro.write = 1;
			break;
		case 'K':
			ro.skip_writes = 1;
			break;
		case 'M':
			maps[ro.nmaps++] = optarg;
			break;
		case 'f':
			ro.filter = optarg;
			break;
		case 's':
			ro.start = optarg;
			break;
		case 'e':
			ro.end = optarg;
			break;
		case 'T':
			if (parse_timing(optarg, &ro)) {
				fprintf(stderr, "%s: --timing %s: want asap, "
					"original or scale=F (F > 0)\n",
					REPLAY_PROG, optarg);
				rc = 2;
				goto out;
			}
			break;
		case 'j': {
			unsigned n;

			jobs_set = 1;
			if (strcmp(optarg, "auto") == 0) {
				ro.jobs = -1;
				break;
			}
			if (parse_count("--jobs", optarg, 1, 16, " or auto",
					&n)) {
				rc = 2;
				goto out;
			}
			ro.jobs = (int)n;
			break;
		}
		case 'n':
			ro.dry_run = 1;
			break;
		case 'J':
			ro.report_json = optarg;
			break;
		case 'X':
			ro.report_junit = optarg;
			break;
		case 'D':
			if (parse_count("--max-diffs", optarg, 0, 1000000, "",
					&ro.max_diffs)) {
				rc = 2;
				goto out;
			}
			break;
		case 'G':
			ro.digest_images = 1;
			break;
		case 'R':
			ro.record = optarg;
			break;
		case 'q':
			ro.quiet = 1;
			break;
		case 'v':
			o.verbose++;
			ro.verbose++;
			break;
		case 'V':
			printf("vscsi-replay %s\n", vscsi_version());
			rc = 0;
			goto out;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (o.ncpus && !o.socket) {
		fprintf(stderr, "%s: --cpus goes with --serve\n", REPLAY_PROG);
		rc = 2;
		goto out;
	}
	if (o.socket || o.ctl) {
		if (ro.vhost_user || ro.nmaps || ro.filter || ro.dry_run ||
		    ro.write || ro.skip_writes || ro.report_json ||
		    ro.report_junit || ro.record || ro.digest_images ||
		    ro.start || ro.end || ro.timing || ro.quiet ||
		    jobs_set) {
			fprintf(stderr, "%s: the replay options do not go with "
				"--serve or --ctl\n", REPLAY_PROG);
			rc = 2;
			goto out;
		}
	}
	if (o.socket) {
		unsigned i;

		/* a LUN that does not parse is a usage error; one that does
		 * not open is found by serve_main */
		for (i = 0; i < o.nluns; i++) {
			emu_lun_cfg cfg;
			char err[256];

			if (emu_lun_parse(o.luns[i], &cfg, err, sizeof(err))) {
				fprintf(stderr, "%s: --lun %s: %s\n",
					REPLAY_PROG, o.luns[i], err);
				rc = 2;
				goto out;
			}
		}
		if (optind < argc) {
			fprintf(stderr, "%s: --serve: unexpected argument "
				"'%s'\n", REPLAY_PROG, argv[optind]);
			rc = 2;
			goto out;
		}
		rc = serve_main(&o);
	} else if (o.ctl) {
		if (o.nluns) {
			fprintf(stderr, "%s: --lun needs --serve (use "
				"'--ctl SOCKET add SPEC' to add a LUN to a "
				"running server)\n", REPLAY_PROG);
			rc = 2;
			goto out;
		}
		rc = ctl_client(o.ctl, argc - optind, argv + optind);
	} else if (optind == argc - 1) {
		unsigned i;

		for (i = 0; i < o.nluns; i++) {
			emu_lun_cfg cfg;
			char err[256];

			if (emu_lun_parse(o.luns[i], &cfg, err, sizeof(err))) {
				fprintf(stderr, "%s: --lun %s: %s\n",
					REPLAY_PROG, o.luns[i], err);
				rc = 2;
				goto out;
			}
		}
		ro.file = argv[optind];
		ro.luns = o.luns;
		ro.nluns = o.nluns;
		rc = replay_main(&ro);
	} else if (optind < argc - 1) {
		fprintf(stderr, "%s: one capture file at a time ('%s' and "
			"'%s'); options go before it\n", REPLAY_PROG,
			argv[optind], argv[optind + 1]);
		rc = 2;
	} else {
		usage(stderr);
		rc = 2;
	}
out:
	free(luns);
	free(maps);
	return rc;
}
