/*
 * dump_gen: the capture bench/dump.sh reads: N requests of 4 KiB at random
 * LBAs (70% reads, 30% writes) on one request queue kept at 32 in flight,
 * completed in random order, 20..400 us apart, with the data cut at the
 * snap length (the digest covers all of it). The kept bytes of each
 * payload are fresh random bytes, so zstd cannot squeeze them away.
 *
 * Usage: dump_gen FILE N [SNAPLEN]    (SNAPLEN 256 by default)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"

#define QD 32u
#define RING 128u
#define BLOCK 4096u
#define HDR 51u
#define RESP 108u

typedef struct slot {
	vscsi_cap_chain c;
	vscsi_cmd_req req;
	int write;
	uint64_t submit;
} slot;

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t now_ns;

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

static void fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = next_rand();

		memcpy(p + i, &v, 8);
	}
}

int main(int argc, char **argv)
{
	static uint8_t pool[BLOCK];
	static slot s[QD];
	vscsi_vs_cfg cfg;
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_session sess;
	static const uint16_t qs[3] = { RING, RING, RING };
	uint16_t free_heads[RING];
	unsigned nfree = 0, i;
	unsigned long n, done = 0, submitted = 0;
	uint32_t snaplen;
	int err = 0, bad = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: dump_gen FILE N [SNAPLEN]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	snaplen = argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 10) : 256;
	memset(&o, 0, sizeof(o));
	o.snaplen = snaplen;
	o.flags = VSCSI_CAP_W_OVERWRITE;
	o.clock_ns = clock_cb;
	now_ns = 1763712000000000000ull;
	w = vscsi_cap_writer_open(argv[1], &o, &err);
	if (!w) {
		fprintf(stderr, "dump_gen: %s: %s\n", argv[1],
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
	sess.tool = "dump_gen";
	sess.tool_version = "1";
	bad |= vscsi_cap_write_session(w, 0, &sess, now_ns) < 0;
	fill_random(pool, sizeof(pool));
	for (i = 0; i < RING; i++)
		free_heads[nfree++] = (uint16_t)(RING - 1 - i);

	while (done < n) {
		uint8_t hdr[HDR + 8], resp[RESP];
		struct iovec iov[2];
		unsigned k;

		/* keep QD requests in flight, then complete one at random */
		for (k = 0; k < QD && submitted < n; k++) {
			slot *q = &s[k];
			uint64_t lba;

			if (q->c.head || q->submit)
				continue;
			memset(q, 0, sizeof(*q));
			q->write = next_rand() % 10 < 3;
			lba = (next_rand() % (1ull << 28)) & ~7ull;	/* 1 TiB */
			vscsi_lun_encode(q->req.lun.raw, 0, 0, 1);
			q->req.tag = 0xffff888104a00000ull + k * 0x340ull;
			q->req.cdb_size = 10;
			q->req.cdb[0] = q->write ? 0x2a : 0x28;
			vscsi_put_be32(q->req.cdb + 2, (uint32_t)lba);
			vscsi_put_be16(q->req.cdb + 7, 8);
			q->c.vq = 2;
			q->c.flags = VSCSI_RECF_INDIRECT;
			q->c.head = free_heads[--nfree];
			q->c.n_readable = (uint16_t)(q->write ? 2 : 1);
			q->c.n_writable = (uint16_t)(q->write ? 1 : 2);
			q->c.readable_bytes = HDR + (q->write ? BLOCK : 0);
			q->c.writable_bytes = RESP + (q->write ? 0 : BLOCK);
			vscsi_vs_cmd_req_build(&cfg, &q->req, hdr, sizeof(hdr));
			iov[0].iov_base = hdr;
			iov[0].iov_len = HDR;
			if (q->write) {
				fill_random(pool, snaplen > HDR ?
					    (snaplen - HDR + 7) & ~7u : 0);
				iov[1].iov_base = pool;
				iov[1].iov_len = BLOCK;
			}
			now_ns += 1000 + next_rand() % 3000;
			q->submit = now_ns;
			bad |= vscsi_cap_write_request(w, &q->c, iov,
						       q->write ? 2 : 1, HDR,
						       now_ns) < 0;
			submitted++;
		}
		k = (unsigned)(next_rand() % QD);
		while (!s[k].submit)
			k = (k + 1) % QD;
		{
			slot *q = &s[k];
			vscsi_cmd_resp r;

			memset(&r, 0, sizeof(r));
			vscsi_vs_cmd_resp_build(&cfg, &r, resp, sizeof(resp));
			iov[0].iov_base = resp;
			iov[0].iov_len = RESP;
			if (!q->write) {
				fill_random(pool, snaplen > RESP ?
					    (snaplen - RESP + 7) & ~7u : 0);
				iov[1].iov_base = pool;
				iov[1].iov_len = BLOCK;
			}
			now_ns += 500 + next_rand() % 4000;
			bad |= vscsi_cap_write_completion(w, &q->c,
					RESP + (q->write ? 0 : BLOCK), iov,
					q->write ? 1 : 2, RESP, now_ns) < 0;
			free_heads[nfree++] = (uint16_t)q->c.head;
			q->c.head = 0;
			q->submit = 0;
			done++;
		}
	}
	bad |= vscsi_cap_writer_close(w) < 0;
	if (bad) {
		fprintf(stderr, "dump_gen: a write failed\n");
		return 1;
	}
	return 0;
}
