/*
 * replay_load: a capture file into a plan.
 *
 * One pass over the records (capio parses them with each connection's
 * configuration). Each request on a request queue and each control-queue
 * request becomes an rp_op in file order; its completion, when recorded,
 * is paired by (connection, virtqueue, head) and numbered: the n-th paired
 * completion in the file has completion index n. A request's dep is the
 * number of paired completions recorded before it, so "every request that
 * had completed before it was submitted" is "every completion index up to
 * dep" (happens-before as the recording saw it).
 */
#include <stdlib.h>
#include <string.h>

#include "capio.h"
#include "replay_int.h"

/* ------------------------------------------------------------ pairing */

/* (conn index, vq, head) -> op index + 1; linear probing, deletion by
 * backward shift. */
typedef struct ld_map {
	uint64_t *key;
	uint32_t *val;
	size_t cap, n;
} ld_map;

static uint64_t ld_key(unsigned conn, unsigned vq, uint32_t head)
{
	return (uint64_t)conn << 48 | (uint64_t)vq << 32 | head;
}

static size_t ld_hash(uint64_t k, size_t cap)
{
	k ^= k >> 29;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 32;
	return (size_t)k & (cap - 1);
}

static int ld_grow(ld_map *m)
{
	ld_map n;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 1024;
	n.n = 0;
	n.key = calloc(n.cap, sizeof(*n.key));
	n.val = calloc(n.cap, sizeof(*n.val));
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return VSCSI_ERR_NOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->val[i])
			continue;
		j = ld_hash(m->key[i], n.cap);
		while (n.val[j])
			j = (j + 1) & (n.cap - 1);
		n.key[j] = m->key[i];
		n.val[j] = m->val[i];
		n.n++;
	}
	free(m->key);
	free(m->val);
	*m = n;
	return VSCSI_OK;
}

/* The slot of k: its own, or the empty one where it would go. */
static size_t ld_find(const ld_map *m, uint64_t k)
{
	size_t j = ld_hash(k, m->cap);

	while (m->val[j] && m->key[j] != k)
		j = (j + 1) & (m->cap - 1);
	return j;
}

/* Put k -> v; *old receives the value it replaces (0: none). */
static int ld_put(ld_map *m, uint64_t k, uint32_t v, uint32_t *old)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap && ld_grow(m))
		return VSCSI_ERR_NOMEM;
	j = ld_find(m, k);
	*old = m->val[j];
	if (!m->val[j])
		m->n++;
	m->key[j] = k;
	m->val[j] = v;
	return VSCSI_OK;
}

static uint32_t ld_take(ld_map *m, uint64_t k)
{
	size_t j, i;
	uint32_t v;

	if (!m->cap)
		return 0;
	j = ld_find(m, k);
	v = m->val[j];
	if (!v)
		return 0;
	m->val[j] = 0;
	m->n--;
	/* shift back the entries that probed past j */
	for (i = (j + 1) & (m->cap - 1); m->val[i]; i = (i + 1) & (m->cap - 1)) {
		size_t h = ld_hash(m->key[i], m->cap);

		if ((i > j && (h <= j || h > i)) || (i < j && h <= j && h > i)) {
			m->key[j] = m->key[i];
			m->val[j] = m->val[i];
			m->val[i] = 0;
			j = i;
		}
	}
	return v;
}

/* ------------------------------------------------------------ load */

#define LD_QD_VQS 256u

typedef struct ld_conn {
	uint32_t tmf_inflight;
	int loss;
	uint32_t qd[LD_QD_VQS];
} ld_conn;

typedef struct ld {
	rp_plan *p;
	const rp_sel *sel;
	capio *cio;
	ld_map map;
	ld_conn *lc;		/* by conn index */
	uint8_t *fmatch;	/* per op: the filter matched */
	size_t fcap;
	char *err;
	size_t errlen;
} ld;

static int ld_conn_index(ld *l, uint32_t id, unsigned *out)
{
	rp_plan *p = l->p;
	unsigned i;

	for (i = 0; i < p->nconns; i++)
		if (p->conns[i].id == id) {
			p->conns[i].cfg = *capio_cfg(l->cio, id);
			*out = i;
			return VSCSI_OK;
		}
	if (p->nconns == RP_MAX_CONNS) {
		snprintf(l->err, l->errlen, "more than %u connections in the "
			 "capture", RP_MAX_CONNS);
		return VSCSI_ERR_UNSUPPORTED;
	}
	memset(&p->conns[i], 0, sizeof(p->conns[i]));
	p->conns[i].id = id;
	p->conns[i].cfg = *capio_cfg(l->cio, id);
	memset(&l->lc[i], 0, sizeof(l->lc[i]));
	p->nconns++;
	*out = i;
	return VSCSI_OK;
}

static rp_op *ld_new_op(ld *l, const vscsi_cap_rec *rec, unsigned conn,
			unsigned kind)
{
	rp_plan *p = l->p;
	rp_op *op;

	if (p->nops == p->cap) {
		size_t n = p->cap ? p->cap * 2 : 4096;
		rp_op *o = realloc(p->ops, n * sizeof(*o));
		uint8_t *f = realloc(l->fmatch, n);

		if (!o || !f) {
			if (o)
				p->ops = o;
			if (f)
				l->fmatch = f;
			return NULL;
		}
		p->ops = o;
		l->fmatch = f;
		p->cap = n;
	}
	op = &p->ops[p->nops];
	memset(op, 0, sizeof(*op));
	l->fmatch[p->nops] = 1;
	p->nops++;
	op->ts_ns = rec->ts_ns;
	op->recno = rec->recno;
	op->conn = (uint16_t)conn;
	op->vq = rec->vq;
	op->kind = (uint8_t)kind;
	op->dep = p->ncompl;
	if (l->lc[conn].loss)
		op->flags |= RP_OPF_LOSS;
	if (l->lc[conn].tmf_inflight)
		op->flags |= RP_OPF_RACY;
	return op;
}

/* Register op (the last one) under its head. */
static int ld_pair(ld *l, const vscsi_cap_rec *rec, unsigned conn)
{
	rp_plan *p = l->p;
	uint32_t old;
	unsigned vq = rec->vq;

	if (ld_put(&l->map, ld_key(conn, vq, rec->head), (uint32_t)p->nops,
		   &old))
		return VSCSI_ERR_NOMEM;
	if (old) {
		/* the head came back while in flight: the older request
		 * will never be answered */
		p->reused++;
	} else if (vq < LD_QD_VQS) {
		uint32_t q = ++l->lc[conn].qd[vq];

		if (vq >= VSCSI_VQ_REQUEST0 && q > p->conns[conn].max_qd)
			p->conns[conn].max_qd = q;
		if (vq >= VSCSI_VQ_REQUEST0 && q > p->max_qd)
			p->max_qd = q;
	}
	return VSCSI_OK;
}

static int ld_arena(ld *l, rp_op *op, const vscsi_cap_rec *rec)
{
	rp_plan *p = l->p;

	if (!rec->data_cap)
		return VSCSI_OK;
	if (p->arena_len + rec->data_cap > p->arena_cap) {
		size_t n = p->arena_cap ? p->arena_cap : 1u << 20;
		uint8_t *a;

		while (n < p->arena_len + rec->data_cap)
			n *= 2;
		a = realloc(p->arena, n);
		if (!a)
			return VSCSI_ERR_NOMEM;
		p->arena = a;
		p->arena_cap = n;
	}
	memcpy(p->arena + p->arena_len, rec->data, rec->data_cap);
	op->dout_off = p->arena_len;
	op->dout_kept = (uint32_t)rec->data_cap;
	p->arena_len += rec->data_cap;
	return VSCSI_OK;
}

static int ld_cmd_req(ld *l, const vscsi_cap_rec *rec, const capio_ev *ev,
		      int k, unsigned conn)
{
	const vscsi_vs_cfg *cfg = &l->p->conns[conn].cfg;
	uint32_t resp_size = vscsi_vs_cmd_resp_size(cfg);
	rp_op *op = ld_new_op(l, rec, conn, RP_CMD);
	const vscsi_cmd_req *req = ev->req;
	int rc;

	if (!op)
		return VSCSI_ERR_NOMEM;
	l->p->cmds++;
	l->p->conns[conn].ops++;
	if (rec->vq > l->p->conns[conn].max_vq)
		l->p->conns[conn].max_vq = rec->vq;
	if (k < 0 || !req || rec->hdr_cap < rec->hdr_len ||
	    ev->parse_rc != VSCSI_OK) {
		if (req)
			memcpy(op->lun, req->lun.raw, 8);
		op->skip = RP_SKIP_CUT;
		return ld_pair(l, rec, conn);
	}
	memcpy(op->lun, req->lun.raw, 8);
	op->tag = req->tag;
	op->task_attr = req->task_attr;
	op->prio = req->prio;
	op->crn = req->crn;
	op->cdb_len = (uint8_t)(req->cdb_size < RP_CDB_MAX ? req->cdb_size :
							      RP_CDB_MAX);
	memcpy(op->cdb, req->cdb, op->cdb_len);
	op->dout_len = rec->data_len;
	op->dout_digest = rec->digest;
	if (rec->data_cap < rec->data_len)
		op->flags |= RP_OPF_CUT;
	if (rp_changes_medium(op->cdb, op->cdb_len))
		op->flags |= RP_OPF_WRITE;
	/* what the verification needs of the CDB, decoded once */
	if (k == 1 && (ev->io.has & VSCSI_IO_HAS_CDB)) {
		const vscsi_io *io = &ev->io;

		op->opclass = io->op_class;
		op->opkey = (uint32_t)io->opcode << 16 |
			    (io->has_sa ? io->sa : 0xffffu);
		/* READ/WRITE LONG count bytes */
		if ((io->has & VSCSI_IO_HAS_LBA) && (io->has & VSCSI_IO_HAS_LEN) &&
		    io->op_class != VSCSI_OPC_OTHER &&
		    io->op_class != VSCSI_OPC_FLUSH && io->opcode != 0x3e &&
		    io->opcode != 0x3f &&
		    !((io->opcode == 0x9e || io->opcode == 0x9f) &&
		      io->sa == 0x11)) {
			op->lba = io->lba;
			op->nblk = io->xfer_len;
		}
	}
	if (rec->writable_bytes >= resp_size)
		op->din_alloc = rec->writable_bytes - resp_size;
	if (req->has_pi || rec->writable_bytes < resp_size ||
	    (uint64_t)op->dout_len + op->din_alloc > RP_DATA_MAX) {
		op->skip = RP_SKIP_UNSUPPORTED;
	} else if (req->cdb_size > RP_CDB_MAX) {
		unsigned i;

		/* the bytes past 32 must be padding */
		for (i = RP_CDB_MAX; i < req->cdb_size; i++)
			if (req->cdb[i])
				op->skip = RP_SKIP_UNSUPPORTED;
	}
	rc = ld_arena(l, op, rec);
	if (rc)
		return rc;
	if (l->sel->filter)
		l->fmatch[l->p->nops - 1] =
			(uint8_t)vscsi_filter_match(l->sel->filter, &ev->io);
	return ld_pair(l, rec, conn);
}

/* A TMF marks every command in flight on its connection racy. */
static void ld_mark_racy(ld *l, unsigned conn)
{
	ld_map *m = &l->map;
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->val[i] && (m->key[i] >> 48) == conn)
			l->p->ops[m->val[i] - 1].flags |= RP_OPF_RACY;
}

static int ld_ctrl_req(ld *l, const vscsi_cap_rec *rec, const capio_ev *ev,
		       int k, unsigned conn)
{
	const vscsi_ctrl_req *c = ev->ctrl;
	rp_op *op;
	unsigned kind = RP_TMF;

	if (c && c->type != VSCSI_T_TMF)
		kind = RP_AN;
	op = ld_new_op(l, rec, conn, kind);
	if (!op)
		return VSCSI_ERR_NOMEM;
	l->p->conns[conn].ops++;
	if (k < 0 || !c || ev->parse_rc != VSCSI_OK) {
		if (c && ev->parse_rc == VSCSI_ERR_INVALID) {
			l->p->unknown_ctrl++;
			op->skip = RP_SKIP_UNSUPPORTED;
		} else {
			op->skip = RP_SKIP_CUT;
		}
		op->arg = c ? c->type : 0;
		return ld_pair(l, rec, conn);
	}
	memcpy(op->lun, c->lun.raw, 8);
	op->opkey = (uint32_t)kind << 24 |
		    ((kind == RP_TMF ? c->subtype : c->type) & 0xffff);
	if (kind == RP_TMF) {
		l->p->tmfs++;
		op->arg = c->subtype;
		op->tag = c->tag;
		ld_mark_racy(l, conn);
		l->lc[conn].tmf_inflight++;
	} else {
		l->p->ans++;
		op->arg = c->event_requested;
		op->tag = c->type;
	}
	if (l->sel->filter)
		l->fmatch[l->p->nops - 1] =
			(uint8_t)vscsi_filter_match(l->sel->filter, &ev->io);
	return ld_pair(l, rec, conn);
}

static int ld_completion(ld *l, const vscsi_cap_rec *rec,
			 const capio_ev *ev, int k, unsigned conn)
{
	rp_plan *p = l->p;
	uint32_t v = ld_take(&l->map, ld_key(conn, rec->vq, rec->head));
	rp_op *op;

	if (!v) {
		p->orphans++;
		return VSCSI_OK;
	}
	if (rec->vq < LD_QD_VQS && l->lc[conn].qd[rec->vq])
		l->lc[conn].qd[rec->vq]--;
	op = &p->ops[v - 1];
	if (op->kind == RP_TMF && l->lc[conn].tmf_inflight &&
	    op->skip != RP_SKIP_UNSUPPORTED && op->skip != RP_SKIP_CUT)
		l->lc[conn].tmf_inflight--;
	if (p->ncompl + 2 > p->cidx_cap) {
		size_t n = p->cidx_cap ? p->cidx_cap * 2 : 4096;
		uint32_t *t;

		if (n > UINT32_MAX)
			return VSCSI_ERR_NOSPACE;
		t = realloc(p->cidx_op, n * sizeof(*t));
		if (!t)
			return VSCSI_ERR_NOMEM;
		p->cidx_op = t;
		p->cidx_cap = n;
	}
	op->cidx = ++p->ncompl;
	p->cidx_op[op->cidx] = v - 1;
	op->flags |= RP_OPF_DONE;
	op->done_ns = rec->ts_ns;
	op->done_recno = rec->recno;
	if (k < 0)
		return VSCSI_OK;	/* nothing of the answer is readable */
	if (op->kind == RP_CMD) {
		const vscsi_cmd_resp *r = &ev->resp;
		vscsi_sense_info si;

		if (rec->raw_len >= 12) {
			op->flags |= RP_OPF_STATUS;
			op->r_response = r->response;
			op->r_status = r->status;
			op->r_resid = r->resid;
			if (!r->sense_len)
				op->flags |= RP_OPF_NOSENSE;
		}
		if (r->sense_copied && r->sense_len &&
		    vscsi_sense_decode(r->sense, r->sense_copied, &si) ==
			    VSCSI_OK && !si.incomplete) {
			op->flags |= RP_OPF_SENSE;
			op->r_key = si.key;
			op->r_asc = si.asc;
			op->r_ascq = si.ascq;
		}
		op->r_din_len = rec->data_len;
		op->r_din_digest = rec->digest;
	} else {
		op->flags |= RP_OPF_STATUS;
		op->r_response = ev->ctrl_resp.response;
		op->r_event_actual = ev->ctrl_resp.event_actual;
	}
	if (l->sel->filter && (op->kind != RP_CMD || ev->req)) {
		l->fmatch[v - 1] =
			(uint8_t)vscsi_filter_match(l->sel->filter, &ev->io);
		op->flags |= RP_OPF_SEL_DONE;
	}
	return VSCSI_OK;
}

static void ld_loss(ld *l, uint32_t conn_id)
{
	unsigned i;

	for (i = 0; i < l->p->nconns; i++)
		if (conn_id == VSCSI_CAP_CONN_NONE ||
		    l->p->conns[i].id == conn_id)
			l->lc[i].loss = 1;
	if (conn_id != VSCSI_CAP_CONN_NONE) {
		unsigned c;

		if (ld_conn_index(l, conn_id, &c) == VSCSI_OK)
			l->lc[c].loss = 1;
	}
}

static int ld_record(ld *l, const vscsi_cap_rec *rec)
{
	rp_plan *p = l->p;
	capio_ev ev;
	unsigned conn = 0;
	int k, rc;

	if (!p->records++)
		p->t_first = rec->ts_ns;
	p->t_last = rec->ts_ns;
	if (rec->seq_missing) {
		p->seq_missing += rec->seq_missing;
		ld_loss(l, rec->conn);
	}
	k = capio_record(l->cio, rec, &ev);
	switch (rec->type) {
	case VSCSI_REC_REQUEST:
		if (rec->vq == VSCSI_VQ_EVENT)
			return VSCSI_OK;
		rc = ld_conn_index(l, rec->conn, &conn);
		if (rc)
			return rc;
		if (rec->vq == VSCSI_VQ_CONTROL)
			return ld_ctrl_req(l, rec, &ev, k, conn);
		return ld_cmd_req(l, rec, &ev, k, conn);
	case VSCSI_REC_COMPLETION:
		if (rec->vq == VSCSI_VQ_EVENT) {
			p->events++;
			return VSCSI_OK;
		}
		rc = ld_conn_index(l, rec->conn, &conn);
		if (rc)
			return rc;
		return ld_completion(l, rec, &ev, k, conn);
	case VSCSI_REC_VHOST_USER:
		p->vu_msgs++;
		return VSCSI_OK;
	case VSCSI_REC_LOSS:
		p->lost += rec->loss.count;
		ld_loss(l, rec->conn);
		return VSCSI_OK;
	default:
		return VSCSI_OK;
	}
}

/* The selection, once every completion is known. */
static void ld_select(ld *l)
{
	rp_plan *p = l->p;
	const rp_sel *s = l->sel;
	size_t i;

	for (i = 0; i < p->nops; i++) {
		rp_op *op = &p->ops[i];
		uint64_t t = op->ts_ns - p->t_first;

		if (!(op->flags & RP_OPF_DONE))
			p->no_completion++;
		if (op->skip == RP_ISSUE) {
			if ((s->has_start && t < s->start_ns) ||
			    (s->has_end && t >= s->end_ns))
				op->skip = RP_SKIP_WINDOW;
			else if (s->filter && !l->fmatch[i])
				op->skip = RP_SKIP_FILTER;
			else if (s->skip_writes && (op->flags & RP_OPF_WRITE))
				op->skip = RP_SKIP_WRITE;
		}
		p->skipped[op->skip]++;
		if (op->skip == RP_ISSUE) {
			uint64_t d = (uint64_t)op->dout_len + op->din_alloc;

			if (op->flags & RP_OPF_WRITE)
				p->writes++;
			if (d > p->max_data)
				p->max_data = (uint32_t)d;
		} else if (op->skip == RP_SKIP_WRITE) {
			p->writes_skipped++;
		}
	}
}

int rp_load(const char *path, const rp_sel *sel, rp_plan *p, char *err,
	    size_t errlen)
{
	vscsi_cap_reader *rd;
	vscsi_cap_rstats st;
	vscsi_cap_rec rec;
	ld l;
	int rc = 0, e = 0;

	memset(p, 0, sizeof(*p));
	memset(&l, 0, sizeof(l));
	p->path = path;
	l.p = p;
	l.sel = sel;
	l.err = err;
	l.errlen = errlen;
	l.lc = calloc(RP_MAX_CONNS, sizeof(*l.lc));
	l.cio = capio_new(0);
	if (!l.lc || !l.cio || ld_grow(&l.map)) {
		snprintf(err, errlen, "out of memory");
		rc = VSCSI_ERR_NOMEM;
		goto out;
	}
	rd = vscsi_cap_reader_open(path, 0, &e);
	if (!rd) {
		snprintf(err, errlen, "%s: %s", path, vscsi_strerror(e));
		rc = e ? e : VSCSI_ERR_IO;
		goto out;
	}
	while ((rc = vscsi_cap_next(rd, &rec)) != 0) {
		if (rc == VSCSI_ERR_DAMAGED) {
			p->damaged++;
			continue;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path,
				 vscsi_strerror(rc));
			break;
		}
		rc = ld_record(&l, &rec);
		if (rc < 0) {
			if (!err[0])
				snprintf(err, errlen, "%s: record %llu: %s",
					 path, (unsigned long long)rec.recno,
					 vscsi_strerror(rc));
			break;
		}
	}
	vscsi_cap_reader_stats(rd, &st);
	p->snaplen = st.snaplen;
	p->truncated = st.truncated;
	vscsi_cap_reader_close(rd);
	if (rc == 0)
		ld_select(&l);
out:
	capio_free(l.cio);
	free(l.lc);
	free(l.fmatch);
	free(l.map.key);
	free(l.map.val);
	return rc < 0 ? rc : VSCSI_OK;
}

void rp_plan_free(rp_plan *p)
{
	free(p->ops);
	free(p->arena);
	free(p->cidx_op);
	memset(p, 0, sizeof(*p));
}

const uint8_t *rp_op_dout(const rp_plan *p, const rp_op *op)
{
	return op->dout_kept ? p->arena + op->dout_off : NULL;
}

void rp_op_req(const rp_plan *p, const rp_op *op, vscsi_cmd_req *req)
{
	memset(req, 0, sizeof(*req));
	vscsi_lun_decode(op->lun, &req->lun);
	req->tag = op->tag;
	req->task_attr = op->task_attr;
	req->prio = op->prio;
	req->crn = op->crn;
	req->cdb_size = op->cdb_len;
	memcpy(req->cdb, op->cdb, op->cdb_len);
	req->hdr_len = vscsi_vs_cmd_req_size(&p->conns[op->conn].cfg);
	req->data_out_len = op->dout_len;
}

const char *rp_op_name(const rp_op *op)
{
	static const char *const tmf[] = {
		"TMF ABORT_TASK", "TMF ABORT_TASK_SET", "TMF CLEAR_ACA",
		"TMF CLEAR_TASK_SET", "TMF I_T_NEXUS_RESET",
		"TMF LOGICAL_UNIT_RESET", "TMF QUERY_TASK",
		"TMF QUERY_TASK_SET",
	};
	vscsi_cdb_info ci;

	if (op->kind == RP_TMF)
		return op->arg < 8 ? tmf[op->arg] : "TMF UNKNOWN";
	if (op->kind == RP_AN)
		return op->tag == VSCSI_T_AN_SUBSCRIBE ? "AN SUBSCRIBE" :
							 "AN QUERY";
	if (!op->cdb_len)
		return "UNKNOWN";
	vscsi_cdb_decode(op->cdb, op->cdb_len, &ci);
	return ci.name;
}
