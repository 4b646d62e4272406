/*
 * replay_rec: --record FILE, a capture of what the replay sent and what
 * came back, as a front-end sees it: for each recorded connection a
 * session record (VERSION_1, cdb_size 32, sense_size 96), then a request
 * record when an op is issued (header, CDB and the data-out sent) and a
 * completion record when it is answered (response header, sense and the
 * data-in). Heads are the replay's slot numbers; LUNs are the ones sent
 * (after --map); the time stamps are the replay's.
 *
 * A recording made this way replays like any other: it is how the demo
 * records a workload when vscsi-capture is not there.
 */
#include <string.h>

#include "replay_int.h"

int rp_rec_open(replay *r, const char *path, char *err, size_t errlen)
{
	vscsi_cap_wopts wo;
	unsigned c;
	int e = 0;

	memset(&wo, 0, sizeof(wo));
	r->rec = vscsi_cap_writer_open(path, &wo, &e);
	if (!r->rec) {
		snprintf(err, errlen, "%s: %s", path, vscsi_strerror(e));
		return e ? e : VSCSI_ERR_IO;
	}
	for (c = 0; c < r->plan.nconns; c++) {
		const rp_conn *pc = &r->plan.conns[c];
		uint16_t qs[VSCSI_VQ_REQUEST0 + 64];
		vscsi_cap_session s;
		vscsi_vs_cfg cfg;
		unsigned i, nq = pc->max_vq + 1u;

		if (nq < VSCSI_VQ_REQUEST0 + 1)
			nq = VSCSI_VQ_REQUEST0 + 1;
		if (nq > sizeof(qs) / sizeof(qs[0]))
			nq = sizeof(qs) / sizeof(qs[0]);
		for (i = 0; i < nq; i++)
			qs[i] = 128;
		vscsi_vs_cfg_default(&cfg);
		memset(&s, 0, sizeof(s));
		s.features = cfg.features;
		s.cdb_size = cfg.cdb_size;
		s.sense_size = cfg.sense_size;
		s.snaplen = VSCSI_CAP_SNAPLEN_WHOLE;	/* wo.snaplen 0 */
		s.num_queues = (uint16_t)nq;
		s.queue_sizes = qs;
		s.tool = REPLAY_PROG;
		s.tool_version = vscsi_version();
		if (vscsi_cap_write_session(r->rec, pc->id, &s, 0) < 0)
			r->rec_lost++;
	}
	return VSCSI_OK;
}

static void rec_chain(const replay *r, const rp_op *op, const rp_slot *s,
		      vscsi_cap_chain *ch)
{
	vscsi_vs_cfg cfg;

	vscsi_vs_cfg_default(&cfg);
	memset(ch, 0, sizeof(*ch));
	ch->conn = r->plan.conns[op->conn].id;
	ch->vq = op->vq;
	ch->head = s->id;
	if (op->kind == RP_CMD) {
		ch->n_readable = (uint16_t)(1 + (op->dout_len != 0));
		ch->n_writable = (uint16_t)(1 + (op->din_alloc != 0));
		ch->readable_bytes = vscsi_vs_cmd_req_size(&cfg) + op->dout_len;
		ch->writable_bytes = vscsi_vs_cmd_resp_size(&cfg) +
				     op->din_alloc;
	} else {
		uint32_t type = op->kind == RP_TMF ? VSCSI_T_TMF :
						     (uint32_t)op->tag;

		ch->n_readable = 1;
		ch->n_writable = 1;
		ch->readable_bytes = vscsi_vs_ctrl_req_size(type);
		ch->writable_bytes = vscsi_vs_ctrl_resp_size(type);
	}
}

void rp_rec_request(replay *r, const rp_op *op, const rp_slot *s)
{
	uint8_t hdr[VSCSI_CDB_MAX + 64];
	struct iovec iov[2];
	vscsi_cap_chain ch;
	vscsi_vs_cfg cfg;
	unsigned n = 1;
	int k;

	vscsi_vs_cfg_default(&cfg);
	rec_chain(r, op, s, &ch);
	if (op->kind == RP_CMD) {
		vscsi_cmd_req req;

		rp_op_req(&r->plan, op, &req);
		memcpy(req.lun.raw, s->lun, 8);
		k = vscsi_vs_cmd_req_build(&cfg, &req, hdr, sizeof(hdr));
		if (op->dout_len) {
			iov[1].iov_base = s->dout;
			iov[1].iov_len = op->dout_len;
			n = 2;
		}
	} else {
		vscsi_ctrl_req c;

		memset(&c, 0, sizeof(c));
		c.type = op->kind == RP_TMF ? VSCSI_T_TMF : (uint32_t)op->tag;
		c.subtype = op->arg;
		memcpy(c.lun.raw, s->lun, 8);
		c.tag = op->tag;
		c.event_requested = op->arg;
		k = vscsi_vs_ctrl_req_build(&cfg, &c, hdr, sizeof(hdr));
	}
	if (k < 0) {
		r->rec_lost++;
		return;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)k;
	if (vscsi_cap_write_request(r->rec, &ch, iov, n, (size_t)k, 0) < 0)
		r->rec_lost++;
	else
		r->rec_records++;
}

void rp_rec_completion(replay *r, const rp_op *op, const rp_slot *s,
		       const rp_res *res)
{
	uint8_t hdr[VSCSI_SENSE_DEFAULT + 64];
	struct iovec iov[4];
	vscsi_cap_chain ch;
	vscsi_vs_cfg cfg;
	unsigned n = 1;
	uint32_t used;
	int k;

	if (res->err)
		return;		/* the device never answered */
	vscsi_vs_cfg_default(&cfg);
	rec_chain(r, op, s, &ch);
	if (op->kind == RP_CMD) {
		vscsi_cmd_resp resp;

		memset(&resp, 0, sizeof(resp));
		resp.sense_len = res->sense_len;
		resp.resid = res->resid;
		resp.status = res->status;
		resp.response = res->response;
		memcpy(resp.sense, res->sense, res->sense_len);
		k = vscsi_vs_cmd_resp_build(&cfg, &resp, hdr, sizeof(hdr));
		if (k >= 0 && res->din_len) {
			uint32_t left = res->din_len;
			unsigned i;

			if (res->din_iov) {
				for (i = 0; i < res->din_cnt && n < 4 && left;
				     i++) {
					size_t m = res->din_iov[i].iov_len < left ?
						res->din_iov[i].iov_len : left;

					iov[n].iov_base =
						res->din_iov[i].iov_base;
					iov[n].iov_len = m;
					left -= (uint32_t)m;
					n++;
				}
			} else if (res->din) {
				iov[n].iov_base = (void *)(uintptr_t)res->din;
				iov[n].iov_len = left;
				n++;
			}
		}
	} else {
		vscsi_ctrl_resp c;

		memset(&c, 0, sizeof(c));
		c.type = op->kind == RP_TMF ? VSCSI_T_TMF : (uint32_t)op->tag;
		c.response = res->response;
		c.event_actual = res->event_actual;
		k = vscsi_vs_ctrl_resp_build(&cfg, &c, hdr, sizeof(hdr));
	}
	if (k < 0) {
		r->rec_lost++;
		return;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)k;
	used = (uint32_t)k + (op->kind == RP_CMD ? res->din_len : 0);
	if (vscsi_cap_write_completion(r->rec, &ch, used, iov, n, (size_t)k,
				       0) < 0)
		r->rec_lost++;
	else
		r->rec_records++;
}

int rp_rec_close(replay *r)
{
	int rc = vscsi_cap_writer_close(r->rec);

	r->rec = NULL;
	return rc < 0 || r->rec_lost ? VSCSI_ERR_IO : VSCSI_OK;
}
