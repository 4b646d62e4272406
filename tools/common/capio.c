/*
 * capio: capture records to vscsi_io events (see capio.h).
 *
 * The raw bytes of a request are the device-readable bytes of the chain
 * (header and CDB, then data-out), those of a completion the device-writable
 * bytes kept (response header and sense, then data-in); both are one run
 * that may be cut at the snap length (vscsi-capture(5)). The parsers read
 * the run; the full data lengths come from the record header, so a cut
 * changes no byte count.
 */
#include <stdlib.h>
#include <string.h>

#include "capio.h"
#include "vscsi/reader.h"
#include "vscsi/vhost_user.h"

#define CAPIO_CONN_MAX 256u

typedef struct capio_conn {
	uint32_t conn;
	vscsi_vs_cfg cfg;
} capio_conn;

struct capio {
	vscsi_tracker *trk;
	capio_conn conns[CAPIO_CONN_MAX];
	unsigned nconns;
	unsigned last;		/* index of the last connection looked up */
	vscsi_vs_cfg dflt;
	vscsi_cmd_req req;	/* the request of the current event */
	vscsi_ctrl_req ctrl;
	vscsi_inflight done;	/* the request a completion paired with */
	capio_counts n;
};

capio *capio_new(size_t max_inflight)
{
	capio *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->trk = vscsi_tracker_new(max_inflight);
	if (!c->trk) {
		free(c);
		return NULL;
	}
	vscsi_vs_cfg_default(&c->dflt);
	return c;
}

void capio_free(capio *c)
{
	if (!c)
		return;
	vscsi_tracker_free(c->trk);
	free(c);
}

const vscsi_tracker *capio_tracker(const capio *c)
{
	return c->trk;
}

void capio_counters(const capio *c, capio_counts *out)
{
	*out = c->n;
}

/* The connection's slot, made when new; NULL when the table is full. */
static capio_conn *capio_conn_get(capio *c, uint32_t conn)
{
	unsigned i;

	if (c->last < c->nconns && c->conns[c->last].conn == conn)
		return &c->conns[c->last];
	for (i = 0; i < c->nconns; i++)
		if (c->conns[i].conn == conn) {
			c->last = i;
			return &c->conns[i];
		}
	if (c->nconns == CAPIO_CONN_MAX)
		return NULL;
	c->conns[c->nconns].conn = conn;
	c->conns[c->nconns].cfg = c->dflt;
	c->last = c->nconns++;
	c->n.conns++;
	return &c->conns[c->last];
}

const vscsi_vs_cfg *capio_cfg(capio *c, uint32_t conn)
{
	capio_conn *cc;

	if (conn == VSCSI_CAP_CONN_NONE)
		return &c->dflt;
	cc = capio_conn_get(c, conn);
	if (!cc) {
		c->n.conn_overflow++;
		return &c->dflt;
	}
	return &cc->cfg;
}

/* A session record sets the connection's configuration. Sizes out of the
 * parser's range keep the default (a parse would fail on every record). */
static void capio_session(capio *c, const vscsi_cap_rec *rec)
{
	capio_conn *cc = capio_conn_get(c, rec->conn);
	vscsi_vs_cfg cfg;

	if (!cc) {
		c->n.conn_overflow++;
		return;
	}
	cfg = c->dflt;
	cfg.features = rec->session.features;
	if (rec->session.cdb_size >= 1 && rec->session.cdb_size <= VSCSI_CDB_MAX)
		cfg.cdb_size = rec->session.cdb_size;
	if (rec->session.sense_size <= VSCSI_SENSE_MAX)
		cfg.sense_size = rec->session.sense_size;
	cfg.legacy_big_endian =
		(rec->session.flags & VSCSI_SESSF_BIG_ENDIAN) != 0;
	if (rec->session.flags & VSCSI_SESSF_LEGACY)
		cfg.features &= ~(1ull << VSCSI_F_VERSION_1);
	cc->cfg = cfg;
}

static vscsi_track_key capio_key(const vscsi_cap_rec *rec)
{
	vscsi_track_key k;

	k.conn = rec->conn;
	k.vq = rec->vq;
	k.head = (uint16_t)rec->head;
	return k;
}

/* VSCSI_OK, or TRUNCATED with enough of the fixed fields (enough). */
static int capio_usable(capio *c, int rc, int enough)
{
	if (rc == VSCSI_ERR_TRUNCATED) {
		c->n.cut++;
		return enough;
	}
	return rc == VSCSI_OK;
}

static int capio_cmd_req(capio *c, const vscsi_cap_rec *rec,
			 const vscsi_vs_cfg *cfg, capio_ev *ev)
{
	uint64_t full = (uint64_t)rec->hdr_len + rec->data_len;
	int rc;

	ev->kind = CAPIO_CMD_REQ;
	rc = vscsi_vs_cmd_req_parse(cfg, rec->raw, rec->raw_len, &c->req);
	ev->parse_rc = rc;
	/* a cut header still names the LUN when its 8 bytes are there */
	if (!capio_usable(c, rc, rec->raw_len >= 8))
		return rc;
	/* data-out from the record's full lengths, not from the bytes kept */
	c->req.data_out_len = full > c->req.hdr_len ? full - c->req.hdr_len : 0;
	rc = vscsi_tracker_submit_cmd(c->trk, capio_key(rec), rec->ts_ns,
				      &c->req);
	ev->reused = rc == 1;
	vscsi_io_from_request(&ev->io, rec->conn, rec->vq, (uint16_t)rec->head,
			      rec->ts_ns, &c->req);
	ev->req = &c->req;
	ev->submit_ns = rec->ts_ns;
	return 1;
}

static int capio_cmd_resp(capio *c, const vscsi_cap_rec *rec,
			  const vscsi_vs_cfg *cfg, capio_ev *ev)
{
	int rc, paired;

	ev->kind = CAPIO_CMD_RESP;
	paired = vscsi_tracker_complete(c->trk, capio_key(rec), &c->done);
	rc = vscsi_vs_cmd_resp_parse(cfg, rec->raw, rec->raw_len, &ev->resp);
	ev->parse_rc = rc;
	/* a cut response is usable once status and response are there */
	if (!capio_usable(c, rc, rec->raw_len >= 12))
		return rc;
	if (paired && !c->done.is_ctrl) {
		ev->req = &c->done.req.cmd;
		ev->submit_ns = c->done.ts_ns;
	}
	vscsi_io_from_completion(&ev->io, rec->conn, rec->vq,
				 (uint16_t)rec->head, rec->ts_ns, ev->req,
				 ev->submit_ns, &ev->resp, rec->used_len);
	return 1;
}

static int capio_ctrl_req(capio *c, const vscsi_cap_rec *rec,
			  const vscsi_vs_cfg *cfg, capio_ev *ev)
{
	int rc;

	ev->kind = CAPIO_CTRL_REQ;
	rc = vscsi_vs_ctrl_req_parse(cfg, rec->raw, rec->raw_len, &c->ctrl);
	ev->parse_rc = rc;
	/* an unknown type (INVALID) has its type, and is answered; a cut
	 * request still has its type */
	if (rc == VSCSI_ERR_TRUNCATED)
		c->n.cut++;
	if (rc != VSCSI_OK && rc != VSCSI_ERR_INVALID &&
	    !(rc == VSCSI_ERR_TRUNCATED && rec->raw_len >= 4))
		return rc;
	rc = vscsi_tracker_submit_ctrl(c->trk, capio_key(rec), rec->ts_ns,
				       &c->ctrl);
	ev->reused = rc == 1;
	vscsi_io_from_ctrl(&ev->io, rec->conn, rec->vq, (uint16_t)rec->head,
			   rec->ts_ns, &c->ctrl);
	ev->ctrl = &c->ctrl;
	ev->submit_ns = rec->ts_ns;
	return 1;
}

static int capio_ctrl_resp(capio *c, const vscsi_cap_rec *rec,
			   const vscsi_vs_cfg *cfg, capio_ev *ev)
{
	uint32_t type;
	int rc, paired;

	ev->kind = CAPIO_CTRL_RESP;
	paired = vscsi_tracker_complete(c->trk, capio_key(rec), &c->done) &&
		 c->done.is_ctrl;
	/* without its request, the length tells a TMF answer (1 byte) from
	 * an AN answer (5) */
	type = paired ? c->done.req.ctrl.type :
			rec->raw_len >= 5 ? VSCSI_T_AN_QUERY : VSCSI_T_TMF;
	rc = vscsi_vs_ctrl_resp_parse(cfg, type, rec->raw, rec->raw_len,
				      &ev->ctrl_resp);
	ev->parse_rc = rc;
	if (rc != VSCSI_OK) {
		if (rc == VSCSI_ERR_TRUNCATED)
			c->n.cut++;
		return rc;
	}
	if (paired) {
		ev->ctrl = &c->done.req.ctrl;
		ev->submit_ns = c->done.ts_ns;
	}
	vscsi_io_from_ctrl_done(&ev->io, rec->conn, rec->vq,
				(uint16_t)rec->head, rec->ts_ns, ev->ctrl,
				ev->submit_ns, &ev->ctrl_resp);
	return 1;
}

static int capio_event(capio *c, const vscsi_cap_rec *rec,
		       const vscsi_vs_cfg *cfg, capio_ev *ev)
{
	int rc;

	ev->kind = CAPIO_EVENT;
	rc = vscsi_vs_event_parse(cfg, rec->raw, rec->raw_len, &ev->event);
	ev->parse_rc = rc;
	if (rc != VSCSI_OK) {
		if (rc == VSCSI_ERR_TRUNCATED)
			c->n.cut++;
		return rc;
	}
	vscsi_io_from_event(&ev->io, rec->conn, rec->vq, (uint16_t)rec->head,
			    rec->ts_ns, &ev->event);
	return 1;
}

/*
 * The request code: the first 4 bytes of the message, little-endian
 * (vhost-user message header). SET_FEATURES from the front-end changes how
 * the connection's requests read (VERSION_1, T10_PI), as a session record
 * does.
 */
static int capio_vhost_user(capio *c, const vscsi_cap_rec *rec, capio_ev *ev)
{
	vscsi_vu_msg m;
	vscsi_rd r;

	ev->kind = CAPIO_VHOST_USER;
	ev->io.type = VSCSI_IO_VHOST_USER;
	vscsi_rd_init(&r, rec->raw, rec->raw_len);
	ev->io.vu_request = vscsi_rd_le32(&r);
	ev->parse_rc = vscsi_rd_error(&r) ? VSCSI_ERR_TRUNCATED : VSCSI_OK;
	if (ev->parse_rc != VSCSI_OK)
		return ev->parse_rc;
	if (ev->io.vu_request == VSCSI_VU_SET_FEATURES &&
	    rec->vu.channel == VSCSI_VU_CHAN_MAIN &&
	    rec->conn != VSCSI_CAP_CONN_NONE &&
	    vscsi_vu_msg_parse(rec->raw, rec->raw_len, VSCSI_VU_FRONTEND,
			       &m) == VSCSI_OK &&
	    !(m.hdr.flags & VSCSI_VU_FLAG_REPLY) &&
	    m.payload_kind == VSCSI_VU_P_U64) {
		capio_conn *cc = capio_conn_get(c, rec->conn);

		if (cc)
			cc->cfg.features = m.u.u64 &
					   ~(1ull << VSCSI_F_PROTOCOL_FEATURES);
	}
	return 1;
}

int capio_record(capio *c, const vscsi_cap_rec *rec, capio_ev *ev)
{
	const vscsi_vs_cfg *cfg;
	int rc = 0;

	memset(&ev->io, 0, sizeof(ev->io));
	ev->kind = CAPIO_NONE;
	ev->parse_rc = VSCSI_OK;
	ev->reused = 0;
	ev->req = NULL;
	ev->ctrl = NULL;
	ev->submit_ns = 0;
	ev->io.type = VSCSI_IO_OTHER;
	ev->io.conn = rec->conn;
	ev->io.vq = rec->vq;
	ev->io.head = (uint16_t)rec->head;
	ev->io.ts_ns = rec->ts_ns;
	c->n.records++;

	cfg = capio_cfg(c, rec->conn);
	switch (rec->type) {
	case VSCSI_REC_REQUEST:
		if (rec->vq == VSCSI_VQ_CONTROL)
			rc = capio_ctrl_req(c, rec, cfg, ev);
		else if (rec->vq >= VSCSI_VQ_REQUEST0)
			rc = capio_cmd_req(c, rec, cfg, ev);
		/* eventq: the driver lends empty buffers; nothing to count */
		break;
	case VSCSI_REC_COMPLETION:
		if (rec->vq == VSCSI_VQ_CONTROL)
			rc = capio_ctrl_resp(c, rec, cfg, ev);
		else if (rec->vq == VSCSI_VQ_EVENT)
			rc = capio_event(c, rec, cfg, ev);
		else
			rc = capio_cmd_resp(c, rec, cfg, ev);
		break;
	case VSCSI_REC_VHOST_USER:
		rc = capio_vhost_user(c, rec, ev);
		break;
	case VSCSI_REC_SESSION:
		ev->kind = CAPIO_SESSION;
		if (rec->conn != VSCSI_CAP_CONN_NONE)
			capio_session(c, rec);
		break;
	case VSCSI_REC_LOSS:
		ev->kind = CAPIO_LOSS;
		break;
	case VSCSI_REC_NOTIFY:
		ev->kind = CAPIO_NOTIFY;
		break;
	default:
		break;
	}
	if (rc < 0) {
		c->n.bad++;
		/* keep the base fields only */
		memset(&ev->io, 0, sizeof(ev->io));
		ev->io.type = VSCSI_IO_OTHER;
		ev->io.conn = rec->conn;
		ev->io.vq = rec->vq;
		ev->io.head = (uint16_t)rec->head;
		ev->io.ts_ns = rec->ts_ns;
	}
	return rc;
}
