/*
 * vscsi-capture: the lossless vhost-user recorder. It sits between the
 * front-end (QEMU) and a vhost-user-scsi back-end, relays every message,
 * owns the virtqueues in between (shadow rings) and records every request,
 * completion and message into a capture file and to monitor clients.
 *
 *   vscsi-capture -l LISTEN -c BACKEND -w FILE.pcap.zst [options]
 *
 * Threads: the I/O thread runs the event loop (connections, rings,
 * signals) and encodes records into a bounded queue; the writer thread
 * (proxy_out.c) compresses and writes them and feeds the monitor clients.
 * Neither waits for the other: a full queue drops records and counts them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_out.h"
#include "proxy_q.h"
#include "proxy_rec.h"
#include "vscsi/common.h"
#include "vu.h"
#include "vu_loop.h"

#define PROG "vscsi-capture"
#define DEF_QUEUE_KIB 32768u
/*
 * Poll the rings this long after work by default: the wake-ups polling
 * saves (one per kick and per completion, with a vCPU to wake for each on
 * a virtual machine) cost the guest more than the CPU it takes, as QEMU's
 * own I/O threads find (they poll 32 us by default). bench/capture.sh.
 */
#define DEF_POLL_US 50u

struct cap {
	vu_loop *loop;
	int lfd, sfd, tfd;
	proxy *px;
	px_rec *rec;
	pxq *q;
	pxo *out;
	int once;
	int stopping;
};

static void usage(FILE *f)
{
	fputs("usage: vscsi-capture -l LISTEN -c BACKEND [-w FILE] [options]\n"
	      "  -l, --listen PATH        the socket the front-end (QEMU) "
	      "connects to\n"
	      "  -c, --connect PATH       the vhost-user-scsi back-end's "
	      "socket\n"
	      "  -w, --write FILE         capture file (.pcap.zst, .pcap "
	      "plain, - stdout)\n"
	      "  -s, --snaplen BYTES      raw bytes kept of each request and "
	      "completion\n"
	      "                           (default 0: all, up to half the "
	      "queue)\n"
	      "      --no-data            keep headers, CDB, response and "
	      "sense only\n"
	      "  -C, --file-size MB       new file after MB million bytes\n"
	      "  -G, --rotate-seconds S   new file every S seconds (strftime "
	      "in FILE)\n"
	      "      --monitor PATH       live record stream (vscsi-top, "
	      "vscsi-dump --follow)\n"
	      "  -m, --mode MODE          socket permissions, octal (default "
	      "0600)\n"
	      "  -O, --overwrite          replace an existing capture file\n"
	      "  -z, --zstd-level N       compression level (default 1; "
	      "negative: faster)\n"
	      "  -B, --buffer-size KIB    record queue size (default 32768)\n"
	      "      --notify             record kicks and calls too\n"
	      "      --poll-us US         after work, poll the rings US "
	      "microseconds\n"
	      "                           before sleeping (default 50; 0: "
	      "never)\n"
	      "      --writer-priority P  auto (default), idle, low or "
	      "normal: the\n"
	      "                           writer thread's share of a busy "
	      "CPU\n"
	      "      --once               exit when the first connection "
	      "ends\n"
	      "  -v, --verbose            connections; twice: every message\n"
	      "  -V, --version            print the version\n"
	      "  -h, --help               this text\n", f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void print_line(const char *when, const px_stats *ps,
		       const px_rec_stats *rs, const pxo_stats *os)
{
	fprintf(stderr,
		"%s: %s: connections=%llu open=%u requests=%llu "
		"completions=%llu inflight=%llu malformed=%llu "
		"bytes_out=%llu bytes_in=%llu messages=%llu records=%llu "
		"dropped_queue=%llu dropped_disk=%llu dropped_monitor=%llu "
		"clients=%u files=%u bytes_written=%llu poll_yields=%llu "
		"writer_boosts=%llu\n",
		PROG, when, (unsigned long long)ps->conns, ps->open,
		(unsigned long long)ps->requests,
		(unsigned long long)ps->completions,
		(unsigned long long)ps->inflight,
		(unsigned long long)ps->malformed,
		(unsigned long long)ps->bytes_out,
		(unsigned long long)ps->bytes_in,
		(unsigned long long)ps->messages,
		(unsigned long long)rs->records,
		(unsigned long long)rs->dropped,
		(unsigned long long)os->file_dropped,
		(unsigned long long)os->mon_dropped, os->clients, os->files,
		(unsigned long long)os->bytes_out,
		(unsigned long long)ps->poll_yields,
		(unsigned long long)os->boosts);
}

static void print_counters(const struct cap *k, const char *when)
{
	px_stats ps;
	px_rec_stats rs;
	pxo_stats os;

	memset(&ps, 0, sizeof(ps));
	memset(&rs, 0, sizeof(rs));
	memset(&os, 0, sizeof(os));
	if (k->px)
		proxy_get_stats(k->px, &ps);
	if (k->rec)
		px_rec_get_stats(k->rec, &rs);
	if (k->out)
		pxo_get_stats(k->out, &os);
	print_line(when, &ps, &rs, &os);
}

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct cap *k = arg;
	int c;

	(void)events;
	c = vu_accept(fd);
	if (c < 0) {
		if (errno != EAGAIN && errno != EINTR)
			fprintf(stderr, "%s: accept: %s\n", PROG,
				strerror(errno));
		return;
	}
	if (k->stopping) {
		close(c);
		return;
	}
	proxy_add(k->px, c);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct cap *k = arg;
	int sig;

	(void)events;
	while ((sig = vu_signalfd_read(fd)) > 0) {
		if (sig == SIGUSR1) {
			print_counters(k, "counters");
		} else {
			k->stopping = 1;
			vu_loop_stop(k->loop);
		}
	}
}

/* Now and then: a loss note the queue owes goes out once there is room. */
static void on_tick(void *arg, int fd, uint32_t events)
{
	struct cap *k = arg;

	(void)events;
	vu_timerfd_drain(fd);
	if (k->rec)
		px_rec_flush(k->rec);
}

static void on_closed(void *arg, unsigned id)
{
	struct cap *k = arg;

	(void)id;
	if (k->once) {
		k->stopping = 1;
		vu_loop_stop(k->loop);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "write", required_argument, NULL, 'w' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "no-data", no_argument, NULL, 'D' },
		{ "file-size", required_argument, NULL, 'C' },
		{ "rotate-seconds", required_argument, NULL, 'G' },
		{ "monitor", required_argument, NULL, 'M' },
		{ "mode", required_argument, NULL, 'm' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "zstd-level", required_argument, NULL, 'z' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ "notify", no_argument, NULL, 'N' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "writer-priority", required_argument, NULL, 'W' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	const char *listen_path = NULL, *backend = NULL, *file = NULL;
	const char *monitor = NULL;
	uint64_t snaplen = 0, mb = 0, secs = 0, qkib = DEF_QUEUE_KIB;
	uint64_t poll_us = DEF_POLL_US;
	int no_data = 0, overwrite = 0, notify = 0, verbose = 0, opt;
	long level = 0;
	int wprio = 3;		/* 0 idle, 1 low, 2 normal, 3 auto */
	int rc = 0;
	mode_t mode = 0600;
	struct cap k;
	pxo_opts oo;
	px_opts po;
	char err[512];

	memset(&k, 0, sizeof(k));
	k.lfd = k.sfd = k.tfd = -1;
	while ((opt = getopt_long(argc, argv, "l:c:w:s:C:G:m:OB:z:vVh", lo,
				  NULL)) != -1) {
		switch (opt) {
		case 'l': listen_path = optarg; break;
		case 'c': backend = optarg; break;
		case 'w': file = optarg; break;
		case 'M': monitor = optarg; break;
		case 'D': no_data = 1; break;
		case 'O': overwrite = 1; break;
		case 'N': notify = 1; break;
		case '1': k.once = 1; break;
		case 'v': verbose++; break;
		case 's':
			if (parse_u64(optarg, UINT32_MAX, &snaplen)) {
				fprintf(stderr, "%s: -s %s: want a byte count\n",
					PROG, optarg);
				return 2;
			}
			break;
		case 'W':
			if (!strcmp(optarg, "auto"))
				wprio = 3;
			else if (!strcmp(optarg, "idle"))
				wprio = 0;
			else if (!strcmp(optarg, "low"))
				wprio = 1;
			else if (!strcmp(optarg, "normal"))
				wprio = 2;
			else {
				fprintf(stderr, "%s: --writer-priority %s: want "
					"auto, idle, low or normal\n", PROG,
					optarg);
				return 2;
			}
			break;
		case 'P':
			if (parse_u64(optarg, 100000, &poll_us)) {
				fprintf(stderr, "%s: --poll-us %s: want 0 to "
					"100000\n", PROG, optarg);
				return 2;
			}
			break;
		case 'C':
			if (parse_u64(optarg, UINT64_MAX / 1000000u, &mb) ||
			    mb == 0) {
				fprintf(stderr, "%s: -C %s: want a size in "
					"millions of bytes, 1 or more\n", PROG,
					optarg);
				return 2;
			}
			break;
		case 'G':
			if (parse_u64(optarg, UINT32_MAX, &secs) || secs == 0) {
				fprintf(stderr, "%s: -G %s: want seconds, 1 or "
					"more\n", PROG, optarg);
				return 2;
			}
			break;
		case 'B':
			if (parse_u64(optarg, 64u << 20, &qkib) ||
			    qkib < 2048) {
				fprintf(stderr, "%s: -B %s: want KiB, 2048 to "
					"%u\n", PROG, optarg, 64u << 20);
				return 2;
			}
			break;
		case 'z': {
			char *end;

			level = strtol(optarg, &end, 10);
			if (end == optarg || *end || level < -100 ||
			    level > 22 || level == 0) {
				fprintf(stderr, "%s: -z %s: want a zstd level, "
					"1 to 22 or -1 to -100\n", PROG, optarg);
				return 2;
			}
			break;
		}
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (end == optarg || *end || m > 0777) {
				fprintf(stderr, "%s: -m %s: want an octal mode "
					"such as 0660\n", PROG, optarg);
				return 2;
			}
			mode = (mode_t)m;
			break;
		}
		case 'V':
			printf("%s %s\n", PROG, VSCSI_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !listen_path || !backend) {
		if (optind != argc)
			fprintf(stderr, "%s: unexpected argument '%s'\n", PROG,
				argv[optind]);
		else
			fprintf(stderr, "%s: -l LISTEN and -c BACKEND are "
				"needed\n", PROG);
		usage(stderr);
		return 2;
	}
	if ((mb || secs) && (!file || strcmp(file, "-") == 0)) {
		fprintf(stderr, "%s: -C and -G need a file (-w)\n", PROG);
		return 2;
	}
	if (!file && !monitor)
		fprintf(stderr, "%s: no -w and no --monitor: relaying without "
			"recording\n", PROG);

	signal(SIGPIPE, SIG_IGN);
	/* signals are taken by the loop; the writer thread inherits the
	 * blocked mask */
	k.sfd = vu_signalfd(sigs, sizeof(sigs) / sizeof(sigs[0]));
	k.loop = vu_loop_new();
	if (k.sfd < 0 || !k.loop) {
		fprintf(stderr, "%s: cannot set up the event loop: %s\n", PROG,
			strerror(errno));
		return 1;
	}
	if (file || monitor) {
		k.q = pxq_new((size_t)qkib * 1024u);
		k.rec = k.q ? px_rec_new(k.q, (uint32_t)snaplen, no_data)
			    : NULL;
		if (!k.rec) {
			fprintf(stderr, "%s: out of memory for the record "
				"queue\n", PROG);
			return 1;
		}
		memset(&oo, 0, sizeof(oo));
		oo.prog = PROG;
		oo.path = file;
		oo.overwrite = overwrite;
		oo.rotate_bytes = mb * 1000000u;
		oo.rotate_secs = (unsigned)secs;
		oo.monitor = monitor;
		oo.mode = mode;
		/* the guest first: the writer gets what CPU is left, and
		 * (auto) competes for more only while it is behind */
		oo.idle = wprio == 0 ? 1 : wprio == 3 ? 2 : 0;
		oo.nice = wprio == 1 ? 10 : 0;
		/* level 1: the writer keeps up with more I/O, and records
		 * (much alike) shrink about as well as at 3 */
		oo.level = level ? (int)level : 1;
		oo.verbose = verbose;
		k.out = pxo_start(k.q, &oo, err, sizeof(err));
		if (!k.out) {
			fprintf(stderr, "%s: %s\n", PROG, err);
			return 1;
		}
	}
	k.lfd = vu_listen(listen_path, mode);
	if (k.lfd < 0) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", PROG,
			listen_path, strerror(errno));
		pxo_stop(k.out, NULL);
		if (file && strcmp(file, "-") && !overwrite)
			unlink(file);
		return 1;
	}
	memset(&po, 0, sizeof(po));
	po.prog = PROG;
	po.backend = backend;
	po.rec = k.rec;
	po.notify = notify;
	po.poll_us = (unsigned)poll_us;
	po.verbose = verbose;
	po.closed = on_closed;
	po.arg = &k;
	k.px = proxy_new(k.loop, &po);
	k.tfd = vu_timerfd(200, 200);
	if (!k.px || k.tfd < 0 ||
	    vu_loop_add(k.loop, k.lfd, EPOLLIN, on_accept, &k) ||
	    vu_loop_add(k.loop, k.sfd, EPOLLIN, on_signal, &k) ||
	    vu_loop_add(k.loop, k.tfd, EPOLLIN, on_tick, &k)) {
		fprintf(stderr, "%s: cannot start: %s\n", PROG,
			strerror(errno));
		return 1;
	}
	if (verbose)
		fprintf(stderr, "%s: listening on %s, back-end %s%s%s\n", PROG,
			listen_path, backend, file ? ", writing " : "",
			file ? file : "");
	if (vu_loop_run(k.loop)) {
		fprintf(stderr, "%s: event loop failed: %s\n", PROG,
			strerror(errno));
		rc = 1;
	}
	vu_loop_del(k.loop, k.lfd);
	close(k.lfd);
	unlink(listen_path);
	{
		px_stats ps;
		px_rec_stats rs;
		pxo_stats os;

		/* in flight: as the connections end (their loss notes say
		 * which) */
		proxy_get_stats(k.px, &ps);
		proxy_free(k.px);
		k.px = NULL;
		/* what was dropped last is told too: wait (a little) for the
		 * writer to make room for the note */
		if (k.rec) {
			int n = 0;

			while (px_rec_flush(k.rec) && n++ < 500)
				usleep(10000);
		}
		memset(&rs, 0, sizeof(rs));
		memset(&os, 0, sizeof(os));
		if (k.out && pxo_stop(k.out, &os)) {
			fprintf(stderr, "%s: %s: %llu records lost to write "
				"errors (%s) are not told in the file\n", PROG,
				os.path, (unsigned long long)os.file_dropped,
				os.last_errno ? strerror(os.last_errno)
					      : "write error");
			rc = 1;
		}
		k.out = NULL;
		if (k.rec)
			px_rec_get_stats(k.rec, &rs);
		print_line("exit", &ps, &rs, &os);
	}
	px_rec_free(k.rec);
	pxq_free(k.q);
	vu_loop_free(k.loop);
	close(k.sfd);
	if (k.tfd >= 0)
		close(k.tfd);
	return rc;
}
