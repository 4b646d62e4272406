/*
 * The per-record fast paths against plain models: vscsi_io's CDB fields
 * against vscsi_cdb_decode(), the statistics (row caches, branch-free
 * updates) against a straightforward model of what stats.h documents, and
 * the in-place header reads of the parsers against the headers built.
 */
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/io.h"
#include "vscsi/stats.h"

static uint64_t fp_rng = 0x9e3779b97f4a7c15ull;

static uint64_t fp_rand(void)
{
	fp_rng ^= fp_rng >> 12;
	fp_rng ^= fp_rng << 25;
	fp_rng ^= fp_rng >> 27;
	return fp_rng * 2685821657736338717ull;
}

/* ------------------------------------------------------------ CDB */

/* vscsi_io_from_request() takes opcode, service action, class, LBA and
 * length as vscsi_cdb_decode() reads them, whatever the bytes. */
static void fp_check_cdb(const uint8_t *cdb, uint16_t len)
{
	vscsi_cmd_req req;
	vscsi_cdb_info ci;
	vscsi_io io;

	memset(&req, 0, sizeof(req));
	memcpy(req.cdb, cdb, len);
	req.cdb_size = len;
	vscsi_io_from_request(&io, 1, 2, 3, 1000, &req);
	vscsi_cdb_decode(cdb, len, &ci);
	ck_assert_uint_eq(io.opcode, ci.opcode);
	ck_assert_uint_eq(io.has_sa, ci.has_sa);
	ck_assert_uint_eq(io.sa, ci.service_action);
	ck_assert_uint_eq(io.op_class, ci.op_class);
	ck_assert_uint_eq(!!(io.has & VSCSI_IO_HAS_LBA),
			  !!(ci.fields & VSCSI_CDB_HAS_LBA));
	ck_assert_uint_eq(!!(io.has & VSCSI_IO_HAS_LEN),
			  !!(ci.fields & VSCSI_CDB_HAS_XFER));
	ck_assert_uint_eq(io.lba, (ci.fields & VSCSI_CDB_HAS_LBA) ? ci.lba : 0);
	ck_assert_uint_eq(io.xfer_len,
			  (ci.fields & VSCSI_CDB_HAS_XFER) ? ci.xfer_len : 0);
	ck_assert(io.has & VSCSI_IO_HAS_CDB);
}

START_TEST(test_io_cdb_every_opcode)
{
	uint8_t cdb[VSCSI_CDB_MAX];
	unsigned op, len, k, i;

	/* every opcode, every length up to 32, random bytes (and all ones,
	 * all zeros: READ(6) length 0, WRITE SAME with UNMAP) */
	for (op = 0; op < 256; op++)
		for (len = 0; len <= 32; len++)
			for (k = 0; k < 6; k++) {
				for (i = 0; i < sizeof(cdb); i++)
					cdb[i] = k == 0 ? 0 : k == 1 ? 0xff :
						 (uint8_t)fp_rand();
				cdb[0] = (uint8_t)op;
				if (op == 0x7f && len >= 8 && k > 2)
					cdb[7] = (uint8_t)(len - 8);
				fp_check_cdb(cdb, (uint16_t)len);
			}
}
END_TEST

START_TEST(test_io_cdb_every_row)
{
	uint8_t usage[VSCSI_CDB_USAGE_MAX], cdb[VSCSI_CDB_MAX];
	unsigned i, k, b, n = vscsi_cdb_table_count();

	ck_assert_uint_gt(n, 100);
	/* each row's own CDB (opcode, service action, length), its fields
	 * random, then cut at every length */
	for (i = 0; i < n; i++) {
		size_t len = vscsi_cdb_table_usage(i, usage, sizeof(usage));

		for (k = 0; k < 8; k++) {
			for (b = 0; b < len; b++) {
				/* opcode, service action: the row's */
				int fixed = b < 2 || (usage[0] == 0x7f &&
						      b >= 8 && b <= 9);

				cdb[b] = (uint8_t)(fixed ? usage[b] :
						   fp_rand() & usage[b]);
			}
			if (usage[0] == 0x7f && len > 8)
				cdb[7] = (uint8_t)(len - 8);
			for (b = 0; b <= len; b++)
				fp_check_cdb(cdb, (uint16_t)b);
		}
	}
}
END_TEST

/* ------------------------------------------------------------ stats */

/* The model: what stats.h says, with none of the library's shortcuts. */
#define FP_ROWS 80

typedef struct fp_group {
	vscsi_stats_row row[FP_ROWS];
	unsigned n;
} fp_group;

typedef struct fp_model {
	fp_group g[VSCSI_GROUP_COUNT];
	uint64_t first, last;
	int seen;
} fp_model;

static vscsi_stats_row *fp_row(fp_group *g, uint64_t key)
{
	unsigned i, j;

	for (i = 0; i < g->n && g->row[i].key < key; i++)
		;
	if (i < g->n && g->row[i].key == key)
		return &g->row[i];
	ck_assert_uint_lt(g->n, FP_ROWS);
	for (j = g->n; j > i; j--)
		g->row[j] = g->row[j - 1];
	memset(&g->row[i], 0, sizeof(g->row[i]));
	g->row[i].key = key;
	vscsi_hist_init(&g->row[i].lat);
	g->n++;
	return &g->row[i];
}

static void fp_settle(vscsi_stats_row *r, uint64_t ts)
{
	if (ts > r->qd_since) {
		if (r->qd_since) {
			r->qd_area += (uint64_t)r->qd_now * (ts - r->qd_since);
			if (r->qd_now)
				r->busy_ns += ts - r->qd_since;
		}
		r->qd_since = ts;
	} else if (!r->qd_since) {
		r->qd_since = ts;
	}
}

static void fp_model_add(fp_model *m, const vscsi_io *io)
{
	vscsi_stats_row *rows[VSCSI_GROUP_COUNT];
	unsigned n = 0, i;
	int error;

	if (io->type != VSCSI_IO_REQUEST && io->type != VSCSI_IO_COMPLETION)
		return;
	if (!m->seen || io->ts_ns < m->first)
		m->first = io->ts_ns;
	if (!m->seen || io->ts_ns > m->last)
		m->last = io->ts_ns;
	m->seen = 1;
	rows[n++] = fp_row(&m->g[VSCSI_GROUP_TOTAL], 0);
	if ((io->has & VSCSI_IO_HAS_LUN) && io->lun_kind == VSCSI_LUN_NORMAL)
		rows[n++] = fp_row(&m->g[VSCSI_GROUP_LUN],
				   (uint64_t)io->target << 16 | io->lun);
	rows[n++] = fp_row(&m->g[VSCSI_GROUP_QUEUE],
			   (uint64_t)io->conn << 16 | io->vq);
	if (io->has & VSCSI_IO_HAS_CDB) {
		rows[n++] = fp_row(&m->g[VSCSI_GROUP_OPCODE],
				   (uint64_t)io->opcode << 16 |
				   (io->has_sa ? io->sa : 0xffffu));
		rows[n++] = fp_row(&m->g[VSCSI_GROUP_CLASS], io->op_class);
	}
	error = vscsi_io_is_error(io);
	for (i = 0; i < n; i++) {
		vscsi_stats_row *r = rows[i];

		fp_settle(r, io->ts_ns);
		if (io->type == VSCSI_IO_REQUEST) {
			r->qd_now++;
			if (r->qd_now > r->qd_max)
				r->qd_max = r->qd_now;
			if ((io->has & VSCSI_IO_HAS_LBA) &&
			    (io->op_class == VSCSI_OPC_READ ||
			     io->op_class == VSCSI_OPC_WRITE)) {
				if (io->lba == r->next_lba) {
					r->seq++;
				} else {
					r->random++;
					r->seek_sum += io->lba > r->next_lba ?
						io->lba - r->next_lba :
						r->next_lba - io->lba;
				}
				r->next_lba = io->lba + io->xfer_len;
			}
			continue;
		}
		if (r->qd_now && (io->has & VSCSI_IO_HAS_SUBMIT))
			r->qd_now--;
		r->ios++;
		if (io->op_class == VSCSI_OPC_READ) {
			r->reads++;
			r->bytes_read += io->bytes_in;
		} else if (io->op_class == VSCSI_OPC_WRITE) {
			r->writes++;
			r->bytes_written += io->bytes_out;
		}
		if (error)
			r->errors++;
		if (io->has & VSCSI_IO_HAS_LATENCY)
			vscsi_hist_add(&r->lat, io->latency_ns);
	}
}

static void fp_model_reset(fp_model *m, uint64_t start)
{
	unsigned g, i;

	for (g = 0; g < VSCSI_GROUP_COUNT; g++)
		for (i = 0; i < m->g[g].n; i++) {
			vscsi_stats_row *r = &m->g[g].row[i];
			vscsi_stats_row keep = *r;

			memset(r, 0, sizeof(*r));
			vscsi_hist_init(&r->lat);
			r->key = keep.key;
			r->qd_now = keep.qd_now;
			r->qd_max = keep.qd_now;
			r->qd_since = start;
			r->next_lba = keep.next_lba;
		}
	m->seen = 0;
	m->first = m->last = 0;
}

static void fp_compare(const vscsi_stats *s, const fp_model *m)
{
	uint64_t first, last;
	unsigned g, i;

	for (g = 0; g < VSCSI_GROUP_COUNT; g++) {
		const vscsi_stats_row *rows;
		size_t n = vscsi_stats_rows(s, g, &rows);

		ck_assert_uint_eq(n, m->g[g].n);
		for (i = 0; i < n; i++)
			ck_assert_int_eq(memcmp(&rows[i], &m->g[g].row[i],
						sizeof(rows[i])), 0);
	}
	vscsi_stats_span(s, NULL, &first, &last);
	ck_assert_uint_eq(first, m->first);
	ck_assert_uint_eq(last, m->last);
}

/* A random event: few or many LUNs, queues and opcodes (so rows are made
 * mid-stream and the caches forget), reads and writes mixed, sequential
 * runs, errors, completions without requests. */
static void fp_event(vscsi_io *io, uint64_t *ts, unsigned spread)
{
	static const uint8_t ops[] = { 0x28, 0x2a, 0x88, 0x8a, 0x35, 0x00,
				       0x12, 0x9e, 0x42, 0x93 };
	static const uint8_t cls[] = { VSCSI_OPC_READ, VSCSI_OPC_WRITE,
				       VSCSI_OPC_READ, VSCSI_OPC_WRITE,
				       VSCSI_OPC_FLUSH, VSCSI_OPC_OTHER,
				       VSCSI_OPC_OTHER, VSCSI_OPC_OTHER,
				       VSCSI_OPC_UNMAP, VSCSI_OPC_WRITE };
	uint64_t r = fp_rand();
	unsigned k = (unsigned)(r % (spread < 2 ? 2 : spread > 10 ? 10 :
				     spread));

	memset(io, 0, sizeof(*io));
	*ts += 1 + (r >> 8) % 5000;
	io->ts_ns = *ts;
	io->type = (r >> 20) & 1 ? VSCSI_IO_COMPLETION : VSCSI_IO_REQUEST;
	if (((r >> 21) & 63) == 0)
		io->type = VSCSI_IO_OTHER;	/* ignored */
	io->conn = (uint32_t)((r >> 24) % (spread / 16 + 1));
	io->vq = (uint16_t)(2 + (r >> 28) % (spread / 8 + 1));
	if ((r >> 32) % 16) {
		io->has |= VSCSI_IO_HAS_LUN;
		io->lun_kind = (r >> 36) % 32 ? VSCSI_LUN_NORMAL :
						VSCSI_LUN_MALFORMED;
		io->target = (uint8_t)((r >> 37) % (spread / 32 + 1));
		io->lun = (uint16_t)((r >> 40) % (spread / 4 + 1));
	}
	if ((r >> 44) % 16) {
		io->has |= VSCSI_IO_HAS_CDB;
		io->opcode = ops[k];
		io->op_class = cls[k];
		io->has_sa = io->opcode == 0x9e;
		io->sa = io->has_sa ? 0x10 : 0;
	}
	if ((r >> 48) % 8) {
		io->has |= VSCSI_IO_HAS_LBA | VSCSI_IO_HAS_LEN;
		io->lba = (r >> 51) % 4 ? ((r >> 53) % 64) * 8 : 8 * (r % 3);
		io->xfer_len = 8;
	}
	if (io->type == VSCSI_IO_COMPLETION) {
		io->has |= VSCSI_IO_HAS_RESP;
		if ((r >> 54) % 4)
			io->has |= VSCSI_IO_HAS_SUBMIT |
				   VSCSI_IO_HAS_LATENCY;
		io->latency_ns = (r >> 56) * ((r & 0xff) + 1) * 97;
		if ((r >> 62) == 3)
			io->latency_ns = r;	/* huge: sum saturates */
		io->status = (r >> 58) % 16 ? 0 : 2;
		io->response = (r >> 59) % 32 ? 0 : 9;
		io->bytes_in = io->op_class == VSCSI_OPC_READ ? 4096 : 17;
		io->bytes_out = io->op_class == VSCSI_OPC_WRITE ? 4096 : 33;
	}
}

START_TEST(test_stats_model)
{
	static const unsigned spreads[] = { 1, 2, 4, 12, 40, 80 };
	unsigned spread = spreads[_i];
	static fp_model m;
	vscsi_stats *s = vscsi_stats_new();
	uint64_t ts = 1000;
	unsigned i;
	vscsi_io io;

	ck_assert_ptr_nonnull(s);
	memset(&m, 0, sizeof(m));
	vscsi_stats_reset(s, ts);
	fp_model_reset(&m, ts);
	for (i = 0; i < 20000; i++) {
		fp_event(&io, &ts, spread);
		ck_assert_int_eq(vscsi_stats_add(s, &io), VSCSI_OK);
		fp_model_add(&m, &io);
		if (i % 997 == 0)
			fp_compare(s, &m);
		if (i % 5003 == 5002) {
			vscsi_stats_reset(s, ts);
			fp_model_reset(&m, ts);
		}
	}
	fp_compare(s, &m);
	fp_compare(s, &m);	/* nothing changed: the rows stay as read */
	vscsi_stats_settle(s, ts + 1000);
	for (i = 0; i < VSCSI_GROUP_COUNT; i++) {
		unsigned j;

		for (j = 0; j < m.g[i].n; j++)
			fp_settle(&m.g[i].row[j], ts + 1000);
	}
	fp_compare(s, &m);
	vscsi_stats_free(s);
}
END_TEST

/* ------------------------------------------------------------ parsers */

START_TEST(test_parse_in_place)
{
	static const uint64_t feats[] = {
		1ull << VSCSI_F_VERSION_1,
		1ull << VSCSI_F_VERSION_1 | 1ull << VSCSI_F_T10_PI,
		0, 1ull << VSCSI_F_T10_PI,
	};
	uint8_t buf[600];
	unsigned f, k;

	for (f = 0; f < 8; f++)
		for (k = 0; k < 200; k++) {
			vscsi_vs_cfg cfg;
			vscsi_cmd_req in, out;
			vscsi_cmd_resp rin, rout;
			uint32_t hdr;
			size_t i;

			vscsi_vs_cfg_default(&cfg);
			cfg.features = feats[f % 4];
			cfg.legacy_big_endian = f >= 4;
			cfg.cdb_size = 1 +
				       (uint32_t)(fp_rand() % VSCSI_CDB_MAX);
			cfg.sense_size = (uint32_t)(fp_rand() %
						    (VSCSI_SENSE_MAX + 1));
			memset(&in, 0, sizeof(in));
			vscsi_lun_encode(in.lun.raw, (uint8_t)fp_rand(),
					 (uint16_t)(fp_rand() % 16384), 1);
			in.tag = fp_rand();
			in.task_attr = (uint8_t)fp_rand();
			in.prio = (uint8_t)fp_rand();
			in.crn = (uint8_t)fp_rand();
			in.pi_bytesout = (uint32_t)fp_rand();
			in.pi_bytesin = (uint32_t)fp_rand();
			in.cdb_size = (uint16_t)cfg.cdb_size;
			for (i = 0; i < cfg.cdb_size; i++)
				in.cdb[i] = (uint8_t)fp_rand();
			hdr = vscsi_vs_cmd_req_size(&cfg);
			ck_assert_int_eq(vscsi_vs_cmd_req_build(&cfg, &in, buf,
								sizeof(buf)),
					 (int)hdr);
			/* the whole header, and more: read in place */
			ck_assert_int_eq(vscsi_vs_cmd_req_parse(&cfg, buf,
						hdr + k % 3, &out), VSCSI_OK);
			ck_assert_int_eq(memcmp(out.lun.raw, in.lun.raw, 8), 0);
			ck_assert_uint_eq(out.tag, in.tag);
			ck_assert_uint_eq(out.task_attr, in.task_attr);
			ck_assert_uint_eq(out.prio, in.prio);
			ck_assert_uint_eq(out.crn, in.crn);
			if (cfg.features & (1ull << VSCSI_F_T10_PI)) {
				ck_assert_uint_eq(out.pi_bytesout,
						  in.pi_bytesout);
				ck_assert_uint_eq(out.pi_bytesin,
						  in.pi_bytesin);
			} else {
				ck_assert_uint_eq(out.pi_bytesout, 0);
			}
			ck_assert_uint_eq(out.cdb_size, cfg.cdb_size);
			ck_assert_int_eq(memcmp(out.cdb, in.cdb,
						sizeof(out.cdb)), 0);
			ck_assert_uint_eq(out.hdr_len, hdr);
			ck_assert_uint_eq(out.data_out_len, k % 3);
			/* one byte short: the bounds-checked reader */
			ck_assert_int_eq(vscsi_vs_cmd_req_parse(&cfg, buf,
						hdr - 1, &out),
					 VSCSI_ERR_TRUNCATED);

			memset(&rin, 0, sizeof(rin));
			rin.sense_len = (uint32_t)(fp_rand() % 300);
			rin.resid = (uint32_t)fp_rand();
			rin.status_qualifier = (uint16_t)fp_rand();
			rin.status = (uint8_t)fp_rand();
			rin.response = (uint8_t)fp_rand();
			for (i = 0; i < VSCSI_SENSE_MAX; i++)
				rin.sense[i] = (uint8_t)fp_rand();
			hdr = vscsi_vs_cmd_resp_size(&cfg);
			ck_assert_int_eq(vscsi_vs_cmd_resp_build(&cfg, &rin,
								 buf,
								 sizeof(buf)),
					 (int)hdr);
			if (k % 2) {
				/* a device claiming more sense than the area */
				uint32_t claim = rin.sense_len + cfg.sense_size;
				int be = cfg.legacy_big_endian &&
					 !(cfg.features &
					   (1ull << VSCSI_F_VERSION_1));

				for (i = 0; i < 4; i++)
					buf[i] = (uint8_t)(claim >>
							   (be ? 24 - 8 * i :
								 8 * i));
			}
			ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&cfg, buf,
						hdr + k % 5, &rout), VSCSI_OK);
			if (k % 2) {
				uint32_t claimed = rout.sense_len;

				ck_assert_uint_eq(claimed - cfg.sense_size,
						  rin.sense_len);
			}
			ck_assert_uint_eq(rout.resid, rin.resid);
			ck_assert_uint_eq(rout.status_qualifier,
					  rin.status_qualifier);
			ck_assert_uint_eq(rout.status, rin.status);
			ck_assert_uint_eq(rout.response, rin.response);
			ck_assert_uint_eq(rout.sense_copied,
					  rout.sense_len < cfg.sense_size ?
					  rout.sense_len : cfg.sense_size);
			ck_assert_int_eq(memcmp(rout.sense, buf + 12,
						rout.sense_copied), 0);
			for (i = rout.sense_copied; i < VSCSI_SENSE_MAX; i++)
				ck_assert_uint_eq(rout.sense[i], 0);
			ck_assert_uint_eq(rout.data_in_len, k % 5);
			if (hdr > 12)
				ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&cfg,
						buf, hdr - 1, &rout),
						 VSCSI_ERR_TRUNCATED);
		}
}
END_TEST

static Suite *fastpath_suite(void)
{
	Suite *s = suite_create("fastpath");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_io_cdb_every_opcode);
	tcase_add_test(tc, test_io_cdb_every_row);
	tcase_add_loop_test(tc, test_stats_model, 0, 6);
	tcase_add_test(tc, test_parse_in_place);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(fastpath_suite)
