/*
 * The capture format: write/read round trips of every record type (zstd and
 * plain, files and pipes), the byte layout of vscsi-capture(5), snap-length
 * cuts and digests, sequence gaps, unknown types and versions, damaged
 * records, truncation at every byte, frames ended by the clock, crashes of
 * a writer, write errors, follow mode, and files that are not captures.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <xxhash.h>
#include <zstd.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/capture.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[64];

static void setup_tmp(void)
{
	strcpy(tmpdir, "/tmp/check_capture.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
	static char buf[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* A memfd holding bytes, positioned at 0. */
static int memfd_of(const void *p, size_t len)
{
	int fd = memfd_create("capture", MFD_CLOEXEC);
	const uint8_t *b = p;
	size_t done = 0;

	ck_assert_int_ge(fd, 0);
	while (done < len) {
		ssize_t k = write(fd, b + done, len - done);

		ck_assert_int_gt(k, 0);
		done += (size_t)k;
	}
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	fclose(f);
}

static vscsi_cap_writer *wopen(const char *path, unsigned compress,
			       uint32_t snaplen)
{
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	int err = 0;

	memset(&o, 0, sizeof(o));
	o.compress = compress;
	o.snaplen = snaplen;
	w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_msg(w != NULL, "writer_open %s: %s", path,
		      vscsi_strerror(err));
	return w;
}

static vscsi_cap_reader *ropen(const char *path, unsigned flags)
{
	int err = 0;
	vscsi_cap_reader *r = vscsi_cap_reader_open(path, flags, &err);

	ck_assert_msg(r != NULL, "reader_open %s: %s", path,
		      vscsi_strerror(err));
	return r;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

/* Bytes zstd cannot squeeze (xorshift). */
static void noise(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Read every record; return how many; check the end code. */
static unsigned count_records(vscsi_cap_reader *r, int want_end)
{
	vscsi_cap_rec rec;
	unsigned n = 0;
	int rc;

	while ((rc = vscsi_cap_next(r, &rec)) == 1)
		n++;
	ck_assert_int_eq(rc, want_end);
	return n;
}

/* Walk a plain pcap image: number of whole records in the first len
 * bytes, and whether len is on a record boundary (or the header). */
static unsigned pcap_whole_records(const uint8_t *b, size_t len, int *boundary)
{
	size_t off = 24;
	unsigned n = 0;

	*boundary = len == 24;
	if (len < 24)
		return 0;
	while (len - off >= 16) {
		uint32_t caplen = (uint32_t)b[off + 8] | (uint32_t)b[off + 9] << 8 |
				  (uint32_t)b[off + 10] << 16 |
				  (uint32_t)b[off + 11] << 24;

		if (caplen > len - off - 16)
			break;
		off += 16 + caplen;
		n++;
	}
	*boundary = off == len;
	return n;
}

/* ------------------------------------------------------------ a sample */

/* Bytes of the sample records, kept to compare with what is read. */
static uint8_t s_req_hdr[51], s_req_data[3000], s_cpl_hdr[108],
	s_cpl_data[5000], s_vu_msg[40];
static const uint16_t s_qsizes[4] = { 128, 128, 256, 1024 };

#define S_TS 1700000000123456789ull

static void sample_init(void)
{
	fill(s_req_hdr, sizeof(s_req_hdr), 1);
	fill(s_req_data, sizeof(s_req_data), 2);
	fill(s_cpl_hdr, sizeof(s_cpl_hdr), 3);
	fill(s_cpl_data, sizeof(s_cpl_data), 4);
	fill(s_vu_msg, sizeof(s_vu_msg), 5);
}

/* Write one record of each type (and two requests), in order:
 * session, vhost-user, request, notify(kick), completion, loss, request. */
static void write_sample(vscsi_cap_writer *w)
{
	vscsi_cap_session s;
	vscsi_cap_chain c;
	struct iovec iov[4];

	sample_init();

	memset(&s, 0, sizeof(s));
	s.features = 0x130000007ull;
	s.protocol_features = 0x8000ull;
	s.cdb_size = 32;
	s.sense_size = 96;
	s.snaplen = 65536;
	s.num_queues = 4;
	s.flags = VSCSI_SESSF_LEGACY | VSCSI_SESSF_BIG_ENDIAN;
	s.queue_sizes = s_qsizes;
	s.tool = "vscsi-capture";
	s.tool_version = "0.1.0";
	ck_assert_int_eq(vscsi_cap_write_session(w, 7, &s, S_TS), VSCSI_OK);

	ck_assert_int_eq(vscsi_cap_write_vhost_user(w, 7, VSCSI_VU_TO_FRONTEND,
			VSCSI_VU_CHAN_BACKEND, s_vu_msg, sizeof(s_vu_msg), 2,
			S_TS + 1), VSCSI_OK);

	memset(&c, 0, sizeof(c));
	c.conn = 7;
	c.vq = 3;
	c.flags = VSCSI_RECF_INDIRECT | VSCSI_RECF_PACKED;
	c.head = 0x1234;
	c.n_readable = 4;
	c.n_writable = 2;
	c.readable_bytes = 51 + 3000;
	c.writable_bytes = 108 + 5000;
	/* the header split over two iovecs, the data over three; the
	 * second iovec holds the end of the header and data */
	iov[0].iov_base = s_req_hdr;
	iov[0].iov_len = 20;
	iov[1].iov_base = s_req_hdr + 20;
	iov[1].iov_len = 31;
	iov[2].iov_base = s_req_data;
	iov[2].iov_len = 1000;
	iov[3].iov_base = s_req_data + 1000;
	iov[3].iov_len = 2000;
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 4, 51, S_TS + 2),
			 VSCSI_OK);

	ck_assert_int_eq(vscsi_cap_write_notify(w, 7, 3, VSCSI_NOTIFY_KICK,
						S_TS + 3), VSCSI_OK);

	iov[0].iov_base = s_cpl_hdr;
	iov[0].iov_len = sizeof(s_cpl_hdr);
	iov[1].iov_base = s_cpl_data;
	iov[1].iov_len = sizeof(s_cpl_data);
	ck_assert_int_eq(vscsi_cap_write_completion(w, &c, 108 + 5000, iov, 2,
						    108, S_TS + 4), VSCSI_OK);

	ck_assert_int_eq(vscsi_cap_write_loss(w, 7, 42, VSCSI_LOSS_QUEUE_FULL,
			S_TS - 5, "queue full", S_TS + 5), VSCSI_OK);

	/* a request with no data and a header in one iovec */
	c.flags = 0;
	c.head = 9;
	iov[0].iov_base = s_req_hdr;
	iov[0].iov_len = sizeof(s_req_hdr);
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 1, 51, S_TS + 6),
			 VSCSI_OK);
}

#define SAMPLE_RECORDS 7

/* Read the sample back and compare every field and byte. snap: the
 * writer's snap length (0: no cut). */
static void check_sample(vscsi_cap_reader *r, uint32_t snap)
{
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	size_t keep;

	sample_init();
	/* session */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_SESSION);
	ck_assert_uint_eq(rec.version, 1);
	ck_assert_uint_eq(rec.recno, 1);
	ck_assert_uint_eq(rec.conn, 7);
	ck_assert_uint_eq(rec.vq, VSCSI_CAP_VQ_NONE);
	ck_assert_uint_eq(rec.seq, 0);
	ck_assert_uint_eq(rec.ts_ns, S_TS);
	ck_assert_uint_eq(rec.session.features, 0x130000007ull);
	ck_assert_uint_eq(rec.session.protocol_features, 0x8000ull);
	ck_assert_uint_eq(rec.session.cdb_size, 32);
	ck_assert_uint_eq(rec.session.sense_size, 96);
	ck_assert_uint_eq(rec.session.snaplen, 65536);
	ck_assert_uint_eq(rec.session.num_queues, 4);
	ck_assert_uint_eq(rec.session.flags,
			  VSCSI_SESSF_LEGACY | VSCSI_SESSF_BIG_ENDIAN);
	ck_assert_uint_eq(vscsi_cap_queue_size(&rec.session, 0), 128);
	ck_assert_uint_eq(vscsi_cap_queue_size(&rec.session, 2), 256);
	ck_assert_uint_eq(vscsi_cap_queue_size(&rec.session, 3), 1024);
	ck_assert_uint_eq(vscsi_cap_queue_size(&rec.session, 4), 0);
	ck_assert_str_eq(rec.session.tool, "vscsi-capture");
	ck_assert_str_eq(rec.session.tool_version, "0.1.0");

	/* vhost-user */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_VHOST_USER);
	ck_assert_uint_eq(rec.seq, 1);
	ck_assert_uint_eq(rec.ts_ns, S_TS + 1);
	ck_assert_uint_eq(rec.vu.dir, VSCSI_VU_TO_FRONTEND);
	ck_assert_uint_eq(rec.vu.channel, VSCSI_VU_CHAN_BACKEND);
	ck_assert_uint_eq(rec.vu.nfds, 2);
	ck_assert_uint_eq(rec.vu.msg_len, sizeof(s_vu_msg));
	keep = snap && snap < sizeof(s_vu_msg) ? snap : sizeof(s_vu_msg);
	ck_assert_uint_eq(rec.raw_len, keep);
	ck_assert_mem_eq(rec.raw, s_vu_msg, keep);

	/* request */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(rec.seq, 2);
	ck_assert_uint_eq(rec.ts_ns, S_TS + 2);
	ck_assert_uint_eq(rec.vq, 3);
	ck_assert_uint_eq(rec.head, 0x1234);
	ck_assert_uint_eq(rec.flags & 0xff,
			  VSCSI_RECF_INDIRECT | VSCSI_RECF_PACKED);
	ck_assert_uint_eq(rec.n_readable, 4);
	ck_assert_uint_eq(rec.n_writable, 2);
	ck_assert_uint_eq(rec.readable_bytes, 3051);
	ck_assert_uint_eq(rec.writable_bytes, 5108);
	ck_assert_uint_eq(rec.used_len, 0);
	ck_assert_uint_eq(rec.hdr_len, 51);
	ck_assert_uint_eq(rec.data_len, 3000);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(s_req_data, 3000));
	keep = snap && snap < 3051 ? snap : 3051;
	ck_assert_uint_eq(rec.hdr_cap + rec.data_cap, keep);
	ck_assert_uint_eq(rec.hdr_cap, keep < 51 ? keep : 51);
	ck_assert_mem_eq(rec.hdr, s_req_hdr, rec.hdr_cap);
	if (rec.data_cap)
		ck_assert_mem_eq(rec.data, s_req_data, rec.data_cap);
	ck_assert_uint_eq(!!(rec.flags & VSCSI_RECF_CUT), keep < 3051);
	ck_assert_uint_eq(rec.rec_hdr_len, VSCSI_CAP_REQ_HDR_LEN);
	ck_assert_uint_eq(rec.rec_len, VSCSI_CAP_REQ_HDR_LEN + keep);

	/* notify */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(rec.seq, 3);
	ck_assert_uint_eq(rec.vq, 3);
	ck_assert_uint_eq(rec.notify.kind, VSCSI_NOTIFY_KICK);
	ck_assert_uint_eq(rec.raw_len, 0);

	/* completion */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_COMPLETION);
	ck_assert_uint_eq(rec.seq, 4);
	ck_assert_uint_eq(rec.ts_ns, S_TS + 4);
	ck_assert_uint_eq(rec.head, 0x1234);
	ck_assert_uint_eq(rec.used_len, 5108);
	ck_assert_uint_eq(rec.hdr_len, 108);
	ck_assert_uint_eq(rec.data_len, 5000);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(s_cpl_data, 5000));
	keep = snap && snap < 5108 ? snap : 5108;
	ck_assert_uint_eq(rec.hdr_cap + rec.data_cap, keep);
	ck_assert_mem_eq(rec.hdr, s_cpl_hdr, rec.hdr_cap);
	if (rec.data_cap)
		ck_assert_mem_eq(rec.data, s_cpl_data, rec.data_cap);

	/* loss */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_LOSS);
	ck_assert_uint_eq(rec.seq, 5);
	ck_assert_uint_eq(rec.loss.count, 42);
	ck_assert_uint_eq(rec.loss.since_ns, S_TS - 5);
	ck_assert_uint_eq(rec.loss.reason, VSCSI_LOSS_QUEUE_FULL);
	keep = snap && snap < 10 ? snap : 10;
	ck_assert_uint_eq(rec.raw_len, keep);
	ck_assert_mem_eq(rec.raw, "queue full", keep);

	/* request without data */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(rec.seq, 6);
	ck_assert_uint_eq(rec.recno, 7);
	ck_assert_uint_eq(rec.head, 9);
	ck_assert_uint_eq(rec.data_len, 0);
	ck_assert_uint_eq(rec.data_cap, 0);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(NULL, 0));

	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.records, SAMPLE_RECORDS);
	ck_assert_uint_eq(st.pcap_records, SAMPLE_RECORDS);
	ck_assert_uint_eq(st.seq_gaps, 0);
	ck_assert_uint_eq(st.damaged, 0);
	ck_assert_uint_eq(st.unknown, 0);
	ck_assert_int_eq(st.truncated, 0);
	ck_assert_uint_eq(st.snaplen, VSCSI_CAP_MAX_RECORD);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_names)
{
	ck_assert_int_eq(vscsi_cap_linktype(), 152);
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_REQUEST), "request");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_COMPLETION),
			 "completion");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_VHOST_USER),
			 "vhost-user");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_SESSION), "session");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_LOSS), "loss");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_NOTIFY), "notify");
	ck_assert_str_eq(vscsi_rec_type_name(VSCSI_REC_DATA), "data");
	ck_assert_str_eq(vscsi_rec_type_name(8), "unknown");
	ck_assert_str_eq(vscsi_rec_type_name(0), "unknown");
	ck_assert_str_eq(vscsi_rec_type_name(200), "unknown");
	ck_assert_str_eq(vscsi_cap_loss_reason_name(VSCSI_LOSS_WRITE_ERROR),
			 "write-error");
	ck_assert_str_eq(vscsi_cap_loss_reason_name(99), "unknown");
}
END_TEST

/* Every record type, zstd (loop 0) and plain (loop 1), by name. */
START_TEST(test_roundtrip)
{
	const char *path = _i ? tpath("rt.pcap") : tpath("rt.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_wstats ws;
	vscsi_cap_rstats rs;
	uint8_t magic[4];
	size_t len;
	uint8_t *b;

	write_sample(w);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.records, SAMPLE_RECORDS);
	ck_assert_uint_eq(ws.dropped, 0);
	ck_assert_uint_eq(ws.cut, 0);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	b = slurp(path, &len);
	memcpy(magic, b, 4);
	free(b);
	if (_i) /* pcap, nanosecond magic, little-endian host */
		ck_assert_uint_eq(magic[0], 0x4d);
	else /* zstd frame */
		ck_assert_uint_eq(magic[0], 0x28);

	r = ropen(path, 0);
	check_sample(r, 0);
	vscsi_cap_reader_stats(r, &rs);
	ck_assert_int_eq(rs.compressed, !_i);
	vscsi_cap_reader_close(r);
}
END_TEST

/* Compression forced against the name. */
START_TEST(test_compress_option)
{
	const char *a = tpath("forced-plain.pcap.zst");
	const char *z = tpath("forced-zstd.pcap");
	vscsi_cap_writer *w;
	vscsi_cap_reader *r;
	size_t len;
	uint8_t *b;

	w = wopen(a, VSCSI_CAP_COMPRESS_OFF, 0);
	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	b = slurp(a, &len);
	ck_assert_uint_eq(b[0], 0x4d);
	free(b);
	r = ropen(a, 0);
	check_sample(r, 0);
	vscsi_cap_reader_close(r);

	w = wopen(z, VSCSI_CAP_COMPRESS_ON, 0);
	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	b = slurp(z, &len);
	ck_assert_uint_eq(b[0], 0x28);
	free(b);
	r = ropen(z, 0);
	check_sample(r, 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/*
 * The byte layout of vscsi-capture(5), pinned: a plain file with one
 * request, compared byte by byte with the man page's tables ("FILE",
 * "RECORD HEADER", "REQUEST AND COMPLETION").
 */
START_TEST(test_layout_bytes)
{
	const char *path = tpath("layout.pcap");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_chain c;
	uint8_t hdr[51], data[8];
	struct iovec iov[2] = { { hdr, 51 }, { data, 8 } };
	uint64_t dg;
	size_t len, i;
	uint8_t *b;
	static const uint8_t file_hdr[24] = {
		0x4d, 0x3c, 0xb2, 0xa1,	/* nanosecond pcap magic */
		0x02, 0x00, 0x04, 0x00,	/* version 2.4 */
		0, 0, 0, 0, 0, 0, 0, 0,	/* thiszone, sigfigs */
		0x00, 0x00, 0x04, 0x00,	/* snaplen 262144 */
		0x98, 0x00, 0x00, 0x00,	/* link type 152 (USER5) */
	};
	uint8_t rec_hdr[16 + 64] = {
		0x00, 0xf1, 0x53, 0x65,	/* ts seconds 1700000000 */
		0x15, 0xcd, 0x5b, 0x07,	/* ts nanoseconds 123456789 */
		0x7b, 0, 0, 0,		/* caplen 123 */
		0x7b, 0, 0, 0,		/* len 123 */
		/* common header */
		0x01,			/* version */
		0x01,			/* type: request */
		0x40, 0x00,		/* hdr_len 64 */
		0x7b, 0, 0, 0,		/* rec_len 123 */
		0x04, 0x03, 0x02, 0x01,	/* conn */
		0x02, 0x00,		/* vq */
		0x01, 0x00,		/* flags: INDIRECT */
		0, 0, 0, 0, 0, 0, 0, 0,	/* seq 0 */
		/* request body */
		0x07, 0, 0, 0,		/* head */
		0, 0, 0, 0,		/* used_len */
		0x02, 0x00,		/* n_readable */
		0x01, 0x00,		/* n_writable */
		0x3b, 0, 0, 0,		/* readable_bytes 59 */
		0x6c, 0, 0, 0,		/* writable_bytes 108 */
		0x33, 0, 0, 0,		/* vs_len 51 */
		0x08, 0, 0, 0,		/* data_len 8 */
		0, 0, 0, 0,		/* reserved */
		0, 0, 0, 0, 0, 0, 0, 0,	/* digest, filled below */
	};

	fill(hdr, sizeof(hdr), 9);
	fill(data, sizeof(data), 10);
	memset(&c, 0, sizeof(c));
	c.conn = 0x01020304;
	c.vq = 2;
	c.flags = VSCSI_RECF_INDIRECT;
	c.head = 7;
	c.n_readable = 2;
	c.n_writable = 1;
	c.readable_bytes = 59;
	c.writable_bytes = 108;
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 2, 51,
						 1700000000123456789ull),
			 VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	dg = XXH3_64bits(data, 8);
	for (i = 0; i < 8; i++)
		rec_hdr[16 + 56 + i] = (uint8_t)(dg >> (8 * i));
	b = slurp(path, &len);
	ck_assert_uint_eq(len, 24 + 16 + 123);
	ck_assert_mem_eq(b, file_hdr, 24);
	ck_assert_mem_eq(b + 24, rec_hdr, sizeof(rec_hdr));
	ck_assert_mem_eq(b + 24 + 16 + 64, hdr, 51);
	ck_assert_mem_eq(b + 24 + 16 + 64 + 51, data, 8);
	free(b);
}
END_TEST

/* Writer into a pipe (/dev/fd/N, no overwrite needed), reader on "-";
 * loop 0 zstd, loop 1 plain pcap on stdin. */
START_TEST(test_pipe_stdin)
{
	int pfd[2];
	pid_t pid;
	int status;
	vscsi_cap_reader *r;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char name[32];
		vscsi_cap_wopts o;
		vscsi_cap_writer *w;
		int err;

		close(pfd[0]);
		snprintf(name, sizeof(name), "/dev/fd/%d", pfd[1]);
		memset(&o, 0, sizeof(o));
		o.compress = _i ? VSCSI_CAP_COMPRESS_OFF : VSCSI_CAP_COMPRESS_AUTO;
		w = vscsi_cap_writer_open(name, &o, &err);
		if (!w)
			_exit(2);
		write_sample(w);
		_exit(vscsi_cap_writer_close(w) == VSCSI_OK ? 0 : 3);
	}
	close(pfd[1]);
	ck_assert_int_eq(dup2(pfd[0], STDIN_FILENO), STDIN_FILENO);
	close(pfd[0]);
	r = ropen("-", 0);
	check_sample(r, 0);
	vscsi_cap_reader_close(r);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Snap lengths: every cut of the sample keeps the full lengths and the
 * digest of the full payload. */
START_TEST(test_snaplen)
{
	static const uint32_t snaps[] = { 1, 20, 51, 52, 100, 3050, 3051, 5107 };
	unsigned k;

	for (k = 0; k < ARRAY_LEN(snaps); k++) {
		const char *path = tpath("snap.pcap.zst");
		vscsi_cap_writer *w;
		vscsi_cap_reader *r;
		vscsi_cap_wstats ws;

		unlink(path);
		w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, snaps[k]);
		write_sample(w);
		vscsi_cap_writer_stats(w, &ws);
		/* vhost-user (40), request (3051), completion (5108) and
		 * the loss text (10) are above some of the snap lengths */
		ck_assert_uint_eq(ws.cut, (unsigned)(snaps[k] < 40) +
				  (unsigned)(snaps[k] < 3051) +
				  (unsigned)(snaps[k] < 5108) +
				  (unsigned)(snaps[k] < 10) +
				  (unsigned)(snaps[k] < 51));
		ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
		r = ropen(path, 0);
		check_sample(r, snaps[k]);
		vscsi_cap_reader_close(r);
	}
}
END_TEST

/* Writer sequence numbers count every record of a connection from 0;
 * given ones with holes are counted as gaps by the reader. */
START_TEST(test_seq_gaps)
{
	const char *path = tpath("seq.pcap");
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	static const struct {
		uint32_t conn;
		uint64_t seq;
		uint64_t missing;
	} seqs[] = {
		{ 1, 0, 0 }, { 2, 0, 0 }, { 1, 1, 0 }, { 1, 2, 0 },
		{ 1, 5, 2 }, { 2, 1, 0 }, { 1, 6, 0 }, { 2, 4, 2 },
		{ 1, 6, 0 },	/* a repeat: a gap, nothing missing */
		{ 3, 3, 3 },	/* a connection first seen at 3 */
		{ VSCSI_CAP_CONN_NONE, 0, 0 }, /* not tracked */
		{ VSCSI_CAP_CONN_NONE, 0, 0 },
	};
	int err, rc;
	unsigned i;

	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_CALLER_SEQ;
	w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_ptr_nonnull(w);
	for (i = 0; i < ARRAY_LEN(seqs); i++) {
		memset(&rec, 0, sizeof(rec));
		rec.type = VSCSI_REC_NOTIFY;
		rec.conn = seqs[i].conn;
		rec.seq = seqs[i].seq;
		ck_assert_int_eq(vscsi_cap_write(w, &rec, NULL, 0), VSCSI_OK);
	}
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	r = ropen(path, 0);
	for (i = 0; i < ARRAY_LEN(seqs); i++) {
		rc = vscsi_cap_next(r, &rec);
		ck_assert_int_eq(rc, 1);
		ck_assert_uint_eq(rec.seq, seqs[i].seq);
		ck_assert_msg(rec.seq_missing == seqs[i].missing,
			      "record %u: missing %llu", i,
			      (unsigned long long)rec.seq_missing);
	}
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.seq_gaps, 4);
	ck_assert_uint_eq(st.seq_missing, 7);
	vscsi_cap_reader_close(r);

	/* automatic numbers: per connection, from 0, no gaps */
	unlink(path);
	w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(vscsi_cap_write_notify(w, i % 3, 2, 0, 0),
				 VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
		ck_assert_uint_eq(rec.conn, i % 3);
		ck_assert_uint_eq(rec.seq, i / 3);
	}
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.seq_gaps, 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* A hand-made record: common header and a zeroed body of hdr_len. */
static size_t make_rec(uint8_t *b, unsigned version, unsigned type,
		       size_t hdr_len, size_t raw_len, uint32_t conn,
		       uint64_t seq)
{
	size_t len = hdr_len + raw_len;

	memset(b, 0, len);
	b[0] = (uint8_t)version;
	b[1] = (uint8_t)type;
	vscsi_put_le16(b + 2, (uint16_t)hdr_len);
	vscsi_put_le32(b + 4, (uint32_t)len);
	vscsi_put_le32(b + 8, conn);
	vscsi_put_le16(b + 12, 0xffff);
	vscsi_put_le64(b + 16, seq);
	return len;
}

/* Unknown types and higher versions are skipped and counted (their seq
 * still counts), or returned with VSCSI_CAP_R_UNKNOWN. */
START_TEST(test_unknown_skipped)
{
	const char *path = tpath("unknown.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	uint8_t b[200];
	size_t len;

	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	len = make_rec(b, 1, 200, 40, 30, 1, 1);	/* unknown type */
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	len = make_rec(b, 2, VSCSI_REC_REQUEST, 24, 5, 1, 2); /* version 2 */
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* the skipped records had seq 1 and 2: go on at 3 */
	len = make_rec(b, 1, VSCSI_REC_NOTIFY, 32, 0, 1, 3);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	r = ropen(path, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.seq, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(rec.seq, 3);
	ck_assert_uint_eq(rec.recno, 4);
	ck_assert_uint_eq(rec.seq_missing, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.unknown, 1);
	ck_assert_uint_eq(st.newer, 1);
	ck_assert_uint_eq(st.records, 2);
	ck_assert_uint_eq(st.pcap_records, 4);
	ck_assert_uint_eq(st.seq_gaps, 0);
	ck_assert_uint_eq(st.damaged, 0);
	vscsi_cap_reader_close(r);

	r = ropen(path, VSCSI_CAP_R_UNKNOWN);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, 200);
	ck_assert_uint_eq(rec.version, 1);
	ck_assert_uint_eq(rec.rec_hdr_len, 40);
	ck_assert_uint_eq(rec.raw_len, 30);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(rec.version, 2);
	ck_assert_uint_eq(rec.raw_len, 5);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* A request with a longer header (fields of a later minor revision):
 * the known fields are read, the extra bytes skipped. */
START_TEST(test_longer_header)
{
	const char *path = tpath("longer.pcap");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	uint8_t b[200];
	size_t len;

	len = make_rec(b, 1, VSCSI_REC_REQUEST, 64 + 12, 20, 1, 0);
	vscsi_put_le32(b + 24, 77);		/* head */
	vscsi_put_le32(b + 44, 15);		/* vs_len */
	vscsi_put_le32(b + 48, 5);		/* data_len */
	vscsi_put_le64(b + 56, 0x1122334455667788ull);
	memset(b + 64, 0xee, 12);		/* the appended fields */
	fill(b + 76, 20, 3);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	r = ropen(path, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.head, 77);
	ck_assert_uint_eq(rec.rec_hdr_len, 76);
	ck_assert_uint_eq(rec.digest, 0x1122334455667788ull);
	ck_assert_uint_eq(rec.hdr_cap, 15);
	ck_assert_uint_eq(rec.data_cap, 5);
	ck_assert_ptr_eq(rec.hdr, rec.rec + 76);
	ck_assert_mem_eq(rec.hdr, b + 76, 20);
	ck_assert_int_eq(rec.flags & VSCSI_RECF_CUT, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* Damaged records between good ones: each reported with its record
 * number and skipped; strict mode stops at the first. */
START_TEST(test_damaged_records)
{
	const char *path = tpath("damaged.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	uint8_t b[300];
	size_t len;
	unsigned bad = 0, good = 0, i;
	int rc;
	char want[32];

	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	/* 2: shorter than the common header */
	ck_assert_int_eq(vscsi_cap_write_raw(w, "\x01\x06\x20", 3, 0), VSCSI_OK);
	/* 3: rec_len above the bytes present */
	len = make_rec(b, 1, VSCSI_REC_NOTIFY, 32, 0, 9, 0);
	vscsi_put_le32(b + 4, 40);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 4: rec_len below the bytes present */
	vscsi_put_le32(b + 4, 31);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 5: hdr_len below 24 */
	len = make_rec(b, 1, VSCSI_REC_NOTIFY, 32, 0, 9, 0);
	vscsi_put_le16(b + 2, 23);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 6: hdr_len above the record */
	vscsi_put_le16(b + 2, 33);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 7: version 0 */
	len = make_rec(b, 0, VSCSI_REC_NOTIFY, 32, 0, 9, 0);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 8: hdr_len below the type's minimum */
	len = make_rec(b, 1, VSCSI_REC_REQUEST, 60, 0, 9, 0);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 9: more raw bytes than vs_len + data_len */
	len = make_rec(b, 1, VSCSI_REC_REQUEST, 64, 10, 9, 0);
	vscsi_put_le32(b + 44, 4);
	vscsi_put_le32(b + 48, 5);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 10: a session whose strings have no NUL */
	len = make_rec(b, 1, VSCSI_REC_SESSION, 56, 6, 9, 0);
	vscsi_put_le16(b + 52, 1);
	memcpy(b + 56, "\x80\x00" "abcd", 6);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 11: a session with more queues than bytes */
	len = make_rec(b, 1, VSCSI_REC_SESSION, 56, 4, 9, 0);
	vscsi_put_le16(b + 52, 3);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 12: vhost-user with an impossible direction */
	len = make_rec(b, 1, VSCSI_REC_VHOST_USER, 32, 0, 9, 0);
	b[24] = 2;
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 13: vhost-user with more bytes than its message */
	len = make_rec(b, 1, VSCSI_REC_VHOST_USER, 32, 8, 9, 0);
	vscsi_put_le32(b + 28, 7);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, len, 0), VSCSI_OK);
	/* 14: an empty pcap record */
	ck_assert_int_eq(vscsi_cap_write_raw(w, NULL, 0, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	r = ropen(path, 0);
	i = 0;
	while ((rc = vscsi_cap_next(r, &rec)) != 0) {
		if (rc == 1) {
			good++;
			ck_assert_uint_eq(rec.conn, 1);
			continue;
		}
		ck_assert_int_eq(rc, VSCSI_ERR_DAMAGED);
		bad++;
		snprintf(want, sizeof(want), "record %u at", 2 + i++);
		ck_assert_msg(strstr(vscsi_cap_reader_errmsg(r), want) != NULL,
			      "'%s' lacks '%s'", vscsi_cap_reader_errmsg(r),
			      want);
	}
	ck_assert_uint_eq(good, 2);
	ck_assert_uint_eq(bad, 13);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.damaged, 13);
	ck_assert_int_eq(st.stopped, 0);
	ck_assert_uint_eq(st.pcap_records, 15);
	/* conn 1's second record has seq 1: nothing missing */
	ck_assert_uint_eq(st.seq_gaps, 0);
	vscsi_cap_reader_close(r);

	r = ropen(path, VSCSI_CAP_R_STRICT);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_DAMAGED);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_DAMAGED);
	vscsi_cap_reader_close(r);
}
END_TEST

/* Build a plain pcap image with our link type and the given snap length
 * from records (len-prefixed in recs). */
static size_t build_pcap(uint8_t *out, uint32_t snaplen, uint32_t linktype,
			 const uint8_t *const *recs, const uint32_t *caplens,
			 unsigned n)
{
	size_t off = 24;
	unsigned i;

	vscsi_put_le32(out, 0xa1b23c4d);
	vscsi_put_le16(out + 4, 2);
	vscsi_put_le16(out + 6, 4);
	vscsi_put_le32(out + 8, 0);
	vscsi_put_le32(out + 12, 0);
	vscsi_put_le32(out + 16, snaplen);
	vscsi_put_le32(out + 20, linktype);
	for (i = 0; i < n; i++) {
		vscsi_put_le32(out + off, 1);
		vscsi_put_le32(out + off + 4, 2);
		vscsi_put_le32(out + off + 8, caplens[i]);
		vscsi_put_le32(out + off + 12, caplens[i]);
		if (recs[i])
			memcpy(out + off + 16, recs[i], caplens[i]);
		off += 16 + (recs[i] ? caplens[i] : 0);
	}
	return off;
}

/* caplen above the file's snap length: libpcap cuts it, rec_len tells, the
 * record is damaged, the next one reads (at the right offset). caplen
 * above 262144: libpcap cannot go on; reported, and the end. */
START_TEST(test_caplen_limits)
{
	uint8_t *img = calloc(1, 4096);
	uint8_t a[150], g[32];
	const uint8_t *recs[3];
	uint32_t caplens[3];
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	size_t len;
	int err;

	make_rec(a, 1, VSCSI_REC_LOSS, 48, 102, 1, 0);
	make_rec(g, 1, VSCSI_REC_NOTIFY, 32, 0, 1, 1);
	recs[0] = a;
	caplens[0] = 150;
	recs[1] = g;
	caplens[1] = 32;
	len = build_pcap(img, 100, VSCSI_CAP_LINKTYPE, recs, caplens, 2);
	r = vscsi_cap_reader_open_fd(memfd_of(img, len), 0, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_DAMAGED);
	ck_assert_ptr_nonnull(strstr(vscsi_cap_reader_errmsg(r),
				     "record 1 at offset 24: longer than"));
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.err_recno, 1);
	ck_assert_uint_eq(st.err_offset, 24);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.recno, 2);
	ck_assert_uint_eq(rec.offset, 24 + 16 + 150);
	ck_assert_uint_eq(rec.seq_missing, 1);	/* the damaged one */
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);

	/* a pcap record header with caplen 300000 */
	recs[0] = g;
	caplens[0] = 32;
	recs[1] = NULL;
	caplens[1] = 300000;
	recs[2] = g;
	caplens[2] = 32;
	len = build_pcap(img, VSCSI_CAP_MAX_RECORD, VSCSI_CAP_LINKTYPE, recs,
			 caplens, 3);
	r = vscsi_cap_reader_open_fd(memfd_of(img, len), 0, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_DAMAGED);
	ck_assert_ptr_nonnull(strstr(vscsi_cap_reader_errmsg(r),
				     "record 2 at offset 72"));
	ck_assert_ptr_nonnull(strstr(vscsi_cap_reader_errmsg(r),
				     "cannot read past it"));
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.err_recno, 2);
	ck_assert_uint_eq(st.err_offset, 72);
	ck_assert_int_eq(st.stopped, 1);
	ck_assert_uint_eq(st.damaged, 1);
	vscsi_cap_reader_close(r);
	free(img);
}
END_TEST

/* A plain capture cut at every byte: every whole record before the cut is
 * read, truncation is flagged exactly when the cut is inside a record;
 * strict mode fails there instead. */
START_TEST(test_truncate_plain)
{
	const char *path = tpath("trunc.pcap");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	size_t len, cut;
	uint8_t *b;

	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	b = slurp(path, &len);
	for (cut = 0; cut <= len; cut++) {
		int boundary, err = 0, strict;
		unsigned want = pcap_whole_records(b, cut, &boundary);

		for (strict = 0; strict < 2; strict++) {
			vscsi_cap_reader *r = vscsi_cap_reader_open_fd(
				memfd_of(b, cut),
				strict ? VSCSI_CAP_R_STRICT : 0, &err);
			vscsi_cap_rstats st;

			if (cut < 24) {
				ck_assert_ptr_null(r);
				ck_assert_int_eq(err, cut < 4 ?
						 VSCSI_ERR_NOT_CAPTURE :
						 VSCSI_ERR_TRUNCATED);
				continue;
			}
			ck_assert_ptr_nonnull(r);
			ck_assert_uint_eq(count_records(r, strict && !boundary ?
				VSCSI_ERR_TRUNCATED : 0), want);
			vscsi_cap_reader_stats(r, &st);
			ck_assert_int_eq(st.truncated, !boundary);
			if (!boundary)
				ck_assert_ptr_nonnull(strstr(
					vscsi_cap_reader_errmsg(r), "truncated"));
			vscsi_cap_reader_close(r);
		}
	}
	free(b);
}
END_TEST

/* What the zstd streaming decoder makes of the first cut bytes. */
static uint8_t *zstd_prefix(const uint8_t *b, size_t cut, size_t *out_len)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = 1 << 20;
	uint8_t *o = malloc(cap);
	ZSTD_inBuffer in = { b, cut, 0 };
	ZSTD_outBuffer out = { o, cap, 0 };

	while (in.pos < in.size) {
		size_t r = ZSTD_decompressStream(d, &out, &in);

		if (ZSTD_isError(r))
			break;
	}
	ZSTD_freeDCtx(d);
	*out_len = out.pos;
	return o;
}

/* A zstd capture (the header frame, then the records' frame) cut at every
 * byte: the reader returns exactly the whole records the decodable prefix
 * holds, flags truncation unless the cut is between frames, and never
 * fails otherwise; strict mode fails. */
START_TEST(test_truncate_zstd)
{
	const char *path = tpath("trunc.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_wstats ws;
	size_t len, cut, frame_end[8], n_frames = 0, pos = 0;
	uint8_t *b;

	write_sample(w);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.dropped, 0);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	b = slurp(path, &len);
	while (pos < len) {
		size_t f = ZSTD_findFrameCompressedSize(b + pos, len - pos);

		ck_assert(!ZSTD_isError(f));
		pos += f;
		ck_assert_uint_lt(n_frames, 8);
		frame_end[n_frames++] = pos;
	}
	/* the header frame and the records' frame (more if this machine
	 * took a second to write seven records) */
	ck_assert_uint_ge(n_frames, 2);

	for (cut = 0; cut <= len; cut++) {
		size_t dlen, k;
		uint8_t *d = zstd_prefix(b, cut, &dlen);
		int boundary, on_frame = 0, err = 0, strict;
		unsigned want = pcap_whole_records(d, dlen, &boundary);

		for (k = 0; k < n_frames; k++)
			on_frame |= cut == frame_end[k];
		for (strict = 0; strict < 2; strict++) {
			vscsi_cap_reader *r = vscsi_cap_reader_open_fd(
				memfd_of(b, cut),
				strict ? VSCSI_CAP_R_STRICT : 0, &err);
			vscsi_cap_rstats st;

			if (dlen < 24) {
				ck_assert_ptr_null(r);
				ck_assert_int_eq(err, cut < 4 ?
						 VSCSI_ERR_NOT_CAPTURE :
						 VSCSI_ERR_TRUNCATED);
				continue;
			}
			ck_assert_msg(r != NULL, "cut %zu: %s", cut,
				      vscsi_strerror(err));
			ck_assert_uint_eq(count_records(r, strict && !on_frame ?
				VSCSI_ERR_TRUNCATED : 0), want);
			vscsi_cap_reader_stats(r, &st);
			ck_assert_int_eq(st.truncated, !on_frame);
			ck_assert_uint_eq(st.damaged, 0);
			vscsi_cap_reader_close(r);
		}
		free(d);
	}
	free(b);
}
END_TEST

/* A clock the tests move by hand. */
static uint64_t mock_now;
static uint64_t mock_clock(void *arg)
{
	(void)arg;
	return mock_now;
}

/* Frames end when the frame is a second old, on a write or a tick; what
 * ended is on disk and reads while the writer is still open. */
START_TEST(test_frames_clock)
{
	const char *path = tpath("clock.pcap.zst");
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_wstats ws;
	vscsi_cap_reader *r;
	int err;

	memset(&o, 0, sizeof(o));
	o.clock_ns = mock_clock;
	mock_now = 1000;
	w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_ptr_nonnull(w);

	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	mock_now += 500000000;
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_tick(w), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 0);
	/* nothing of the records on disk yet */
	r = ropen(path, 0);
	ck_assert_uint_eq(count_records(r, 0), 0);
	vscsi_cap_reader_close(r);

	mock_now += 500000000;	/* 1 s after the first record */
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 1);
	r = ropen(path, 0);
	ck_assert_uint_eq(count_records(r, 0), 3);
	vscsi_cap_reader_close(r);

	/* an idle writer ends nothing; a tick ends an old frame */
	mock_now += 5000000000ull;
	ck_assert_int_eq(vscsi_cap_writer_tick(w), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 1);
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	mock_now += 999999999;
	ck_assert_int_eq(vscsi_cap_writer_tick(w), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 1);
	mock_now += 1;
	ck_assert_int_eq(vscsi_cap_writer_tick(w), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 2);
	r = ropen(path, 0);
	ck_assert_uint_eq(count_records(r, 0), 4);
	vscsi_cap_reader_close(r);

	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_flush(w), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.frames, 3);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
}
END_TEST

/*
 * kill -9 of a writer on the real clock with the default interval: the
 * records written more than a second before the kill are all there, and
 * the file reads without damage.
 */
START_TEST(test_kill9)
{
	const char *path = _i ? tpath("kill.pcap") : tpath("kill.pcap.zst");
	int pfd[2], status;
	pid_t pid;
	char c;
	vscsi_cap_reader *r;
	vscsi_cap_rstats st;
	unsigned n;
	struct timespec ts = { 1, 600000000 };

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vscsi_cap_writer *w;
		vscsi_cap_wopts o;
		int err, i;
		struct timespec tick = { 0, 50000000 };

		close(pfd[0]);
		memset(&o, 0, sizeof(o));
		w = vscsi_cap_writer_open(path, &o, &err);
		if (!w)
			_exit(2);
		for (i = 0; i < 100; i++)
			vscsi_cap_write_notify(w, 1, 2, 0, 0);
		if (write(pfd[1], "x", 1) != 1)
			_exit(3);
		for (;;) {	/* the tool's event loop */
			nanosleep(&tick, NULL);
			vscsi_cap_writer_tick(w);
		}
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(pfd[0]);

	r = ropen(path, 0);
	n = count_records(r, 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(n, 100);
	ck_assert_uint_eq(st.damaged, 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* kill -9 in the middle of an open frame, many times: what is on disk
 * reads without damage, the ended frames whole. */
START_TEST(test_kill9_midframe)
{
	unsigned round;

	for (round = 0; round < 6; round++) {
		const char *path = tpath("midframe.pcap.zst");
		int pfd[2], status;
		pid_t pid;
		char c;
		vscsi_cap_reader *r;
		vscsi_cap_rstats st;
		unsigned n;
		struct timespec ts = { 0, 2000000L * round };

		unlink(path);
		ck_assert_int_eq(pipe(pfd), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			vscsi_cap_writer *w;
			vscsi_cap_wopts o;
			uint8_t data[4096];
			struct iovec iov = { data, sizeof(data) };
			vscsi_cap_chain ch;
			int err, i;

			close(pfd[0]);
			memset(&o, 0, sizeof(o));
			memset(&ch, 0, sizeof(ch));
			w = vscsi_cap_writer_open(path, &o, &err);
			if (!w)
				_exit(2);
			for (i = 0; i < 500; i++) {
				fill(data, sizeof(data), (unsigned)i);
				vscsi_cap_write_request(w, &ch, &iov, 1, 51, 0);
			}
			vscsi_cap_writer_flush(w);
			if (write(pfd[1], "x", 1) != 1)
				_exit(3);
			for (i = 0;; i++) {
				fill(data, sizeof(data), (unsigned)i);
				vscsi_cap_write_request(w, &ch, &iov, 1, 51, 0);
			}
		}
		close(pfd[1]);
		ck_assert_int_eq(read(pfd[0], &c, 1), 1);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		close(pfd[0]);

		r = ropen(path, 0);
		n = count_records(r, 0);
		vscsi_cap_reader_stats(r, &st);
		ck_assert_uint_ge(n, 500);
		ck_assert_uint_eq(st.damaged, 0);
		ck_assert_uint_eq(st.seq_gaps, 0);
		vscsi_cap_reader_close(r);
	}
}
END_TEST

START_TEST(test_refuse_overwrite)
{
	const char *path = tpath("exists.pcap.zst");
	vscsi_cap_wopts o;
	size_t len;
	uint8_t *b;
	int err = 0;

	write_file(path, "precious", 8);
	errno = 0;
	ck_assert_ptr_null(vscsi_cap_writer_open(path, NULL, &err));
	ck_assert_int_eq(err, VSCSI_ERR_IO);
	ck_assert_int_eq(errno, EEXIST);
	memset(&o, 0, sizeof(o));
	o.compress = VSCSI_CAP_COMPRESS_OFF;
	err = 0;
	ck_assert_ptr_null(vscsi_cap_writer_open(path, &o, &err));
	ck_assert_int_eq(err, VSCSI_ERR_IO);
	b = slurp(path, &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(b, "precious", 8);
	free(b);
}
END_TEST

START_TEST(test_overwrite)
{
	const char *path = tpath("exists.pcap");
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_reader *r;
	int err = 0;

	write_file(path, "precious bytes, many of them, to be replaced", 44);
	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_OVERWRITE;
	w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_ptr_nonnull(w);
	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	check_sample(r, 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* Files that are not captures. */
START_TEST(test_not_capture)
{
	uint8_t rnd[4096], z[8192], z2[8192], pc[256];
	size_t zl, i, pl;
	int err;
	pcap_t *pd;
	const uint8_t *recs[1];
	uint32_t caplens[1];
	struct {
		const void *p;
		size_t len;
		int want;
	} cases[8];
	unsigned n = 0, k;

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 2654435761u >> 13);
	cases[n].p = rnd;	/* random bytes */
	cases[n].len = sizeof(rnd);
	cases[n++].want = VSCSI_ERR_NOT_CAPTURE;
	cases[n].p = rnd;	/* empty */
	cases[n].len = 0;
	cases[n++].want = VSCSI_ERR_NOT_CAPTURE;
	/* a pcap of another link type (Ethernet) */
	recs[0] = rnd;
	caplens[0] = 60;
	pl = build_pcap(pc, 65535, 1, recs, caplens, 1);
	cases[n].p = pc;
	cases[n].len = pl;
	cases[n++].want = VSCSI_ERR_NOT_CAPTURE;
	/* the same, zstd-compressed */
	zl = ZSTD_compress(z, sizeof(z), pc, pl, 3);
	ck_assert(!ZSTD_isError(zl));
	cases[n].p = z;
	cases[n].len = zl;
	cases[n++].want = VSCSI_ERR_NOT_CAPTURE;
	/* zstd of random bytes */
	zl = ZSTD_compress(z2, sizeof(z2), rnd, sizeof(rnd), 3);
	cases[n].p = z2;
	cases[n].len = zl;
	cases[n++].want = VSCSI_ERR_NOT_CAPTURE;

	for (k = 0; k < n; k++) {
		vscsi_cap_reader *r;

		err = 0;
		r = vscsi_cap_reader_open_fd(memfd_of(cases[k].p, cases[k].len),
					     0, &err);
		ck_assert_msg(r == NULL, "case %u opened", k);
		ck_assert_msg(err == cases[k].want, "case %u: %s", k,
			      vscsi_errname(err));
	}
	/* zstd of nothing (zstd header after the magic) */
	zl = ZSTD_compress(z, sizeof(z), "", 0, 3);
	ck_assert_ptr_null(vscsi_cap_reader_open_fd(memfd_of(z, zl), 0, &err));
	ck_assert_int_eq(err, VSCSI_ERR_NOT_CAPTURE);

	/* a real pcap file of another link type written by libpcap */
	pd = pcap_open_dead(DLT_EN10MB, 65535);
	{
		const char *path = tpath("eth.pcap");
		pcap_dumper_t *dp = pcap_dump_open(pd, path);

		ck_assert_ptr_nonnull(dp);
		pcap_dump_close(dp);
		ck_assert_ptr_null(vscsi_cap_reader_open(path, 0, &err));
		ck_assert_int_eq(err, VSCSI_ERR_NOT_CAPTURE);
	}
	pcap_close(pd);

	/* no such file */
	ck_assert_ptr_null(vscsi_cap_reader_open(tpath("none"), 0, &err));
	ck_assert_int_eq(err, VSCSI_ERR_IO);
	ck_assert_ptr_null(vscsi_cap_reader_open(NULL, 0, &err));
	ck_assert_int_eq(err, VSCSI_ERR_ARG);
}
END_TEST

static int stop_after;
static vscsi_cap_reader *stop_reader;
static int stop_cb(void *arg)
{
	vscsi_cap_rstats st;

	(void)arg;
	vscsi_cap_reader_stats(stop_reader, &st);
	return st.records >= (uint64_t)stop_after;
}

/*
 * FOLLOW: the reader opens a file that is still empty, waits for the
 * header, reads records a concurrent writer appends (over several frames)
 * and ends when told. Loop 0 zstd, loop 1 plain.
 */
START_TEST(test_follow)
{
	const char *path = _i ? tpath("follow.pcap") : tpath("follow.pcap.zst");
	int fd, status, err;
	pid_t pid;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	unsigned n = 0;
	int rc;

	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vscsi_cap_wopts o;
		vscsi_cap_writer *w;
		struct timespec ts = { 0, 30000000 };
		int i;

		nanosleep(&ts, NULL);
		memset(&o, 0, sizeof(o));
		o.flags = VSCSI_CAP_W_OVERWRITE;
		o.frame_ns = 50000000;
		w = vscsi_cap_writer_open(path, &o, &err);
		if (!w)
			_exit(2);
		for (i = 0; i < 60; i++) {
			vscsi_cap_write_notify(w, 1, 2, 0, 0);
			if (i % 10 == 9) {
				nanosleep(&ts, NULL);
				vscsi_cap_writer_tick(w);
			}
		}
		vscsi_cap_writer_flush(w);
		pause();	/* stays alive with the file open */
		_exit(0);
	}
	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	stop_after = 60;
	stop_reader = r;
	vscsi_cap_reader_set_stop_cb(r, stop_cb, NULL);
	while ((rc = vscsi_cap_next(r, &rec)) == 1) {
		ck_assert_uint_eq(rec.seq, n);
		n++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(n, 60);
	vscsi_cap_reader_close(r);

	/* vscsi_cap_reader_stop() from outside ends a wait too */
	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	for (n = 0; n < 60; n++)
		ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	vscsi_cap_reader_stop(r);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

/* FOLLOW on an empty file: open returns at once; a stop before any byte
 * ends with 0; bytes that are not a capture give NOT_CAPTURE from next. */
START_TEST(test_follow_empty)
{
	const char *path = tpath("empty.pcap");
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	int err = 0;

	write_file(path, "", 0);
	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	vscsi_cap_reader_stop(r);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);

	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	write_file(path, "this is not a capture file at all", 33);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_NOT_CAPTURE);
	ck_assert_ptr_nonnull(strstr(vscsi_cap_reader_errmsg(r), "header"));
	ck_assert_int_eq(vscsi_cap_next(r, &rec), VSCSI_ERR_NOT_CAPTURE);
	vscsi_cap_reader_close(r);

	/* without FOLLOW an empty file is not a capture */
	write_file(path, "", 0);
	ck_assert_ptr_null(vscsi_cap_reader_open(path, 0, &err));
	ck_assert_int_eq(err, VSCSI_ERR_NOT_CAPTURE);
}
END_TEST

/* Write errors. In a child with a file size limit the disk "fills": the
 * writer drops and counts, cuts the file back, and once there is room
 * again writes a loss note; the file reads whole, the gaps match the
 * drops. */
struct werr_result {
	vscsi_cap_wstats st;
	int close_rc;
	unsigned written;
	unsigned failed;
};

START_TEST(test_write_errors)
{
	/* loops 0-1: small records, the failure shows when a frame ends;
	 * loops 2-3: big ones, it shows in the middle of a frame */
	const char *path = _i & 1 ? tpath("full.pcap") : tpath("full.pcap.zst");
	size_t dlen = _i < 2 ? 2048 : 60000;
	rlim_t limit = _i < 2 ? 40000 : 300000;
	int pfd[2], status;
	pid_t pid;
	struct werr_result res;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_rstats st;
	uint64_t loss = 0, seen = 0;
	int rc;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vscsi_cap_wopts o;
		vscsi_cap_writer *w;
		struct rlimit rl;
		uint8_t *data = malloc(dlen);
		struct iovec iov = { data, dlen };
		vscsi_cap_chain ch;
		unsigned i;
		int err;

		memset(&res, 0, sizeof(res));
		signal(SIGXFSZ, SIG_IGN);
		memset(&o, 0, sizeof(o));
		o.clock_ns = mock_clock;
		mock_now = 0;
		w = vscsi_cap_writer_open(path, &o, &err);
		if (!w)
			_exit(2);
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = limit;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		memset(&ch, 0, sizeof(ch));
		ch.conn = 1;
		for (i = 0; i < 400; i++) {
			noise(data, dlen, i + 1);
			mock_now += 50000000;	/* 20 records a second */
			if (i == 300) {		/* room again */
				rl.rlim_cur = RLIM_INFINITY;
				setrlimit(RLIMIT_FSIZE, &rl);
			}
			if (vscsi_cap_write_request(w, &ch, &iov, 1, 51, 0) !=
			    VSCSI_OK)
				res.failed++;
			res.written++;
		}
		vscsi_cap_writer_stats(w, &res.st);
		res.close_rc = vscsi_cap_writer_close(w);
		free(data);
		if (write(pfd[1], &res, sizeof(res)) != sizeof(res))
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &res, sizeof(res)), sizeof(res));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(pfd[0]);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(res.written, 400);
	ck_assert_uint_gt(res.st.write_errors, 0);
	ck_assert_int_eq(res.st.last_errno, EFBIG);
	ck_assert_uint_gt(res.st.dropped, 0);
	ck_assert_uint_ge(res.failed, 1);
	ck_assert_int_eq(res.st.broken, 0);
	ck_assert_int_eq(res.close_rc, VSCSI_OK);

	r = ropen(path, 0);
	while ((rc = vscsi_cap_next(r, &rec)) == 1) {
		if (rec.type == VSCSI_REC_LOSS) {
			ck_assert_uint_eq(rec.conn, VSCSI_CAP_CONN_NONE);
			ck_assert_uint_eq(rec.loss.reason,
					  VSCSI_LOSS_WRITE_ERROR);
			loss += rec.loss.count;
		} else {
			seen++;
		}
	}
	ck_assert_int_eq(rc, 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.damaged, 0);
	ck_assert_int_eq(st.truncated, 0);
	ck_assert_uint_eq(seen + res.st.dropped, 400);
	ck_assert_uint_eq(loss, res.st.dropped);
	ck_assert_uint_eq(st.seq_missing, res.st.dropped);
	vscsi_cap_reader_close(r);
}
END_TEST

/* A device that is always full: the header cannot be written. A pipe
 * whose reader left: the writer is broken, drops everything, and close
 * says so. */
START_TEST(test_write_broken)
{
	vscsi_cap_writer *w;
	vscsi_cap_wstats ws;
	int pfd[2], err = 0, i;
	char name[32];

	ck_assert_ptr_null(vscsi_cap_writer_open("/dev/full", NULL, &err));
	ck_assert_int_eq(err, VSCSI_ERR_IO);
	ck_assert_int_eq(errno, ENOSPC);

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(pfd), 0);
	snprintf(name, sizeof(name), "/dev/fd/%d", pfd[1]);
	w = vscsi_cap_writer_open(name, NULL, &err);
	ck_assert_ptr_nonnull(w);
	close(pfd[0]);
	for (i = 0; i < 10; i++)
		vscsi_cap_write_notify(w, 1, 2, 0, 0);
	ck_assert_int_eq(vscsi_cap_writer_flush(w), VSCSI_ERR_IO);
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_ERR_IO);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_int_eq(ws.broken, 1);
	ck_assert_int_eq(ws.last_errno, EPIPE);
	ck_assert_uint_eq(ws.dropped, 11);
	ck_assert_uint_eq(ws.records, 11);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_ERR_IO);
	close(pfd[1]);
}
END_TEST

START_TEST(test_write_args)
{
	const char *path = tpath("args.pcap");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_rec rec;
	vscsi_cap_session s;
	struct iovec iov = { NULL, 4 };
	uint8_t big[VSCSI_CAP_MAX_RECORD + 1];
	int err;

	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(vscsi_cap_write(w, &rec, NULL, 0), VSCSI_ERR_ARG);
	rec.type = 7;
	ck_assert_int_eq(vscsi_cap_write(w, &rec, NULL, 0), VSCSI_ERR_ARG);
	rec.type = VSCSI_REC_REQUEST;
	ck_assert_int_eq(vscsi_cap_write(w, &rec, &iov, 1), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_write(w, &rec, NULL, 1), VSCSI_ERR_ARG);
	rec.type = VSCSI_REC_NOTIFY;
	iov.iov_base = big;
	ck_assert_int_eq(vscsi_cap_write(w, &rec, &iov, 1), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_write_vhost_user(w, 1, 2, 0, big, 4, 0, 0),
			 VSCSI_ERR_ARG);
	memset(&s, 0, sizeof(s));
	s.num_queues = 2;
	ck_assert_int_eq(vscsi_cap_write_session(w, 1, &s, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_write_session(w, 1, NULL, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_write_raw(w, big, sizeof(big), 0),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_write_request(w, NULL, NULL, 0, 0, 0),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(NULL), VSCSI_OK);
	ck_assert_ptr_null(vscsi_cap_writer_open(NULL, NULL, &err));
	ck_assert_int_eq(err, VSCSI_ERR_ARG);
}
END_TEST

/* Big records: a snap length of one record keeps a 1 MiB payload cut so
 * the record fits in libpcap's limit (no continuation records); the digest
 * covers the whole payload. */
START_TEST(test_big_payload)
{
	const char *path = tpath("big.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO,
				    VSCSI_CAP_SNAPLEN_MAX);
	vscsi_cap_wstats ws;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	vscsi_cap_chain c;
	size_t n = 1 << 20;
	uint8_t *data = malloc(n), hdr[51];
	struct iovec iov[2] = { { hdr, 51 }, { data, n } };

	fill(data, n, 77);
	fill(hdr, sizeof(hdr), 78);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 2, 51, 0), VSCSI_OK);
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.records, 1);
	ck_assert_uint_eq(ws.pieces, 0);
	ck_assert_uint_eq(ws.cut, 1);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.data_len, n);
	ck_assert_uint_eq(rec.pieces, 0);
	ck_assert(!(rec.flags & VSCSI_RECF_CONTINUED));
	ck_assert_uint_eq(rec.rec_len, VSCSI_CAP_REQ_HDR_LEN + VSCSI_CAP_SNAPLEN_MAX);
	ck_assert_uint_le(rec.rec_len, VSCSI_CAP_MAX_RECORD);
	ck_assert_uint_eq(rec.data_cap, VSCSI_CAP_SNAPLEN_MAX - 51);
	ck_assert_mem_eq(rec.data, data, rec.data_cap);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(data, n));
	ck_assert(rec.flags & VSCSI_RECF_CUT);
	vscsi_cap_reader_close(r);
	free(data);
}
END_TEST

/* The record parser alone: each sample record cut at every length fails
 * (TRUNCATED: rec_len says more); with rec_len made to agree with the cut,
 * a cut header is TRUNCATED, a cut payload of a request is a valid cut
 * record, a cut session is TRUNCATED. */
START_TEST(test_parse_every_cut)
{
	const char *path = tpath("parse.pcap");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rec rec, out;
	uint8_t *copy = malloc(VSCSI_CAP_MAX_RECORD);
	size_t cut;
	int rc;

	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	while (vscsi_cap_next(r, &rec) == 1) {
		ck_assert_int_eq(vscsi_cap_parse(rec.rec, rec.rec_len, &out),
				 VSCSI_OK);
		ck_assert_uint_eq(out.seq, rec.seq);
		for (cut = 0; cut < rec.rec_len; cut++) {
			memcpy(copy, rec.rec, cut);
			ck_assert_int_eq(vscsi_cap_parse(copy, cut, &out),
					 VSCSI_ERR_TRUNCATED);
			if (cut < 8)
				continue;
			vscsi_put_le32(copy + 4, (uint32_t)cut);
			rc = vscsi_cap_parse(copy, cut, &out);
			if (cut < VSCSI_CAP_COMMON_LEN || cut < rec.rec_hdr_len) {
				ck_assert_int_eq(rc, VSCSI_ERR_TRUNCATED);
			} else if (rec.type == VSCSI_REC_SESSION) {
				ck_assert_int_eq(rc, VSCSI_ERR_TRUNCATED);
			} else {
				ck_assert_int_eq(rc, VSCSI_OK);
				if (rec.type == VSCSI_REC_REQUEST ||
				    rec.type == VSCSI_REC_COMPLETION ||
				    rec.type == VSCSI_REC_VHOST_USER)
					ck_assert(out.flags & VSCSI_RECF_CUT);
			}
		}
	}
	vscsi_cap_reader_close(r);
	ck_assert_int_eq(vscsi_cap_parse(NULL, 0, &out), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_parse(copy, 0, NULL), VSCSI_ERR_ARG);
	free(copy);
}
END_TEST

/* Copying records verbatim (a filter's output) gives the same file
 * content. */
START_TEST(test_copy_raw)
{
	const char *a = tpath("orig.pcap"), *b = tpath("copy.pcap");
	vscsi_cap_writer *w = wopen(a, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	size_t la, lb;
	uint8_t *ba, *bb;

	write_sample(w);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(a, 0);
	w = wopen(b, VSCSI_CAP_COMPRESS_AUTO, 0);
	while (vscsi_cap_next(r, &rec) == 1)
		ck_assert_int_eq(vscsi_cap_write_raw(w, rec.rec, rec.rec_len,
						     rec.ts_ns), VSCSI_OK);
	vscsi_cap_reader_close(r);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	ba = slurp(a, &la);
	bb = slurp(b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_mem_eq(ba, bb, la);
	free(ba);
	free(bb);
}
END_TEST

/* vscsi_cap_encode(): every record type, read back with vscsi_cap_parse()
 * (layout: vscsi-capture(5), version 1). */
static void enc_parse(const uint8_t *b, int len, vscsi_cap_rec *out)
{
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(vscsi_cap_parse(b, (size_t)len, out), VSCSI_OK);
	ck_assert_uint_eq(out->rec_len, (size_t)len);
}

START_TEST(test_encode)
{
	static const uint16_t sizes[3] = { 128, 128, 256 };
	uint8_t b[8192], hdr[51], data[3000], msg[20] = { 1, 0, 0, 0, 8 };
	struct iovec iov[3];
	vscsi_cap_rec rec, out;
	uint64_t full;
	size_t i;
	int len;

	for (i = 0; i < sizeof(hdr); i++)
		hdr[i] = (uint8_t)(i + 1);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ data, 1000 };
	iov[2] = (struct iovec){ data + 1000, 2000 };

	/* request, lengths and digest computed, cut at 100 raw bytes */
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_REQUEST;
	rec.conn = 7;
	rec.vq = 2;
	rec.seq = 99;
	rec.flags = VSCSI_RECF_PACKED;
	rec.head = 5;
	rec.n_readable = 3;
	rec.n_writable = 1;
	rec.readable_bytes = 3051;
	rec.writable_bytes = 108;
	rec.hdr_len = 51;
	full = 0;
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 3, 100,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	ck_assert_int_eq(len, VSCSI_CAP_REQ_HDR_LEN + 100);
	ck_assert_uint_eq(full, VSCSI_CAP_REQ_HDR_LEN + 3051);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.version, VSCSI_CAP_VERSION);
	ck_assert_uint_eq(out.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(out.conn, 7);
	ck_assert_uint_eq(out.vq, 2);
	ck_assert_uint_eq(out.seq, 99);
	ck_assert_uint_eq(out.head, 5);
	ck_assert_uint_eq(out.n_readable, 3);
	ck_assert_uint_eq(out.n_writable, 1);
	ck_assert_uint_eq(out.readable_bytes, 3051);
	ck_assert_uint_eq(out.writable_bytes, 108);
	ck_assert_uint_eq(out.hdr_len, 51);
	ck_assert_uint_eq(out.data_len, 3000);
	ck_assert_uint_eq(out.hdr_cap, 51);
	ck_assert_uint_eq(out.data_cap, 49);
	ck_assert_mem_eq(out.hdr, hdr, 51);
	ck_assert_mem_eq(out.data, data, 49);
	ck_assert_uint_eq(out.digest, XXH3_64bits(data, 3000));
	ck_assert(out.flags & VSCSI_RECF_PACKED);
	ck_assert(out.flags & VSCSI_RECF_CUT);
	/* one byte short of room; exactly enough */
	ck_assert_int_eq(vscsi_cap_encode(b, (size_t)len - 1, &rec, iov, 3, 100,
					  VSCSI_CAP_ENC_COMPUTE, NULL),
			 VSCSI_ERR_NOSPACE);
	ck_assert_int_eq(vscsi_cap_encode(b, (size_t)len, &rec, iov, 3, 100,
					  VSCSI_CAP_ENC_COMPUTE, NULL), len);

	/* completion, lengths and digest from the caller, not cut */
	rec.type = VSCSI_REC_COMPLETION;
	rec.used_len = 3051;
	rec.hdr_len = 51;
	rec.data_len = 3000;
	rec.digest = 0x0123456789abcdefull;
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 3, 1u << 20, 0, &full);
	ck_assert_int_eq(len, VSCSI_CAP_REQ_HDR_LEN + 3051);
	ck_assert_uint_eq(full, (uint64_t)len);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.type, VSCSI_REC_COMPLETION);
	ck_assert_uint_eq(out.used_len, 3051);
	ck_assert_uint_eq(out.digest, 0x0123456789abcdefull);
	ck_assert_uint_eq(out.data_cap, 3000);
	ck_assert_mem_eq(out.data + 1000, data + 1000, 2000);
	ck_assert(!(out.flags & VSCSI_RECF_CUT));
	/* caller lengths above what is kept: cut */
	rec.data_len = 5000;
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 3, 1u << 20, 0, &full);
	ck_assert_uint_eq(full, VSCSI_CAP_REQ_HDR_LEN + 5051);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.data_len, 5000);
	ck_assert(out.flags & VSCSI_RECF_CUT);

	/* vhost-user, computed and from the caller */
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_VHOST_USER;
	rec.conn = 1;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.vu.dir = VSCSI_VU_TO_FRONTEND;
	rec.vu.channel = VSCSI_VU_CHAN_BACKEND;
	rec.vu.nfds = 2;
	iov[0] = (struct iovec){ msg, sizeof(msg) };
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 1, 1000,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	ck_assert_int_eq(len, VSCSI_CAP_VU_HDR_LEN + 20);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.vu.dir, VSCSI_VU_TO_FRONTEND);
	ck_assert_uint_eq(out.vu.channel, VSCSI_VU_CHAN_BACKEND);
	ck_assert_uint_eq(out.vu.nfds, 2);
	ck_assert_uint_eq(out.vu.msg_len, 20);
	ck_assert_uint_eq(out.raw_len, 20);
	ck_assert_mem_eq(out.raw, msg, 20);
	rec.vu.msg_len = 4096;
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 1, 12, 0, &full);
	ck_assert_int_eq(len, VSCSI_CAP_VU_HDR_LEN + 12);
	ck_assert_uint_eq(full, VSCSI_CAP_VU_HDR_LEN + 4096);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.vu.msg_len, 4096);
	ck_assert_uint_eq(out.raw_len, 12);
	ck_assert(out.flags & VSCSI_RECF_CUT);

	/* session: never cut, iov and keep ignored */
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_SESSION;
	rec.conn = 9;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.session.features = 0x100000007ull;
	rec.session.protocol_features = 0x8009;
	rec.session.cdb_size = 32;
	rec.session.sense_size = 96;
	rec.session.snaplen = 4096;
	rec.session.num_queues = 3;
	rec.session.flags = VSCSI_SESSF_LEGACY;
	rec.session.queue_sizes = sizes;
	rec.session.tool = "vscsi-capture";
	rec.session.tool_version = "0.1.0";
	len = vscsi_cap_encode(b, sizeof(b), &rec, NULL, 0, 0,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	ck_assert_int_eq(len, VSCSI_CAP_SESSION_HDR_LEN + 6 + 14 + 6);
	ck_assert_uint_eq(full, (uint64_t)len);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.session.features, 0x100000007ull);
	ck_assert_uint_eq(out.session.protocol_features, 0x8009);
	ck_assert_uint_eq(out.session.cdb_size, 32);
	ck_assert_uint_eq(out.session.sense_size, 96);
	ck_assert_uint_eq(out.session.snaplen, 4096);
	ck_assert_uint_eq(out.session.num_queues, 3);
	ck_assert_uint_eq(vscsi_cap_queue_size(&out.session, 2), 256);
	ck_assert(out.flags & VSCSI_SESSF_LEGACY);
	ck_assert(!(out.flags & VSCSI_RECF_CUT));
	ck_assert_str_eq(out.session.tool, "vscsi-capture");
	ck_assert_str_eq(out.session.tool_version, "0.1.0");

	/* loss with text, cut at 3 */
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = VSCSI_CAP_CONN_NONE;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.loss.count = 12;
	rec.loss.since_ns = 77;
	rec.loss.reason = VSCSI_LOSS_QUEUE_FULL;
	iov[0] = (struct iovec){ (void *)"queue full", 10 };
	len = vscsi_cap_encode(b, sizeof(b), &rec, iov, 1, 3,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	ck_assert_int_eq(len, VSCSI_CAP_LOSS_HDR_LEN + 3);
	ck_assert_uint_eq(full, VSCSI_CAP_LOSS_HDR_LEN + 10);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.conn, VSCSI_CAP_CONN_NONE);
	ck_assert_uint_eq(out.loss.count, 12);
	ck_assert_uint_eq(out.loss.since_ns, 77);
	ck_assert_uint_eq(out.loss.reason, VSCSI_LOSS_QUEUE_FULL);
	ck_assert_uint_eq(out.raw_len, 3);
	ck_assert_mem_eq(out.raw, "que", 3);

	/* notify */
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.conn = 4;
	rec.vq = 3;
	rec.seq = 8;
	rec.notify.kind = VSCSI_NOTIFY_CALL;
	len = vscsi_cap_encode(b, sizeof(b), &rec, NULL, 0, 100,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	ck_assert_int_eq(len, VSCSI_CAP_NOTIFY_HDR_LEN);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(out.notify.kind, VSCSI_NOTIFY_CALL);
	ck_assert_uint_eq(out.vq, 3);
	ck_assert_uint_eq(out.seq, 8);

	/* refused */
	rec.type = 0;
	ck_assert_int_eq(vscsi_cap_encode(b, sizeof(b), &rec, NULL, 0, 0, 0,
					  NULL), VSCSI_ERR_ARG);
	rec.type = VSCSI_REC_LOSS;
	ck_assert_int_eq(vscsi_cap_encode(NULL, sizeof(b), &rec, NULL, 0, 0, 0,
					  NULL), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_encode(b, sizeof(b), &rec, NULL, 1, 0, 0,
					  NULL), VSCSI_ERR_ARG);
}
END_TEST

/* ------------------------------------------------------------ continuations */

/*
 * Data continuation records (vscsi-capture(5) "DATA CONTINUATION"): a
 * request's or completion's data part longer than one record goes on in
 * type-7 records right after it, and the reader puts it back together.
 */
#define BIG_MAX (4u << 20)
#define ONE_REC VSCSI_CAP_SNAPLEN_MAX	/* 262144 - 256 raw bytes */

static uint8_t *big_buf;	/* BIG_MAX + 64 bytes zstd cannot squeeze */
static uint8_t big_vs[108];	/* the vs part: 51 (request), 108 (completion) */

static void big_init(void)
{
	if (!big_buf) {
		big_buf = malloc(BIG_MAX + 64);
		ck_assert_ptr_nonnull(big_buf);
		noise(big_buf, BIG_MAX + 64, 99);
	}
	fill(big_vs, sizeof(big_vs), 98);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffffu);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Continuations of a data part as vscsi-capture(5) says the writer splits
 * it: the parent holds 262144 - 256 raw bytes, each continuation as many. */
static unsigned want_pieces(uint64_t vs, uint64_t dlen, uint64_t snap)
{
	uint64_t keep = min64(snap, vs + dlen);

	if (keep <= ONE_REC || vs > ONE_REC)
		return 0;
	return (unsigned)((keep - ONE_REC + ONE_REC - 1) / ONE_REC);
}

static uint64_t vs_of(unsigned type)
{
	return type == VSCSI_REC_REQUEST ? 51 : 108;
}

/* A request or completion on (conn, vq 2) with dlen bytes of data from
 * big_buf + seed, the vs part split over two iovecs. */
static void write_big(vscsi_cap_writer *w, unsigned type, uint32_t conn,
		      size_t dlen, unsigned seed)
{
	size_t vs = (size_t)vs_of(type);
	struct iovec iov[3] = { { big_vs, 10 }, { big_vs + 10, vs - 10 },
				{ big_buf + seed, dlen } };
	vscsi_cap_chain c;

	memset(&c, 0, sizeof(c));
	c.conn = conn;
	c.vq = 2;
	c.head = seed;
	if (type == VSCSI_REC_REQUEST)
		ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 3, vs, 0),
				 VSCSI_OK);
	else
		ck_assert_int_eq(vscsi_cap_write_completion(w, &c,
				(uint32_t)(vs + dlen), iov, 3, vs, 0),
				 VSCSI_OK);
}

/* Read what write_big() wrote, kept up to snap. */
static void check_big(vscsi_cap_reader *r, unsigned type, uint32_t conn,
		      size_t dlen, unsigned seed, uint64_t snap)
{
	uint64_t vs = vs_of(type), keep = min64(snap, vs + dlen);
	unsigned pieces = want_pieces(vs, dlen, snap);
	vscsi_cap_rec rec;

	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, type);
	ck_assert_uint_eq(rec.conn, conn);
	ck_assert_uint_eq(rec.head, seed);
	ck_assert_uint_eq(rec.hdr_len, vs);
	ck_assert_uint_eq(rec.data_len, dlen);
	ck_assert_uint_eq(rec.hdr_cap, vs);
	ck_assert_msg(rec.data_cap == keep - vs, "%zu bytes: data_cap %zu, "
		      "want %llu", dlen, rec.data_cap,
		      (unsigned long long)(keep - vs));
	ck_assert_uint_eq(rec.raw_len, keep);
	ck_assert_mem_eq(rec.hdr, big_vs, (size_t)vs);
	ck_assert(memcmp(rec.data, big_buf + seed, rec.data_cap) == 0);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(big_buf + seed, dlen));
	ck_assert_uint_eq(rec.pieces, pieces);
	ck_assert_int_eq(!!(rec.flags & VSCSI_RECF_CONTINUED), pieces > 0);
	ck_assert_int_eq(!!(rec.flags & VSCSI_RECF_CUT), keep < vs + dlen);
	/* rec is the record as it is in the file: the parent's piece */
	ck_assert_uint_eq(rec.rec_len, VSCSI_CAP_REQ_HDR_LEN +
			  min64(keep, ONE_REC));
	ck_assert_mem_eq(rec.rec + VSCSI_CAP_REQ_HDR_LEN, big_vs, (size_t)vs);
}

/* Payloads around one record and far above it, requests and
 * completions: 256 KiB - 1, exactly one record, one byte over, 1 MiB,
 * 4 MiB. Each is followed by a notify of its connection (a record that is
 * no continuation), and conn 2 gets a notify between them. */
static size_t big_size(unsigned type, unsigned k)
{
	size_t one = ONE_REC - (size_t)vs_of(type);
	const size_t sizes[] = { 256u * 1024u - 1, one, one + 1, 1u << 20,
				 BIG_MAX };

	return sizes[k];
}

#define BIG_SIZES 5

static void write_big_set(vscsi_cap_writer *w)
{
	unsigned t, k;

	big_init();
	for (t = 0; t < 2; t++)
		for (k = 0; k < BIG_SIZES; k++) {
			unsigned type = t ? VSCSI_REC_COMPLETION :
					    VSCSI_REC_REQUEST;

			write_big(w, type, 1, big_size(type, k), t * 8 + k);
			ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0),
					 VSCSI_OK);
			ck_assert_int_eq(vscsi_cap_write_notify(w, 2, 2, 1, 0),
					 VSCSI_OK);
		}
}

/* Read write_big_set()'s file; every number of conn 1 is there once. */
static void check_big_set(vscsi_cap_reader *r, uint64_t snap)
{
	uint64_t seq = 0, pieces = 0, continued = 0, cut = 0;
	vscsi_cap_rstats st;
	vscsi_cap_rec rec;
	unsigned t, k;

	for (t = 0; t < 2; t++)
		for (k = 0; k < BIG_SIZES; k++) {
			unsigned type = t ? VSCSI_REC_COMPLETION :
					    VSCSI_REC_REQUEST;
			size_t dlen = big_size(type, k);
			unsigned n = want_pieces(vs_of(type), dlen, snap);

			check_big(r, type, 1, dlen, t * 8 + k, snap);
			seq += 1 + n;
			pieces += n;
			continued += n > 0;
			cut += min64(snap, vs_of(type) + dlen) <
			       vs_of(type) + dlen;
			ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
			ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
			ck_assert_uint_eq(rec.conn, 1);
			ck_assert_uint_eq(rec.seq, seq);
			ck_assert_uint_eq(rec.seq_missing, 0);
			seq++;
			ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
			ck_assert_uint_eq(rec.conn, 2);
			ck_assert_uint_eq(rec.notify.kind, 1);
		}
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.records, 3 * 2 * BIG_SIZES);
	ck_assert_uint_eq(st.pieces, pieces);
	ck_assert_uint_eq(st.continued, continued);
	ck_assert_uint_eq(st.pcap_records, 3 * 2 * BIG_SIZES + pieces);
	ck_assert_uint_eq(st.seq_gaps, 0);
	ck_assert_uint_eq(st.damaged, 0);
	ck_assert_uint_eq(st.reasm_capped, 0);
	ck_assert_int_eq(st.truncated, 0);
	(void)cut;
}

/* Round trips of whole payloads (snap length 0), zstd (loop 0) and plain
 * (loop 1); the writer's counters. */
START_TEST(test_cont_roundtrip)
{
	const char *path = _i ? tpath("cont.pcap") : tpath("cont.pcap.zst");
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_wstats ws;
	vscsi_cap_reader *r;
	vscsi_cap_rstats st;
	uint64_t pieces = 0;
	unsigned t, k;

	write_big_set(w);
	for (t = 0; t < 2; t++)
		for (k = 0; k < BIG_SIZES; k++) {
			unsigned type = t ? VSCSI_REC_COMPLETION :
					    VSCSI_REC_REQUEST;

			pieces += want_pieces(vs_of(type), big_size(type, k),
					      VSCSI_CAP_SNAPLEN_WHOLE);
		}
	/* 256 KiB - 1 and one over: 1 each; 1 MiB: 4; 4 MiB: 16 */
	ck_assert_uint_eq(pieces, 2 * (1 + 1 + 4 + 16));
	vscsi_cap_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.pieces, pieces);
	ck_assert_uint_eq(ws.records, 3 * 2 * BIG_SIZES + pieces);
	ck_assert_uint_eq(ws.cut, 0);
	ck_assert_uint_eq(ws.dropped, 0);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_int_eq(st.compressed, !_i);
	check_big_set(r, VSCSI_CAP_SNAPLEN_WHOLE);
	vscsi_cap_reader_close(r);
}
END_TEST

/* The same through a pipe (the reader cannot seek and reads ahead of each
 * continued record), zstd (loop 0) and plain (loop 1). */
START_TEST(test_cont_pipe)
{
	int pfd[2], status;
	pid_t pid;
	vscsi_cap_reader *r;

	big_init();
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char name[32];
		vscsi_cap_wopts o;
		vscsi_cap_writer *w;
		int err;

		close(pfd[0]);
		snprintf(name, sizeof(name), "/dev/fd/%d", pfd[1]);
		memset(&o, 0, sizeof(o));
		o.compress = _i ? VSCSI_CAP_COMPRESS_OFF : VSCSI_CAP_COMPRESS_ON;
		w = vscsi_cap_writer_open(name, &o, &err);
		if (!w)
			_exit(2);
		write_big_set(w);
		_exit(vscsi_cap_writer_close(w) == VSCSI_OK ? 0 : 3);
	}
	close(pfd[1]);
	r = vscsi_cap_reader_open_fd(pfd[0], 0, NULL);
	ck_assert_ptr_nonnull(r);
	check_big_set(r, VSCSI_CAP_SNAPLEN_WHOLE);
	vscsi_cap_reader_close(r);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Snap lengths between one record and the whole payload: what is kept is
 * put back, the rest is cut, the digest is the whole data part's. */
START_TEST(test_cont_snaplen)
{
	static const uint32_t snaps[] = {
		ONE_REC, ONE_REC + 1, 300000, 2 * ONE_REC, 2 * ONE_REC + 1,
		1000000, (1u << 20) + 51, 3000000,
	};
	unsigned k;

	for (k = 0; k < ARRAY_LEN(snaps); k++) {
		const char *path = tpath("contsnap.pcap");
		vscsi_cap_writer *w;
		vscsi_cap_reader *r;
		vscsi_cap_wstats ws;
		vscsi_cap_rec rec;
		unsigned t, j, cut = 0;

		unlink(path);
		w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, snaps[k]);
		write_big_set(w);
		vscsi_cap_writer_stats(w, &ws);
		for (t = 0; t < 2; t++)
			for (j = 0; j < BIG_SIZES; j++) {
				unsigned type = t ? VSCSI_REC_COMPLETION :
						    VSCSI_REC_REQUEST;

				cut += snaps[k] < vs_of(type) +
				       big_size(type, j);
			}
		ck_assert_uint_eq(ws.cut, cut);
		ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
		r = ropen(path, 0);
		check_big_set(r, snaps[k]);
		vscsi_cap_reader_close(r);

		/* the pieces as they are: the last one of a cut data part
		 * says so, the others say more follows */
		r = ropen(path, VSCSI_CAP_R_PIECES);
		while (vscsi_cap_next(r, &rec) == 1) {
			if (rec.type != VSCSI_REC_DATA)
				continue;
			if (rec.flags & VSCSI_DATAF_MORE)
				ck_assert(!(rec.flags & VSCSI_RECF_CUT));
		}
		vscsi_cap_reader_close(r);
	}
}
END_TEST

/* With VSCSI_CAP_R_PIECES continuation records come as they are, each
 * with its own number; the parent alone reads as an old reader sees it
 * (cut); a caller that numbers records leaves room for the pieces. */
START_TEST(test_cont_pieces_raw)
{
	const char *path = tpath("raw.pcap.zst");
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec, alone;
	vscsi_cap_rstats st;
	vscsi_cap_chain c;
	struct iovec iov[2];
	uint64_t off;
	unsigned i;
	int err;

	big_init();
	iov[0] = (struct iovec){ big_vs, 51 };
	iov[1] = (struct iovec){ big_buf, 1u << 20 };
	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_CALLER_SEQ;
	o.snaplen = 700000;
	w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_ptr_nonnull(w);
	memset(&c, 0, sizeof(c));
	c.conn = 3;
	c.vq = 4;
	c.seq = 0;
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 2, 51, 0),
			 VSCSI_OK);
	/* 700000 - 261888 = 438112: two pieces, numbers 1 and 2 */
	ck_assert_uint_eq(vscsi_cap_pieces(51, 51 + (1u << 20), 700000, NULL),
			  2);
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.conn = 3;
	rec.seq = 3;
	ck_assert_int_eq(vscsi_cap_write(w, &rec, NULL, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);

	r = ropen(path, VSCSI_CAP_R_PIECES);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(rec.seq, 0);
	ck_assert(rec.flags & VSCSI_RECF_CONTINUED);
	ck_assert(rec.flags & VSCSI_RECF_CUT);
	ck_assert_uint_eq(rec.pieces, 0);
	ck_assert_uint_eq(rec.data_cap, ONE_REC - 51);
	ck_assert_uint_eq(rec.data_len, 1u << 20);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(big_buf, 1u << 20));
	/* what a reader that does not know type 7 sees of it */
	ck_assert_int_eq(vscsi_cap_parse(rec.rec, rec.rec_len, &alone),
			 VSCSI_OK);
	ck_assert_uint_eq(alone.data_cap, ONE_REC - 51);
	ck_assert(alone.flags & VSCSI_RECF_CUT);
	off = ONE_REC - 51;
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
		ck_assert_uint_eq(rec.type, VSCSI_REC_DATA);
		ck_assert_uint_eq(rec.conn, 3);
		ck_assert_uint_eq(rec.vq, 4);
		ck_assert_uint_eq(rec.seq, 1 + i);
		ck_assert_uint_eq(rec.seq_missing, 0);
		ck_assert_uint_eq(rec.piece.parent_seq, 0);
		ck_assert_uint_eq(rec.piece.offset, off);
		ck_assert_uint_eq(rec.rec_hdr_len, VSCSI_CAP_DATA_HDR_LEN);
		ck_assert_uint_eq(rec.data_cap, i ? 700000 - 51 - off : ONE_REC);
		ck_assert_ptr_eq(rec.data, rec.raw);
		ck_assert(memcmp(rec.data, big_buf + off, rec.data_cap) == 0);
		ck_assert_int_eq(!!(rec.flags & VSCSI_DATAF_MORE), i == 0);
		ck_assert_int_eq(!!(rec.flags & VSCSI_RECF_CUT), i == 1);
		off += rec.data_cap;
	}
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(rec.seq, 3);
	ck_assert_uint_eq(rec.seq_missing, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.seq_gaps, 0);
	ck_assert_uint_eq(st.pieces, 0);
	ck_assert_uint_eq(st.records, 4);
	vscsi_cap_reader_close(r);

	/* put back: one record and the notify, numbers in step */
	r = ropen(path, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.pieces, 2);
	ck_assert_uint_eq(rec.data_cap, 700000 - 51);
	ck_assert(rec.flags & VSCSI_RECF_CUT);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.seq, 3);
	ck_assert_uint_eq(rec.seq_missing, 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.seq_gaps, 0);
	vscsi_cap_reader_close(r);
}
END_TEST

/* A request of vs 51 (big_vs) and dlen data bytes (big_buf), seq on conn
 * 1, whose record keeps kept data bytes, flagged continued when cont. */
static size_t hm_parent(uint8_t *b, uint64_t seq, uint32_t dlen,
			uint32_t kept, int cont)
{
	struct iovec iov[2] = { { big_vs, 51 }, { NULL, dlen } };
	vscsi_cap_rec rec;
	int len;

	iov[1].iov_base = big_buf;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_REQUEST;
	rec.conn = 1;
	rec.vq = 2;
	rec.seq = seq;
	rec.hdr_len = 51;
	len = vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, iov, 2,
			       51 + (uint64_t)kept, VSCSI_CAP_ENC_COMPUTE,
			       NULL);
	ck_assert_int_gt(len, 0);
	if (cont)
		put16(b + 14, (unsigned)(b[14] | b[15] << 8) |
			      VSCSI_RECF_CONTINUED);
	return (size_t)len;
}

/* A data continuation written by hand from vscsi-capture(5): bytes off ..
 * off + len of big_buf (the data part hm_parent() uses). */
static size_t hm_piece(uint8_t *b, uint32_t conn, uint64_t seq,
		       uint64_t parent_seq, uint32_t off, uint32_t len,
		       unsigned flags)
{
	memset(b, 0, 40);
	b[0] = 1;			/* version */
	b[1] = 7;			/* type: data */
	put16(b + 2, 40);		/* hdr_len */
	put32(b + 4, 40 + len);		/* rec_len */
	put32(b + 8, conn);
	put16(b + 12, 2);		/* vq */
	put16(b + 14, flags);
	put64(b + 16, seq);
	put64(b + 24, parent_seq);
	put32(b + 32, off);
	put32(b + 36, len);
	memcpy(b + 40, big_buf + off, len);
	return 40 + (size_t)len;
}

static size_t hm_notify(uint8_t *b, uint64_t seq)
{
	vscsi_cap_rec rec;
	int len;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.conn = 1;
	rec.vq = 2;
	rec.seq = seq;
	len = vscsi_cap_encode(b, 64, &rec, NULL, 0, 0, 0, NULL);
	ck_assert_int_eq(len, 32);
	return 32;
}

/* The encoders: how a data part splits, the continuation's bytes (equal
 * to a record written by hand from the man page), and the arguments. */
START_TEST(test_cont_encode)
{
	uint8_t *b = malloc(VSCSI_CAP_MAX_RECORD), *h = malloc(VSCSI_CAP_MAX_RECORD);
	struct iovec iov[2];
	vscsi_cap_rec rec, out;
	uint64_t bytes = 0, full = 0;
	unsigned i;
	int len;

	big_init();
	iov[0] = (struct iovec){ big_vs, 51 };
	iov[1] = (struct iovec){ big_buf, 1u << 20 };
	/* 1 MiB + 51: the parent holds 261888, 786739 more in 4 pieces */
	ck_assert_uint_eq(vscsi_cap_pieces(51, 51 + (1u << 20),
					   VSCSI_CAP_SNAPLEN_WHOLE, &bytes), 4);
	ck_assert_uint_eq(bytes, 64 + 261888 + 4 * 40 + 786739);
	ck_assert_uint_eq(vscsi_cap_pieces(51, 151, VSCSI_CAP_SNAPLEN_WHOLE,
					   &bytes), 0);
	ck_assert_uint_eq(bytes, 64 + 151);
	ck_assert_uint_eq(vscsi_cap_pieces(51, ONE_REC, UINT64_MAX, NULL), 0);
	ck_assert_uint_eq(vscsi_cap_pieces(51, ONE_REC + 1, UINT64_MAX,
					   &bytes), 1);
	ck_assert_uint_eq(bytes, 64 + ONE_REC + 40 + 1);
	ck_assert_uint_eq(vscsi_cap_pieces(51, 51 + (1u << 20), 600000, NULL),
			  2);
	ck_assert_uint_eq(vscsi_cap_pieces(51, 51 + (1u << 20), ONE_REC,
					   NULL), 0);
	ck_assert_uint_eq(vscsi_cap_pieces(51, 51 + (1u << 20), 0, NULL), 0);
	/* a vs part that does not fit one record is cut, not continued */
	ck_assert_uint_eq(vscsi_cap_pieces(300000, 400000, UINT64_MAX, NULL),
			  0);
	/* data counted up to 2^32-1 */
	ck_assert_uint_eq(vscsi_cap_pieces(0, 1ull << 33, UINT64_MAX, NULL),
			  (unsigned)((UINT32_MAX - ONE_REC + ONE_REC - 1) /
				     ONE_REC));

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_REQUEST;
	rec.conn = 9;
	rec.vq = 2;
	rec.seq = 40;
	rec.hdr_len = 51;
	/* one record at most without ENC_CONTINUE */
	ck_assert_int_eq(vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, iov,
					  2, UINT64_MAX, VSCSI_CAP_ENC_COMPUTE,
					  NULL), VSCSI_ERR_NOSPACE);
	len = vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, iov, 2,
			       UINT64_MAX, VSCSI_CAP_ENC_COMPUTE |
			       VSCSI_CAP_ENC_CONTINUE, &full);
	ck_assert_int_eq(len, 64 + ONE_REC);
	ck_assert_uint_eq(full, 64 + 51 + (1u << 20));
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.flags & (VSCSI_RECF_CONTINUED | VSCSI_RECF_CUT),
			  VSCSI_RECF_CONTINUED | VSCSI_RECF_CUT);
	ck_assert_uint_eq(out.data_len, 1u << 20);
	ck_assert_uint_eq(out.digest, XXH3_64bits(big_buf, 1u << 20));
	/* a keep one record holds: not continued */
	len = vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, iov, 2, ONE_REC,
			       VSCSI_CAP_ENC_COMPUTE | VSCSI_CAP_ENC_CONTINUE,
			       NULL);
	enc_parse(b, len, &out);
	ck_assert(!(out.flags & VSCSI_RECF_CONTINUED));
	ck_assert(out.flags & VSCSI_RECF_CUT);

	/* the pieces, byte for byte as the man page draws them */
	for (i = 1; i <= 4; i++) {
		uint32_t off = ONE_REC - 51 + (i - 1) * ONE_REC;
		uint32_t plen = i < 4 ? ONE_REC : (1u << 20) - off;
		size_t hl;

		len = vscsi_cap_encode_data(b, VSCSI_CAP_MAX_RECORD, &rec, iov,
					    2, UINT64_MAX, i, 40 + i);
		hl = hm_piece(h, 9, 40 + i, 40, off, plen,
			      i < 4 ? VSCSI_DATAF_MORE : 0);
		ck_assert_int_eq(len, (int)hl);
		/* hm_piece writes vq 2 as the parent has */
		ck_assert_mem_eq(b, h, hl);
		enc_parse(b, len, &out);
		ck_assert_uint_eq(out.type, VSCSI_REC_DATA);
		ck_assert_uint_eq(out.piece.offset, off);
		ck_assert_uint_eq(out.piece.parent_seq, 40);
		ck_assert_uint_eq(out.data_cap, plen);
	}
	ck_assert_int_eq(vscsi_cap_encode_data(b, VSCSI_CAP_MAX_RECORD, &rec,
					       iov, 2, UINT64_MAX, 5, 45), 0);
	/* kept in part: the last piece says the data part is cut */
	len = vscsi_cap_encode_data(b, VSCSI_CAP_MAX_RECORD, &rec, iov, 2,
				    600000, 2, 42);
	ck_assert_int_eq(len, 40 + 600000 - ONE_REC - ONE_REC);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.flags, VSCSI_RECF_CUT);
	/* room: one byte short, exactly enough */
	ck_assert_int_eq(vscsi_cap_encode_data(b, (size_t)len - 1, &rec, iov, 2,
					       600000, 2, 42),
			 VSCSI_ERR_NOSPACE);
	ck_assert_int_eq(vscsi_cap_encode_data(b, (size_t)len, &rec, iov, 2,
					       600000, 2, 42), len);
	/* arguments */
	ck_assert_int_eq(vscsi_cap_encode_data(b, VSCSI_CAP_MAX_RECORD, &rec,
					       iov, 2, UINT64_MAX, 0, 1),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_encode_data(NULL, 100, &rec, iov, 2,
					       UINT64_MAX, 1, 1),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_encode_data(b, 100, NULL, iov, 2,
					       UINT64_MAX, 1, 1),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_cap_encode_data(b, 100, &rec, NULL, 2,
					       UINT64_MAX, 1, 1),
			 VSCSI_ERR_ARG);
	rec.type = VSCSI_REC_VHOST_USER;
	ck_assert_int_eq(vscsi_cap_encode_data(b, VSCSI_CAP_MAX_RECORD, &rec,
					       iov, 2, UINT64_MAX, 1, 1),
			 VSCSI_ERR_ARG);
	/* other types are cut at one record, never continued */
	len = vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, &iov[1], 1,
			       UINT64_MAX, VSCSI_CAP_ENC_COMPUTE |
			       VSCSI_CAP_ENC_CONTINUE, NULL);
	ck_assert_int_eq(len, VSCSI_CAP_VU_HDR_LEN + ONE_REC);
	enc_parse(b, len, &out);
	ck_assert_uint_eq(out.flags & (VSCSI_RECF_CONTINUED | VSCSI_RECF_CUT),
			  VSCSI_RECF_CUT);
	/* a continuation comes from vscsi_cap_encode_data() only */
	rec.type = VSCSI_REC_DATA;
	ck_assert_int_eq(vscsi_cap_encode(b, VSCSI_CAP_MAX_RECORD, &rec, NULL,
					  0, 0, 0, NULL), VSCSI_ERR_ARG);
	free(b);
	free(h);
}
END_TEST

/* vscsi_cap_parse() of a continuation: every cut of it, its length field
 * against the raw bytes, its offset range, a short body. */
START_TEST(test_cont_parse)
{
	uint8_t b[40 + 300];
	vscsi_cap_rec out;
	size_t len, cut;

	big_init();
	len = hm_piece(b, 1, 5, 4, 100, 300, VSCSI_DATAF_MORE);
	ck_assert_int_eq(vscsi_cap_parse(b, len, &out), VSCSI_OK);
	ck_assert_uint_eq(out.type, VSCSI_REC_DATA);
	ck_assert_uint_eq(out.seq, 5);
	ck_assert_uint_eq(out.piece.parent_seq, 4);
	ck_assert_uint_eq(out.piece.offset, 100);
	ck_assert_uint_eq(out.data_cap, 300);
	ck_assert_uint_eq(out.raw_len, 300);
	ck_assert_ptr_eq(out.data, b + 40);
	ck_assert_uint_eq(out.hdr_cap, 0);
	for (cut = 0; cut < len; cut++)
		ck_assert_int_eq(vscsi_cap_parse(b, cut, &out),
				 VSCSI_ERR_TRUNCATED);
	/* the record made to end at each cut of its piece */
	for (cut = 40; cut < len; cut++) {
		put32(b + 4, (uint32_t)cut);
		ck_assert_int_eq(vscsi_cap_parse(b, cut, &out),
				 VSCSI_ERR_INVALID);
	}
	put32(b + 4, (uint32_t)len);
	put32(b + 36, 299);
	ck_assert_int_eq(vscsi_cap_parse(b, len, &out), VSCSI_ERR_INVALID);
	put32(b + 36, 300);
	put32(b + 32, UINT32_MAX - 299);
	ck_assert_int_eq(vscsi_cap_parse(b, len, &out), VSCSI_ERR_INVALID);
	put32(b + 32, UINT32_MAX - 300);
	ck_assert_int_eq(vscsi_cap_parse(b, len, &out), VSCSI_OK);
	put16(b + 2, 39);
	ck_assert_int_eq(vscsi_cap_parse(b, len, &out), VSCSI_ERR_INVALID);
}
END_TEST

/* Write records (already encoded, one after the other in img) to a
 * capture at path. */
static void write_recs(const char *path, unsigned compress,
		       const uint8_t *const *recs, const size_t *lens,
		       unsigned n)
{
	vscsi_cap_writer *w;
	unsigned i;

	unlink(path);
	w = wopen(path, compress, 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(vscsi_cap_write_raw(w, recs[i], lens[i],
						     S_TS + i), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
}

/*
 * Continuations that do not fit, each read plain and strict. Every case
 * starts with a notify (seq 0); what the reader returns is written as a
 * string: 'n' notify, 'r' request, 'D' damage.
 */
START_TEST(test_cont_damage)
{
	static const struct {
		const char *name;
		/* the records: 'n' notify, 'p' parent of 300 bytes keeping
		 * 100 (flagged continued), 'P' the same not flagged, then
		 * pieces as conn/seq/parent/off/len/flags */
		const char *recs;
		const char *want;	/* what the reader returns */
		size_t data_cap;	/* of the request */
		unsigned pieces;
		const char *why;	/* in the damage message */
		unsigned bad_rec;	/* its record number */
		unsigned gaps;		/* sequence gaps counted */
	} cases[] = {
		{ "whole", "p d1/2/1/100/200/0 n", "nrn", 300, 1, NULL, 0, 0 },
		{ "two", "p d1/2/1/100/100/1 d1/3/1/200/100/0 n", "nrn", 300, 2,
		  NULL, 0, 0 },
		{ "orphan", "d1/1/0/0/100/0 n", "nDn", 0, 0,
		  "no continued record", 2, 0 },
		{ "not flagged", "P d1/2/1/100/200/0 n", "nrDn", 100, 0,
		  "no continued record", 3, 0 },
		{ "wrong seq", "p d1/2/7/100/200/0 n", "nrDn", 100, 0,
		  "seq 1 of connection 1", 3, 0 },
		{ "wrong conn", "p d5/0/1/100/200/0 n", "nrDn", 100, 0,
		  "seq 1 of connection 1", 3, 0 },
		{ "gap", "p d1/2/1/150/150/0 n", "nrDn", 100, 0, "(gap)", 3,
		  0 },
		{ "overlap", "p d1/2/1/100/100/1 d1/3/1/150/150/0 n", "nrDn",
		  200, 1, "(overlap)", 4, 0 },
		{ "past data_len", "p d1/2/1/100/250/0 n", "nrDn", 100, 0,
		  "runs past the data part (300 bytes)", 3, 0 },
		{ "separated", "p n d1/3/1/100/200/0 n", "nrnDn", 100, 0,
		  "no continued record", 4, 0 },
		/* a continuation dropped: the record is cut, nothing is
		 * damaged */
		{ "missing", "p n", "nrn", 100, 0, NULL, 0, 0 },
		{ "missing last", "p d1/2/1/100/100/1 n", "nrn", 200, 1, NULL,
		  0, 0 },
		/* says more, but the data part is whole: fine */
		{ "more at end", "p d1/2/1/100/200/1 n", "nrn", 300, 1, NULL,
		  0, 0 },
		/* a piece whose length field lies: damaged, and (as any
		 * damaged record) its number is not counted */
		{ "bad length", "p d1/2/1/100/200/0x n", "nrDn", 100, 0,
		  "impossible field", 3, 1 },
	};
	uint8_t *img[8];
	size_t lens[8];
	unsigned k, i;

	big_init();
	for (i = 0; i < 8; i++)
		img[i] = malloc(1024);
	for (k = 0; k < ARRAY_LEN(cases); k++) {
		const char *path = tpath("damage.pcap");
		const char *p = cases[k].recs;
		unsigned n = 0, strict;
		uint64_t seq = 1;

		lens[n] = hm_notify(img[n], 0);
		n++;
		while (*p) {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (*p == 'p' || *p == 'P') {
				lens[n] = hm_parent(img[n], seq++, 300, 100,
						    *p == 'p');
				p++;
			} else if (*p == 'n') {
				lens[n] = hm_notify(img[n], seq++);
				p++;
			} else {
				unsigned conn, s, ps, off, len, fl;
				int used = 0;

				ck_assert_int_eq(sscanf(p, "d%u/%u/%u/%u/%u/%u%n",
							&conn, &s, &ps, &off,
							&len, &fl, &used), 6);
				lens[n] = hm_piece(img[n], conn, s, ps, off,
						   len, fl);
				p += used;
				if (*p == 'x') {	/* length field lies */
					put32(img[n] + 36, len + 1);
					p++;
				}
				if (conn == 1)
					seq = s + 1;
			}
			n++;
		}
		write_recs(path, VSCSI_CAP_COMPRESS_AUTO,
			   (const uint8_t *const *)img, lens, n);
		for (strict = 0; strict < 2; strict++) {
			vscsi_cap_reader *r = ropen(path, strict ?
						    VSCSI_CAP_R_STRICT : 0);
			vscsi_cap_rstats st;
			vscsi_cap_rec rec;
			char got[16];
			size_t g = 0;
			int rc;

			while ((rc = vscsi_cap_next(r, &rec)) != 0 &&
			       g < sizeof(got) - 1) {
				if (rc == VSCSI_ERR_DAMAGED) {
					char at[32];

					snprintf(at, sizeof(at), "record %u at ",
						 cases[k].bad_rec);
					ck_assert_ptr_nonnull(strstr(
						vscsi_cap_reader_errmsg(r), at));
					got[g++] = 'D';
					if (cases[k].why)
						ck_assert_msg(strstr(
						vscsi_cap_reader_errmsg(r),
						cases[k].why) != NULL,
						"%s: %s", cases[k].name,
						vscsi_cap_reader_errmsg(r));
					if (strict)
						break;
					continue;
				}
				ck_assert_int_eq(rc, 1);
				got[g++] = rec.type == VSCSI_REC_NOTIFY ? 'n' :
					   rec.type == VSCSI_REC_REQUEST ? 'r' :
									   '?';
				if (rec.type == VSCSI_REC_REQUEST) {
					ck_assert_msg(rec.data_cap ==
						      cases[k].data_cap,
						      "%s: data_cap %zu",
						      cases[k].name,
						      rec.data_cap);
					ck_assert_uint_eq(rec.pieces,
							  cases[k].pieces);
					ck_assert(memcmp(rec.data, big_buf,
							 rec.data_cap) == 0);
					ck_assert_int_eq(
						!!(rec.flags & VSCSI_RECF_CUT),
						rec.data_cap < 300);
				}
			}
			got[g] = 0;
			vscsi_cap_reader_stats(r, &st);
			if (strict && strchr(cases[k].want, 'D')) {
				/* up to the damage, which sticks */
				ck_assert_msg(strncmp(got, cases[k].want,
						      g) == 0, "%s strict: %s",
					      cases[k].name, got);
				ck_assert_int_eq(got[g - 1], 'D');
				ck_assert_int_eq(vscsi_cap_next(r, &rec),
						 VSCSI_ERR_DAMAGED);
			} else {
				ck_assert_msg(strcmp(got, cases[k].want) == 0,
					      "%s: read %s, want %s",
					      cases[k].name, got,
					      cases[k].want);
				ck_assert_uint_eq(st.damaged,
					strchr(cases[k].want, 'D') != NULL);
				/* each record's number counted once */
				ck_assert_uint_eq(st.seq_gaps, cases[k].gaps);
			}
			ck_assert_uint_eq(st.err_recno, cases[k].bad_rec);
			vscsi_cap_reader_close(r);
		}
	}
	for (i = 0; i < 8; i++)
		free(img[i]);
}
END_TEST

/*
 * A continued record cut at every byte, plain (loop 0) and zstd (loop 1):
 * notify, a request of 300 data bytes keeping 100, two pieces of 100,
 * notify. The reader returns the whole records before the cut; the
 * request with the pieces that are whole (a file that ends between the
 * request and a piece gives the request cut there, no truncation, no
 * damage); a cut inside a record is truncation (STRICT: TRUNCATED after
 * the records before it).
 */
START_TEST(test_cont_truncate)
{
	const char *path = _i ? tpath("ctrunc.pcap.zst") : tpath("ctrunc.pcap");
	uint8_t *img[5], *b;
	size_t lens[5], len, cut;
	unsigned i;

	big_init();
	for (i = 0; i < 5; i++)
		img[i] = malloc(512);
	lens[0] = hm_notify(img[0], 0);
	lens[1] = hm_parent(img[1], 1, 300, 100, 1);
	lens[2] = hm_piece(img[2], 1, 2, 1, 100, 100, VSCSI_DATAF_MORE);
	lens[3] = hm_piece(img[3], 1, 3, 1, 200, 100, 0);
	lens[4] = hm_notify(img[4], 4);
	write_recs(path, VSCSI_CAP_COMPRESS_AUTO,
		   (const uint8_t *const *)img, lens, 5);
	b = slurp(path, &len);
	for (cut = 0; cut <= len; cut++) {
		/* whole records in the cut file -> records returned, and the
		 * request's data and pieces */
		static const unsigned want_n[] = { 0, 1, 2, 2, 2, 3 };
		static const size_t want_cap[] = { 0, 0, 100, 200, 300, 300 };
		size_t dlen = cut;
		uint8_t *d = _i ? zstd_prefix(b, cut, &dlen) : NULL;
		int boundary, strict, err = 0;
		unsigned whole = pcap_whole_records(d ? d : b, dlen, &boundary);

		free(d);
		if (_i) {
			/* a zstd file ends cleanly only where a frame does */
			size_t f = 0, pos = 0;

			while (pos < cut) {
				f = ZSTD_findFrameCompressedSize(b + pos,
								 len - pos);
				ck_assert(!ZSTD_isError(f));
				pos += f;
			}
			boundary = pos == cut;
		}
		ck_assert_uint_le(whole, 5);
		for (strict = 0; strict < 2; strict++) {
			vscsi_cap_reader *r = vscsi_cap_reader_open_fd(
				memfd_of(b, cut),
				strict ? VSCSI_CAP_R_STRICT : 0, &err);
			vscsi_cap_rstats st;
			vscsi_cap_rec rec;
			unsigned n = 0;
			int rc;

			if (!r) {
				ck_assert_uint_eq(whole, 0);
				continue;
			}
			while ((rc = vscsi_cap_next(r, &rec)) == 1) {
				if (rec.type == VSCSI_REC_REQUEST) {
					ck_assert_msg(rec.data_cap ==
						      want_cap[whole],
						      "cut %zu: data_cap %zu",
						      cut, rec.data_cap);
					ck_assert_uint_eq(rec.pieces,
						want_cap[whole] / 100 - 1);
					ck_assert_int_eq(
						!!(rec.flags & VSCSI_RECF_CUT),
						want_cap[whole] < 300);
				}
				n++;
			}
			ck_assert_msg(n == want_n[whole], "cut %zu: %u records",
				      cut, n);
			ck_assert_int_eq(rc, strict && !boundary ?
					 VSCSI_ERR_TRUNCATED : 0);
			vscsi_cap_reader_stats(r, &st);
			ck_assert_int_eq(st.truncated, !boundary);
			ck_assert_uint_eq(st.damaged, 0);
			vscsi_cap_reader_close(r);
		}
	}
	free(b);
	for (i = 0; i < 5; i++)
		free(img[i]);
}
END_TEST

/* A data part above VSCSI_CAP_REASM_MAX: the reader keeps 64 MiB of it,
 * reads the rest, returns the record cut and goes on. */
START_TEST(test_cont_reasm_cap)
{
	const char *path = tpath("huge.pcap.zst");
	size_t n = VSCSI_CAP_REASM_MAX + 300000;
	uint8_t *data = malloc(n);
	vscsi_cap_writer *w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	vscsi_cap_reader *r;
	vscsi_cap_rstats st;
	vscsi_cap_rec rec;
	struct iovec iov[2] = { { big_vs, 51 }, { data, n } };
	vscsi_cap_chain c;

	big_init();
	ck_assert_ptr_nonnull(data);
	fill(data, n, 5);
	memset(&c, 0, sizeof(c));
	c.conn = 1;
	ck_assert_int_eq(vscsi_cap_write_request(w, &c, iov, 2, 51, 0),
			 VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_write_notify(w, 1, 2, 0, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
	r = ropen(path, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.data_len, n);
	ck_assert_uint_eq(rec.data_cap, VSCSI_CAP_REASM_MAX);
	ck_assert(rec.flags & VSCSI_RECF_CUT);
	ck_assert_uint_eq(rec.pieces, want_pieces(51, n, UINT64_MAX));
	ck_assert(memcmp(rec.data, data, rec.data_cap) == 0);
	ck_assert_uint_eq(rec.digest, XXH3_64bits(data, n));
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(rec.seq_missing, 0);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_stats(r, &st);
	ck_assert_uint_eq(st.reasm_capped, 1);
	ck_assert_uint_eq(st.damaged, 0);
	vscsi_cap_reader_close(r);
	free(data);
}
END_TEST

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t follow_deadline;

static int deadline_cb(void *arg)
{
	(void)arg;
	return mono_ns() > follow_deadline;
}

/*
 * FOLLOW, zstd (loop 0) and plain (loop 1): the writer puts a continued
 * request in the file, then its pieces one at a time, each after a pause;
 * the reader waits for them and returns the request whole as soon as the
 * last piece (no "more") is there, before the record after it exists.
 */
START_TEST(test_cont_follow)
{
	const char *path = _i ? tpath("cfollow.pcap") : tpath("cfollow.pcap.zst");
	int fd, status, err, go[2];
	pid_t pid;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;

	big_init();
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct timespec ts = { 0, 60000000 };
		vscsi_cap_wopts o;
		vscsi_cap_writer *w;
		uint8_t b[512];
		char c;

		close(go[1]);
		memset(&o, 0, sizeof(o));
		o.flags = VSCSI_CAP_W_OVERWRITE;
		o.frame_ns = 3600ull * 1000000000u;	/* frames by hand */
		w = vscsi_cap_writer_open(path, &o, &err);
		if (!w)
			_exit(2);
		vscsi_cap_write_raw(w, b, hm_notify(b, 0), 0);
		vscsi_cap_write_raw(w, b, hm_parent(b, 1, 300, 100, 1), 0);
		vscsi_cap_writer_flush(w);
		nanosleep(&ts, NULL);
		vscsi_cap_write_raw(w, b, hm_piece(b, 1, 2, 1, 100, 100,
						   VSCSI_DATAF_MORE), 0);
		vscsi_cap_writer_flush(w);
		nanosleep(&ts, NULL);
		vscsi_cap_write_raw(w, b, hm_piece(b, 1, 3, 1, 200, 100, 0), 0);
		vscsi_cap_writer_flush(w);
		/* the next record only when the reader has the request */
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		vscsi_cap_write_raw(w, b, hm_notify(b, 4), 0);
		vscsi_cap_writer_flush(w);
		pause();
		_exit(0);
	}
	close(go[0]);
	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	follow_deadline = mono_ns() + 10000000000ull;
	vscsi_cap_reader_set_stop_cb(r, deadline_cb, NULL);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_REQUEST);
	ck_assert_uint_eq(rec.data_cap, 300);
	ck_assert_uint_eq(rec.pieces, 2);
	ck_assert(!(rec.flags & VSCSI_RECF_CUT));
	ck_assert(memcmp(rec.data, big_buf, 300) == 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.type, VSCSI_REC_NOTIFY);
	ck_assert_uint_eq(rec.seq, 4);
	ck_assert_uint_eq(rec.seq_missing, 0);
	/* a stop ends the wait for more */
	vscsi_cap_reader_stop(r);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);
	close(go[1]);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

/* FOLLOW: a continued request whose pieces never come; a stop while the
 * reader waits for them returns the request cut, then the end. */
START_TEST(test_cont_follow_stop)
{
	const char *path = tpath("cstop.pcap");
	vscsi_cap_writer *w;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	uint8_t b[512];
	int err;

	big_init();
	w = wopen(path, VSCSI_CAP_COMPRESS_AUTO, 0);
	ck_assert_int_eq(vscsi_cap_write_raw(w, b, hm_parent(b, 0, 300, 100, 1),
					     0), VSCSI_OK);
	ck_assert_int_eq(vscsi_cap_writer_flush(w), VSCSI_OK);
	r = vscsi_cap_reader_open(path, VSCSI_CAP_R_FOLLOW, &err);
	ck_assert_ptr_nonnull(r);
	follow_deadline = mono_ns() + 200000000ull;
	vscsi_cap_reader_set_stop_cb(r, deadline_cb, NULL);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 1);
	ck_assert_uint_eq(rec.data_cap, 100);
	ck_assert_uint_eq(rec.pieces, 0);
	ck_assert(rec.flags & VSCSI_RECF_CUT);
	ck_assert_uint_ge(mono_ns(), follow_deadline);
	ck_assert_int_eq(vscsi_cap_next(r, &rec), 0);
	vscsi_cap_reader_close(r);
	ck_assert_int_eq(vscsi_cap_writer_close(w), VSCSI_OK);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("format");
	TCase *slow = tcase_create("processes");

	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_checked_fixture(slow, setup_tmp, teardown_tmp);
	tcase_set_timeout(tc, 60);
	tcase_set_timeout(slow, 60);
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_roundtrip, 0, 2);
	tcase_add_test(tc, test_compress_option);
	tcase_add_test(tc, test_layout_bytes);
	tcase_add_test(tc, test_snaplen);
	tcase_add_test(tc, test_seq_gaps);
	tcase_add_test(tc, test_unknown_skipped);
	tcase_add_test(tc, test_longer_header);
	tcase_add_test(tc, test_damaged_records);
	tcase_add_test(tc, test_caplen_limits);
	tcase_add_test(tc, test_truncate_plain);
	tcase_add_test(tc, test_truncate_zstd);
	tcase_add_test(tc, test_frames_clock);
	tcase_add_test(tc, test_refuse_overwrite);
	tcase_add_test(tc, test_overwrite);
	tcase_add_test(tc, test_not_capture);
	tcase_add_test(tc, test_write_args);
	tcase_add_test(tc, test_big_payload);
	tcase_add_test(tc, test_parse_every_cut);
	tcase_add_test(tc, test_copy_raw);
	tcase_add_test(tc, test_encode);
	tcase_add_loop_test(tc, test_cont_roundtrip, 0, 2);
	tcase_add_test(tc, test_cont_snaplen);
	tcase_add_test(tc, test_cont_pieces_raw);
	tcase_add_test(tc, test_cont_encode);
	tcase_add_test(tc, test_cont_parse);
	tcase_add_test(tc, test_cont_damage);
	tcase_add_loop_test(tc, test_cont_truncate, 0, 2);
	tcase_add_test(tc, test_cont_reasm_cap);
	tcase_add_loop_test(slow, test_pipe_stdin, 0, 2);
	tcase_add_loop_test(slow, test_cont_pipe, 0, 2);
	tcase_add_loop_test(slow, test_cont_follow, 0, 2);
	tcase_add_test(slow, test_cont_follow_stop);
	tcase_add_loop_test(slow, test_kill9, 0, 2);
	tcase_add_test(slow, test_kill9_midframe);
	tcase_add_loop_test(slow, test_follow, 0, 2);
	tcase_add_test(slow, test_follow_empty);
	tcase_add_loop_test(slow, test_write_errors, 0, 4);
	tcase_add_test(slow, test_write_broken);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, slow);
	return s;
}

VSCSI_TEST_MAIN(capture_suite)
