/*
 * serve_bench: 4 KiB random reads for a fixed time, either through the SCSI
 * emulation called directly (the reference) or through the vhost-user
 * transport (the front-end driver vfe against `vscsi-replay --serve`).
 * Both use the same CDBs (READ(16)), the same random sequence and the same
 * latency histogram (submit to completion). bench/serve.sh runs both in one
 * run and prints the ratio.
 *
 *   serve_bench direct FILE QD SECONDS
 *   serve_bench vfe SOCKET QUEUES QD SECONDS [spin[=US]|irq] [direct|indirect]
 * (spin: the driver polls its used rings for US microseconds, vfe's
 * default without =US, before sleeping on the call eventfds; indirect:
 * each command is one indirect descriptor, as Linux sends them when
 * INDIRECT_DESC is negotiated, the default; direct: three descriptors in
 * the ring)
 *
 * Prints one line:
 *   MODE queues=N qd=D iops=X p50_us=.. p99_us=.. p90_us=.. p999_us=..
 *   over10ms=N ops=N cpu_s=S errors=E
 * (QD is per queue; the direct mode has one queue; cpu_s is this process's
 * user + system time during the measured interval.)
 */
#include <poll.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "vfe.h"
#include "vscsi.h"

#define BS 4096u
#define MAX_QD 1024u
/* Latency histogram: 25 ns buckets up to 10 ms, then one overflow. */
#define HIST_NS 25u
#define HIST_N 400000u

static uint32_t *hist;
static uint64_t hist_over, samples, errors;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void hist_add(uint64_t ns)
{
	uint64_t b = ns / HIST_NS;

	if (b < HIST_N)
		hist[b]++;
	else
		hist_over++;
	samples++;
}

static double hist_pct(double p)
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

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void cdb_read16(uint8_t *cdb, uint64_t lba, uint32_t n)
{
	int k;

	memset(cdb, 0, 16);
	cdb[0] = 0x88;
	for (k = 0; k < 8; k++)
		cdb[2 + k] = (uint8_t)(lba >> (56 - 8 * k));
	for (k = 0; k < 4; k++)
		cdb[10 + k] = (uint8_t)(n >> (24 - 8 * k));
}

/* CPU seconds (user + system) this process used so far. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void report(const char *mode, unsigned nq, unsigned qd, uint64_t ops,
		   double secs, double cpu)
{
	printf("%s queues=%u qd=%u iops=%.0f p50_us=%.2f p99_us=%.2f "
	       "p90_us=%.2f p999_us=%.2f over10ms=%llu ops=%llu cpu_s=%.3f "
	       "errors=%llu\n",
	       mode, nq, qd, (double)ops / secs, hist_pct(0.5), hist_pct(0.99),
	       hist_pct(0.9), hist_pct(0.999), (unsigned long long)hist_over,
	       (unsigned long long)ops, cpu, (unsigned long long)errors);
}

/* ------------------------------------------------------------ direct */

struct dslot {
	uint8_t cdb[16];
	struct iovec iov;
	uint64_t t0;
};

static unsigned *free_stack;
static unsigned n_free;
static uint64_t done_ops;
static struct dslot *dslots;

static void d_done(void *arg, void *opaque, const emu_result *res)
{
	unsigned s = (unsigned)(uintptr_t)opaque;

	(void)arg;
	if (res->response != VSCSI_S_OK || res->status != EMU_GOOD)
		errors++;
	hist_add(now_ns() - dslots[s].t0);
	free_stack[n_free++] = s;
	done_ops++;
}

static void d_tmf(void *arg, void *opaque, uint8_t response)
{
	(void)arg;
	(void)opaque;
	(void)response;
}

static int run_direct(const char *file, unsigned qd, double secs)
{
	emu_ops ops = {d_done, d_tmf, NULL, NULL};
	emu_dev *dev;
	emu_lun_cfg cfg;
	emu_request rq;
	char spec[4200], err[256];
	uint64_t blocks, units, t0, t1, end;
	uint32_t bs;
	uint8_t raw[8];
	unsigned i;
	double c0, c1;

	snprintf(spec, sizeof(spec), "0:0=%s", file);
	if (emu_lun_parse(spec, &cfg, err, sizeof(err)) < 0 ||
	    emu_create(&ops, &dev) < 0 ||
	    emu_lun_add(dev, &cfg, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "serve_bench: %s\n", err);
		return 1;
	}
	/* this loop calls emu_process() after each batch it submits */
	emu_set_kick(dev, 0);
	emu_lun_capacity(dev, 0, 0, &blocks, &bs);
	units = blocks * bs / BS;
	dslots = calloc(qd, sizeof(*dslots));
	free_stack = calloc(qd, sizeof(*free_stack));
	if (!dslots || !free_stack)
		return 1;
	for (i = 0; i < qd; i++) {
		dslots[i].iov.iov_base = aligned_alloc(4096, BS);
		if (!dslots[i].iov.iov_base)
			return 1;
		memset(dslots[i].iov.iov_base, 0, BS);
		dslots[i].iov.iov_len = BS;
		free_stack[n_free++] = i;
	}
	memset(&rq, 0, sizeof(rq));
	vscsi_lun_encode(raw, 0, 0, 1);
	vscsi_lun_decode(raw, &rq.lun);
	rq.cdb_len = 16;
	{
		static const uint8_t tur[16];
		emu_result r;

		rq.cdb = tur;	/* the power-on unit attention */
		emu_exec_sync(dev, &rq, &r);
	}
	c0 = cpu_s();
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		while (n_free) {
			unsigned s = free_stack[--n_free];
			struct dslot *sl = &dslots[s];

			cdb_read16(sl->cdb, (xorshift() % units) * (BS / bs), BS / bs);
			rq.cdb = sl->cdb;
			rq.tag = done_ops + s;
			rq.din = &sl->iov;
			rq.din_cnt = 1;
			sl->t0 = now_ns();
			if (emu_submit(dev, &rq, (void *)(uintptr_t)s) < 0) {
				fprintf(stderr, "serve_bench: submit failed\n");
				return 1;
			}
		}
		if (emu_process(dev) == 0 && !emu_pending(dev)) {
			struct pollfd p = {emu_fd(dev), POLLIN, 0};

			poll(&p, 1, 100);
		}
		if ((done_ops & 1023) < qd && now_ns() >= end)
			break;
	}
	t1 = now_ns();
	c1 = cpu_s();
	emu_drain(dev);
	report("direct", 1, qd, done_ops, (double)(t1 - t0) / 1e9, c1 - c0);
	emu_destroy(dev);
	return errors ? 1 : 0;
}

/* ------------------------------------------------------------ transport */

static void v_done(void *arg, const vfe_result *r)
{
	(void)arg;
	if (r->err || r->response != VSCSI_S_OK || r->status != 0)
		errors++;
	hist_add(r->lat_ns);
	done_ops++;
}

static int vfe_sync(vfe *v, const uint8_t *cdb, uint16_t len, void *din,
		    uint32_t din_len, vfe_result *r)
{
	vfe_cmd c;

	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, 0, 0);
	c.cdb = cdb;
	c.cdb_len = len;
	c.din_len = din_len;
	return vfe_exec(v, 0, &c, r, din, din_len, 5000);
}

static int run_vfe(const char *sock, unsigned nq, unsigned qd, double secs,
		   int spin, int indirect)
{
	vfe_opts o;
	vfe *v;
	vfe_result r;
	vfe_cmd c;
	char err[256];
	uint8_t cdb[16], cap[32];
	uint64_t units, t0, t1, end;
	uint32_t bs;
	unsigned q, k, size = 16;
	double c0, c1;

	while (size < 3 * qd && size < 32768)
		size *= 2;
	vfe_opts_init(&o);
	o.num_queues = nq;
	o.queue_size = (uint16_t)size;
	o.slot_data = BS;
	o.flags = spin ? VFE_SPIN : 0;
	o.spin_us = spin > 0 ? (unsigned)spin : 0;
	if (vfe_open(sock, &o, &v, err, sizeof(err))) {
		fprintf(stderr, "serve_bench: %s\n", err);
		return 1;
	}
	/* clear the power-on unit attention, then the capacity */
	memset(cdb, 0, sizeof(cdb));
	for (k = 0; k < 4; k++)
		if (vfe_sync(v, cdb, 6, NULL, 0, &r) == 0 && r.status == 0)
			break;
	cdb[0] = 0x9e;
	cdb[1] = 0x10;
	cdb[13] = 32;
	if (vfe_sync(v, cdb, 16, cap, 32, &r) || r.status) {
		fprintf(stderr, "serve_bench: READ CAPACITY failed\n");
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
	c.din_len = BS;
	c.flags = VFE_CMD_NOKICK | (indirect ? VFE_CMD_INDIRECT : 0);
	memset(hist, 0, sizeof(*hist) * HIST_N);
	samples = hist_over = 0;
	done_ops = 0;
	c0 = cpu_s();
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		for (q = 0; q < nq; q++) {
			unsigned added = 0;

			while (vfe_inflight(v, q) < qd) {
				cdb_read16(cdb, (xorshift() % units) * (BS / bs),
					   BS / bs);
				if (vfe_submit(v, q, &c, v_done, NULL, NULL))
					break;
				added++;
			}
			if (added)
				vfe_kick(v, q);
		}
		if (vfe_poll(v, 1000) < 0) {
			fprintf(stderr, "serve_bench: %s\n", vfe_last_error(v));
			return 1;
		}
		if ((done_ops & 1023) < qd * nq && now_ns() >= end)
			break;
	}
	t1 = now_ns();
	c1 = cpu_s();
	while (vfe_inflight(v, ~0u))
		if (vfe_poll(v, 1000) < 0)
			break;
	report(spin ? "vfe-spin" : "vfe-irq", nq, qd, done_ops,
	       (double)(t1 - t0) / 1e9, c1 - c0);
	vfe_close(v);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	hist = calloc(HIST_N, sizeof(*hist));
	if (!hist)
		return 1;
	if (argc >= 5 && !strcmp(argv[1], "direct")) {
		unsigned qd = (unsigned)atoi(argv[3]);

		if (qd < 1 || qd > MAX_QD)
			return 2;
		return run_direct(argv[2], qd, atof(argv[4]));
	}
	if (argc >= 6 && !strcmp(argv[1], "vfe")) {
		unsigned nq = (unsigned)atoi(argv[3]), qd = (unsigned)atoi(argv[4]);

		if (nq < 1 || nq > VFE_MAX_QUEUES || qd < 1 || qd > MAX_QD)
			return 2;
		const char *how = argc >= 7 ? argv[6] : "spin";
		int spin;	/* 0 irq, -1 vfe's default budget, else us */

		if (!strcmp(how, "irq"))
			spin = 0;
		else if (!strcmp(how, "spin"))
			spin = -1;
		else if (!strncmp(how, "spin=", 5) && atoi(how + 5) > 0)
			spin = atoi(how + 5);
		else
			return 2;
		const char *desc = argc >= 8 ? argv[7] : "indirect";

		if (strcmp(desc, "indirect") && strcmp(desc, "direct"))
			return 2;
		return run_vfe(argv[2], nq, qd, atof(argv[5]), spin,
			       !strcmp(desc, "indirect"));
	}
	fprintf(stderr, "usage: serve_bench direct FILE QD SECONDS\n"
			"       serve_bench vfe SOCKET QUEUES QD SECONDS "
			"[spin[=US]|irq] [direct|indirect]\n");
	return 2;
}
