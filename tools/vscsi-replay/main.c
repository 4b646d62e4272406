/*
 * vscsi-replay: the replay device. Today: --serve (a live vhost-user-scsi
 * back-end over file-backed LUNs) and its control client; replaying capture
 * files comes with a later version (see vscsi-replay(1)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static void usage(FILE *f)
{
	fputs("usage: vscsi-replay --serve SOCKET --lun T:L=PATH[,opts] ... "
	      "[--ctl CTLSOCKET]\n"
	      "                    [--queues N] [--poll-us US] [-v]\n"
	      "       vscsi-replay --ctl CTLSOCKET add T:L=PATH[,opts] | "
	      "remove T:L |\n"
	      "                    resize T:L | list | help\n"
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
	      "  -v, --verbose   log connections (-vv: every vhost-user "
	      "message)\n"
	      "  -V, --version   print the version\n"
	      "  -h, --help      this text\n"
	      "Replaying capture files is not in this version.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "serve", required_argument, NULL, 'S' },
		{ "lun", required_argument, NULL, 'L' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	serve_opts o;
	const char **luns;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.queues = SDEV_DEFAULT_QUEUES;
	o.poll_us = SDEV_DEFAULT_POLL_US;
	luns = calloc((size_t)argc, sizeof(*luns));
	if (!luns) {
		fprintf(stderr, "%s: out of memory\n", REPLAY_PROG);
		return 1;
	}
	o.luns = luns;
	/* '+': stop at the first non-option (the control command) */
	while ((c = getopt_long(argc, argv, "+vVh", longopts, NULL)) != -1) {
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
		case 'Q': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end || n < 1 ||
			    n > SDEV_MAX_QUEUES) {
				fprintf(stderr, "%s: --queues %s: want 1 to "
					"%u\n", REPLAY_PROG, optarg,
					SDEV_MAX_QUEUES);
				free(luns);
				return 2;
			}
			o.queues = (unsigned)n;
			break;
		}
		case 'P': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end ||
			    n > 1000000) {
				fprintf(stderr, "%s: --poll-us %s: want 0 to "
					"1000000\n", REPLAY_PROG, optarg);
				free(luns);
				return 2;
			}
			o.poll_us = (unsigned)n;
			break;
		}
		case 'v':
			o.verbose++;
			break;
		case 'V':
			printf("vscsi-replay %s\n", vscsi_version());
			free(luns);
			return 0;
		case 'h':
			usage(stdout);
			free(luns);
			return 0;
		default:
			usage(stderr);
			free(luns);
			return 2;
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
				free(luns);
				return 2;
			}
		}
		if (optind < argc) {
			fprintf(stderr, "%s: --serve: unexpected argument "
				"'%s'\n", REPLAY_PROG, argv[optind]);
			free(luns);
			return 2;
		}
		rc = serve_main(&o);
	} else if (o.ctl) {
		if (o.nluns) {
			fprintf(stderr, "%s: --lun needs --serve (use "
				"'--ctl SOCKET add SPEC' to add a LUN to a "
				"running server)\n", REPLAY_PROG);
			free(luns);
			return 2;
		}
		rc = ctl_client(o.ctl, argc - optind, argv + optind);
	} else {
		usage(stderr);
		rc = 2;
	}
	free(luns);
	return rc;
}
