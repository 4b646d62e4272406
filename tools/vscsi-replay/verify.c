/*
 * verify: one replayed completion against the recorded one, and the map of
 * blocks the capture wrote.
 *
 * Compared, in this order: the virtio response; with OK on both sides the
 * SCSI status, the sense key/ASC/ASCQ, the residual; the data-in length and
 * the XXH3 digest of the data-in bytes. A TMF compares its response, an AN
 * request its response and event_actual.
 *
 * Not every difference is the device's. A command that a TMF could have
 * aborted (one was in flight with it in the recording) and that was
 * aborted or reset on one side only depends on timing. A read of blocks
 * whose last writer in the replay did not write the recorded bytes (its
 * data-out was cut and the fill does not match the digest, or the write was
 * not replayed) cannot be expected to match. Those are counted apart. A read
 * of blocks the capture never wrote compares with what the image held
 * before the capture: a difference there says the image is not the one
 * recorded (or the device is wrong); the report says which reads rest on
 * such data.
 */
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

const char *rp_dkind_name(unsigned k)
{
	static const char *const n[RP_D_COUNT] = {
		"response", "status", "sense", "residual", "data-in length",
		"data-in", "TMF response", "AN response", "error",
	};

	return k < RP_D_COUNT ? n[k] : "?";
}

const char *rp_unver_name(unsigned k)
{
	static const char *const n[RP_U_COUNT] = {
		"no completion recorded",
		"timing-dependent (aborted or reset by a TMF on one side)",
		"reads data whose writer's data-out the capture did not keep",
		"reads data whose writer was not replayed",
		"records were lost before it",
	};

	return k < RP_U_COUNT ? n[k] : "?";
}

/* ------------------------------------------------------------ block map */

#define VM_GROUP 8u			/* blocks per entry */
#define VM_BIG 65536u			/* ranges longer than this go to the
					 * range list */

typedef struct vm_ent {
	uint64_t key;			/* lun << 48 | lba / VM_GROUP, + 1 */
	uint32_t w[VM_GROUP];
} vm_ent;

typedef struct vm_range {
	unsigned lun;
	uint64_t lba, n;
	uint32_t writer;
} vm_range;

struct rp_vmap {
	vm_ent *t;
	size_t cap, n;
	vm_range *big;
	size_t nbig, capbig;
};

rp_vmap *rp_vmap_new(void)
{
	rp_vmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 4096;
	m->t = calloc(m->cap, sizeof(*m->t));
	if (!m->t) {
		free(m);
		return NULL;
	}
	return m;
}

void rp_vmap_free(rp_vmap *m)
{
	if (!m)
		return;
	free(m->t);
	free(m->big);
	free(m);
}

static size_t vm_hash(uint64_t k, size_t cap)
{
	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 20) & (cap - 1);
}

static vm_ent *vm_find(const rp_vmap *m, uint64_t key)
{
	size_t j = vm_hash(key, m->cap);

	while (m->t[j].key && m->t[j].key != key)
		j = (j + 1) & (m->cap - 1);
	return &m->t[j];
}

static int vm_grow(rp_vmap *m)
{
	vm_ent *old = m->t, *t;
	size_t oc = m->cap, i;

	t = calloc(oc * 2, sizeof(*t));
	if (!t)
		return VSCSI_ERR_NOMEM;
	m->t = t;
	m->cap = oc * 2;
	for (i = 0; i < oc; i++)
		if (old[i].key)
			*vm_find(m, old[i].key) = old[i];
	free(old);
	return VSCSI_OK;
}

int rp_vmap_set(rp_vmap *m, unsigned lun, uint64_t lba, uint64_t n,
		uint32_t writer)
{
	uint64_t b;

	if (n > VM_BIG) {
		if (m->nbig == m->capbig) {
			size_t c = m->capbig ? m->capbig * 2 : 16;
			vm_range *r = realloc(m->big, c * sizeof(*r));

			if (!r)
				return VSCSI_ERR_NOMEM;
			m->big = r;
			m->capbig = c;
		}
		m->big[m->nbig].lun = lun;
		m->big[m->nbig].lba = lba;
		m->big[m->nbig].n = n;
		m->big[m->nbig].writer = writer;
		m->nbig++;
		return VSCSI_OK;
	}
	for (b = lba; b < lba + n;) {
		uint64_t key = ((uint64_t)lun << 48 | (b / VM_GROUP)) + 1;
		vm_ent *e;
		unsigned i = (unsigned)(b % VM_GROUP);

		if ((m->n + 1) * 4 > m->cap * 3 && vm_grow(m))
			return VSCSI_ERR_NOMEM;
		e = vm_find(m, key);
		if (!e->key) {
			e->key = key;
			m->n++;
		}
		for (; i < VM_GROUP && b < lba + n; i++, b++)
			if (writer > e->w[i])
				e->w[i] = writer;
	}
	return VSCSI_OK;
}

void rp_vmap_scan(const rp_vmap *m, unsigned lun, uint64_t lba, uint64_t n,
		  int (*fn)(void *arg, uint32_t writer), void *arg)
{
	uint64_t b = lba, end = lba + n;

	while (b < end) {
		uint64_t key = ((uint64_t)lun << 48 | (b / VM_GROUP)) + 1;
		const vm_ent *e = vm_find(m, key);

		/* the blocks of this group */
		do {
			uint32_t w = e->key ? e->w[b % VM_GROUP] : 0;
			size_t i;

			for (i = 0; i < m->nbig; i++) {
				const vm_range *r = &m->big[i];

				if (r->lun == lun && b >= r->lba &&
				    b - r->lba < r->n && r->writer > w)
					w = r->writer;
			}
			if (fn(arg, w))
				return;
			b++;
		} while (b < end && b % VM_GROUP);
	}
}

/* ------------------------------------------------------------ verify */

/* The LUN index of an address, made when new (RP_MAX_LUNS: none). */
static unsigned vr_lun(replay *r, uint32_t addr)
{
	unsigned i;

	for (i = 0; i < r->nluns; i++)
		if (r->luns[i] == addr)
			return i;
	if (r->nluns == RP_MAX_LUNS)
		return RP_MAX_LUNS;
	r->luns[r->nluns] = addr;
	return r->nluns++;
}

/* The replayed LUN of op (after --map). */
static uint32_t vr_addr(const replay *r, const rp_op *op)
{
	uint8_t raw[8];

	rp_map_lun(r->maps, r->nmaps, op->lun, raw);
	return rp_lun_addr(raw);
}

typedef struct vr_scan {
	const replay *r;
	int untouched;		/* a block the capture did not write */
	int unexact;		/* a writer wrote other bytes than recorded */
	int skipped;		/* a writer was not replayed */
	uint32_t diverged;	/* a writer that differed (op + 1) */
} vr_scan;

static int vr_scan_fn(void *arg, uint32_t w)
{
	vr_scan *s = arg;
	uint8_t f;

	if (!w) {
		s->untouched = 1;
		return 0;
	}
	f = s->r->oflags[w - 1];
	if (f & RP_OPF_SKIPPED)
		s->skipped = 1;
	else if (!(f & (RP_OPF_DOUT_EXACT | RP_OPF_DOUT_FILL)))
		s->unexact = 1;
	if ((f & RP_OPF_DIVERGED) && !s->diverged)
		s->diverged = w;
	return 0;
}

/* Blocks [lba, lba + n) of LUN index lun were written by writer. */
static void vr_set(replay *r, unsigned lun, uint64_t lba, uint64_t n,
		   uint32_t writer)
{
	struct rp_wlog *w;

	if (r->vmap_built) {
		rp_vmap_set(r->vmap, lun, lba, n, writer);
		return;
	}
	if (r->nwlog == r->capwlog) {
		size_t c = r->capwlog ? r->capwlog * 2 : 4096;

		w = realloc(r->wlog, c * sizeof(*w));
		if (!w) {
			/* no log: build the map now */
			r->vmap_built = 1;
			rp_vmap_set(r->vmap, lun, lba, n, writer);
			return;
		}
		r->wlog = w;
		r->capwlog = c;
	}
	w = &r->wlog[r->nwlog++];
	w->lun = (uint16_t)lun;
	w->lba = lba;
	w->n = n;
	w->writer = writer;
}

/* The map, from the log, the first time it is needed. */
static void vr_build(replay *r)
{
	size_t i;

	if (r->vmap_built)
		return;
	for (i = 0; i < r->nwlog; i++)
		rp_vmap_set(r->vmap, r->wlog[i].lun, r->wlog[i].lba,
			    r->wlog[i].n, r->wlog[i].writer);
	free(r->wlog);
	r->wlog = NULL;
	r->nwlog = r->capwlog = 0;
	r->vmap_built = 1;
}

/* What the blocks a read covers rest on; 0 when the read has no range. */
static int vr_read_scan(replay *r, const rp_op *op, vr_scan *s)
{
	uint32_t addr;
	unsigned lun;

	memset(s, 0, sizeof(*s));
	s->r = r;
	if (op->kind != RP_CMD || op->opclass != VSCSI_OPC_READ || !op->nblk)
		return 0;
	addr = vr_addr(r, op);
	if (addr == RP_LUN_NONE)
		return 0;
	lun = vr_lun(r, addr);
	if (lun == RP_MAX_LUNS)
		return 0;
	if (r->lun_unknown[lun])
		s->unexact = 1;
	vr_build(r);
	rp_vmap_scan(r->vmap, lun, op->lba, op->nblk, vr_scan_fn, s);
	return 1;
}

/* Blocks a write covers: their writer is op. */
static void vr_mark_write(replay *r, uint32_t opi)
{
	const rp_op *op = &r->plan.ops[opi];
	uint32_t addr;
	unsigned lun;

	if (op->kind != RP_CMD || !(op->flags & RP_OPF_WRITE) || !op->cdb_len)
		return;
	addr = vr_addr(r, op);
	if (addr == RP_LUN_NONE)
		return;
	lun = vr_lun(r, addr);
	if (lun == RP_MAX_LUNS)
		return;
	if (op->cdb[0] == 0x42) {
		/* UNMAP: the block descriptors of the parameter list
		 * (SBC-4 5.32.2): 8-byte header, 16 bytes each */
		const uint8_t *d = rp_op_dout(&r->plan, op);
		uint32_t i;

		if (op->dout_kept < op->dout_len || op->dout_len < 8) {
			r->lun_unknown[lun] = 1;
			return;
		}
		for (i = 8; i + 16 <= op->dout_len; i += 16)
			vr_set(r, lun, vscsi_get_be(d + i, 8),
			       vscsi_get_be(d + i + 8, 4), opi + 1);
		return;
	}
	if ((op->opclass == VSCSI_OPC_WRITE || op->opclass == VSCSI_OPC_UNMAP) &&
	    op->nblk) {
		vr_set(r, lun, op->lba, op->nblk, opi + 1);
		return;
	}
	/* FORMAT UNIT, SANITIZE, ...: anything may have changed */
	if (op->cdb[0] == 0x04 || op->cdb[0] == 0x48)
		r->lun_unknown[lun] = 1;
}

/* vr_mark_write here and, for a barrier of a replay on lanes, in every
 * lane. */
static void vr_mark_all(replay *r, uint32_t opi)
{
	vr_mark_write(r, opi);
	if (r->lanes)
		rp_lanes_mark(r, opi, vr_mark_write);
}

void rp_verify_skipped(replay *r, uint32_t opi)
{
	r->oflags[opi] |= RP_OPF_SKIPPED;
	vr_mark_all(r, opi);
}

static int vr_aborted(uint8_t response)
{
	return response == VSCSI_S_ABORTED || response == VSCSI_S_RESET;
}

static void vr_keep(replay *r, uint32_t opi, uint32_t kinds, unsigned note,
		    uint32_t note_op, const rp_res *res)
{
	rp_diff *d;

	if (r->ndiffs == RP_DIFFS_KEPT)
		return;
	if (!r->diffs) {
		r->diffs = calloc(RP_DIFFS_KEPT, sizeof(*r->diffs));
		if (!r->diffs)
			return;
	}
	d = &r->diffs[r->ndiffs++];
	d->op = opi;
	d->kinds = kinds;
	d->note = (uint8_t)note;
	d->note_op = note_op;
	d->got = *res;
	d->got.din = NULL;
	d->got.din_iov = NULL;
	d->got.din_cnt = 0;
}

static uint32_t vr_cmd_kinds(const rp_op *op, const rp_res *g)
{
	uint32_t k = 0;
	int ok_both = 1;

	if (op->flags & RP_OPF_STATUS) {
		if (g->response != op->r_response) {
			k |= 1u << RP_D_RESPONSE;
			return k;	/* the rest means nothing then */
		}
		ok_both = g->response == VSCSI_S_OK;
		if (ok_both) {
			if (g->status != op->r_status)
				k |= 1u << RP_D_STATUS;
			else if (g->status == VSCSI_STATUS_CHECK_CONDITION) {
				int rs = (op->flags & RP_OPF_SENSE) != 0;

				if (rs && g->has_sense) {
					if (g->key != op->r_key ||
					    g->asc != op->r_asc ||
					    g->ascq != op->r_ascq)
						k |= 1u << RP_D_SENSE;
				} else if ((rs && !g->has_sense) ||
					   (!rs && g->has_sense &&
					    (op->flags & RP_OPF_NOSENSE))) {
					k |= 1u << RP_D_SENSE;
				}
			}
			if (g->resid != op->r_resid)
				k |= 1u << RP_D_RESID;
		}
	}
	if (!ok_both)
		return k;
	if (g->din_len != op->r_din_len)
		k |= 1u << RP_D_DIN_LEN;
	else if (g->din_len && g->din_digest != op->r_din_digest)
		k |= 1u << RP_D_DIN;
	return k;
}

void rp_verify(replay *r, uint32_t opi, const rp_res *res)
{
	const rp_op *op = &r->plan.ops[opi];
	rp_opstat *st = rp_opstat_get(r, op);
	uint32_t kinds = 0;
	unsigned note = RP_NOTE_NONE;
	uint32_t note_op = 0;
	vr_scan sc;
	int is_read = 0;

	r->completed++;
	if (res->err) {
		kinds = 1u << RP_D_ERROR;
		goto differ;
	}
	if (!(op->flags & RP_OPF_DONE)) {
		r->unver[RP_U_NO_COMPLETION]++;
		goto written;
	}
	r->compared++;
	if (st)
		st->compared++;
	if (op->kind == RP_CMD) {
		kinds = vr_cmd_kinds(op, res);
	} else if (op->flags & RP_OPF_STATUS) {
		if (res->response != op->r_response)
			kinds |= 1u << (op->kind == RP_TMF ? RP_D_TMF : RP_D_AN);
		if (op->kind == RP_AN &&
		    res->event_actual != op->r_event_actual)
			kinds |= 1u << RP_D_AN;
	}
	if (!kinds) {
		/* a read that matches is verified whatever its blocks'
		 * history: the map is looked at for differences only */
		r->matched++;
		goto written;
	}
	is_read = vr_read_scan(r, op, &sc);
	/* outcomes a TMF decided */
	if (op->kind == RP_CMD && (op->flags & RP_OPF_RACY) &&
	    (kinds & (1u << RP_D_RESPONSE)) &&
	    (vr_aborted(op->r_response) || vr_aborted(res->response))) {
		r->unver[RP_U_TIMING]++;
		goto written;
	}
	if (op->kind == RP_TMF && (op->arg == VSCSI_TMF_QUERY_TASK ||
				   op->arg == VSCSI_TMF_QUERY_TASK_SET)) {
		r->unver[RP_U_TIMING]++;
		goto written;
	}
	if (is_read && !(kinds & ~(1u << RP_D_DIN))) {
		if (sc.skipped) {
			r->unver[RP_U_SKIPPED_WRITE]++;
			goto written;
		}
		if (sc.unexact) {
			r->unver[RP_U_UNREPRODUCED]++;
			goto written;
		}
		if (op->flags & RP_OPF_LOSS) {
			r->unver[RP_U_AFTER_LOSS]++;
			goto written;
		}
		if (sc.diverged) {
			note = RP_NOTE_DIVERGED;
			note_op = sc.diverged - 1;
		} else if (sc.untouched) {
			note = RP_NOTE_PREDATES;
		}
	}
differ:
	{
		unsigned k;

		r->differ++;
		for (k = 0; k < RP_D_COUNT; k++)
			if (kinds & (1u << k))
				r->by_kind[k]++;
		r->oflags[opi] |= RP_OPF_DIVERGED;
		if (st)
			st->differ++;
		vr_keep(r, opi, kinds, note, note_op, res);
	}
written:
	/* a write's blocks now hold its data (or, if it differed, not the
	 * recorded data) */
	if ((op->flags & RP_OPF_WRITE) && !res->err &&
	    ((res->response == VSCSI_S_OK && res->status == 0) ||
	     (r->oflags[opi] & RP_OPF_DIVERGED)))
		vr_mark_all(r, opi);
}
