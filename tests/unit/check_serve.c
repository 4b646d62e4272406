/*
 * vscsi-replay --serve's device (tools/vscsi-replay/sdev.c, compiled into
 * this suite) over a socketpair: virtio-scsi requests (virtio 1.2 5.6.6.1),
 * control requests (5.6.6.2) and events (5.6.6.3) posted by a hand-made
 * front-end (check_serve_util.h) against a temporary image file.
 */
#include "check_serve_util.h"

#include "../../tools/vscsi-replay/sdev.c"

#define TS_SCSI_FEATURES                                                  \
	(1ull << VSCSI_F_VERSION_1 | 1ull << VSCSI_F_HOTPLUG |              \
	 1ull << VSCSI_F_CHANGE | 1ull << VSCSI_F_RING_INDIRECT_DESC |       \
	 1ull << VSCSI_F_RING_EVENT_IDX)
#define TS_IMG (1u << 20)
#define TS_RESP 108u	/* 12 + sense_size 96 */

static uint64_t ts_poll_ns;	/* sdev_cfg.poll_ns of the next ts_open */

typedef struct ts {
	t_fe f;
	sdev *s;
	char path[64];
	char path2[64];
	vscsi_vs_cfg cfg;
} ts;

static void ts_image(char *path, size_t len, unsigned size, uint8_t seed)
{
	uint8_t *buf = malloc(size);
	unsigned i;
	int fd;

	snprintf(path, len, "/tmp/check_serve.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
	ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

/* A device with LUN 0:0 on a fresh image, negotiated with features and
 * nrq request queues set up (rings 0..1+nrq). */
static void ts_open(ts *t, uint64_t features, unsigned nrq)
{
	sdev_cfg sc;
	emu_lun_cfg lc;
	char spec[96], err[128];
	unsigned q;

	memset(t, 0, sizeof(*t));
	t_fe_init(&t->f);
	ts_image(t->path, sizeof(t->path), TS_IMG, 0);
	memset(&sc, 0, sizeof(sc));
	sc.id = 1;
	sc.queues = 2;
	sc.poll_ns = ts_poll_ns;
	t->s = sdev_new(t->f.dev_sock, NULL, &sc);
	ck_assert_ptr_nonnull(t->s);
	t->f.d = sdev_vu(t->s);
	snprintf(spec, sizeof(spec), "0:0=%s", t->path);
	ck_assert_int_eq(emu_lun_parse(spec, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(emu_lun_add(sdev_emu(t->s), &lc, 0, err, sizeof(err)),
			 0);
	t_negotiate(&t->f, features, 0);
	for (q = 0; q < 2 + nrq; q++)
		t_ring_setup(&t->f, q, T_NUM, 0);
	vscsi_vs_cfg_default(&t->cfg);
	t->cfg.features = t->f.features;
}

static void ts_close(ts *t)
{
	sdev_free(t->s);
	t_fe_fini(&t->f);
	unlink(t->path);
	if (t->path2[0])
		unlink(t->path2);
}

/* Wait for a used entry on ring q, running the device's completions. */
static int ts_wait(ts *t, unsigned q, uint16_t *id, uint32_t *len)
{
	int i;

	for (i = 0; i < 500; i++) {
		struct pollfd p = { emu_fd(sdev_emu(t->s)), POLLIN, 0 };
		int rc;

		sdev_poll(t->s);
		rc = vscsi_vq_drv_get_used(t->f.r[q].vq, id, len);
		if (rc)
			return rc;
		poll(&p, 1, 10);
	}
	return 0;
}

struct ts_cmd {
	uint8_t lun[8];
	uint8_t cdb[16];
	unsigned cdb_len;
	uint8_t task_attr;
	const void *dout;
	uint32_t dout_len;
	uint32_t din_len;
	int indirect;
	int shape;		/* writable buffers: see ts_post */
	/* results */
	uint32_t used;
	vscsi_cmd_resp resp;
	uint8_t *din;		/* into guest memory */
	uint16_t id;
};

static void ts_lun00(uint8_t lun[8])
{
	vscsi_lun_encode(lun, 0, 0, 1);
}

/* Post one command on ring q. The buffers, by c->shape: 0 the header, the
 * data-out, the response, the data-in; 1 the response and the data-in in
 * one buffer; 2 the data-out and the data-in in two pieces each; 3 an
 * empty buffer before the data-out and before the data-in. */
static void ts_post(ts *t, unsigned q, struct ts_cmd *c)
{
	vscsi_cmd_req req;
	struct vscsi_desc d[6];
	uint64_t hdr, resp, dout = 0, din = 0;
	unsigned n = 0;
	int hl;

	memset(&req, 0, sizeof(req));
	memcpy(req.lun.raw, c->lun, 8);
	req.tag = 0x1234;
	req.task_attr = c->task_attr;
	req.cdb_size = (uint16_t)c->cdb_len;
	memcpy(req.cdb, c->cdb, c->cdb_len);
	hdr = t_alloc(&t->f, 64, 8);
	hl = vscsi_vs_cmd_req_build(&t->cfg, &req, t_ptr(&t->f, hdr), 64);
	ck_assert_int_eq(hl, 51);
	d[n].addr = hdr;
	d[n].len = (uint32_t)hl;
	d[n++].flags = 0;
	if (c->dout_len) {
		uint32_t half = c->shape == 2 ? c->dout_len / 2 : c->dout_len;

		dout = t_alloc(&t->f, c->dout_len, 8);
		memcpy(t_ptr(&t->f, dout), c->dout, c->dout_len);
		if (c->shape == 3) {
			d[n].addr = dout;
			d[n].len = 0;
			d[n++].flags = 0;
		}
		d[n].addr = dout;
		d[n].len = half;
		d[n++].flags = 0;
		if (half < c->dout_len) {
			d[n].addr = dout + half;
			d[n].len = c->dout_len - half;
			d[n++].flags = 0;
		}
	}
	resp = t_alloc(&t->f, TS_RESP + c->din_len, 8);
	d[n].addr = resp;
	d[n].len = TS_RESP;
	d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
	if (c->din_len && c->shape == 1) {
		din = resp + TS_RESP;
		d[n - 1].len += c->din_len;
	} else if (c->din_len) {
		uint32_t half = c->shape == 2 ? c->din_len / 2 : c->din_len;

		din = resp + TS_RESP;
		if (c->shape == 3) {
			d[n].addr = din;
			d[n].len = 0;
			d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
		}
		d[n].addr = din;
		d[n].len = half;
		d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
		if (half < c->din_len) {
			d[n].addr = din + half;
			d[n].len = c->din_len - half;
			d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
		}
	}
	c->din = din ? t_ptr(&t->f, din) : NULL;
	if (c->indirect) {
		uint64_t tab = t_alloc(&t->f, 16 * n, 16);

		ck_assert_int_eq(vscsi_vq_drv_add_indirect(t->f.r[q].vq, d, n,
							   t_ptr(&t->f, tab),
							   tab, &c->id), 0);
	} else {
		ck_assert_int_eq(vscsi_vq_drv_add(t->f.r[q].vq, d, n, &c->id),
				 0);
	}
	c->resp.hdr_len = (uint32_t)resp;	/* remember where */
}

static void ts_finish(ts *t, unsigned q, struct ts_cmd *c)
{
	uint64_t resp = c->resp.hdr_len;
	uint16_t id;

	ck_assert_int_eq(ts_wait(t, q, &id, &c->used), 1);
	ck_assert_uint_eq(id, c->id);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&t->cfg, t_ptr(&t->f, resp),
						 TS_RESP, &c->resp), 0);
}

static void ts_run(ts *t, unsigned q, struct ts_cmd *c)
{
	ts_post(t, q, c);
	vu_dev_kick(sdev_vu(t->s), q);
	ts_finish(t, q, c);
}

static void ts_cdb(struct ts_cmd *c, const uint8_t *cdb, unsigned len)
{
	memset(c, 0, sizeof(*c));
	ts_lun00(c->lun);
	memcpy(c->cdb, cdb, len);
	c->cdb_len = len;
}

/* Clear the POWER ON unit attention (SPC-5 5.14) with TEST UNIT READY. */
static void ts_clear_ua(ts *t)
{
	static const uint8_t tur[6] = { 0 };
	struct ts_cmd c;

	ts_cdb(&c, tur, 6);
	ts_run(t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_OK);
	ck_assert_uint_eq(c.resp.status, 0x02);		/* CHECK CONDITION */
	ck_assert_uint_eq(c.resp.sense[2] & 0x0f, 6);	/* UNIT ATTENTION */
	ck_assert_uint_eq(c.resp.sense[12], 0x29);	/* POWER ON */
	ck_assert_uint_eq(c.used, TS_RESP);
	ts_run(t, 2, &c);
	ck_assert_uint_eq(c.resp.status, 0);
}

/* ------------------------------------------------------------ commands */

START_TEST(inquiry_write_read)
{
	static const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 2, 0, 0, 2, 0 };
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 2, 0, 0, 2, 0 };
	uint8_t data[1024], file[1024];
	struct ts_cmd c;
	unsigned i;
	int fd;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 2);
	ts_clear_ua(&t);
	/* INQUIRY (SPC-5 6.7): standard data; used = response + data-in */
	ts_cdb(&c, inq, 6);
	c.din_len = 96;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_OK);
	ck_assert_uint_eq(c.resp.status, 0);
	ck_assert_uint_eq(c.din[0] & 0x1f, 0);		/* direct access */
	ck_assert_uint_ge(c.din[4] + 5u, 36u);
	ck_assert_uint_eq(c.used, TS_RESP + 96 - c.resp.resid);
	ck_assert_uint_lt(c.resp.resid, 96);
	/* WRITE(10) of LBA 2..3 on the second request queue (SBC-4 5.40) */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xc3 ^ i);
	ts_cdb(&c, w10, 10);
	c.dout = data;
	c.dout_len = sizeof(data);
	ts_run(&t, 3, &c);
	ck_assert_uint_eq(c.resp.status, 0);
	ck_assert_uint_eq(c.used, TS_RESP);
	/* the image holds it */
	fd = open(t.path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, file, sizeof(file), 1024), 1024);
	close(fd);
	ck_assert_mem_eq(file, data, sizeof(data));
	/* READ(10) back on the first, through an indirect table */
	ts_cdb(&c, r10, 10);
	c.din_len = sizeof(data);
	c.indirect = 1;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.status, 0);
	ck_assert_uint_eq(c.resp.resid, 0);
	ck_assert_uint_eq(c.used, TS_RESP + sizeof(data));
	ck_assert_mem_eq(c.din, data, sizeof(data));
	ts_close(&t);
}
END_TEST

/* The same write and read in each layout of the buffers (ts_post): the
 * device slices each into header, data and response alike, so the data,
 * the response and the used length are the same. */
START_TEST(shapes)
{
	static const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	uint8_t data[1024], file[1024];
	struct ts_cmd c;
	unsigned i;
	int shape, ind, fd;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	ts_clear_ua(&t);
	for (ind = 0; ind < 2; ind++)
		for (shape = 0; shape < 4; shape++) {
			for (i = 0; i < sizeof(data); i++)
				data[i] = (uint8_t)(i * 7 + 3 + (unsigned)(shape + ind));
			ts_cdb(&c, w10, 10);
			c.dout = data;
			c.dout_len = sizeof(data);
			c.shape = shape;
			c.indirect = ind;
			ts_run(&t, 2, &c);
			ck_assert_msg(c.resp.response == VSCSI_S_OK &&
				      c.resp.status == 0,
				      "write shape %d indirect %d: response %u "
				      "status %u", shape, ind, c.resp.response,
				      c.resp.status);
			ck_assert_uint_eq(c.used, TS_RESP);
			fd = open(t.path, O_RDONLY);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(pread(fd, file, sizeof(file), 2048),
					 1024);
			close(fd);
			ck_assert_mem_eq(file, data, sizeof(data));

			ts_cdb(&c, r10, 10);
			c.din_len = sizeof(data);
			c.shape = shape;
			c.indirect = ind;
			ts_run(&t, 2, &c);
			ck_assert_msg(c.resp.response == VSCSI_S_OK &&
				      c.resp.status == 0 && c.resp.resid == 0,
				      "read shape %d indirect %d: response %u "
				      "status %u resid %u", shape, ind,
				      c.resp.response, c.resp.status,
				      c.resp.resid);
			ck_assert_uint_eq(c.resp.sense_len, 0);
			ck_assert_uint_eq(c.used, TS_RESP + sizeof(data));
			ck_assert_mem_eq(c.din, data, sizeof(data));
			memset(c.din, 0, sizeof(data));
		}
	/* and a command with no data at all: the response alone */
	ts_cdb(&c, (const uint8_t[6]){ 0 }, 6);
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.status, 0);
	ck_assert_uint_eq(c.used, TS_RESP);
	ts_close(&t);
}
END_TEST

/* A read whose data-in buffer is shorter than the transfer (5.6.6.1:
 * OVERRUN and the residual), a bad LUN (BAD_TARGET), a missing target. */
START_TEST(responses)
{
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0 };
	struct ts_cmd c;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	ts_clear_ua(&t);
	ts_cdb(&c, r10, 10);
	c.din_len = 512;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_OVERRUN);
	/* byte 0 of the LUN must be 1 */
	ts_cdb(&c, r10, 10);
	c.lun[0] = 2;
	c.din_len = 1024;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_BAD_TARGET);
	ck_assert_uint_eq(c.used, TS_RESP);
	/* target 5 has no LUN */
	ts_cdb(&c, r10, 10);
	vscsi_lun_encode(c.lun, 5, 0, 1);
	c.din_len = 1024;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_BAD_TARGET);
	ts_close(&t);
}
END_TEST

/* Both data directions without INOUT: FAILURE (5.6.6.1); with INOUT the
 * command runs. */
START_TEST(inout)
{
	static const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t data[512];
	struct ts_cmd c;
	ts t;

	memset(data, 0x11, sizeof(data));
	ts_open(&t, TS_SCSI_FEATURES, 1);
	ts_clear_ua(&t);
	ts_cdb(&c, w10, 10);
	c.dout = data;
	c.dout_len = sizeof(data);
	c.din_len = 64;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_FAILURE);
	ck_assert_uint_eq(c.used, TS_RESP);
	ts_close(&t);

	ts_open(&t, TS_SCSI_FEATURES | 1ull << VSCSI_F_INOUT, 1);
	ck_assert(vu_dev_features(sdev_vu(t.s)) >> VSCSI_F_INOUT & 1);
	ts_clear_ua(&t);
	ts_cdb(&c, w10, 10);
	c.dout = data;
	c.dout_len = sizeof(data);
	c.din_len = 64;
	ts_run(&t, 2, &c);
	ck_assert_uint_eq(c.resp.response, VSCSI_S_OK);
	ck_assert_uint_eq(c.resp.status, 0);
	ts_close(&t);
}
END_TEST

/* Malformed chains break their ring only: a request header shorter than
 * its layout, a response buffer shorter than the response. */
START_TEST(malformed_request_breaks_ring)
{
	static const uint8_t tur[6] = { 0 };
	struct vscsi_desc d[2];
	struct ts_cmd c;
	uint16_t id;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 2);
	ts_clear_ua(&t);
	/* 10 readable bytes, then a response buffer */
	d[0].addr = t_alloc(&t.f, 10, 8);
	d[0].len = 10;
	d[0].flags = 0;
	d[1].addr = t_alloc(&t.f, TS_RESP, 8);
	d[1].len = TS_RESP;
	d[1].flags = VSCSI_VRING_DESC_F_WRITE;
	ck_assert_int_eq(vscsi_vq_drv_add(t.f.r[2].vq, d, 2, &id), 0);
	vu_dev_kick(sdev_vu(t.s), 2);
	ck_assert(vu_dev_queue_broken(sdev_vu(t.s), 2));
	ck_assert(t_signalled(t.f.r[2].err));
	/* queue 3 still answers */
	ts_cdb(&c, tur, 6);
	ts_run(&t, 3, &c);
	ck_assert_uint_eq(c.resp.status, 0);
	/* a response buffer of 50 bytes breaks queue 3 */
	d[0].addr = t_alloc(&t.f, 51, 8);
	d[0].len = 51;
	d[1].len = 50;
	ck_assert_int_eq(vscsi_vq_drv_add(t.f.r[3].vq, d, 2, &id), 0);
	vu_dev_kick(sdev_vu(t.s), 3);
	ck_assert(vu_dev_queue_broken(sdev_vu(t.s), 3));
	/* the control queue is untouched */
	ck_assert(!vu_dev_queue_broken(sdev_vu(t.s), 0));
	ts_close(&t);
}
END_TEST

/* ------------------------------------------------------------ control */

static uint32_t ts_ctrl(ts *t, const void *req, uint32_t req_len,
			uint32_t resp_len, uint8_t *resp_out)
{
	struct vscsi_desc d[2];
	uint16_t id, got;
	uint32_t used;

	d[0].addr = t_alloc(&t->f, req_len, 8);
	memcpy(t_ptr(&t->f, d[0].addr), req, req_len);
	d[0].len = req_len;
	d[0].flags = 0;
	d[1].addr = t_alloc(&t->f, resp_len, 8);
	memset(t_ptr(&t->f, d[1].addr), 0xee, resp_len);
	d[1].len = resp_len;
	d[1].flags = VSCSI_VRING_DESC_F_WRITE;
	ck_assert_int_eq(vscsi_vq_drv_add(t->f.r[0].vq, d, 2, &id), 0);
	vu_dev_kick(sdev_vu(t->s), 0);
	ck_assert_int_eq(ts_wait(t, 0, &got, &used), 1);
	ck_assert_uint_eq(got, id);
	memcpy(resp_out, t_ptr(&t->f, d[1].addr), resp_len);
	return used;
}

START_TEST(control_queue)
{
	vscsi_ctrl_req cr;
	uint8_t buf[32], resp[8];
	int n;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	/* LOGICAL UNIT RESET on 0:0: FUNCTION COMPLETE, 1 byte */
	memset(&cr, 0, sizeof(cr));
	cr.type = VSCSI_T_TMF;
	cr.subtype = VSCSI_TMF_LOGICAL_UNIT_RESET;
	ts_lun00(cr.lun.raw);
	n = vscsi_vs_ctrl_req_build(&t.cfg, &cr, buf, sizeof(buf));
	ck_assert_int_eq(n, 24);
	ck_assert_uint_eq(ts_ctrl(&t, buf, 24, 1, resp), 1);
	ck_assert_uint_eq(resp[0], VSCSI_S_FUNCTION_COMPLETE);
	/* the same to target 9: BAD_TARGET */
	vscsi_lun_encode(cr.lun.raw, 9, 0, 1);
	vscsi_vs_ctrl_req_build(&t.cfg, &cr, buf, sizeof(buf));
	ck_assert_uint_eq(ts_ctrl(&t, buf, 24, 1, resp), 1);
	ck_assert_uint_eq(resp[0], VSCSI_S_BAD_TARGET);
	/* an unknown subtype: FUNCTION_REJECTED */
	cr.subtype = 77;
	ts_lun00(cr.lun.raw);
	vscsi_vs_ctrl_req_build(&t.cfg, &cr, buf, sizeof(buf));
	ck_assert_uint_eq(ts_ctrl(&t, buf, 24, 1, resp), 1);
	ck_assert_uint_eq(resp[0], VSCSI_S_FUNCTION_REJECTED);
	/* AN query: no class supported, OK, 5 bytes */
	memset(&cr, 0, sizeof(cr));
	cr.type = VSCSI_T_AN_QUERY;
	ts_lun00(cr.lun.raw);
	cr.event_requested = VSCSI_EVT_ASYNC_MEDIA_CHANGE;
	n = vscsi_vs_ctrl_req_build(&t.cfg, &cr, buf, sizeof(buf));
	ck_assert_int_eq(n, 16);
	ck_assert_uint_eq(ts_ctrl(&t, buf, 16, 8, resp), 5);
	ck_assert_uint_eq(resp[0] | resp[1] | resp[2] | resp[3], 0);
	ck_assert_uint_eq(resp[4], VSCSI_S_OK);
	cr.type = VSCSI_T_AN_SUBSCRIBE;
	vscsi_vs_ctrl_req_build(&t.cfg, &cr, buf, sizeof(buf));
	ck_assert_uint_eq(ts_ctrl(&t, buf, 16, 5, resp), 5);
	ck_assert_uint_eq(resp[4], VSCSI_S_OK);
	/* an unknown type: completed with nothing written */
	memset(buf, 0, sizeof(buf));
	buf[0] = 7;
	ck_assert_uint_eq(ts_ctrl(&t, buf, 24, 4, resp), 0);
	ck_assert_uint_eq(resp[0], 0xee);
	ck_assert(!vu_dev_queue_broken(sdev_vu(t.s), 0));
	/* a TMF whose response buffer is missing: the ring breaks */
	{
		struct vscsi_desc d[1];
		uint16_t id;

		memset(&cr, 0, sizeof(cr));
		cr.type = VSCSI_T_TMF;
		ts_lun00(cr.lun.raw);
		d[0].addr = t_alloc(&t.f, 24, 8);
		vscsi_vs_ctrl_req_build(&t.cfg, &cr, t_ptr(&t.f, d[0].addr),
					24);
		d[0].len = 24;
		d[0].flags = 0;
		ck_assert_int_eq(vscsi_vq_drv_add(t.f.r[0].vq, d, 1, &id), 0);
		vu_dev_kick(sdev_vu(t.s), 0);
		ck_assert(vu_dev_queue_broken(sdev_vu(t.s), 0));
	}
	ts_close(&t);
}
END_TEST

/* ------------------------------------------------------------ events */

static uint64_t ts_evbuf(ts *t)
{
	struct vscsi_desc d;
	uint16_t id;

	d.addr = t_alloc(&t->f, 16, 8);
	memset(t_ptr(&t->f, d.addr), 0xee, 16);
	d.len = 16;
	d.flags = VSCSI_VRING_DESC_F_WRITE;
	ck_assert_int_eq(vscsi_vq_drv_add(t->f.r[1].vq, &d, 1, &id), 0);
	return d.addr;
}

static void ts_event(ts *t, uint64_t gpa, vscsi_event *ev)
{
	uint16_t id;
	uint32_t len;

	ck_assert_int_eq(vscsi_vq_drv_get_used(t->f.r[1].vq, &id, &len), 1);
	ck_assert_uint_eq(len, 16);
	ck_assert_int_eq(vscsi_vs_event_parse(&t->cfg, t_ptr(&t->f, gpa), 16,
					      ev), 0);
}

/* 5.6.6.3: hotplug and resize events in the guest's buffers; an event
 * without a buffer sets EVENTS_MISSED, reported by a NO_EVENT as soon as
 * a buffer comes. */
START_TEST(events)
{
	uint64_t b1, b2, b3;
	vscsi_event ev;
	emu_lun_cfg lc;
	char spec[96], err[128];
	uint16_t id;
	uint32_t len;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	b1 = ts_evbuf(&t);
	b2 = ts_evbuf(&t);
	vu_dev_kick(sdev_vu(t.s), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(t.f.r[1].vq, &id, &len), 0);
	/* LUN 0:3 appears: TRANSPORT_RESET, RESCAN */
	ts_image(t.path2, sizeof(t.path2), 4096, 1);
	snprintf(spec, sizeof(spec), "0:3=%s", t.path2);
	ck_assert_int_eq(emu_lun_parse(spec, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(emu_lun_add(sdev_emu(t.s), &lc, EMU_HOTPLUG, err,
				     sizeof(err)), 0);
	ts_event(&t, b1, &ev);
	ck_assert_uint_eq(ev.event, VSCSI_EVT_TRANSPORT_RESET);
	ck_assert_uint_eq(ev.reason, VSCSI_EVT_RESET_RESCAN);
	ck_assert_uint_eq(ev.lun.target, 0);
	ck_assert_uint_eq(ev.lun.lun, 3);
	ck_assert(t_signalled(t.f.r[1].call));
	/* it grows: PARAM_CHANGE, CAPACITY DATA HAS CHANGED (2Ah/09h) */
	ck_assert_int_eq(truncate(t.path2, 8192), 0);
	ck_assert_int_eq(emu_lun_resize(sdev_emu(t.s), 0, 3, 0), 0);
	ts_event(&t, b2, &ev);
	ck_assert_uint_eq(ev.event, VSCSI_EVT_PARAM_CHANGE);
	ck_assert_uint_eq(ev.reason, 0x2a | 0x09 << 8);
	/* no buffer left: the removal is missed */
	ck_assert_int_eq(emu_lun_remove(sdev_emu(t.s), 0, 3), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(t.f.r[1].vq, &id, &len), 0);
	b3 = ts_evbuf(&t);
	vu_dev_kick(sdev_vu(t.s), 1);
	ts_event(&t, b3, &ev);
	ck_assert_uint_eq(ev.event,
			  VSCSI_EVT_NO_EVENT | VSCSI_EVT_EVENTS_MISSED);
	/* the next event is clean again */
	b1 = ts_evbuf(&t);
	vu_dev_kick(sdev_vu(t.s), 1);
	ck_assert_int_eq(emu_lun_add(sdev_emu(t.s), &lc, EMU_HOTPLUG, err,
				     sizeof(err)), 0);
	ts_event(&t, b1, &ev);
	ck_assert_uint_eq(ev.event, VSCSI_EVT_TRANSPORT_RESET);
	ts_close(&t);
}
END_TEST

/* Without HOTPLUG no TRANSPORT_RESET is sent (and none is "missed"). */
START_TEST(events_need_feature)
{
	emu_lun_cfg lc;
	char spec[96], err[128];
	uint16_t id;
	uint32_t len;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES & ~(1ull << VSCSI_F_HOTPLUG), 1);
	ts_evbuf(&t);
	vu_dev_kick(sdev_vu(t.s), 1);
	ts_image(t.path2, sizeof(t.path2), 4096, 1);
	snprintf(spec, sizeof(spec), "0:3=%s", t.path2);
	ck_assert_int_eq(emu_lun_parse(spec, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(emu_lun_add(sdev_emu(t.s), &lc, EMU_HOTPLUG, err,
				     sizeof(err)), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(t.f.r[1].vq, &id, &len), 0);
	ts_close(&t);
}
END_TEST

/* GET_VRING_BASE on the event queue gives the held buffers back (the base
 * moves back over them); the restarted ring takes them again. */
START_TEST(event_queue_stop_gives_back)
{
	emu_lun_cfg lc;
	vscsi_event ev;
	char spec[96], err[128];
	uint64_t b1;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	b1 = ts_evbuf(&t);
	ts_evbuf(&t);
	ts_evbuf(&t);
	vu_dev_kick(sdev_vu(t.s), 1);
	ck_assert_uint_eq(t_get_vring_base(&t.f, 1), 0);
	ck_assert_uint_eq(t_set_state(&t.f, VSCSI_VU_SET_VRING_BASE, 1, 0), 0);
	ck_assert_uint_eq(t_set_u64(&t.f, VSCSI_VU_SET_VRING_KICK, 1,
				    &t.f.r[1].kick, 1), 0);
	ts_image(t.path2, sizeof(t.path2), 4096, 1);
	snprintf(spec, sizeof(spec), "0:3=%s", t.path2);
	ck_assert_int_eq(emu_lun_parse(spec, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(emu_lun_add(sdev_emu(t.s), &lc, EMU_HOTPLUG, err,
				     sizeof(err)), 0);
	ts_event(&t, b1, &ev);
	ck_assert_uint_eq(ev.event, VSCSI_EVT_TRANSPORT_RESET);
	ck_assert_uint_eq(t_get_vring_base(&t.f, 1), 1);
	ts_close(&t);
}
END_TEST

/* ------------------------------------------------------------ life cycle */

/* In flight at shutdown: answered; later kicks are ignored. Nothing
 * leaks over a whole connection. */
START_TEST(shutdown_and_fds)
{
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	struct ts_cmd c, c2;
	uint16_t id;
	uint32_t len;
	int before = t_fd_count();
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 1);
	ts_clear_ua(&t);
	ts_cdb(&c, r10, 10);
	c.din_len = 4096;
	ts_post(&t, 2, &c);
	vu_dev_kick(sdev_vu(t.s), 2);
	sdev_shutdown(t.s);
	ck_assert_int_eq(vscsi_vq_drv_get_used(t.f.r[2].vq, &id, &len), 1);
	ck_assert_uint_eq(len, TS_RESP + 4096);
	ts_cdb(&c2, r10, 10);
	c2.din_len = 4096;
	ts_post(&t, 2, &c2);
	vu_dev_kick(sdev_vu(t.s), 2);
	sdev_poll(t.s);
	ck_assert_int_eq(vscsi_vq_drv_get_used(t.f.r[2].vq, &id, &len), 0);
	ts_close(&t);
	ck_assert_int_eq(t_fd_count(), before);
}
END_TEST

/* Used entries waiting on ring q (each checked against the posted ids). */
static unsigned ts_drain_used(ts *t, unsigned q, const struct ts_cmd *c,
			      unsigned n)
{
	uint16_t id;
	uint32_t len;
	unsigned got = 0, i;

	while (vscsi_vq_drv_get_used(t->f.r[q].vq, &id, &len) == 1) {
		for (i = 0; i < n && c[i].id != id; i++)
			;
		ck_assert_uint_lt(i, n);
		got++;
	}
	return got;
}

/* A kick takes a bounded batch (32) from its ring; a ring left with chains
 * keeps the device busy, and each such ring gets a batch in turn: a driver
 * keeping one ring full cannot starve the others. */
START_TEST(fair_turns)
{
	static const uint8_t tur[6] = { 0 };
	struct ts_cmd c2[40], c3[40];
	unsigned i;
	ts t;

	ts_open(&t, TS_SCSI_FEATURES, 2);
	for (i = 0; i < 40; i++) {
		ts_cdb(&c2[i], tur, 6);
		c2[i].indirect = 1;
		ts_post(&t, 2, &c2[i]);
		ts_cdb(&c3[i], tur, 6);
		c3[i].indirect = 1;
		ts_post(&t, 3, &c3[i]);
	}
	vu_dev_kick(sdev_vu(t.s), 2);
	ck_assert_uint_eq(ts_drain_used(&t, 2, c2, 40), 32);
	ck_assert_int_eq(sdev_busy(t.s), 1);
	vu_dev_kick(sdev_vu(t.s), 3);
	ck_assert_uint_eq(ts_drain_used(&t, 3, c3, 40), 32);
	/* the loop comes back without a kick: 8 more from each */
	sdev_work(t.s);
	ck_assert_uint_eq(ts_drain_used(&t, 2, c2, 40), 8);
	ck_assert_uint_eq(ts_drain_used(&t, 3, c3, 40), 8);
	ck_assert_int_eq(sdev_busy(t.s), 0);
	ts_close(&t);
}
END_TEST

/* With polling after busy rounds: the same answers, kicks back on after
 * (a chain posted later is served by its kick). */
START_TEST(polling)
{
	static const uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0 };
	static const uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0 };
	uint8_t data[512];
	struct ts_cmd c, c2;
	ts t;

	ts_poll_ns = 200000;
	ts_open(&t, TS_SCSI_FEATURES, 2);
	ts_poll_ns = 0;
	ts_clear_ua(&t);
	memset(data, 0x3c, sizeof(data));
	ts_cdb(&c, w10, 10);
	c.dout = data;
	c.dout_len = sizeof(data);
	ts_post(&t, 2, &c);
	ts_cdb(&c2, r10, 10);
	c2.din_len = sizeof(data);
	ts_post(&t, 3, &c2);
	vu_dev_kick(sdev_vu(t.s), 3);	/* the spin takes ring 2 too */
	ts_finish(&t, 2, &c);
	ts_finish(&t, 3, &c2);
	ck_assert_uint_eq(c.resp.status, 0);
	ck_assert_uint_eq(c2.resp.status, 0);
	/* a spin call returns within a millisecond, polling or not (on a
	 * loaded machine before the rings were idle long enough); the
	 * caller comes back while sdev_busy() says so, as serve.c does */
	while (sdev_busy(t.s))
		sdev_work(t.s);
	/* the avail event index (2.7.10) asks for a kick at the next chain:
	 * 3 were posted on ring 2 (two TURs and the write) */
	ck_assert_uint_eq(*(uint16_t *)t_ptr(&t.f, t.f.r[2].used + 4 +
					     8 * T_NUM), 3);
	ts_cdb(&c, r10, 10);
	c.din_len = sizeof(data);
	ts_run(&t, 2, &c);
	ck_assert_mem_eq(c.din, data, sizeof(data));
	ts_close(&t);
}
END_TEST

static Suite *serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("device");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, inquiry_write_read);
	tcase_add_test(tc, responses);
	tcase_add_test(tc, shapes);
	tcase_add_test(tc, inout);
	tcase_add_test(tc, malformed_request_breaks_ring);
	tcase_add_test(tc, control_queue);
	tcase_add_test(tc, events);
	tcase_add_test(tc, events_need_feature);
	tcase_add_test(tc, event_queue_stop_gives_back);
	tcase_add_test(tc, shutdown_and_fds);
	tcase_add_test(tc, fair_turns);
	tcase_add_test(tc, polling);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(serve_suite)
