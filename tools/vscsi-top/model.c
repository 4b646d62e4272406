/*
 * The model: what the input adds up to.
 *
 * Three sets of statistics, each a pair (since the start, this interval):
 *   all   every request and completion, unfiltered: the header, and the
 *         queue depth and busy time of every view (a device's queue is
 *         what it is, whatever the filter shows);
 *   flt   completions that pass the filter (only while one is set): the
 *         LUN view;
 *   lsel  completions that pass the filter and are on the selected LUN
 *         (only while one is selected): the queue and opcode views.
 * Filtered sets count completions only: a request cannot be judged by a
 * filter on completion fields (lat, status), and counting requests the
 * completion then rejects would leave the queue depth climbing.
 *
 * The latency histogram takes the completions of the selected LUN and
 * opcode that pass the filter. Notable events (errors, TMFs, events,
 * resets, losses) go into a ring, unfiltered; the filter and the LUN
 * selection apply when a snapshot is taken, so a new filter also sorts the
 * past.
 *
 * Losses: a loss note tells how many records were dropped; a sequence gap
 * shows records missing. A drop can show as both (the recorder writes a
 * note for records whose numbers then lack), so gaps and notes are matched
 * against each other and each record is counted once:
 *   lost = notes + gaps - matched.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define NOTES_MAX 1024u
#define NO_SA 0xffffu
#define VU_RESET_OWNER 4u
#define VU_RESET_DEVICE 34u

typedef struct tset {
	vscsi_stats *tot, *ivl;
	uint64_t t0;		/* when the set began (clock) */
} tset;

struct model {
	pthread_mutex_t mu;
	capio *cio;
	capio_ev ev;		/* scratch for the reader */

	tset all, flt, lsel;
	vscsi_filter *filter;
	char filter_text[512];
	int sel_lun, sel_op;
	uint64_t lun_key, op_key;
	vscsi_hist lat_tot, lat_ivl;

	top_note notes[NOTES_MAX];
	size_t note_next, nnotes;

	uint64_t clock;		/* latest clock value seen */
	uint64_t ivl_start;
	uint64_t records, ivl_records;
	uint64_t first_ts, last_ts;
	uint64_t lost_notes, gaps, matched, note_pool, gap_pool;
	uint64_t damaged;
	int have_lag;
	uint64_t lag_max;
	char state[160];

	const vscsi_inflight **fl;	/* scratch for snapshots */
	size_t capfl;
};

static void tset_free(tset *t)
{
	vscsi_stats_free(t->tot);
	vscsi_stats_free(t->ivl);
	t->tot = t->ivl = NULL;
}

/* 0, or -1 when out of memory (the set stays empty). */
static int tset_new(tset *t, uint64_t now)
{
	tset_free(t);
	t->tot = vscsi_stats_new();
	t->ivl = vscsi_stats_new();
	if (!t->tot || !t->ivl) {
		tset_free(t);
		return -1;
	}
	vscsi_stats_reset(t->tot, now);
	vscsi_stats_reset(t->ivl, now);
	t->t0 = now;
	return 0;
}

static void tset_add(tset *t, const vscsi_io *io)
{
	if (!t->tot)
		return;
	vscsi_stats_add(t->tot, io);
	vscsi_stats_add(t->ivl, io);
}

model *model_new(void)
{
	model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->mu, NULL)) {
		free(m);
		return NULL;
	}
	m->cio = capio_new(0);
	if (!m->cio || tset_new(&m->all, 0)) {
		model_free(m);
		return NULL;
	}
	vscsi_hist_init(&m->lat_tot);
	vscsi_hist_init(&m->lat_ivl);
	return m;
}

void model_free(model *m)
{
	if (!m)
		return;
	tset_free(&m->all);
	tset_free(&m->flt);
	tset_free(&m->lsel);
	vscsi_filter_free(m->filter);
	capio_free(m->cio);
	free(m->fl);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void model_lock(model *m)
{
	pthread_mutex_lock(&m->mu);
}

void model_unlock(model *m)
{
	pthread_mutex_unlock(&m->mu);
}

void model_set_state(model *m, const char *state)
{
	snprintf(m->state, sizeof(m->state), "%s", state);
}

uint64_t model_last_ts(const model *m)
{
	return m->last_ts;
}

uint64_t model_first_ts(const model *m)
{
	return m->first_ts;
}

uint64_t model_interval_start(const model *m)
{
	return m->ivl_start;
}

static top_note *note_push(model *m, unsigned kind, const vscsi_io *io)
{
	top_note *n = &m->notes[m->note_next];

	m->note_next = (m->note_next + 1) % NOTES_MAX;
	if (m->nnotes < NOTES_MAX)
		m->nnotes++;
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->io = *io;
	return n;
}

static void loss_from_note(model *m, uint64_t count)
{
	uint64_t k = count < m->gap_pool ? count : m->gap_pool;

	m->lost_notes += count;
	m->gap_pool -= k;
	m->matched += k;
	m->note_pool += count - k;
}

static void loss_from_gap(model *m, uint64_t count)
{
	uint64_t k = count < m->note_pool ? count : m->note_pool;

	m->gaps += count;
	m->note_pool -= k;
	m->matched += k;
	m->gap_pool += count - k;
}

static int lun_is(const vscsi_io *io, uint64_t key)
{
	return (io->has & VSCSI_IO_HAS_LUN) && io->lun_kind == VSCSI_LUN_NORMAL &&
	       ((uint64_t)io->target << 16 | io->lun) == key;
}

static int op_is(const vscsi_io *io, uint64_t key)
{
	return (io->has & VSCSI_IO_HAS_CDB) &&
	       ((uint64_t)io->opcode << 16 | (io->has_sa ? io->sa : NO_SA)) ==
		       key;
}

static void model_notes(model *m, const capio_ev *ev)
{
	const vscsi_io *io = &ev->io;

	if (ev->reused)
		note_push(m, NOTE_REUSED, io);
	switch (ev->kind) {
	case CAPIO_CMD_RESP:
		if (vscsi_io_is_error(io))
			note_push(m, NOTE_ERROR, io);
		break;
	case CAPIO_CTRL_REQ:
		note_push(m, NOTE_CTRL, io);
		break;
	case CAPIO_CTRL_RESP:
		note_push(m, NOTE_CTRL_DONE, io);
		break;
	case CAPIO_EVENT:
		note_push(m, NOTE_EVENT, io);
		break;
	case CAPIO_VHOST_USER:
		if (io->vu_request == VU_RESET_OWNER ||
		    io->vu_request == VU_RESET_DEVICE)
			note_push(m, NOTE_RESET, io);
		break;
	default:
		break;
	}
}

void model_record(model *m, const vscsi_cap_rec *rec, uint64_t now_ns)
{
	capio_ev *ev = &m->ev;
	const vscsi_io *io = &ev->io;
	int rc, pass;

	m->records++;
	m->ivl_records++;
	if (!m->first_ts) {
		m->first_ts = rec->ts_ns;
		/* sets made before the first record begin with it */
		if (!m->all.t0)
			m->all.t0 = rec->ts_ns;
		if (m->flt.tot && !m->flt.t0)
			m->flt.t0 = rec->ts_ns;
		if (m->lsel.tot && !m->lsel.t0)
			m->lsel.t0 = rec->ts_ns;
	}
	if (rec->ts_ns > m->last_ts)
		m->last_ts = rec->ts_ns;
	if (now_ns) {
		uint64_t lag = now_ns > rec->ts_ns ? now_ns - rec->ts_ns : 0;

		if (!m->have_lag || lag > m->lag_max)
			m->lag_max = lag;
		m->have_lag = 1;
		if (now_ns > m->clock)
			m->clock = now_ns;
	} else if (rec->ts_ns > m->clock) {
		m->clock = rec->ts_ns;
	}

	rc = capio_record(m->cio, rec, ev);
	if (rec->seq_missing) {
		top_note *n = note_push(m, NOTE_GAP, io);

		/* about the connection, not the record that showed it */
		memset(&n->io, 0, sizeof(n->io));
		n->io.type = VSCSI_IO_OTHER;
		n->io.conn = rec->conn;
		n->io.vq = VSCSI_CAP_VQ_NONE;
		n->io.ts_ns = rec->ts_ns;
		n->count = rec->seq_missing;
		loss_from_gap(m, rec->seq_missing);
	}
	if (rec->type == VSCSI_REC_LOSS) {
		top_note *n = note_push(m, NOTE_LOSS, io);

		n->count = rec->loss.count;
		n->reason = rec->loss.reason;
		loss_from_note(m, rec->loss.count);
	}
	if (rc <= 0)
		return;
	model_notes(m, ev);
	if (ev->kind != CAPIO_CMD_REQ && ev->kind != CAPIO_CMD_RESP)
		return;
	tset_add(&m->all, io);
	if (ev->kind != CAPIO_CMD_RESP)
		return;
	pass = !m->filter || vscsi_filter_match(m->filter, io);
	if (!pass)
		return;
	if (m->filter)
		tset_add(&m->flt, io);
	if (m->sel_lun) {
		if (!lun_is(io, m->lun_key))
			return;
		tset_add(&m->lsel, io);
	}
	if ((io->has & VSCSI_IO_HAS_LATENCY) &&
	    (!m->sel_op || op_is(io, m->op_key))) {
		vscsi_hist_add(&m->lat_tot, io->latency_ns);
		vscsi_hist_add(&m->lat_ivl, io->latency_ns);
	}
}

int model_reset(model *m)
{
	capio *c = capio_new(0);

	if (!c)
		return -1;
	capio_free(m->cio);
	m->cio = c;
	if (tset_new(&m->all, 0))
		return -1;
	if (m->filter)
		tset_new(&m->flt, 0);
	if (m->sel_lun)
		tset_new(&m->lsel, 0);
	vscsi_hist_init(&m->lat_tot);
	vscsi_hist_init(&m->lat_ivl);
	m->note_next = m->nnotes = 0;
	m->clock = m->ivl_start = 0;
	m->records = m->ivl_records = 0;
	m->first_ts = m->last_ts = 0;
	m->lost_notes = m->gaps = m->matched = 0;
	m->note_pool = m->gap_pool = 0;
	m->damaged = 0;
	m->have_lag = 0;
	m->lag_max = 0;
	m->state[0] = '\0';
	return 0;
}

void model_damaged(model *m, uint64_t ts_ns)
{
	vscsi_io io;

	memset(&io, 0, sizeof(io));
	io.type = VSCSI_IO_OTHER;
	io.ts_ns = ts_ns ? ts_ns : m->last_ts;
	m->damaged++;
	note_push(m, NOTE_DAMAGED, &io);
}

/* The LUN selection's and the latency histogram's inputs changed. */
static void model_restart_lsel(model *m)
{
	if (m->sel_lun)
		tset_new(&m->lsel, m->clock);
	else
		tset_free(&m->lsel);
	vscsi_hist_init(&m->lat_tot);
	vscsi_hist_init(&m->lat_ivl);
}

int model_set_filter(model *m, const char *text, char *err, size_t errlen,
		     size_t *col)
{
	vscsi_filter *f = NULL, *old;
	int rc;

	while (*text == ' ')
		text++;
	if (*text) {
		rc = vscsi_filter_compile(text, &f, err, errlen, col);
		if (rc != VSCSI_OK)
			return rc;
	}
	model_lock(m);
	old = m->filter;
	m->filter = f;
	if (f) {
		vscsi_filter_describe(f, m->filter_text, sizeof(m->filter_text));
		tset_new(&m->flt, m->clock);
	} else {
		m->filter_text[0] = '\0';
		tset_free(&m->flt);
	}
	model_restart_lsel(m);
	model_unlock(m);
	vscsi_filter_free(old);
	return VSCSI_OK;
}

void model_select_lun(model *m, int on, uint64_t key)
{
	model_lock(m);
	m->sel_lun = on;
	m->lun_key = key;
	model_restart_lsel(m);
	model_unlock(m);
}

void model_select_op(model *m, int on, uint64_t key)
{
	model_lock(m);
	m->sel_op = on;
	m->op_key = key;
	vscsi_hist_init(&m->lat_tot);
	vscsi_hist_init(&m->lat_ivl);
	model_unlock(m);
}

void model_roll(model *m, uint64_t now)
{
	if (now > m->clock)
		m->clock = now;
	vscsi_stats_reset(m->all.ivl, now);
	if (m->flt.ivl)
		vscsi_stats_reset(m->flt.ivl, now);
	if (m->lsel.ivl)
		vscsi_stats_reset(m->lsel.ivl, now);
	vscsi_hist_init(&m->lat_ivl);
	m->ivl_start = now;
	m->ivl_records = 0;
	m->have_lag = 0;
	m->lag_max = 0;
}

/* ------------------------------------------------------------ snapshot */

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The span a set's figures cover. */
static uint64_t tset_span(const model *m, const tset *t, uint64_t now,
			  int totals)
{
	uint64_t from = totals ? t->t0 : m->ivl_start;

	if (!totals && t->t0 > from)
		from = t->t0;
	if (!from || now <= from)
		return 0;
	return now - from;
}

static const vscsi_stats_row *row_find(const vscsi_stats *st, unsigned group,
				       uint64_t key)
{
	const vscsi_stats_row *rows;
	size_t n = vscsi_stats_rows(st, group, &rows), lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && rows[lo].key == key ? &rows[lo] : NULL;
}

static void row_fill(snap_row *o, const vscsi_stats_row *r, uint64_t span)
{
	double s = secs(span);

	memset(o, 0, sizeof(*o));
	o->key = r->key;
	o->ios = r->ios;
	o->reads = r->reads;
	o->writes = r->writes;
	o->errors = r->errors;
	if (s > 0) {
		o->iops = (double)r->ios / s;
		o->rps = (double)r->reads / s;
		o->wps = (double)r->writes / s;
		o->rmbs = (double)r->bytes_read / s / 1e6;
		o->wmbs = (double)r->bytes_written / s / 1e6;
	}
	if (r->lat.count) {
		o->avg = vscsi_hist_mean(&r->lat);
		o->p50 = vscsi_hist_quantile(&r->lat, 0.5);
		o->p99 = vscsi_hist_quantile(&r->lat, 0.99);
		o->max = r->lat.max;
	}
	o->qd = -1;
	o->busy = -1;
}

static void qd_fill(snap_row *o, const vscsi_stats_row *all, uint64_t span)
{
	if (!all || !span)
		return;
	o->qd = (double)all->qd_area / (double)span;
	o->busy = 100.0 * (double)all->busy_ns / (double)span;
	if (o->busy > 100.0)
		o->busy = 100.0;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	q = realloc(p, c * size);
	if (!q)
		return NULL;
	*cap = c;
	return q;
}

/* Copy group rows of st into s->rows[sel]; qd from all's rows when
 * with_qd. */
static void snap_group(model *m, snap *s, unsigned sel, unsigned group,
		       const tset *t, uint64_t now, int totals, int with_qd)
{
	const vscsi_stats *st = totals ? t->tot : t->ivl;
	const vscsi_stats *as = totals ? m->all.tot : m->all.ivl;
	const vscsi_stats_row *rows;
	uint64_t span = tset_span(m, t, now, totals);
	uint64_t aspan = tset_span(m, &m->all, now, totals);
	size_t n, i;
	snap_row *out;

	s->nrows[sel] = 0;
	if (!st)
		return;
	n = vscsi_stats_rows(st, group, &rows);
	out = grow(s->rows[sel], &s->caprows[sel], n, sizeof(*out));
	if (!out)
		return;
	s->rows[sel] = out;
	for (i = 0; i < n; i++) {
		row_fill(&out[i], &rows[i], span);
		if (with_qd)
			qd_fill(&out[i], row_find(as, group, rows[i].key),
				aspan);
	}
	s->nrows[sel] = n;
}

static void snap_keys(const vscsi_stats *st, unsigned group, uint64_t **keys,
		      size_t *n, size_t *cap)
{
	const vscsi_stats_row *rows;
	size_t k = vscsi_stats_rows(st, group, &rows), i;
	uint64_t *p = grow(*keys, cap, k, sizeof(*p));

	*n = 0;
	if (!p)
		return;
	*keys = p;
	for (i = 0; i < k; i++)
		p[i] = rows[i].key;
	*n = k;
}

/* A note passes the filter and the LUN selection; notes about the capture
 * itself always do. */
static int note_shown(const model *m, const top_note *n)
{
	if (n->kind == NOTE_LOSS || n->kind == NOTE_GAP ||
	    n->kind == NOTE_DAMAGED)
		return 1;
	if (m->filter && !vscsi_filter_match(m->filter, &n->io))
		return 0;
	if (m->sel_lun && !lun_is(&n->io, m->lun_key))
		return 0;
	return 1;
}

static void snap_inflight(model *m, snap *s, uint64_t now, size_t max_fl)
{
	const vscsi_tracker *t = capio_tracker(m->cio);
	size_t n = vscsi_tracker_count(t), i;
	const vscsi_inflight **fl;
	snap_fl *out;

	s->nfl = 0;
	s->fl_match = 0;
	s->inflight = n;
	/* the list sorts everything in flight, under the lock: only when
	 * it is shown */
	if (!n || !max_fl)
		return;
	fl = grow(m->fl, &m->capfl, n, sizeof(*fl));
	if (!fl)
		return;
	m->fl = fl;
	n = vscsi_tracker_oldest(t, fl, n);
	for (i = 0; i < n; i++) {
		const vscsi_inflight *f = fl[i];
		vscsi_io io;

		if (f->is_ctrl)
			vscsi_io_from_ctrl(&io, f->key.conn, f->key.vq,
					   f->key.head, f->ts_ns, &f->req.ctrl);
		else
			vscsi_io_from_request(&io, f->key.conn, f->key.vq,
					      f->key.head, f->ts_ns,
					      &f->req.cmd);
		if (m->filter && !vscsi_filter_match(m->filter, &io))
			continue;
		if (m->sel_lun && !lun_is(&io, m->lun_key))
			continue;
		s->fl_match++;
		if (s->nfl >= max_fl)
			continue;
		out = grow(s->fl, &s->capfl, s->nfl + 1, sizeof(*out));
		if (!out)
			return;
		s->fl = out;
		out[s->nfl].io = io;
		out[s->nfl].age = now > f->ts_ns ? now - f->ts_ns : 0;
		s->nfl++;
	}
}

void model_snapshot(model *m, snap *s, uint64_t now, int totals,
		    size_t max_fl)
{
	const tset *view = m->filter ? &m->flt : &m->all;
	const tset *sel = m->sel_lun ? &m->lsel : view;
	const vscsi_stats *as = totals ? m->all.tot : m->all.ivl;
	const vscsi_stats_row *tot;
	capio_counts cc;
	uint64_t span;
	size_t i;

	if (now > m->clock)
		m->clock = now;
	vscsi_stats_settle(m->all.tot, now);
	vscsi_stats_settle(m->all.ivl, now);
	s->now = now;
	s->totals = totals;
	s->first_ts = m->first_ts;
	span = tset_span(m, &m->all, now, totals);
	s->span = span;
	snprintf(s->state, sizeof(s->state), "%s", m->state);

	/* header */
	capio_counters(m->cio, &cc);
	s->conns = cc.conns;
	s->bad = cc.bad;
	s->iops = s->rps = s->wps = s->rmbs = s->wmbs = 0;
	s->errors = 0;
	tot = row_find(as, VSCSI_GROUP_TOTAL, 0);
	if (tot) {
		snap_row r;

		row_fill(&r, tot, span);
		s->iops = r.iops;
		s->rps = r.rps;
		s->wps = r.wps;
		s->rmbs = r.rmbs;
		s->wmbs = r.wmbs;
		s->errors = r.errors;
	}
	s->records = m->records;
	{
		uint64_t from = totals || m->first_ts > m->ivl_start ?
					m->first_ts : m->ivl_start;
		uint64_t rspan = from && now > from ? now - from : 0;
		uint64_t nrec = totals ? m->records : m->ivl_records;

		s->rec_rate = rspan ? (double)nrec / secs(rspan) : 0;
	}
	s->lost_notes = m->lost_notes;
	s->lost_gaps = m->gaps - m->matched;
	s->lost = s->lost_notes + s->lost_gaps;
	s->damaged = m->damaged;
	s->have_lag = m->have_lag;
	s->lag_max = m->lag_max;

	/* tables */
	snap_group(m, s, SEL_LUNS, VSCSI_GROUP_LUN, view, now, totals, 1);
	snap_group(m, s, SEL_QUEUES, VSCSI_GROUP_QUEUE, sel, now, totals, 1);
	snap_group(m, s, SEL_OPS, VSCSI_GROUP_OPCODE, sel, now, totals, 0);
	snap_inflight(m, s, now, max_fl);

	s->nnotes = 0;
	for (i = 0; i < m->nnotes; i++) {
		size_t k = (m->note_next + NOTES_MAX - 1 - i) % NOTES_MAX;
		top_note *out;

		if (!note_shown(m, &m->notes[k]))
			continue;
		out = grow(s->notes, &s->capnotes, s->nnotes + 1,
			   sizeof(*out));
		if (!out)
			break;
		s->notes = out;
		s->notes[s->nnotes++] = m->notes[k];
	}
	s->lat = totals ? m->lat_tot : m->lat_ivl;

	snap_keys(m->all.tot, VSCSI_GROUP_LUN, &s->lun_keys, &s->nlun_keys,
		  &s->caplun_keys);
	snap_keys(m->all.tot, VSCSI_GROUP_OPCODE, &s->op_keys, &s->nop_keys,
		  &s->capop_keys);

	snprintf(s->filter, sizeof(s->filter), "%s", m->filter_text);
	s->sel_lun = m->sel_lun;
	s->lun_key = m->lun_key;
	s->sel_op = m->sel_op;
	s->op_key = m->op_key;
}

void snap_free(snap *s)
{
	unsigned i;

	for (i = 0; i < SEL_GROUPS; i++)
		free(s->rows[i]);
	free(s->fl);
	free(s->notes);
	free(s->lun_keys);
	free(s->op_keys);
	memset(s, 0, sizeof(*s));
}
