/*
 * Fuzz the capture reader and the record parser.
 *
 * The first byte chooses what the rest is:
 *   0: a capture file, read as it is (plain, zstd, or anything);
 *   1: a plain capture, compressed with zstd before reading;
 *   2: records: a valid pcap header is put in front, then each record is
 *      a 2-byte little-endian length and that many bytes (the reader goes
 *      straight to the record parser without guessing pcap headers);
 *   3: one record for vscsi_cap_parse() alone.
 * The second byte (modes 0-2) gives reader flags (STRICT, UNKNOWN, PIECES:
 * without PIECES the reader puts data continuation records back into
 * their record, reading ahead).
 * Every byte of every record returned is touched so that ASan sees a
 * pointer or length that goes past the buffer, and what the reader says
 * of a record put back together is checked against its own lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zstd.h>

#include "vscsi/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

static void touch(const uint8_t *p, size_t n)
{
	unsigned s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += p[i];
	sink += s;
}

/* ok: the record parsed (or the reader returned it): check its fields
 * against one another too. */
static void touch_rec(const vscsi_cap_rec *rec, int ok)
{
	unsigned i;

	touch(rec->rec, rec->rec_len);
	touch(rec->raw, rec->raw_len);
	if (rec->hdr)
		touch(rec->hdr, rec->hdr_cap);
	if (rec->data)
		touch(rec->data, rec->data_cap);
	if (rec->hdr_cap + rec->data_cap > rec->raw_len)
		abort();
	/* (records of a later version come with their common fields only) */
	if (ok && (rec->type == VSCSI_REC_REQUEST ||
		   rec->type == VSCSI_REC_COMPLETION) &&
	    rec->version <= VSCSI_CAP_VERSION) {
		/* put back together or not: never more than the full
		 * lengths, nor than the reader's bound */
		if (rec->hdr_cap > rec->hdr_len || rec->data_cap > rec->data_len ||
		    rec->hdr_cap + rec->data_cap != rec->raw_len ||
		    rec->data_cap > VSCSI_CAP_REASM_MAX + VSCSI_CAP_SNAPLEN_MAX)
			abort();
		if (rec->pieces && !(rec->flags & VSCSI_RECF_CONTINUED))
			abort();
		if (!!(rec->flags & VSCSI_RECF_CUT) !=
		    ((uint64_t)rec->hdr_cap + rec->data_cap <
		     (uint64_t)rec->hdr_len + rec->data_len))
			abort();
	}
	if (ok && rec->type == VSCSI_REC_DATA &&
	    rec->version <= VSCSI_CAP_VERSION &&
	    (rec->data != rec->raw || rec->data_cap != rec->raw_len))
		abort();
	if (rec->type == VSCSI_REC_SESSION && rec->session.tool) {
		sink += (unsigned)strlen(rec->session.tool);
		sink += (unsigned)strlen(rec->session.tool_version);
		for (i = 0; i < rec->session.num_queues; i++)
			sink += vscsi_cap_queue_size(&rec->session, i);
	}
}

static void read_fd(int fd, unsigned flags)
{
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	int err, rc;
	unsigned n = 0;

	r = vscsi_cap_reader_open_fd(fd, flags, &err);
	if (!r)
		return;
	while (n++ < 100000) {
		rc = vscsi_cap_next(r, &rec);
		if (rc == 1) {
			touch_rec(&rec, 1);
			continue;
		}
		if (rc == 0 || rc != VSCSI_ERR_DAMAGED ||
		    (flags & VSCSI_CAP_R_STRICT))
			break;
		sink += (unsigned)strlen(vscsi_cap_reader_errmsg(r));
	}
	vscsi_cap_reader_stats(r, &st);
	sink += (unsigned)st.records;
	vscsi_cap_reader_close(r);
}

static int memfd_of(const void *p, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	const uint8_t *b = p;
	size_t done = 0;

	if (fd < 0)
		abort();
	while (done < len) {
		ssize_t k = write(fd, b + done, len - done);

		if (k <= 0)
			abort();
		done += (size_t)k;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A pcap image from length-prefixed records. */
static uint8_t *records_to_pcap(const uint8_t *p, size_t n, size_t *out_len)
{
	/* each record grows by at most 16 - 2 bytes */
	size_t cap = 24 + n * 8 + 16, off = 24;
	uint8_t *o = malloc(cap);
	uint32_t ts = 0;

	if (!o)
		abort();
	put32(o, 0xa1b23c4du);
	o[4] = 2;
	o[5] = 0;
	o[6] = 4;
	o[7] = 0;
	memset(o + 8, 0, 8);
	put32(o + 16, VSCSI_CAP_MAX_RECORD);
	put32(o + 20, VSCSI_CAP_LINKTYPE);
	while (n >= 2) {
		size_t len = (size_t)p[0] | (size_t)p[1] << 8;

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		if (off + 16 + len > cap) {
			cap = (off + 16 + len) * 2;
			o = realloc(o, cap);
			if (!o)
				abort();
		}
		put32(o + off, ts++);
		put32(o + off + 4, 0);
		put32(o + off + 8, (uint32_t)len);
		put32(o + off + 12, (uint32_t)len);
		memcpy(o + off + 16, p, len);
		off += 16 + len;
		p += len;
		n -= len;
	}
	*out_len = off;
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode, flags;
	vscsi_cap_rec rec;
	int rc;

	if (size < 2)
		return 0;
	mode = data[0] & 3;
	flags = data[1] & (VSCSI_CAP_R_STRICT | VSCSI_CAP_R_UNKNOWN |
			   VSCSI_CAP_R_PIECES);
	switch (mode) {
	case 0:
		read_fd(memfd_of(data + 2, size - 2), flags);
		break;
	case 1: {
		size_t bound = ZSTD_compressBound(size - 2);
		uint8_t *z = malloc(bound);
		size_t zl;

		if (!z)
			abort();
		zl = ZSTD_compress(z, bound, data + 2, size - 2, 1);
		if (!ZSTD_isError(zl))
			read_fd(memfd_of(z, zl), flags);
		free(z);
		break;
	}
	case 2: {
		size_t len;
		uint8_t *img = records_to_pcap(data + 2, size - 2, &len);

		read_fd(memfd_of(img, len), flags);
		free(img);
		break;
	}
	default: {
		/* a copy of exactly the record's size, so that ASan sees
		 * any read past it */
		uint8_t *copy = malloc(size - 1);

		if (!copy)
			abort();
		memcpy(copy, data + 1, size - 1);
		rc = vscsi_cap_parse(copy, size - 1, &rec);
		if (rec.rec)	/* OK, or skippable with common fields */
			touch_rec(&rec, rc == VSCSI_OK);
		free(copy);
		break;
	}
	}
	return 0;
}
