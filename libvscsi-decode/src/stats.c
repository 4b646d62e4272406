/*
 * Aggregates per group (total, LUN, queue, opcode, class). Each group is a
 * sorted array of rows; the last row used is remembered because consecutive
 * events usually hit the same LUN and queue.
 */
#include <stdlib.h>
#include <string.h>

#include "vscsi/cdb.h"
#include "vscsi/stats.h"

#define NO_SA 0xffffu
#define MAX_ERR_KINDS 256u

typedef struct stats_group {
	vscsi_stats_row *rows;
	size_t n, cap;
	size_t last;
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

/* The row for key, made when missing; NULL when out of memory. */
static vscsi_stats_row *stats_row(stats_group *g, uint64_t key)
{
	size_t lo = 0, hi = g->n;

	if (g->last < g->n && g->rows[g->last].key == key)
		return &g->rows[g->last];
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
	}
	g->last = lo;
	return &g->rows[lo];
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

static void stats_on_request(vscsi_stats_row *r, const vscsi_io *io)
{
	stats_qd_settle(r, io->ts_ns);
	r->qd_now++;
	if (r->qd_now > r->qd_max)
		r->qd_max = r->qd_now;
	if ((io->has & VSCSI_IO_HAS_LBA) &&
	    (io->op_class == VSCSI_OPC_READ || io->op_class == VSCSI_OPC_WRITE)) {
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
}

static void stats_on_completion(vscsi_stats_row *r, const vscsi_io *io,
				int error)
{
	stats_qd_settle(r, io->ts_ns);
	/* a completion whose request came before the capture began */
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

static void stats_keys(const vscsi_io *io, uint64_t key[VSCSI_GROUP_COUNT],
		       int use[VSCSI_GROUP_COUNT])
{
	key[VSCSI_GROUP_TOTAL] = 0;
	use[VSCSI_GROUP_TOTAL] = 1;
	key[VSCSI_GROUP_LUN] = (uint64_t)io->target << 16 | io->lun;
	use[VSCSI_GROUP_LUN] = (io->has & VSCSI_IO_HAS_LUN) &&
			       io->lun_kind == VSCSI_LUN_NORMAL;
	key[VSCSI_GROUP_QUEUE] = (uint64_t)io->conn << 16 | io->vq;
	use[VSCSI_GROUP_QUEUE] = 1;
	key[VSCSI_GROUP_OPCODE] = (uint64_t)io->opcode << 16 |
				  (io->has_sa ? io->sa : NO_SA);
	use[VSCSI_GROUP_OPCODE] = (io->has & VSCSI_IO_HAS_CDB) != 0;
	key[VSCSI_GROUP_CLASS] = io->op_class;
	use[VSCSI_GROUP_CLASS] = (io->has & VSCSI_IO_HAS_CDB) != 0;
}

int vscsi_stats_add(vscsi_stats *s, const vscsi_io *io)
{
	uint64_t key[VSCSI_GROUP_COUNT];
	int use[VSCSI_GROUP_COUNT], rc = VSCSI_OK, error = 0;
	unsigned i;

	if (io->type != VSCSI_IO_REQUEST && io->type != VSCSI_IO_COMPLETION)
		return VSCSI_OK;
	if (!s->seen || io->ts_ns < s->first_ns)
		s->first_ns = io->ts_ns;
	if (!s->seen || io->ts_ns > s->last_ns)
		s->last_ns = io->ts_ns;
	s->seen = 1;
	if (io->type == VSCSI_IO_COMPLETION) {
		error = vscsi_io_is_error(io);
		if (error)
			stats_count_error(s, io);
	}
	stats_keys(io, key, use);
	for (i = 0; i < VSCSI_GROUP_COUNT; i++) {
		vscsi_stats_row *r;

		if (!use[i])
			continue;
		r = stats_row(&s->g[i], key[i]);
		if (!r) {
			rc = VSCSI_ERR_NOMEM;
			continue;
		}
		if (io->type == VSCSI_IO_REQUEST)
			stats_on_request(r, io);
		else
			stats_on_completion(r, io, error);
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
