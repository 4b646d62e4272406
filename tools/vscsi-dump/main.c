/*
 * vscsi-dump: print and analyse virtio-scsi traffic.
 *
 * Today it decodes the built-in demo (--demo); reading capture files comes
 * with the capture format (see vscsi-dump(1)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static void usage(FILE *f)
{
	fputs("usage: vscsi-dump --demo [-j] [-v|-vv]\n"
	      "  --demo        decode built-in example chains posted by a\n"
	      "                simulated guest and answered by a toy device\n"
	      "  -j, --json    one JSON object per line\n"
	      "  -v            more fields (head, raw CDB, prio, crn)\n"
	      "  -vv           also hex dumps of the bytes\n"
	      "  -V, --version print the version\n"
	      "  -h, --help    this text\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "demo", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	dump_opts o;
	int c, demo = 0;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "jvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			demo = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'V':
			printf("vscsi-dump %s\n", vscsi_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vscsi-dump: %s: reading capture files is not "
			"in this version; try --demo\n", argv[optind]);
		return 2;
	}
	if (!demo) {
		usage(stderr);
		return 2;
	}
	return dump_demo(&o);
}
