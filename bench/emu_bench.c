/*
 * emu_bench: 4 KiB random reads or writes at a queue depth through the SCSI
 * emulation (READ(16)/WRITE(16) CDBs, one LUN over FILE), for a fixed time.
 * Prints one line: "emu RW qd=N iops=X". bench/emu_vs_fio.sh runs it next to
 * fio on the same file and prints the ratio.
 *
 *   emu_bench FILE randread|randwrite QD SECONDS [LUN-OPTIONS]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"

#define BS 4096u

typedef struct slot {
	uint8_t cdb[16];
	struct iovec iov;
	void *buf;
} slot;

static unsigned *free_stack;
static unsigned n_free;
static unsigned long long done_ops;
static unsigned long long errors;

static void on_done(void *arg, void *opaque, const emu_result *res)
{
	(void)arg;
	if (res->response != VSCSI_S_OK || res->status != EMU_GOOD)
		errors++;
	free_stack[n_free++] = (unsigned)(uintptr_t)opaque;
	done_ops++;
}

static void on_tmf(void *arg, void *opaque, uint8_t response)
{
	(void)arg;
	(void)opaque;
	(void)response;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	emu_ops ops = {on_done, on_tmf, NULL, NULL};
	emu_dev *dev;
	emu_lun_cfg cfg;
	char spec[4200], err[256];
	unsigned qd, i;
	double secs, t0, t1;
	int write_mode;
	uint64_t blocks, units;
	uint32_t bs;
	slot *slots;
	uint8_t raw[8];
	emu_request rq;

	if (argc < 5) {
		fprintf(stderr, "usage: emu_bench FILE randread|randwrite QD "
				"SECONDS [LUN-OPTIONS]\n");
		return 2;
	}
	write_mode = strcmp(argv[2], "randwrite") == 0;
	qd = (unsigned)atoi(argv[3]);
	secs = atof(argv[4]);
	if (qd < 1 || qd > 1024 || secs <= 0) {
		fprintf(stderr, "emu_bench: bad queue depth or time\n");
		return 2;
	}
	snprintf(spec, sizeof(spec), "0:0=%s%s%s", argv[1],
		 argc > 5 ? "," : "", argc > 5 ? argv[5] : "");
	if (emu_lun_parse(spec, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "emu_bench: %s\n", err);
		return 2;
	}
	if (emu_create(&ops, &dev) < 0 ||
	    emu_lun_add(dev, &cfg, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "emu_bench: %s\n", err);
		return 1;
	}
	/* this loop calls emu_process() after every batch it submits */
	emu_set_kick(dev, 0);
	emu_lun_capacity(dev, 0, 0, &blocks, &bs);
	units = blocks * bs / BS;
	slots = calloc(qd, sizeof(*slots));
	free_stack = calloc(qd, sizeof(*free_stack));
	if (!slots || !free_stack)
		return 1;
	for (i = 0; i < qd; i++) {
		slots[i].buf = aligned_alloc(4096, BS);
		if (!slots[i].buf)
			return 1;
		memset(slots[i].buf, (int)i, BS);
		slots[i].iov.iov_base = slots[i].buf;
		slots[i].iov.iov_len = BS;
		free_stack[n_free++] = i;
	}
	memset(&rq, 0, sizeof(rq));
	vscsi_lun_encode(raw, 0, 0, 0);
	vscsi_lun_decode(raw, &rq.lun);
	rq.cdb_len = 16;
	rq.task_attr = VSCSI_TASK_SIMPLE;

	/* the power-on unit attention */
	{
		static const uint8_t tur[6] = {0};
		emu_result r;

		rq.cdb = tur;
		emu_exec_sync(dev, &rq, &r);
	}

	t0 = now();
	t1 = t0 + secs;
	for (;;) {
		while (n_free) {
			unsigned s = free_stack[--n_free];
			slot *sl = &slots[s];
			uint64_t lba = (xorshift() % units) * (BS / bs);
			uint32_t n = BS / bs;
			int k;

			memset(sl->cdb, 0, 16);
			sl->cdb[0] = write_mode ? 0x8a : 0x88;
			for (k = 0; k < 8; k++)
				sl->cdb[2 + k] = (uint8_t)(lba >> (56 - 8 * k));
			sl->cdb[10] = (uint8_t)(n >> 24);
			sl->cdb[11] = (uint8_t)(n >> 16);
			sl->cdb[12] = (uint8_t)(n >> 8);
			sl->cdb[13] = (uint8_t)n;
			rq.cdb = sl->cdb;
			rq.tag = done_ops + s;
			if (write_mode) {
				rq.dout = &sl->iov;
				rq.dout_cnt = 1;
				rq.din = NULL;
				rq.din_cnt = 0;
			} else {
				rq.din = &sl->iov;
				rq.din_cnt = 1;
				rq.dout = NULL;
				rq.dout_cnt = 0;
			}
			if (emu_submit(dev, &rq, (void *)(uintptr_t)s) < 0) {
				fprintf(stderr, "emu_bench: submit failed\n");
				return 1;
			}
		}
		if (emu_process(dev) == 0 && !emu_pending(dev)) {
			struct pollfd p = {emu_fd(dev), POLLIN, 0};

			poll(&p, 1, 100);
		}
		if ((done_ops & 1023) < qd && now() >= t1)
			break;
	}
	t1 = now();
	emu_drain(dev);
	printf("emu %s qd=%u iops=%.0f errors=%llu\n", argv[2], qd,
	       (double)done_ops / (t1 - t0), errors);
	emu_destroy(dev);
	return errors ? 1 : 0;
}
