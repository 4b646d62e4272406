/*
 * Aggregates per group (total, LUN, queue, opcode, class). Each group is a
 * sorted array of rows, with a small direct-mapped cache from key to row
 * (cleared when a row is inserted), because each event looks up one row in
 * every group and the keys in use are few (reads and writes alternate, so
 * remembering only the last row of a group misses often).
 */
#include <stdlib.h>
#include <string.h>

#include "vscsi/cdb.h"
#include "vscsi/stats.h"
#include "hist_int.h"

#define NO_SA 0xffffu
#define MAX_ERR_KINDS 256u
#define HINT_BITS 6u		/* 64 cached keys per group */

typedef struct stats_group {
	vscsi_stats_row *rows;
	size_t n, cap;
	uint32_t hint[1u << HINT_BITS];	/* row index + 1, or 0 */
} stats_group;

struct vscsi_stats {
	stats_group g[VSCSI_GROUP_COUNT];
	vscsi_stats_err err[MAX_ERR_KINDS];
	size_t nerr;
	uint64_t start_ns, first_ns, last_ns;
	int seen;
};

vscsi_stats *vscsi_stats_new(void)
{
	vscsi_stats *s = calloc(1, sizeof(*s));

	return s;
}

void vscsi_stats_free(vscsi_stats *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < VSCSI_GROUP_COUNT; i++)
		free(s->g[i].rows);
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

/* stats_row() when the cache missed: search, insert when missing. Rare:
 * kept out of the callers. */
static __attribute__((noinline)) vscsi_stats_row *stats_row_find(stats_group *g, uint64_t key,
				       unsigned slot)
{
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
			vscsi_stats_row *rows = realloc(g->rows,
							cap * sizeof(*rows));

			if (!rows)
				return NULL;
			g->rows = rows;
			g->cap = cap;
		}
		memmove(&g->rows[lo + 1], &g->rows[lo],
			(g->n - lo) * sizeof(*g->rows));
		stats_row_init(&g->rows[lo], key);
		g->n++;
		/* the rows after lo moved */
		memset(g->hint, 0, sizeof(g->hint));
	}
	g->hint[slot] = (uint32_t)(lo + 1);
	return &g->rows[lo];
}

/* The row for key, made when missing; NULL when out of memory. */
static vscsi_stats_row *stats_row(stats_group *g, uint64_t key)
{
	unsigned slot = stats_hint_slot(key);
	uint32_t i = g->hint[slot];

	if (i && g->rows[i - 1].key == key)
		return &g->rows[i - 1];
	return stats_row_find(g, key, slot);
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
	uint32_t has_submit;	/* its request was seen: queue depth drops */
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
 * read). Returns how many; *rc is VSCSI_ERR_NOMEM when a row could not be
 * made.
 */
static unsigned stats_rows_of(vscsi_stats *s, const vscsi_io *io,
			      vscsi_stats_row *row[VSCSI_GROUP_COUNT], int *rc)
{
	unsigned n = 0, want = 2;

	row[n] = stats_row(&s->g[VSCSI_GROUP_TOTAL], 0);
	n += row[n] != NULL;
	if ((io->has & VSCSI_IO_HAS_LUN) && io->lun_kind == VSCSI_LUN_NORMAL) {
		want++;
		row[n] = stats_row(&s->g[VSCSI_GROUP_LUN],
				   (uint64_t)io->target << 16 | io->lun);
		n += row[n] != NULL;
	}
	row[n] = stats_row(&s->g[VSCSI_GROUP_QUEUE],
			   (uint64_t)io->conn << 16 | io->vq);
	n += row[n] != NULL;
	if (io->has & VSCSI_IO_HAS_CDB) {
		want += 2;
		row[n] = stats_row(&s->g[VSCSI_GROUP_OPCODE],
				   (uint64_t)io->opcode << 16 |
				   (io->has_sa ? io->sa : NO_SA));
		n += row[n] != NULL;
		row[n] = stats_row(&s->g[VSCSI_GROUP_CLASS], io->op_class);
		n += row[n] != NULL;
	}
	*rc = n == want ? VSCSI_OK : VSCSI_ERR_NOMEM;
	return n;
}

int vscsi_stats_add(vscsi_stats *s, const vscsi_io *io)
{
	vscsi_stats_row *row[VSCSI_GROUP_COUNT];
	unsigned i, n;
	int rc;

	if (io->type != VSCSI_IO_REQUEST && io->type != VSCSI_IO_COMPLETION)
		return VSCSI_OK;
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

			stats_row_init(r, r->key);
			r->qd_now = qd;
			r->qd_max = qd;
			r->qd_since = start_ns;
			r->next_lba = next;
		}
	}
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

	for (i = 0; i < VSCSI_GROUP_COUNT; i++)
		for (j = 0; j < s->g[i].n; j++)
			stats_qd_settle(&s->g[i].rows[j], now_ns);
}
