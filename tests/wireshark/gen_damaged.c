/*
 * Test helper: write a capture of damaged and odd records for the
 * dissector's robustness test (no Lua error, no malformed-packet exception
 * on any of them). From each record of an input capture it writes the
 * record, then copies with random bytes changed, cut at a random length,
 * or with a header length field changed (the input is read with its data
 * continuation records as they are); then records that break each rule
 * of vscsi-capture(5) DAMAGE and VERSION RULES on purpose (short, version 0
 * and 2, unknown types, hdr_len out of range, rec_len not the caplen, a
 * body longer than version 1 writes, raw bytes beyond the lengths, a
 * sequence gap, data continuations that continue nothing or whose length
 * lies).
 *
 * Usage: gen_damaged IN OUT [SEED]   (prints the number of records)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/capture.h"

static vscsi_cap_writer *w;
static unsigned long records;
static uint64_t ts = 1700000000000000000ull;

static unsigned rnd(unsigned n)
{
	return (unsigned)rand() % n;
}

static void put(const uint8_t *b, size_t n)
{
	if (vscsi_cap_write_raw(w, b, n, ts++) < 0) {
		fprintf(stderr, "gen_damaged: write failed\n");
		exit(1);
	}
	records++;
}

static void le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

/* A header of the given shape with zeros after it. */
static size_t hdr(uint8_t *b, unsigned ver, unsigned type, unsigned hl,
		  uint32_t rl, uint64_t seq)
{
	unsigned i;

	memset(b, 0, rl);
	b[0] = (uint8_t)ver;
	b[1] = (uint8_t)type;
	le16(b + 2, hl);
	le32(b + 4, rl);
	le32(b + 8, 9);
	le16(b + 12, 2);
	for (i = 0; i < 8; i++)
		b[16 + i] = (uint8_t)(seq >> (8 * i));
	return rl;
}

int main(int argc, char **argv)
{
	static uint8_t b[8192];
	vscsi_cap_reader *rd;
	vscsi_cap_rec r;
	vscsi_cap_wopts o;
	int err, rc;
	unsigned t, k, i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: gen_damaged IN OUT [SEED]\n");
		return 2;
	}
	srand(argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 11u);
	rd = vscsi_cap_reader_open(argv[1], VSCSI_CAP_R_PIECES, &err);
	if (!rd) {
		fprintf(stderr, "gen_damaged: %s: %s\n", argv[1],
			vscsi_strerror(err));
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_OVERWRITE;
	w = vscsi_cap_writer_open(argv[2], &o, &err);
	if (!w) {
		fprintf(stderr, "gen_damaged: %s: %s\n", argv[2],
			vscsi_strerror(err));
		return 1;
	}

	while ((rc = vscsi_cap_next(rd, &r)) != 0) {
		size_t n;

		if (rc < 0)
			continue;
		n = r.rec_len < sizeof(b) ? r.rec_len : sizeof(b);
		memcpy(b, r.rec, n);
		le32(b + 4, (uint32_t)n);
		put(b, n);
		for (k = 0; k < 3; k++) {
			memcpy(b, r.rec, n);
			le32(b + 4, (uint32_t)n);
			switch (rnd(4)) {
			case 0:	/* bytes after the common header */
				for (i = 0; i < 1 + rnd(8); i++)
					if (n > 24)
						b[24 + rnd((unsigned)n - 24)] =
							(uint8_t)rnd(256);
				put(b, n);
				break;
			case 1: {	/* cut, rec_len kept consistent */
				size_t m = 24 + rnd((unsigned)(n - 24 + 1));

				le32(b + 4, (uint32_t)m);
				if (b[2] + (b[3] << 8) > (int)m)
					le16(b + 2, (unsigned)m);
				put(b, m);
				break;
			}
			case 2:	/* a body or raw length field */
				if (n >= 64 && (b[1] == 1 || b[1] == 2))
					le32(b + 44 + 4 * rnd(2),
					     (uint32_t)rnd(300));
				else if (n >= 32 && b[1] == 3)
					le32(b + 28, (uint32_t)rnd(64));
				else if (n >= 56 && b[1] == 4)
					le16(b + 52, rnd(40));
				put(b, n);
				break;
			default:	/* the vq: another queue role */
				le16(b + 12, rnd(4));
				put(b, n);
				break;
			}
		}
	}
	vscsi_cap_reader_close(rd);

	/* the rules of vscsi-capture(5), broken one at a time */
	put(b, hdr(b, 1, 1, 64, 20, 0));	/* shorter than 24 */
	put(b, hdr(b, 0, 1, 64, 80, 1));	/* version 0 */
	put(b, hdr(b, 2, 1, 64, 80, 2));	/* a later version */
	put(b, hdr(b, 1, 0, 24, 30, 3));	/* type 0 */
	put(b, hdr(b, 1, 9, 24, 30, 4));	/* an unknown type */
	put(b, hdr(b, 1, 1, 20, 80, 5));	/* hdr_len below 24 */
	put(b, hdr(b, 1, 2, 90, 80, 6));	/* hdr_len above rec_len */
	for (t = 1; t <= 7; t++)		/* hdr_len below the body */
		put(b, hdr(b, 1, t, 30, 40, 7));
	hdr(b, 1, 1, 64, 80, 8);		/* rec_len not the caplen */
	le32(b + 4, 81);
	put(b, 80);
	hdr(b, 1, 1, 72, 90, 9);		/* a longer body */
	le32(b + 44, 18);
	put(b, 90);
	hdr(b, 1, 2, 64, 100, 10);		/* raw beyond vs_len + data_len */
	le32(b + 44, 12);
	le32(b + 48, 4);
	put(b, 100);
	hdr(b, 1, 3, 32, 50, 11);		/* vhost-user dir 2 */
	b[24] = 2;
	le32(b + 28, 18);
	put(b, 50);
	hdr(b, 1, 3, 32, 44, 12);		/* a vhost-user size past the bytes */
	le32(b + 28, 200);
	le32(b + 32, 5);			/* SET_MEM_TABLE */
	le32(b + 36, 1);
	le32(b + 40, 188);
	put(b, 44);
	hdr(b, 1, 4, 56, 58, 13);		/* session without its NULs */
	le16(b + 52, 1);
	put(b, 58);
	hdr(b, 1, 4, 56, 56, 14);		/* session: 300 queues, no sizes */
	le16(b + 52, 300);
	put(b, 56);
	hdr(b, 1, 6, 32, 32, 40);		/* a sequence gap */
	put(b, 32);
	hdr(b, 1, 5, 48, 48 + 5, 41);		/* loss text, not UTF-8 */
	memcpy(b + 48, "\xff\xfe\x00\x01x", 5);
	put(b, 53);
	hdr(b, 1, 7, 40, 50, 42);		/* a continuation of nothing */
	le32(b + 24, 41);
	le32(b + 32, 100);
	le32(b + 36, 10);
	put(b, 50);
	hdr(b, 1, 2, 64, 64 + 20, 43);		/* continued, then a piece */
	le16(b + 14, 0x0008 | 0x0100);		/* whose length lies */
	le32(b + 44, 12);
	le32(b + 48, 100);
	put(b, 84);
	hdr(b, 1, 7, 40, 50, 44);
	le32(b + 24, 43);
	le32(b + 32, 8);
	le32(b + 36, 11);
	put(b, 50);
	hdr(b, 1, 7, 40, 40, 45);		/* offset + length past 2^32 */
	le32(b + 24, 43);
	le32(b + 32, 0xffffffffu);
	put(b, 40);
	/* random headers over random bytes */
	for (k = 0; k < 400; k++) {
		size_t m = 24 + rnd(200);

		for (i = 0; i < m; i++)
			b[i] = (uint8_t)rnd(256);
		b[0] = (uint8_t)rnd(3);
		b[1] = (uint8_t)rnd(8);
		le16(b + 2, 24 + rnd((unsigned)m));
		le32(b + 4, (uint32_t)m);
		put(b, m);
	}
	if (vscsi_cap_writer_close(w) < 0) {
		fprintf(stderr, "gen_damaged: close failed\n");
		return 1;
	}
	printf("%lu\n", records);
	return 0;
}
