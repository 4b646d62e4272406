/*
 * Test helper: what the dissector should show for a capture, computed with
 * libvscsi-decode (the reader, the virtio-scsi, CDB, sense and vhost-user
 * parsers), in the layout of
 *
 *   tshark -T fields -E separator=/t -e frame.number -e vscsi.type ...
 *
 * with the fields of COLUMNS below, in that order, one line per record the
 * reader returns, and an empty column where the dissector adds no field.
 * tests/wireshark/run.sh compares the two.
 *
 * Completions are paired with their requests by (conn, vq, head), as the
 * dissector and the library's tracker do; a completion carries the target,
 * LUN and tag of its request, request_in and latency.
 *
 * Usage: expect FILE      (prints the column names with -c)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/capture.h"
#include "vscsi/cdb.h"
#include "vscsi/sense.h"
#include "vscsi/vhost_user.h"
#include "vscsi/virtio_scsi.h"

static const char *const COLUMNS[] = {
	"frame.number", "vscsi.type", "vscsi.conn", "vscsi.vq", "vscsi.seq",
	"vscsi.head", "vscsi.target", "vscsi.lun", "vscsi.tag", "vscsi.op",
	"vscsi.sa", "vscsi.lba", "vscsi.len", "vscsi.alloc_len",
	"vscsi.class", "vscsi.status", "vscsi.response", "vscsi.sense.key",
	"vscsi.sense.asc", "vscsi.sense.ascq", "vscsi.tmf", "vscsi.event",
	"vscsi.vu.request", "vscsi.vu.backend_request", "vscsi.vu.payload",
	"vscsi.request_in", "vscsi.latency", "vscsi.cmd.name",
	"vscsi.sense.asc_text", "vscsi.request_op",
};
enum {
	C_FRAME, C_TYPE, C_CONN, C_VQ, C_SEQ, C_HEAD, C_TARGET, C_LUN, C_TAG,
	C_OP, C_SA, C_LBA, C_LEN, C_ALLOC, C_CLASS, C_STATUS, C_RESPONSE,
	C_KEY, C_ASC, C_ASCQ, C_TMF, C_EVENT, C_VU_REQ, C_VU_BREQ, C_VU_KIND,
	C_REQ_IN, C_LAT, C_NAME, C_ASC_TEXT, C_REQ_OP, NCOL
};

#define MAXCONN 16
#define KEYS 4096

static char col[NCOL][256];

static void set(int c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set(int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(col[c], sizeof(col[c]), fmt, ap);
	va_end(ap);
}

struct sess {
	int seen;
	vscsi_vs_cfg cfg;
};

struct pending {
	int used;
	uint32_t conn;
	uint16_t vq;
	uint32_t head;
	uint64_t frame, ts;
	int kind;		/* LUN kind, -1 none */
	unsigned target, lun;
	int has_tag;
	uint64_t tag;
	int has_op;
	unsigned op;
	int ctrl;		/* control type, -1 none */
	int tmf;		/* -1 none */
};

static struct sess sessions[MAXCONN];
static struct pending pend[KEYS];

/* Open addressing; a finished entry becomes a tombstone (used 2) so that
 * later entries of its probe chain are still found. */
static struct pending *find(uint32_t conn, uint16_t vq, uint32_t head,
			    int create)
{
	unsigned h = (conn * 31u + vq * 7919u + head) % KEYS, i;
	struct pending *slot = NULL;

	for (i = 0; i < KEYS; i++) {
		struct pending *p = &pend[(h + i) % KEYS];

		if (p->used == 1 && p->conn == conn && p->vq == vq &&
		    p->head == head)
			return p;
		if (p->used != 1 && !slot)
			slot = p;
		if (!p->used)
			break;
	}
	if (!create || !slot)
		return NULL;
	memset(slot, 0, sizeof(*slot));
	slot->used = 1;
	slot->conn = conn;
	slot->vq = vq;
	slot->head = head;
	return slot;
}

static vscsi_vs_cfg cfg_of(uint32_t conn)
{
	vscsi_vs_cfg c;

	if (conn < MAXCONN && sessions[conn].seen)
		return sessions[conn].cfg;
	vscsi_vs_cfg_default(&c);
	return c;
}

static void put_lun(const vscsi_lun *l, int *kind, unsigned *target,
		    unsigned *lun)
{
	*kind = l->kind;
	*target = l->target;
	*lun = l->lun;
	if (l->kind != VSCSI_LUN_MALFORMED)
		set(C_TARGET, "%u", l->target);
	if (l->kind == VSCSI_LUN_NORMAL)
		set(C_LUN, "%u", l->lun);
}

static void cmd_request(const vscsi_cap_rec *r, const vscsi_vs_cfg *cfg,
			struct pending *p)
{
	vscsi_cmd_req rq;
	vscsi_cdb_info ci;
	int rc = vscsi_vs_cmd_req_parse(cfg, r->hdr, r->hdr_cap, &rq);

	if (rc != VSCSI_OK && rc != VSCSI_ERR_TRUNCATED)
		return;
	if (r->hdr_cap >= 8)
		put_lun(&rq.lun, &p->kind, &p->target, &p->lun);
	if (r->hdr_cap >= 16) {
		p->has_tag = 1;
		p->tag = rq.tag;
		set(C_TAG, "0x%016" PRIx64, rq.tag);
	}
	if (rc != VSCSI_OK)
		return;
	vscsi_cdb_decode(rq.cdb, rq.cdb_size, &ci);
	p->has_op = 1;
	p->op = ci.opcode;
	set(C_OP, "0x%02x", ci.opcode);
	set(C_NAME, "%s", ci.name);
	if (ci.has_sa)
		set(C_SA, "0x%04x", ci.service_action);
	if (!ci.known)
		return;
	set(C_CLASS, "%u", ci.op_class);
	if (ci.fields & VSCSI_CDB_HAS_LBA)
		set(C_LBA, "%" PRIu64, ci.lba);
	/* lengths the dissector leaves out: those with no fixed bit layout
	 * (gen_tables.c names them) */
	if ((ci.fields & VSCSI_CDB_HAS_XFER) &&
	    ci.cmdset != VSCSI_CMDSET_ATA && ci.opcode != 0xb9)
		set(C_LEN, "%" PRIu32, ci.xfer_len);
	if (ci.fields & VSCSI_CDB_HAS_ALLOC)
		set(C_ALLOC, "%" PRIu32, ci.alloc_len);
}

static void cmd_completion(const vscsi_cap_rec *r, const vscsi_vs_cfg *cfg)
{
	vscsi_cmd_resp rs;
	vscsi_sense_info si;
	int rc = vscsi_vs_cmd_resp_parse(cfg, r->hdr, r->hdr_cap, &rs);
	char text[256];

	if (rc != VSCSI_OK && rc != VSCSI_ERR_TRUNCATED)
		return;
	if (r->hdr_cap >= 11)
		set(C_STATUS, "0x%02x", rs.status);
	if (r->hdr_cap >= 12)
		set(C_RESPONSE, "%u", rs.response);
	if (!rs.sense_copied)
		return;
	rc = vscsi_sense_decode(rs.sense, rs.sense_copied, &si);
	if (si.response_code < 0x70 || si.response_code > 0x73)
		return;
	if (!si.incomplete || si.sense_len > (si.descriptor ? 1u : 2u))
		set(C_KEY, "0x%02x", si.key);
	if (!si.incomplete) {
		set(C_ASC, "0x%02x", si.asc);
		set(C_ASCQ, "0x%02x", si.ascq);
		vscsi_asc_describe(si.asc, si.ascq, text, sizeof(text));
		set(C_ASC_TEXT, "%s", text);
	}
	(void)rc;
}

static void ctrl_request(const vscsi_cap_rec *r, const vscsi_vs_cfg *cfg,
			 struct pending *p)
{
	vscsi_ctrl_req rq;
	int rc = vscsi_vs_ctrl_req_parse(cfg, r->hdr, r->hdr_cap, &rq);

	if (rc != VSCSI_OK)
		return;		/* the generator writes no short ones */
	p->ctrl = (int)rq.type;
	if (rq.type == VSCSI_T_TMF) {
		p->tmf = (int)rq.subtype;
		set(C_TMF, "%" PRIu32, rq.subtype);
		p->has_tag = 1;
		p->tag = rq.tag;
		set(C_TAG, "0x%016" PRIx64, rq.tag);
	}
	put_lun(&rq.lun, &p->kind, &p->target, &p->lun);
}

static void ctrl_completion(const vscsi_cap_rec *r, const vscsi_vs_cfg *cfg,
			    const struct pending *p)
{
	vscsi_ctrl_resp rs;

	if (!p || p->ctrl < 0)
		return;
	if (p->tmf >= 0)
		set(C_TMF, "%d", p->tmf);
	if (vscsi_vs_ctrl_resp_parse(cfg, (uint32_t)p->ctrl, r->hdr,
				     r->hdr_cap, &rs) == VSCSI_OK)
		set(C_RESPONSE, "%u", rs.response);
}

static void event_completion(const vscsi_cap_rec *r, const vscsi_vs_cfg *cfg)
{
	vscsi_event ev;
	int k;
	unsigned t, l;

	if (vscsi_vs_event_parse(cfg, r->hdr, r->hdr_cap, &ev) != VSCSI_OK)
		return;
	set(C_EVENT, "%" PRIu32, ev.event & ~VSCSI_EVT_EVENTS_MISSED);
	put_lun(&ev.lun, &k, &t, &l);
}

static void vhost_user(const vscsi_cap_rec *r)
{
	vscsi_vu_msg m;
	int ch = r->vu.channel == VSCSI_VU_CHAN_BACKEND ? VSCSI_VU_BACKEND
							: VSCSI_VU_FRONTEND;

	if (r->raw_len < VSCSI_VU_HDR_SIZE)
		return;
	set(ch == VSCSI_VU_BACKEND ? C_VU_BREQ : C_VU_REQ, "%u",
	    (uint32_t)r->raw[0] | (uint32_t)r->raw[1] << 8 |
		    (uint32_t)r->raw[2] << 16 | (uint32_t)r->raw[3] << 24);
	if (vscsi_vu_msg_parse(r->raw, r->raw_len, ch, &m) == VSCSI_OK)
		set(C_VU_KIND, "%s", vscsi_vu_payload_kind_name(m.payload_kind));
}

static void session(const vscsi_cap_rec *r)
{
	struct sess *s;

	if (r->conn >= MAXCONN)
		return;
	s = &sessions[r->conn];
	s->seen = 1;
	memset(&s->cfg, 0, sizeof(s->cfg));
	s->cfg.features = r->session.features;
	s->cfg.cdb_size = r->session.cdb_size;
	s->cfg.sense_size = r->session.sense_size;
	s->cfg.legacy_big_endian =
		(r->flags & VSCSI_SESSF_LEGACY) &&
		(r->flags & VSCSI_SESSF_BIG_ENDIAN);
}

int main(int argc, char **argv)
{
	vscsi_cap_reader *rd;
	vscsi_cap_rec r;
	int err, rc, i;

	if (argc == 2 && !strcmp(argv[1], "-c")) {
		for (i = 0; i < NCOL; i++)
			printf("%s%s", COLUMNS[i], i + 1 < NCOL ? " " : "\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: expect FILE | expect -c\n");
		return 2;
	}
	rd = vscsi_cap_reader_open(argv[1], 0, &err);
	if (!rd) {
		fprintf(stderr, "expect: %s: %s\n", argv[1], vscsi_strerror(err));
		return 2;
	}
	while ((rc = vscsi_cap_next(rd, &r)) != 0) {
		vscsi_vs_cfg cfg;
		struct pending *p;

		if (rc == VSCSI_ERR_DAMAGED)
			continue;
		if (rc < 0) {
			fprintf(stderr, "expect: %s\n", vscsi_strerror(rc));
			return 2;
		}
		memset(col, 0, sizeof(col));
		set(C_FRAME, "%" PRIu64, r.recno);
		set(C_TYPE, "%u", r.type);
		set(C_CONN, "%" PRIu32, r.conn);
		set(C_VQ, "%u", r.vq);
		set(C_SEQ, "%" PRIu64, r.seq);
		cfg = cfg_of(r.conn);
		switch (r.type) {
		case VSCSI_REC_REQUEST:
			set(C_HEAD, "%" PRIu32, r.head);
			p = find(r.conn, r.vq, r.head, 1);
			if (!p)
				break;
			p->frame = r.recno;
			p->ts = r.ts_ns;
			p->kind = -1;
			p->ctrl = -1;
			p->tmf = -1;
			p->has_tag = p->has_op = 0;
			if (r.vq >= VSCSI_VQ_REQUEST0)
				cmd_request(&r, &cfg, p);
			else if (r.vq == VSCSI_VQ_CONTROL)
				ctrl_request(&r, &cfg, p);
			break;
		case VSCSI_REC_COMPLETION:
			set(C_HEAD, "%" PRIu32, r.head);
			p = find(r.conn, r.vq, r.head, 0);
			if (p) {
				uint64_t lat = r.ts_ns - p->ts;

				set(C_REQ_IN, "%" PRIu64, p->frame);
				set(C_LAT, "%" PRIu64 ".%09" PRIu64,
				    lat / 1000000000u, lat % 1000000000u);
				if (p->kind != VSCSI_LUN_MALFORMED &&
				    p->kind >= 0)
					set(C_TARGET, "%u", p->target);
				if (p->kind == VSCSI_LUN_NORMAL)
					set(C_LUN, "%u", p->lun);
				if (p->has_tag)
					set(C_TAG, "0x%016" PRIx64, p->tag);
				if (p->has_op)
					set(C_REQ_OP, "0x%02x", p->op);
			}
			if (r.vq >= VSCSI_VQ_REQUEST0)
				cmd_completion(&r, &cfg);
			else if (r.vq == VSCSI_VQ_CONTROL)
				ctrl_completion(&r, &cfg, p);
			else if (r.vq == VSCSI_VQ_EVENT)
				event_completion(&r, &cfg);
			if (p)
				p->used = 2;
			break;
		case VSCSI_REC_VHOST_USER:
			vhost_user(&r);
			break;
		case VSCSI_REC_SESSION:
			session(&r);
			break;
		default:
			break;
		}
		for (i = 0; i < NCOL; i++)
			printf("%s%s", col[i], i + 1 < NCOL ? "\t" : "\n");
	}
	vscsi_cap_reader_close(rd);
	return 0;
}
