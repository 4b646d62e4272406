/*
 * replay_vfe: the vhost-user target. The replay is the front-end (the role
 * QEMU plays) of any vhost-user-scsi back-end, through the toolkit's driver
 * (vfe.h): one connection per recorded connection, so that each recorded
 * initiator is one to the back-end too.
 *
 * Sizes: a request queue per recorded request queue (fewer when the
 * back-end offers fewer: the queues are then shared round-robin), ring
 * entries for twice the recorded queue depth, and a data buffer per entry
 * as large as the largest request's data-out plus data-in.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "replay_int.h"
#include "vfe.h"

typedef struct rv_target {
	rp_target base;
	vfe *v[RP_MAX_CONNS];
	unsigned nv;
	unsigned nq[RP_MAX_CONNS];
	unsigned cmd_flags[RP_MAX_CONNS];
} rv_target;

static void rv_cmd_cb(void *arg, const vfe_result *vr)
{
	rp_slot *s = arg;
	replay *r = s->r;
	rp_res res;

	memset(&res, 0, sizeof(res));
	res.err = vr->err;
	if (!vr->err) {
		vscsi_sense_info si;
		uint16_t n = vr->sense_copied;

		res.response = vr->response;
		res.status = vr->status;
		res.resid = vr->resid;
		res.din_len = vr->din_len;
		if (n > sizeof(res.sense))
			n = sizeof(res.sense);
		memcpy(res.sense, vr->sense, n);
		res.sense_len = n;
		if (vr->sense_len && n &&
		    vscsi_sense_decode(vr->sense, n, &si) == VSCSI_OK &&
		    !si.incomplete) {
			res.has_sense = 1;
			res.key = si.key;
			res.asc = si.asc;
			res.ascq = si.ascq;
		}
		if (res.din_len && vr->din_cnt == 1) {
			res.din_digest = rp_hash(vr->din[0].iov_base,
						     res.din_len);
		} else if (res.din_len) {
			XXH3_state_t *st = XXH3_createState();
			uint32_t left = res.din_len;
			unsigned i;

			if (st) {
				XXH3_64bits_reset(st);
				for (i = 0; i < vr->din_cnt && left; i++) {
					size_t n2 = vr->din[i].iov_len < left ?
						vr->din[i].iov_len : left;

					XXH3_64bits_update(st,
							   vr->din[i].iov_base,
							   n2);
					left -= (uint32_t)n2;
				}
				res.din_digest = XXH3_64bits_digest(st);
				XXH3_freeState(st);
			}
		}
		res.din_iov = vr->din;
		res.din_cnt = vr->din_cnt;
		res.din = vr->din_cnt ? vr->din[0].iov_base : NULL;
	}
	rp_complete(r, s, &res);
}

static void rv_ctrl_cb(void *arg, const vfe_ctrl_result *cr)
{
	rp_slot *s = arg;
	replay *r = s->r;
	rp_res res;

	memset(&res, 0, sizeof(res));
	res.err = cr->err;
	res.response = cr->response;
	res.event_actual = cr->event_actual;
	rp_complete(r, s, &res);
}

static int rv_cmd(rp_target *bt, const rp_op *op, rp_slot *s)
{
	rv_target *t = (rv_target *)bt;
	unsigned rq = (unsigned)(op->vq - VSCSI_VQ_REQUEST0) % t->nq[op->conn];
	vfe_cmd c;

	memset(&c, 0, sizeof(c));
	memcpy(c.lun, s->lun, 8);
	c.cdb = op->cdb;
	c.cdb_len = op->cdb_len;
	c.task_attr = op->task_attr;
	c.prio = op->prio;
	c.crn = op->crn;
	c.tag = op->tag;
	c.dout = op->dout_len ? s->dout : NULL;
	c.dout_len = op->dout_len;
	c.din_len = op->din_alloc;
	c.flags = t->cmd_flags[op->conn];
	return vfe_submit(t->v[op->conn], rq, &c, rv_cmd_cb, s, NULL);
}

static int rv_tmf(rp_target *bt, const rp_op *op, rp_slot *s)
{
	rv_target *t = (rv_target *)bt;

	return vfe_tmf(t->v[op->conn], s->lun, op->arg, op->tag, rv_ctrl_cb, s);
}

static int rv_an(rp_target *bt, const rp_op *op, rp_slot *s)
{
	rv_target *t = (rv_target *)bt;

	return vfe_an(t->v[op->conn], (uint32_t)op->tag, s->lun, op->arg,
		      rv_ctrl_cb, s);
}

static int rv_wait(rp_target *bt, int64_t timeout_ns)
{
	rv_target *t = (rv_target *)bt;
	uint64_t until = 0;
	int n = 0;

	if (t->nv == 1) {
		int ms = timeout_ns < 0 ? -1 :
			 (int)(timeout_ns / 1000000 > 1000 ?
				       1000 : timeout_ns / 1000000);

		return vfe_poll(t->v[0], ms);
	}
	if (timeout_ns > 0)
		until = rp_now_ns() + (uint64_t)timeout_ns;
	for (;;) {
		unsigned i;

		for (i = 0; i < t->nv; i++) {
			int k = vfe_poll(t->v[i], 0);

			if (k < 0)
				return k;
			n += k;
		}
		if (n || timeout_ns == 0 ||
		    (timeout_ns > 0 && rp_now_ns() >= until))
			return n;
		{
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
		}
	}
}

static int64_t rv_granularity(const rp_target *bt)
{
	const rv_target *t = (const rv_target *)bt;

	return t->nv == 1 ? 1200000 : 60000;
}

static void rv_close(rp_target *bt)
{
	rv_target *t = (rv_target *)bt;
	unsigned i;

	/* let what is in flight finish, for a while */
	for (i = 0; i < t->nv; i++) {
		uint64_t until = rp_now_ns() + 5000000000ull;

		while (vfe_inflight(t->v[i], ~0u) && !vfe_dead(t->v[i]) &&
		       rp_now_ns() < until)
			if (vfe_poll(t->v[i], 100) < 0)
				break;
		vfe_close(t->v[i]);
	}
	free(t);
}

static const rp_target_vt rv_vt = {
	.name = "vhost-user",
	.cmd = rv_cmd,
	.tmf = rv_tmf,
	.an = rv_an,
	.wait = rv_wait,
	.granularity = rv_granularity,
	.close = rv_close,
};

static unsigned rv_pow2(uint64_t v, unsigned lo, unsigned hi)
{
	unsigned n = lo;

	while (n < v && n < hi)
		n *= 2;
	return n;
}

int rp_vfe_open(replay *r, const char *path, rp_target **out, char *err,
		size_t errlen)
{
	rv_target *t = calloc(1, sizeof(*t));
	unsigned c, nconn = r->plan.nconns ? r->plan.nconns : 1;
	uint64_t slot = r->plan.max_data;
	int rc = VSCSI_OK;

	if (!t)
		return VSCSI_ERR_NOMEM;
	t->base.vt = &rv_vt;
	t->base.r = r;
	slot = (slot + 4095) / 4096 * 4096;
	if (slot < 65536)
		slot = 65536;
	for (c = 0; c < nconn; c++) {
		const rp_conn *pc = &r->plan.conns[c];
		unsigned nq = pc->max_vq >= VSCSI_VQ_REQUEST0 ?
				      pc->max_vq - 1u : 1u;
		unsigned qs = rv_pow2(2ull * (pc->max_qd ? pc->max_qd : 1), 64,
				      1024);
		vfe_opts vo;

		if (nq > VFE_MAX_QUEUES)
			nq = VFE_MAX_QUEUES;
		/* keep the guest memory under 1 GiB */
		while (qs > 16 && (uint64_t)nq * qs * slot > (1ull << 30))
			qs /= 2;
		for (;;) {
			vfe_opts_init(&vo);
			vo.num_queues = nq;
			vo.queue_size = (uint16_t)qs;
			vo.slot_data = (uint32_t)slot;
			rc = vfe_open(path, &vo, &t->v[c], err, errlen);
			if (rc != VSCSI_ERR_UNSUPPORTED || nq == 1)
				break;
			nq = nq > 2 ? nq / 2 : 1;	/* fewer queues offered */
		}
		if (rc) {
			char e[256];

			snprintf(e, sizeof(e), "%s", err);
			snprintf(err, errlen, "--vhost-user %s: %s", path, e);
			goto fail;
		}
		t->nv++;
		t->nq[c] = nq;
		if (vfe_features(t->v[c]) &
		    (1ull << VSCSI_F_RING_INDIRECT_DESC))
			t->cmd_flags[c] = VFE_CMD_INDIRECT;
	}
	snprintf(r->target_buf, sizeof(r->target_buf),
		 "the vhost-user back-end at %s (%u connection%s)", path,
		 nconn, nconn == 1 ? "" : "s");
	r->target_desc = r->target_buf;
	*out = &t->base;
	return VSCSI_OK;
fail:
	rv_close(&t->base);
	return rc;
}
