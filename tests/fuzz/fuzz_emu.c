/*
 * The SCSI disk emulation against arbitrary commands: every CDB, data-out
 * and data-in size a hostile guest could send, a few at a time with task
 * attributes and TMFs mixed in. Checks that every command completes exactly
 * once with a well-formed result and never writes past its buffers.
 *
 * Input: a sequence of commands, each
 *   u8 ctl   bits 0-1 task attribute, bit 2 LUN 1 (cdrom) instead of 0,
 *            bit 3 a TMF (subtype = cdb[0] & 7) instead of a command,
 *            bit 4 unknown LUN, bits 5-7 drain after this one
 *   u8 cdb_len (taken mod 33), cdb bytes
 *   le16 data-out length, le16 data-in length (each mod 16 KiB)
 *   data-out bytes (what is left when short)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"

#define MAX_CMDS 16
#define BUF_MAX (16 * 1024)

static emu_dev *dev;
static unsigned done_count, tmf_count;

typedef struct slot {
	uint8_t din[BUF_MAX + 64];	/* 64 guard bytes */
	uint8_t dout[BUF_MAX];
	uint32_t din_len;
	int done;
} slot;
static slot slots[MAX_CMDS];

static void on_cmd(void *arg, void *opaque, const emu_result *res)
{
	slot *s = opaque;

	(void)arg;
	if (s->done || res->sense_len > EMU_SENSE_MAX ||
	    res->data_in_len > s->din_len)
		abort();
	s->done = 1;
	done_count++;
}

static void on_tmf(void *arg, void *opaque, uint8_t response)
{
	(void)arg;
	(void)opaque;
	(void)response;
	tmf_count++;
}

static void make_lun(const char *spec_fmt, const char *path, size_t size)
{
	char spec[256], err[256];
	emu_lun_cfg cfg;
	FILE *f = fopen(path, "w");

	if (!f || ftruncate(fileno(f), (off_t)size))
		abort();
	fclose(f);
	snprintf(spec, sizeof(spec), spec_fmt, path);
	if (emu_lun_parse(spec, &cfg, err, sizeof(err)) ||
	    emu_lun_add(dev, &cfg, 0, err, sizeof(err))) {
		fprintf(stderr, "fuzz_emu: %s: %s\n", spec, err);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static emu_ops ops = { on_cmd, on_tmf, NULL, NULL };
	char disk[64], cd[64];

	(void)argc;
	(void)argv;
	if (emu_create(&ops, &dev))
		abort();
	snprintf(disk, sizeof(disk), "/dev/shm/fuzz_emu_disk.%d", getpid());
	snprintf(cd, sizeof(cd), "/dev/shm/fuzz_emu_cd.%d", getpid());
	make_lun("0:0=%s", disk, 1u << 20);
	make_lun("0:1=%s,cdrom", cd, 1u << 20);
	/* the files stay open in the emulation; their names can go */
	unlink(disk);
	unlink(cd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	unsigned n = 0, i, submitted = 0;

	memset(slots, 0, sizeof(slots));
	done_count = 0;
	while (n < MAX_CMDS && end - p >= 2) {
		uint8_t ctl = *p++, cdb_len = (uint8_t)(*p++ % 33), cdb[32];
		uint16_t out_len = 0, in_len = 0;
		struct iovec dout, din;
		emu_request rq;
		slot *s = &slots[n];

		memset(cdb, 0, sizeof(cdb));
		if ((size_t)(end - p) < cdb_len)
			cdb_len = (uint8_t)(end - p);
		memcpy(cdb, p, cdb_len);
		p += cdb_len;
		if (end - p >= 4) {
			out_len = (uint16_t)((p[0] | p[1] << 8) % BUF_MAX);
			in_len = (uint16_t)((p[2] | p[3] << 8) % BUF_MAX);
			p += 4;
		}
		if ((size_t)(end - p) < out_len) {
			memcpy(s->dout, p, (size_t)(end - p));
			p = end;
		} else {
			memcpy(s->dout, p, out_len);
			p += out_len;
		}
		memset(&rq, 0, sizeof(rq));
		vscsi_lun_encode(rq.lun.raw, 0, (ctl & 4) ? 1 : 0, 1);
		if (ctl & 16)
			rq.lun.raw[1] = 7;	/* a target that does not exist */
		vscsi_lun_decode(rq.lun.raw, &rq.lun);
		if (ctl & 8) {
			emu_tmf(dev, &rq.lun, cdb[0] & 7u, cdb[1], NULL);
		} else {
			memset(s->din + in_len, 0xee, 64);
			s->din_len = in_len;
			rq.tag = n;
			rq.task_attr = ctl & 3;
			rq.cdb = cdb;
			rq.cdb_len = sizeof(cdb);
			dout.iov_base = s->dout;
			dout.iov_len = out_len;
			din.iov_base = s->din;
			din.iov_len = in_len;
			rq.dout = out_len ? &dout : NULL;
			rq.dout_cnt = out_len ? 1 : 0;
			rq.din = in_len ? &din : NULL;
			rq.din_cnt = in_len ? 1 : 0;
			if (emu_submit(dev, &rq, s) == VSCSI_OK)
				submitted++;
		}
		n++;
		if (ctl >> 5)
			emu_drain(dev);
	}
	emu_drain(dev);
	if (done_count != submitted)
		abort();
	for (i = 0; i < n; i++) {
		unsigned k;

		for (k = 0; k < 64; k++)
			if (slots[i].din[slots[i].din_len + k] != 0xee &&
			    slots[i].din_len)
				abort();
	}
	return 0;
}
