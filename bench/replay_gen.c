/*
 * replay_gen: the capture bench/replay.sh replays: N requests of 4 KiB at
 * random 4 KiB-aligned offsets of a LUN of SIZE MiB (70% READ(10), 30%
 * WRITE(10)) on one request queue kept at 32 in flight, completed in random
 * order, with the data cut at the snap length.
 *
 * Unlike dump_gen's, this capture is one the toolkit's emulation would
 * have recorded from a blank (all-zero) image, so a replay verifies
 * cleanly: the first command is a TEST UNIT READY that meets the power-on
 * unit attention; every WRITE(10) writes vscsi-replay's fill
 * (vscsi-replay(1), FILL), which depends only on the LUN and the CDB; a
 * READ(10) returns what the image holds when it arrives (the emulation runs
 * overlapping commands in arrival order): zeros, or the fill of the
 * WRITE(10) of the same block.
 *
 * With LOG (not "-"), also writes the same requests as a fio iolog
 * (version 2), in issue order, for fio --read_iolog=LOG
 * --replay_redirect=FILE.
 *
 * With GAP_US, a paced capture instead, for the timing figures: one request
 * at a time, GAP_US/2 to 3*GAP_US/2 microseconds apart, each answered in 20
 * to 40 us (so that a replay is held by nothing but the clock).
 *
 * Usage: replay_gen FILE N [SIZE_MIB [SNAPLEN [LOG [GAP_US]]]]
 *        (SIZE_MIB 1024, SNAPLEN 256)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "vscsi.h"

#define QD 32u
#define RING 128u
#define BLOCK 4096u
#define HDR 51u
#define RESP 108u
#define T0 1763712000000000000ull

typedef struct slot {
	vscsi_cap_chain c;
	int busy, write;
	uint8_t data[BLOCK];	/* data-out, or the data-in to answer */
} slot;

static uint64_t rng = 0x2f6b4c3a9d1e8f57ull;
static uint64_t now_ns = T0;

static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static uint64_t clock_cb(void *arg)
{
	(void)arg;
	return now_ns;
}

/* vscsi-replay(1), FILL */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill(const uint8_t lun[8], const uint8_t cdb[32], uint8_t *buf,
		 uint32_t len)
{
	uint8_t in[40], line[64];
	uint64_t seed;
	uint32_t off;
	unsigned k;

	memcpy(in, lun, 8);
	memcpy(in + 8, cdb, 32);
	seed = XXH3_64bits(in, sizeof(in));
	for (k = 0; k < 8; k++)
		vscsi_put_le64(line + 8 * k, mix(seed + k));
	for (off = 0; off < len; off += 64) {
		memcpy(buf + off, line, 64);
		vscsi_put_le64(buf + off, mix(seed) ^ (off / 64));
	}
}

static void cdb_rw(uint8_t cdb[32], int write, uint32_t lba)
{
	memset(cdb, 0, 32);
	cdb[0] = write ? 0x2a : 0x28;
	vscsi_put_be32(cdb + 2, lba);
	vscsi_put_be16(cdb + 7, BLOCK / 512);
}

int main(int argc, char **argv)
{
	static slot s[QD];
	static const uint16_t qs[3] = { RING, RING, RING };
	uint16_t free_heads[RING];
	unsigned nfree = 0, i, inflight = 0;
	unsigned long n, submitted = 0;
	uint64_t slots;
	uint8_t *written;
	vscsi_cap_session sess;
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_vs_cfg cfg;
	uint32_t snaplen = 256;
	FILE *log = NULL;
	int err = 0, bad = 0;

	unsigned qd = QD;
	uint64_t gap = 0;

	if (argc < 3 || argc > 7) {
		fprintf(stderr, "usage: replay_gen FILE N [SIZE_MIB [SNAPLEN "
			"[LOG [GAP_US]]]]\n");
		return 2;
	}
	if (argc > 6) {
		gap = strtoull(argv[6], NULL, 10) * 1000;
		if (gap)
			qd = 1;
	}
	n = strtoul(argv[2], NULL, 10);
	slots = (argc > 3 ? strtoull(argv[3], NULL, 10) : 1024) * (1u << 20) /
		BLOCK;
	if (argc > 4)
		snaplen = (uint32_t)strtoul(argv[4], NULL, 10);
	if (!slots || slots > (1ull << 29)) {
		fprintf(stderr, "replay_gen: SIZE_MIB out of range\n");
		return 2;
	}
	written = calloc(slots, 1);
	if (!written)
		return 1;
	if (argc > 5 && strcmp(argv[5], "-") != 0) {
		log = fopen(argv[5], "w");
		if (!log) {
			perror(argv[5]);
			return 1;
		}
		fprintf(log, "fio version 2 iolog\nimage add\nimage open\n");
	}
	memset(&o, 0, sizeof(o));
	o.snaplen = snaplen;
	o.flags = VSCSI_CAP_W_OVERWRITE;
	o.clock_ns = clock_cb;
	w = vscsi_cap_writer_open(argv[1], &o, &err);
	if (!w) {
		fprintf(stderr, "replay_gen: %s: %s\n", argv[1],
			vscsi_strerror(err));
		return 1;
	}
	vscsi_vs_cfg_default(&cfg);
	memset(&sess, 0, sizeof(sess));
	sess.features = cfg.features;
	sess.cdb_size = cfg.cdb_size;
	sess.sense_size = cfg.sense_size;
	sess.snaplen = snaplen;
	sess.num_queues = 3;
	sess.queue_sizes = qs;
	sess.tool = "replay_gen";
	sess.tool_version = "1";
	bad |= vscsi_cap_write_session(w, 0, &sess, now_ns) < 0;
	for (i = 0; i < RING; i++)
		free_heads[nfree++] = (uint16_t)(RING - 1 - i);

	/* the power-on unit attention, met by a TEST UNIT READY */
	{
		uint8_t hdr[HDR], resp[RESP];
		struct iovec iov;
		vscsi_cmd_req req;
		vscsi_cmd_resp r;
		vscsi_cap_chain c;
		int k;

		memset(&req, 0, sizeof(req));
		vscsi_lun_encode(req.lun.raw, 0, 0, 1);
		req.tag = 0xffff888104a00000ull;
		req.cdb_size = 6;
		memset(&c, 0, sizeof(c));
		c.vq = 2;
		c.flags = VSCSI_RECF_INDIRECT;
		c.head = 0;
		c.n_readable = 1;
		c.n_writable = 1;
		c.readable_bytes = HDR;
		c.writable_bytes = RESP;
		vscsi_vs_cmd_req_build(&cfg, &req, hdr, sizeof(hdr));
		iov.iov_base = hdr;
		iov.iov_len = HDR;
		bad |= vscsi_cap_write_request(w, &c, &iov, 1, HDR, now_ns) < 0;
		memset(&r, 0, sizeof(r));
		r.status = VSCSI_STATUS_CHECK_CONDITION;
		k = vscsi_sense_build_simple(r.sense, sizeof(r.sense), 0,
					     VSCSI_SK_UNIT_ATTENTION, 0x29,
					     0x00);
		r.sense_len = k > 0 ? (uint32_t)k : 0;
		vscsi_vs_cmd_resp_build(&cfg, &r, resp, sizeof(resp));
		iov.iov_base = resp;
		iov.iov_len = RESP;
		now_ns += 20000;
		bad |= vscsi_cap_write_completion(w, &c, RESP, &iov, 1, RESP,
						  now_ns) < 0;
	}

	while (submitted < n || inflight) {
		uint8_t hdr[HDR + 8], resp[RESP];
		struct iovec iov[2];
		unsigned k;

		/* keep QD requests in flight, then complete one at random */
		for (k = 0; k < qd && submitted < n; k++) {
			slot *q = &s[k];
			vscsi_cmd_req req;
			uint64_t blk;

			if (q->busy)
				continue;
			memset(&req, 0, sizeof(req));
			q->busy = 1;
			q->write = next_rand() % 10 < 3;
			blk = next_rand() % slots;
			vscsi_lun_encode(req.lun.raw, 0, 0, 1);
			req.tag = 0xffff888104a00000ull + k * 0x340ull;
			req.cdb_size = 32;
			cdb_rw(req.cdb, q->write, (uint32_t)(blk * 8));
			memset(&q->c, 0, sizeof(q->c));
			q->c.vq = 2;
			q->c.flags = VSCSI_RECF_INDIRECT;
			q->c.head = free_heads[--nfree];
			q->c.n_readable = (uint16_t)(q->write ? 2 : 1);
			q->c.n_writable = (uint16_t)(q->write ? 1 : 2);
			q->c.readable_bytes = HDR + (q->write ? BLOCK : 0);
			q->c.writable_bytes = RESP + (q->write ? 0 : BLOCK);
			/* what the device holds when it arrives */
			if (q->write) {
				fill(req.lun.raw, req.cdb, q->data, BLOCK);
				written[blk] = 1;
			} else if (written[blk]) {
				uint8_t wc[32];

				cdb_rw(wc, 1, (uint32_t)(blk * 8));
				fill(req.lun.raw, wc, q->data, BLOCK);
			} else {
				memset(q->data, 0, BLOCK);
			}
			vscsi_vs_cmd_req_build(&cfg, &req, hdr, sizeof(hdr));
			iov[0].iov_base = hdr;
			iov[0].iov_len = HDR;
			iov[1].iov_base = q->data;
			iov[1].iov_len = BLOCK;
			now_ns += gap ? gap / 2 + next_rand() % (gap + 1) :
					1000 + next_rand() % 3000;
			bad |= vscsi_cap_write_request(w, &q->c, iov,
						       q->write ? 2 : 1, HDR,
						       now_ns) < 0;
			if (log)
				fprintf(log, "image %s %llu %u\n",
					q->write ? "write" : "read",
					(unsigned long long)(blk * BLOCK),
					BLOCK);
			submitted++;
			inflight++;
		}
		if (!inflight)
			break;
		k = (unsigned)(next_rand() % qd);
		while (!s[k].busy)
			k = (k + 1) % qd;
		{
			slot *q = &s[k];
			vscsi_cmd_resp r;

			memset(&r, 0, sizeof(r));
			vscsi_vs_cmd_resp_build(&cfg, &r, resp, sizeof(resp));
			iov[0].iov_base = resp;
			iov[0].iov_len = RESP;
			iov[1].iov_base = q->data;
			iov[1].iov_len = BLOCK;
			now_ns += gap ? 20000 + next_rand() % 20001 :
					500 + next_rand() % 4000;
			bad |= vscsi_cap_write_completion(w, &q->c,
					RESP + (q->write ? 0 : BLOCK), iov,
					q->write ? 1 : 2, RESP, now_ns) < 0;
			free_heads[nfree++] = (uint16_t)q->c.head;
			q->busy = 0;
			inflight--;
		}
	}
	bad |= vscsi_cap_writer_close(w) < 0;
	if (log) {
		fprintf(log, "image close\n");
		bad |= fclose(log) != 0;
	}
	free(written);
	if (bad) {
		fprintf(stderr, "replay_gen: a write failed\n");
		return 1;
	}
	return 0;
}
