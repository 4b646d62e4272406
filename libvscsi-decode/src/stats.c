/*
 * Aggregates per group (total, LUN, queue, opcode, class). Each group is a
 * sorted array of rows. Every event updates one row in each group, and the
 * combinations in use are few (a LUN, a queue, reads and writes): a small
 * direct-mapped cache maps an event's keys to its rows, and behind it each
 * group has one from key to row. Remembering only the last row of a group
 * would miss often, as reads and writes alternate.
 *
 * Twins: rows that have seen exactly the same events hold exactly the same
 * numbers (with one LUN on one queue, the total, the LUN and the queue; the
 * READ(10) row and the read class). Such rows form a team: only its leader
 * is updated, and the others copy it when they are read (vscsi_stats_rows).
 * Rows made by the same event start as one team; an event that touches
 * part of a team splits it first, the part left out taking a copy of the
 * leader. Teams only split, so copies are few; an event's cached rows are
 * its teams' leaders. The cached rows and teams are forgotten whenever a
 * row is made or a team split (gen).
 */
#include <stdlib.h>
#include <string.h>

#include "vscsi/cdb.h"
#include "vscsi/stats.h"
#include "hist_int.h"

#define NO_SA 0xffffu
#define MAX_ERR_KINDS 256u
#define HINT_BITS 6u		/* 64 cached keys per group */
#define SET_BITS 4u		/* 16 cached combinations */
#define SET_LUN 1u		/* stats_set.use: the LUN group applies */
#define SET_CDB 2u		/* ... the opcode and class groups */

/* A row's place: group << REF_SHIFT | index. */
#define REF_SHIFT 28u
#define REF_MASK ((1u << REF_SHIFT) - 1u)
#define REF(g, i) ((uint32_t)(g) << REF_SHIFT | (uint32_t)(i))
/* stats_group.lead: a team's leader (or a row alone), a row the current
 * event made, or the place of the row's leader. */
#define LEAD_SELF UINT32_MAX
#define LEAD_FRESH (UINT32_MAX - 1u)
#define ROWS_MAX (REF_MASK - 1u)

typedef struct stats_group {
	vscsi_stats_row *rows;
	uint32_t *lead;			/* per row, LEAD_* or a REF() */
	uint32_t *team;			/* per leader, its team's size */
	uint64_t synced;		/* stats' version at the last sync */
	size_t n, cap;
	uint32_t hint[1u << HINT_BITS];	/* row index + 1, or 0 */
} stats_group;

/* The leaders to update for one combination of keys, valid while gen is
 * the stats'. */
typedef struct stats_set {
	uint64_t lun, queue, op, cls;	/* keys (0 for groups not used) */
	unsigned use;			/* SET_* */
	uint32_t gen;			/* 0: empty */
	unsigned n;
	vscsi_stats_row *row[VSCSI_GROUP_COUNT];
} stats_set;

struct vscsi_stats {
	stats_group g[VSCSI_GROUP_COUNT];
	stats_set set[1u << SET_BITS];
	uint32_t gen;			/* bumped when rows move or teams
					 * split; from 1 */
	uint64_t version;		/* bumped when numbers change */
	vscsi_stats_err err[MAX_ERR_KINDS];
	size_t nerr;
	uint64_t start_ns, first_ns, last_ns;
	int seen;
};

vscsi_stats *vscsi_stats_new(void)
{
	vscsi_stats *s = calloc(1, sizeof(*s));

	if (s)
		s->gen = 1;
	return s;
}

void vscsi_stats_free(vscsi_stats *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < VSCSI_GROUP_COUNT; i++) {
		free(s->g[i].rows);
		free(s->g[i].lead);
		free(s->g[i].team);
	}
	free(s);
}

static void stats_row_init(vscsi_stats_row *r, uint64_t key)
{
	memset(r, 0, offsetof(vscsi_stats_row, lat));
	r->key = key;
	vscsi_hist_init(&r->lat);
}

static unsigned stats_hint_slot(uint64_t key)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ull) >> (64u - HINT_BITS));
}

/* Forget the cached leaders: rows moved or teams changed. */
static void stats_changed(vscsi_stats *s)
{
	if (++s->gen == 0) {	/* never in practice: start over */
		memset(s->set, 0, sizeof(s->set));
		s->gen = 1;
	}
}

/* A row was put at index lo of group g: the places after it moved. */
static void stats_refs_moved(vscsi_stats *s, unsigned g, size_t lo)
{
	unsigned h;
	size_t i;

	for (h = 0; h < VSCSI_GROUP_COUNT; h++)
		for (i = 0; i < s->g[h].n; i++) {
			uint32_t v = s->g[h].lead[i];

			if (v < LEAD_FRESH && v >> REF_SHIFT == g &&
			    (v & REF_MASK) >= lo)
				s->g[h].lead[i] = v + 1;
		}
}

/* stats_row() when the cache missed: search, insert when missing. Rare:
 * kept out of the callers. */
static __attribute__((noinline)) vscsi_stats_row *stats_row_find(
		vscsi_stats *s, unsigned gi, uint64_t key, unsigned slot)
{
	stats_group *g = &s->g[gi];
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == g->n || g->rows[lo].key != key) {
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 8;
			vscsi_stats_row *rows;
			uint32_t *lead, *team;

			if (cap > ROWS_MAX)
				return NULL;
			rows = realloc(g->rows, cap * sizeof(*rows));
			if (!rows)
				return NULL;
			g->rows = rows;
			stats_changed(s);	/* the rows may have moved */
			lead = realloc(g->lead, cap * sizeof(*lead));
			if (!lead)
				return NULL;
			g->lead = lead;
			team = realloc(g->team, cap * sizeof(*team));
			if (!team)
				return NULL;
			g->team = team;
			g->cap = cap;
		}
		memmove(&g->rows[lo + 1], &g->rows[lo],
			(g->n - lo) * sizeof(*g->rows));
		memmove(&g->lead[lo + 1], &g->lead[lo],
			(g->n - lo) * sizeof(*g->lead));
		memmove(&g->team[lo + 1], &g->team[lo],
			(g->n - lo) * sizeof(*g->team));
		stats_row_init(&g->rows[lo], key);
		g->lead[lo] = LEAD_FRESH;
		g->team[lo] = 1;
		g->n++;
		stats_refs_moved(s, gi, lo);
		/* the rows after lo moved, and maybe all of them */
		memset(g->hint, 0, sizeof(g->hint));
		stats_changed(s);
	}
	g->hint[slot] = (uint32_t)(lo + 1);
	return &g->rows[lo];
}

/* The row for key in group g, made when missing; NULL when out of memory. */
static vscsi_stats_row *stats_row(vscsi_stats *s, unsigned g, uint64_t key)
{
	stats_group *grp = &s->g[g];
	unsigned slot = stats_hint_slot(key);
	uint32_t i = grp->hint[slot];

	if (i && grp->rows[i - 1].key == key)
		return &grp->rows[i - 1];
	return stats_row_find(s, g, key, slot);
}

/* ---------------------------------------------------------------- teams */

static vscsi_stats_row *stats_at(vscsi_stats *s, uint32_t ref)
{
	return &s->g[ref >> REF_SHIFT].rows[ref & REF_MASK];
}

static uint32_t *stats_lead_at(vscsi_stats *s, uint32_t ref)
{
	return &s->g[ref >> REF_SHIFT].lead[ref & REF_MASK];
}

static uint32_t *stats_team_at(vscsi_stats *s, uint32_t ref)
{
	return &s->g[ref >> REF_SHIFT].team[ref & REF_MASK];
}

/* dst takes src's numbers (its key stays). */
static void stats_row_copy(vscsi_stats_row *dst, const vscsi_stats_row *src)
{
	uint64_t key = dst->key;

	memcpy(dst, src, sizeof(*dst));
	dst->key = key;
}

/*
 * The team led by ld, which the event with rows ref[0..n) (whose leaders
 * are lead[]) touches: split off the members the event leaves out, so
 * that the team lies inside the event. Returns the leader to update.
 */
static vscsi_stats_row *stats_split(vscsi_stats *s, uint32_t ld,
				    const uint32_t ref[], uint32_t lead[],
				    unsigned n)
{
	uint32_t first_out = LEAD_SELF, first_in = LEAD_SELF, nin = 0;
	unsigned h, k;
	int ld_in = 0;
	size_t i;

	for (k = 0; k < n; k++)
		if (lead[k] == ld) {
			if (first_in == LEAD_SELF)
				first_in = ref[k];
			ld_in |= ref[k] == ld;
			nin++;
		}
	if (nin == *stats_team_at(s, ld))
		return stats_at(s, ld);		/* the whole team */

	/* Rare: find the members the event leaves out. They keep the
	 * numbers as they are, with a leader of their own (or ld). */
	for (h = 0; h < VSCSI_GROUP_COUNT && first_out == LEAD_SELF; h++)
		for (i = 0; i < s->g[h].n; i++) {
			uint32_t r = REF(h, i);

			if (r == ld || s->g[h].lead[i] == ld) {
				for (k = 0; k < n && ref[k] != r; k++)
					;
				if (k == n) {
					first_out = r;
					break;
				}
			}
		}
	stats_changed(s);
	if (ld_in) {
		stats_row_copy(stats_at(s, first_out), stats_at(s, ld));
		for (h = 0; h < VSCSI_GROUP_COUNT; h++)
			for (i = 0; i < s->g[h].n; i++) {
				uint32_t r = REF(h, i);

				if (s->g[h].lead[i] != ld)
					continue;
				for (k = 0; k < n && ref[k] != r; k++)
					;
				if (k == n)
					s->g[h].lead[i] = r == first_out ?
							  LEAD_SELF : first_out;
			}
		*stats_team_at(s, first_out) = *stats_team_at(s, ld) - nin;
		*stats_team_at(s, ld) = nin;
		return stats_at(s, ld);
	}
	stats_row_copy(stats_at(s, first_in), stats_at(s, ld));
	for (k = 0; k < n; k++)
		if (lead[k] == ld) {
			*stats_lead_at(s, ref[k]) = ref[k] == first_in ?
						    LEAD_SELF : first_in;
			lead[k] = first_in;
		}
	*stats_team_at(s, first_in) = nin;
	*stats_team_at(s, ld) -= nin;
	return stats_at(s, first_in);
}

/*
 * The leaders to update for an event whose rows are row[0..n) of groups
 * grp[0..n): rows the event made join one team; every other team it
 * touches is split to lie inside it. Returns how many leaders.
 */
static unsigned stats_plan(vscsi_stats *s, vscsi_stats_row *const row[],
			   const unsigned grp[], unsigned n,
			   vscsi_stats_row *plan[])
{
	uint32_t ref[VSCSI_GROUP_COUNT], lead[VSCSI_GROUP_COUNT];
	unsigned k, m, np = 0;
	int fresh = -1;

	for (k = 0; k < n; k++) {
		uint32_t *l;

		ref[k] = REF(grp[k], row[k] - s->g[grp[k]].rows);
		l = stats_lead_at(s, ref[k]);
		if (*l == LEAD_FRESH) {
			/* made by this event: as the others it made */
			if (fresh < 0)
				fresh = (int)k;
			*l = (int)k == fresh ? LEAD_SELF : ref[fresh];
			lead[k] = ref[fresh];
			if ((int)k != fresh)
				(*stats_team_at(s, ref[fresh]))++;
		} else {
			lead[k] = *l == LEAD_SELF ? ref[k] : *l;
		}
	}
	for (k = 0; k < n; k++) {
		if (fresh >= 0 && lead[k] == ref[fresh])
			continue;
		for (m = 0; m < k && lead[m] != lead[k]; m++)
			;
		if (m < k)
			continue;	/* its team is done */
		plan[np++] = stats_split(s, lead[k], ref, lead, n);
	}
	if (fresh >= 0)
		plan[np++] = row[fresh];
	return np;
}

/* Bring the members of group g up to their leaders (once per change). */
static void stats_sync(vscsi_stats *s, unsigned g)
{
	size_t i;

	if (s->g[g].synced == s->version)
		return;
	s->g[g].synced = s->version;
	for (i = 0; i < s->g[g].n; i++)
		if (s->g[g].lead[i] != LEAD_SELF)
			stats_row_copy(&s->g[g].rows[i],
				       stats_at(s, s->g[g].lead[i]));
}

/* Integrate the queue depth up to ts. */
static void stats_qd_settle(vscsi_stats_row *r, uint64_t ts)
{
	if (ts > r->qd_since) {
		uint64_t dt = ts - r->qd_since;

		if (r->qd_since) {
			r->qd_area += (uint64_t)r->qd_now * dt;
			if (r->qd_now)
				r->busy_ns += dt;
		}
		r->qd_since = ts;
	} else if (!r->qd_since) {
		r->qd_since = ts;
	}
}

/*
 * What one event adds to each of its rows, worked out once. The updates
 * below avoid branches on what varies from event to event (read or write,
 * sequential or not): the rows of a random mix would mispredict them in
 * every group.
 */
typedef struct stats_req_ev {
	uint64_t ts;
	int rw;			/* has an LBA and is a read or a write */
	uint64_t lba, end;	/* its LBA and the LBA after it */
} stats_req_ev;

typedef struct stats_done_ev {
	uint64_t ts;
	uint32_t has_submit;	/* its request was seen: the depth drops */
	uint64_t is_read, is_write, error;	/* 0 or 1 */
	uint64_t bytes_read, bytes_written;
	int has_lat;
	uint64_t lat;
	unsigned bucket;	/* of lat */
} stats_done_ev;

static void stats_on_request(vscsi_stats_row *r, const stats_req_ev *e)
{
	stats_qd_settle(r, e->ts);
	r->qd_now++;
	if (r->qd_now > r->qd_max)
		r->qd_max = r->qd_now;
	if (e->rw) {
		uint64_t next = r->next_lba;
		uint64_t dist = e->lba > next ? e->lba - next : next - e->lba;
		uint64_t seq = dist == 0;

		/* a sequential I/O adds a distance of 0 */
		r->seq += seq;
		r->random += 1u - seq;
		r->seek_sum += dist;
		r->next_lba = e->end;
	}
}

static void stats_on_completion(vscsi_stats_row *r,
				const stats_done_ev *e)
{
	stats_qd_settle(r, e->ts);
	/* a completion whose request came before the capture began leaves
	 * the depth alone */
	r->qd_now -= (uint32_t)(r->qd_now != 0) & e->has_submit;
	r->ios++;
	r->reads += e->is_read;
	r->bytes_read += e->bytes_read;
	r->writes += e->is_write;
	r->bytes_written += e->bytes_written;
	r->errors += e->error;
	if (e->has_lat)
		vscsi__hist_add_at(&r->lat, e->lat, e->bucket);
}

static void stats_count_error(vscsi_stats *s, const vscsi_io *io)
{
	uint8_t has_sense = (io->has & VSCSI_IO_HAS_SENSE) ? 1 : 0;
	vscsi_stats_err *e;
	size_t i;

	for (i = 0; i < s->nerr; i++) {
		e = &s->err[i];
		if (e->response == io->response && e->status == io->status &&
		    e->has_sense == has_sense &&
		    (!has_sense || (e->sense_key == io->sense_key &&
				    e->asc == io->asc && e->ascq == io->ascq))) {
			e->count++;
			return;
		}
	}
	if (s->nerr == MAX_ERR_KINDS)
		return;
	e = &s->err[s->nerr++];
	memset(e, 0, sizeof(*e));
	e->response = io->response;
	e->status = io->status;
	e->has_sense = has_sense;
	if (has_sense) {
		e->sense_key = io->sense_key;
		e->asc = io->asc;
		e->ascq = io->ascq;
	}
	e->count = 1;
}

/*
 * The rows io counts in, one per group that applies to it: the total, its
 * LUN (a normal LUN), its queue, its opcode and its class (a CDB was
 * read); of those, the leaders of their teams go to row[]. Returns how
 * many; *rc is VSCSI_ERR_NOMEM when a row could not be made.
 */
static unsigned stats_rows_of(vscsi_stats *s, const vscsi_io *io,
			      vscsi_stats_row *row[VSCSI_GROUP_COUNT], int *rc)
{
	uint64_t lun = 0, queue = (uint64_t)io->conn << 16 | io->vq;
	uint64_t op = 0, cls = 0;
	unsigned use = 0, n = 0, want = 2, i, grp[VSCSI_GROUP_COUNT];
	vscsi_stats_row *all[VSCSI_GROUP_COUNT];
	stats_set *set;

	if ((io->has & VSCSI_IO_HAS_LUN) && io->lun_kind == VSCSI_LUN_NORMAL) {
		use |= SET_LUN;
		lun = (uint64_t)io->target << 16 | io->lun;
	}
	if (io->has & VSCSI_IO_HAS_CDB) {
		use |= SET_CDB;
		op = (uint64_t)io->opcode << 16 | (io->has_sa ? io->sa : NO_SA);
		cls = io->op_class;
	}
	set = &s->set[(unsigned)(((queue * 0x9e3779b97f4a7c15ull) ^
				  (lun * 0xc2b2ae3d27d4eb4full) ^
				  (op * 0x165667b19e3779f9ull) ^ cls ^ use) >>
				 (64u - SET_BITS))];
	if (set->gen == s->gen && set->use == use && set->queue == queue &&
	    set->lun == lun && set->op == op && set->cls == cls) {
		for (i = 0; i < set->n; i++)
			row[i] = set->row[i];
		*rc = VSCSI_OK;
		return set->n;
	}

	grp[n] = VSCSI_GROUP_TOTAL;
	all[n] = stats_row(s, VSCSI_GROUP_TOTAL, 0);
	n += all[n] != NULL;
	if (use & SET_LUN) {
		want++;
		grp[n] = VSCSI_GROUP_LUN;
		all[n] = stats_row(s, VSCSI_GROUP_LUN, lun);
		n += all[n] != NULL;
	}
	grp[n] = VSCSI_GROUP_QUEUE;
	all[n] = stats_row(s, VSCSI_GROUP_QUEUE, queue);
	n += all[n] != NULL;
	if (use & SET_CDB) {
		want += 2;
		grp[n] = VSCSI_GROUP_OPCODE;
		all[n] = stats_row(s, VSCSI_GROUP_OPCODE, op);
		n += all[n] != NULL;
		grp[n] = VSCSI_GROUP_CLASS;
		all[n] = stats_row(s, VSCSI_GROUP_CLASS, cls);
		n += all[n] != NULL;
	}
	*rc = n == want ? VSCSI_OK : VSCSI_ERR_NOMEM;
	n = stats_plan(s, all, grp, n, row);
	if (*rc == VSCSI_OK) {
		/* after the lookups and splits: both change gen */
		set->lun = lun;
		set->queue = queue;
		set->op = op;
		set->cls = cls;
		set->use = use;
		set->n = n;
		for (i = 0; i < n; i++)
			set->row[i] = row[i];
		set->gen = s->gen;
	}
	return n;
}

int vscsi_stats_add(vscsi_stats *s, const vscsi_io *io)
{
	vscsi_stats_row *row[VSCSI_GROUP_COUNT];
	unsigned i, n;
	int rc;

	if (io->type != VSCSI_IO_REQUEST && io->type != VSCSI_IO_COMPLETION)
		return VSCSI_OK;
	s->version++;
	if (!s->seen || io->ts_ns < s->first_ns)
		s->first_ns = io->ts_ns;
	if (!s->seen || io->ts_ns > s->last_ns)
		s->last_ns = io->ts_ns;
	s->seen = 1;
	n = stats_rows_of(s, io, row, &rc);
	if (io->type == VSCSI_IO_REQUEST) {
		stats_req_ev e;

		e.ts = io->ts_ns;
		e.rw = (io->has & VSCSI_IO_HAS_LBA) &&
		       (io->op_class == VSCSI_OPC_READ ||
			io->op_class == VSCSI_OPC_WRITE);
		e.lba = io->lba;
		e.end = io->lba + io->xfer_len;
		for (i = 0; i < n; i++)
			stats_on_request(row[i], &e);
	} else {
		stats_done_ev e;

		e.ts = io->ts_ns;
		e.error = vscsi_io_is_error(io) != 0;
		if (e.error)
			stats_count_error(s, io);
		e.has_submit = (io->has & VSCSI_IO_HAS_SUBMIT) != 0;
		e.is_read = io->op_class == VSCSI_OPC_READ;
		e.is_write = io->op_class == VSCSI_OPC_WRITE;
		e.bytes_read = io->bytes_in & (0 - e.is_read);
		e.bytes_written = io->bytes_out & (0 - e.is_write);
		e.has_lat = (io->has & VSCSI_IO_HAS_LATENCY) != 0;
		e.lat = io->latency_ns;
		e.bucket = e.has_lat ? vscsi__hist_bucket(e.lat) : 0;
		/* each row's bucket is a line of its own, seldom still in
		 * the cache: ask for them all before the first is needed */
		if (e.has_lat)
			for (i = 0; i < n; i++)
				__builtin_prefetch(
					&row[i]->lat.bucket[e.bucket], 1);
		for (i = 0; i < n; i++)
			stats_on_completion(row[i], &e);
	}
	return rc;
}

void vscsi_stats_reset(vscsi_stats *s, uint64_t start_ns)
{
	unsigned i;
	size_t j;

	for (i = 0; i < VSCSI_GROUP_COUNT; i++) {
		stats_group *g = &s->g[i];

		for (j = 0; j < g->n; j++) {
			vscsi_stats_row *r = &g->rows[j];
			uint32_t qd = r->qd_now;
			uint64_t next = r->next_lba;

			/* a team's members follow its leader */
			if (g->lead[j] != LEAD_SELF)
				continue;
			stats_row_init(r, r->key);
			r->qd_now = qd;
			r->qd_max = qd;
			r->qd_since = start_ns;
			r->next_lba = next;
		}
	}
	s->version++;
	s->nerr = 0;
	s->start_ns = start_ns;
	s->seen = 0;
	s->first_ns = s->last_ns = 0;
}

size_t vscsi_stats_rows(const vscsi_stats *s, unsigned group,
			const vscsi_stats_row **rows)
{
	if (group >= VSCSI_GROUP_COUNT) {
		*rows = NULL;
		return 0;
	}
	/* Members of teams take their leaders' numbers now. The handle
	 * was made writable by vscsi_stats_new(); one thread owns it. */
	stats_sync((vscsi_stats *)s, group);
	*rows = s->g[group].rows;
	return s->g[group].n;
}

size_t vscsi_stats_errors(const vscsi_stats *s, const vscsi_stats_err **errs)
{
	*errs = s->err;
	return s->nerr;
}

void vscsi_stats_span(const vscsi_stats *s, uint64_t *start_ns,
		      uint64_t *first_ns, uint64_t *last_ns)
{
	if (start_ns)
		*start_ns = s->start_ns;
	if (first_ns)
		*first_ns = s->first_ns;
	if (last_ns)
		*last_ns = s->last_ns;
}

void vscsi_stats_settle(vscsi_stats *s, uint64_t now_ns)
{
	unsigned i;
	size_t j;

	s->version++;
	for (i = 0; i < VSCSI_GROUP_COUNT; i++)
		for (j = 0; j < s->g[i].n; j++)
			if (s->g[i].lead[j] == LEAD_SELF)
				stats_qd_settle(&s->g[i].rows[j], now_ns);
}
