/*
 * capture_bench: random 4 KiB reads or writes for a fixed time through the
 * toolkit's front-end driver (vfe) to a vhost-user-scsi socket: the
 * back-end's own (direct) or vscsi-capture's (through the proxy).
 * bench/capture.sh runs both in one run and prints the ratios.
 *
 *   capture_bench SOCKET QD SECONDS [read|write] [spin|irq]
 *
 * Prints one line:
 *   iops=X p50_us=Y p90_us=Z p99_us=W ops=N errors=E
 * Latency is submit to reap, one request queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfe.h"
#include "vscsi.h"

#define BS 4096u
#define HIST_NS 25u
#define HIST_N 400000u

static uint32_t *hist;
static uint64_t samples, over, errors, done_ops;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double pct(double p)
{
	uint64_t want = (uint64_t)((double)samples * p), seen = 0;
	unsigned i;

	for (i = 0; i < HIST_N; i++) {
		seen += hist[i];
		if (seen > want)
			return (double)(i * HIST_NS + HIST_NS / 2) / 1000.0;
	}
	return (double)HIST_N * HIST_NS / 1000.0;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void cdb_rw16(uint8_t *cdb, int wr, uint64_t lba, uint32_t n)
{
	int k;

	memset(cdb, 0, 16);
	cdb[0] = wr ? 0x8a : 0x88;
	for (k = 0; k < 8; k++)
		cdb[2 + k] = (uint8_t)(lba >> (56 - 8 * k));
	for (k = 0; k < 4; k++)
		cdb[10 + k] = (uint8_t)(n >> (24 - 8 * k));
}

static void done(void *arg, const vfe_result *r)
{
	uint64_t b = r->lat_ns / HIST_NS;

	(void)arg;
	if (r->err || r->response != VSCSI_S_OK || r->status != 0)
		errors++;
	if (b < HIST_N)
		hist[b]++;
	else
		over++;
	samples++;
	done_ops++;
}

int main(int argc, char **argv)
{
	vfe_opts o;
	vfe *v;
	vfe_result r;
	vfe_cmd c;
	char err[256];
	uint8_t cdb[16], cap[32];
	uint64_t units, t0, t1, end;
	uint32_t bs;
	unsigned qd, k, size = 16;
	double secs;
	int wr, spin;

	if (argc < 4) {
		fprintf(stderr, "usage: capture_bench SOCKET QD SECONDS "
			"[read|write] [spin|irq]\n");
		return 2;
	}
	qd = (unsigned)atoi(argv[2]);
	secs = atof(argv[3]);
	wr = argc > 4 && !strcmp(argv[4], "write");
	spin = argc > 5 && !strcmp(argv[5], "spin");
	if (qd < 1 || qd > 1024 || secs <= 0)
		return 2;
	hist = calloc(HIST_N, sizeof(*hist));
	if (!hist)
		return 1;
	while (size < 3 * qd && size < 1024)
		size *= 2;
	vfe_opts_init(&o);
	o.queue_size = (uint16_t)size;
	o.slot_data = BS;
	o.flags = spin ? VFE_SPIN : 0;
	if (vfe_open(argv[1], &o, &v, err, sizeof(err))) {
		fprintf(stderr, "capture_bench: %s\n", err);
		return 1;
	}
	memset(cdb, 0, sizeof(cdb));
	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, 0, 0);
	c.cdb = cdb;
	for (k = 0; k < 4; k++) {
		c.cdb_len = 6;
		if (vfe_exec(v, 0, &c, &r, NULL, 0, 5000) == 0 && r.status == 0)
			break;
	}
	cdb[0] = 0x9e;
	cdb[1] = 0x10;
	cdb[13] = 32;
	c.cdb_len = 16;
	c.din_len = 32;
	if (vfe_exec(v, 0, &c, &r, cap, 32, 5000) || r.status) {
		fprintf(stderr, "capture_bench: READ CAPACITY failed\n");
		return 1;
	}
	bs = (uint32_t)cap[8] << 24 | (uint32_t)cap[9] << 16 |
	     (uint32_t)cap[10] << 8 | cap[11];
	units = 0;
	for (k = 0; k < 8; k++)
		units = units << 8 | cap[k];
	units = (units + 1) * bs / BS;
	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, 0, 0);
	c.cdb = cdb;
	c.cdb_len = 16;
	/* data-out is the slot's buffer as it is (no copy on the path) */
	if (wr)
		c.dout_len = BS;
	else
		c.din_len = BS;
	c.flags = VFE_CMD_NOKICK;
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		unsigned added = 0;

		while (vfe_inflight(v, 0) < qd) {
			cdb_rw16(cdb, wr, (xorshift() % units) * (BS / bs),
				 BS / bs);
			if (vfe_submit(v, 0, &c, done, NULL, NULL))
				break;
			added++;
		}
		if (added)
			vfe_kick(v, 0);
		if (vfe_poll(v, 1000) < 0) {
			fprintf(stderr, "capture_bench: %s\n",
				vfe_last_error(v));
			return 1;
		}
		if (now_ns() >= end)
			break;
	}
	t1 = now_ns();
	while (vfe_inflight(v, ~0u))
		if (vfe_poll(v, 1000) < 0)
			break;
	printf("iops=%.0f p50_us=%.2f p90_us=%.2f p99_us=%.2f ops=%llu "
	       "errors=%llu\n", (double)done_ops / ((double)(t1 - t0) / 1e9),
	       pct(0.5), pct(0.9), pct(0.99), (unsigned long long)done_ops,
	       (unsigned long long)errors);
	vfe_close(v);
	free(hist);
	return errors ? 1 : 0;
}
