/*
 * The views and the header as lines of text, for the screen and for batch
 * mode alike (what batch mode prints is what the screen shows).
 *
 * The five table views are described by a column table each (name, width,
 * alignment, which way it sorts) and three functions: how many rows, a
 * row's sort key in a column, a row's cell text. One sort and one layout
 * serve them all. The latency view draws a histogram instead.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "top.h"

#define NO_SA 0xffffu
#define HIST_BAR 40

/* ------------------------------------------------------------ output */

void vout_clear(vout *o)
{
	o->n = 0;
}

void vout_free(vout *o)
{
	free(o->l);
	memset(o, 0, sizeof(*o));
}

tline *vout_add(vout *o, unsigned attr, const char *fmt, ...)
{
	static tline spare;
	va_list ap;
	tline *l;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		tline *p = realloc(o->l, cap * sizeof(*p));

		if (!p)
			return &spare;	/* dropped: out of memory */
		o->l = p;
		o->cap = cap;
	}
	l = &o->l[o->n++];
	l->attr = attr;
	l->hl_x = l->hl_w = 0;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	return l;
}

static void view_fmt_qd(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (v < 10)
		snprintf(buf, len, "%.2f", v);
	else if (v < 1000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

/* ------------------------------------------------------------ tables */

typedef struct vcol {
	const char *name;
	int width;
	int left;	/* left-aligned text */
	int desc;	/* sorts from the largest first */
	int str;	/* sorts by its text */
} vcol;

typedef struct tview {
	const vcol *cols;
	unsigned ncols;
	unsigned dflt;		/* default sort column */
	size_t (*count)(const snap *s);
	double (*num)(const snap *s, size_t i, unsigned col);
	void (*cell)(const snap *s, size_t i, unsigned col, char *buf,
		     size_t len);
	unsigned (*attr)(const snap *s, size_t i);
} tview;

/* LUN and queue tables (one layout). */
enum { RC_KEY, RC_IOPS, RC_RPS, RC_WPS, RC_RMB, RC_WMB, RC_AVG, RC_P99,
       RC_QD, RC_ERR, RC_BUSY, RC_N };

static const vcol lun_cols[RC_N] = {
	{ "LUN", 6, 1, 0, 0 },	  { "IOPS", 7, 0, 1, 0 },
	{ "r/s", 7, 0, 1, 0 },	  { "w/s", 7, 0, 1, 0 },
	{ "rMB/s", 6, 0, 1, 0 },  { "wMB/s", 6, 0, 1, 0 },
	{ "avg", 6, 0, 1, 0 },	  { "p99", 6, 0, 1, 0 },
	{ "aqu", 5, 0, 1, 0 },	  { "err", 5, 0, 1, 0 },
	{ "%busy", 5, 0, 1, 0 },
};

static const vcol queue_cols[RC_N] = {
	{ "QUEUE", 6, 1, 0, 0 },  { "IOPS", 7, 0, 1, 0 },
	{ "r/s", 7, 0, 1, 0 },	  { "w/s", 7, 0, 1, 0 },
	{ "rMB/s", 6, 0, 1, 0 },  { "wMB/s", 6, 0, 1, 0 },
	{ "avg", 6, 0, 1, 0 },	  { "p99", 6, 0, 1, 0 },
	{ "aqu", 5, 0, 1, 0 },	  { "err", 5, 0, 1, 0 },
	{ "%busy", 5, 0, 1, 0 },
};

static double row_num(const snap_row *r, unsigned col)
{
	switch (col) {
	case RC_KEY: return (double)r->key;
	case RC_IOPS: return r->iops;
	case RC_RPS: return r->rps;
	case RC_WPS: return r->wps;
	case RC_RMB: return r->rmbs;
	case RC_WMB: return r->wmbs;
	case RC_AVG: return (double)r->avg;
	case RC_P99: return (double)r->p99;
	case RC_QD: return r->qd;
	case RC_ERR: return (double)r->errors;
	default: return r->busy;
	}
}

static void row_cell(const snap_row *r, unsigned col, char *buf, size_t len)
{
	switch (col) {
	case RC_IOPS: fmt_rate(buf, len, r->iops); break;
	case RC_RPS: fmt_rate(buf, len, r->rps); break;
	case RC_WPS: fmt_rate(buf, len, r->wps); break;
	case RC_RMB: fmt_rate(buf, len, r->rmbs); break;
	case RC_WMB: fmt_rate(buf, len, r->wmbs); break;
	case RC_AVG:
		if (r->avg || r->ios)
			fmt_ns(buf, len, r->avg);
		else
			snprintf(buf, len, "-");
		break;
	case RC_P99:
		if (r->p99 || r->ios)
			fmt_ns(buf, len, r->p99);
		else
			snprintf(buf, len, "-");
		break;
	case RC_QD: view_fmt_qd(buf, len, r->qd); break;
	case RC_ERR: snprintf(buf, len, "%" PRIu64, r->errors); break;
	case RC_BUSY:
		if (r->busy < 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.1f", r->busy);
		break;
	default: buf[0] = '\0'; break;
	}
}

static size_t lun_count(const snap *s) { return s->nrows[SEL_LUNS]; }
static size_t queue_count(const snap *s) { return s->nrows[SEL_QUEUES]; }

static double lun_num(const snap *s, size_t i, unsigned col)
{
	return row_num(&s->rows[SEL_LUNS][i], col);
}

static double queue_num(const snap *s, size_t i, unsigned col)
{
	return row_num(&s->rows[SEL_QUEUES][i], col);
}

static void lun_cell(const snap *s, size_t i, unsigned col, char *buf,
		     size_t len)
{
	const snap_row *r = &s->rows[SEL_LUNS][i];

	if (col == RC_KEY) {
		char k[24];

		fmt_lun_key(k, sizeof(k), r->key);
		snprintf(buf, len, "%s%s",
			 s->sel_lun && s->lun_key == r->key ? "*" : "", k);
		return;
	}
	row_cell(r, col, buf, len);
}

static void queue_cell(const snap *s, size_t i, unsigned col, char *buf,
		       size_t len)
{
	const snap_row *r = &s->rows[SEL_QUEUES][i];

	if (col == RC_KEY) {
		fmt_queue_key(buf, len, r->key);
		return;
	}
	row_cell(r, col, buf, len);
}

static unsigned lun_attr(const snap *s, size_t i)
{
	const snap_row *r = &s->rows[SEL_LUNS][i];
	unsigned a = r->errors ? VA_ERR : 0;

	if (s->sel_lun && s->lun_key == r->key)
		a |= VA_SEL;
	return a;
}

static unsigned queue_attr(const snap *s, size_t i)
{
	return s->rows[SEL_QUEUES][i].errors ? VA_ERR : 0;
}

/* Opcodes. */
enum { OC_NAME, OC_COUNT, OC_RATE, OC_AVG, OC_P50, OC_P99, OC_MAX, OC_ERR,
       OC_N };

static const vcol op_cols[OC_N] = {
	{ "OPCODE", 24, 1, 0, 1 }, { "COUNT", 9, 0, 1, 0 },
	{ "/s", 8, 0, 1, 0 },	   { "avg", 6, 0, 1, 0 },
	{ "p50", 6, 0, 1, 0 },	   { "p99", 6, 0, 1, 0 },
	{ "max", 6, 0, 1, 0 },	   { "err", 6, 0, 1, 0 },
};

static size_t op_count(const snap *s) { return s->nrows[SEL_OPS]; }

static double op_num(const snap *s, size_t i, unsigned col)
{
	const snap_row *r = &s->rows[SEL_OPS][i];

	switch (col) {
	case OC_COUNT: return (double)r->ios;
	case OC_RATE: return r->iops;
	case OC_AVG: return (double)r->avg;
	case OC_P50: return (double)r->p50;
	case OC_P99: return (double)r->p99;
	case OC_MAX: return (double)r->max;
	case OC_ERR: return (double)r->errors;
	default: return (double)r->key;
	}
}

static void op_cell(const snap *s, size_t i, unsigned col, char *buf,
		    size_t len)
{
	const snap_row *r = &s->rows[SEL_OPS][i];
	char k[48];

	switch (col) {
	case OC_NAME:
		fmt_op_key(k, sizeof(k), r->key);
		snprintf(buf, len, "%s%s",
			 s->sel_op && s->op_key == r->key ? "*" : "", k);
		break;
	case OC_COUNT: snprintf(buf, len, "%" PRIu64, r->ios); break;
	case OC_RATE: fmt_rate(buf, len, r->iops); break;
	case OC_ERR: snprintf(buf, len, "%" PRIu64, r->errors); break;
	default: {
		uint64_t v = col == OC_AVG ? r->avg : col == OC_P50 ? r->p50 :
			     col == OC_P99 ? r->p99 : r->max;

		if (r->ios)
			fmt_ns(buf, len, v);
		else
			snprintf(buf, len, "-");
		break;
	}
	}
}

static unsigned op_attr(const snap *s, size_t i)
{
	const snap_row *r = &s->rows[SEL_OPS][i];
	unsigned a = r->errors ? VA_ERR : 0;

	if (s->sel_op && s->op_key == r->key)
		a |= VA_SEL;
	return a;
}

/* In flight. */
enum { FC_AGE, FC_LUN, FC_QUEUE, FC_TAG, FC_OP, FC_LBA, FC_LEN, FC_N };

static const vcol fl_cols[FC_N] = {
	{ "AGE", 7, 0, 1, 0 },	   { "LUN", 6, 1, 0, 0 },
	{ "QUEUE", 6, 1, 0, 0 },   { "TAG", 18, 1, 0, 0 },
	{ "OPCODE", 18, 1, 0, 1 }, { "LBA", 12, 0, 0, 0 },
	{ "LEN", 6, 0, 1, 0 },
};

static size_t fl_count(const snap *s) { return s->nfl; }

static uint64_t io_lun_key(const vscsi_io *io)
{
	return (uint64_t)io->target << 16 | io->lun;
}

static double fl_num(const snap *s, size_t i, unsigned col)
{
	const vscsi_io *io = &s->fl[i].io;

	switch (col) {
	case FC_AGE: return (double)s->fl[i].age;
	case FC_LUN: return (double)io_lun_key(io);
	case FC_QUEUE: return (double)((uint64_t)io->conn << 16 | io->vq);
	case FC_TAG: return (double)io->tag;
	case FC_LBA: return (io->has & VSCSI_IO_HAS_LBA) ? (double)io->lba : -1;
	case FC_LEN: return (io->has & VSCSI_IO_HAS_LEN) ?
				    (double)io->xfer_len : -1;
	default: return 0;
	}
}

static void io_lun_text(const vscsi_io *io, char *buf, size_t len)
{
	if (!(io->has & VSCSI_IO_HAS_LUN))
		snprintf(buf, len, "-");
	else if (io->lun_kind == VSCSI_LUN_REPORT_LUNS)
		snprintf(buf, len, "%u:wlun", io->target);
	else if (io->lun_kind == VSCSI_LUN_MALFORMED)
		snprintf(buf, len, "bad");
	else
		fmt_lun_key(buf, len, io_lun_key(io));
}

/* "READ(10)", "TMF ABORT_TASK", "AN QUERY". */
static void io_what(const vscsi_io *io, char *buf, size_t len)
{
	if (io->has & VSCSI_IO_HAS_CDB) {
		fmt_op_key(buf, len, (uint64_t)io->opcode << 16 |
					     (io->has_sa ? io->sa : NO_SA));
	} else if (io->type == VSCSI_IO_CTRL || io->type == VSCSI_IO_CTRL_DONE) {
		const char *t = vscsi_ctrl_type_name(io->ctrl_type);

		if (io->has & VSCSI_IO_HAS_TMF) {
			const char *n = vscsi_tmf_name(io->tmf);

			if (n)
				snprintf(buf, len, "TMF %s", n);
			else
				snprintf(buf, len, "TMF %u", io->tmf);
		} else {
			snprintf(buf, len, "%s", t ? t : "CTRL ?");
		}
	} else {
		snprintf(buf, len, "-");
	}
}

static void fl_cell(const snap *s, size_t i, unsigned col, char *buf,
		    size_t len)
{
	const vscsi_io *io = &s->fl[i].io;

	switch (col) {
	case FC_AGE: fmt_ns(buf, len, s->fl[i].age); break;
	case FC_LUN: io_lun_text(io, buf, len); break;
	case FC_QUEUE:
		fmt_queue_key(buf, len, (uint64_t)io->conn << 16 | io->vq);
		break;
	case FC_TAG: snprintf(buf, len, "0x%" PRIx64, io->tag); break;
	case FC_OP: io_what(io, buf, len); break;
	case FC_LBA:
		if (io->has & VSCSI_IO_HAS_LBA)
			snprintf(buf, len, "%" PRIu64, io->lba);
		else
			snprintf(buf, len, "-");
		break;
	default:
		if (io->has & VSCSI_IO_HAS_LEN)
			snprintf(buf, len, "%u", io->xfer_len);
		else
			snprintf(buf, len, "-");
		break;
	}
}

static unsigned fl_attr(const snap *s, size_t i)
{
	(void)s;
	(void)i;
	return 0;
}

/* Errors and other notable events. */
enum { EC_TIME, EC_LUN, EC_QUEUE, EC_WHAT, EC_RESULT, EC_N };

static const vcol err_cols[EC_N] = {
	{ "TIME", 12, 1, 1, 0 },   { "LUN", 6, 1, 0, 0 },
	{ "QUEUE", 6, 1, 0, 0 },   { "WHAT", 22, 1, 0, 1 },
	{ "RESULT", 0, 1, 0, 1 },
};

static size_t err_count(const snap *s) { return s->nnotes; }

static double err_num(const snap *s, size_t i, unsigned col)
{
	const top_note *n = &s->notes[i];

	switch (col) {
	case EC_TIME: return (double)n->io.ts_ns;
	case EC_LUN: return (n->io.has & VSCSI_IO_HAS_LUN) ?
				    (double)io_lun_key(&n->io) : -1;
	case EC_QUEUE: return (double)((uint64_t)n->io.conn << 16 | n->io.vq);
	default: return 0;
	}
}

static void fmt_clock(char *buf, size_t len, uint64_t ns, int ms)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	if (ms)
		snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour,
			 tm.tm_min, tm.tm_sec,
			 (unsigned)(ns % 1000000000u / 1000000u));
	else
		snprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
}

static void note_result(const top_note *n, char *buf, size_t len)
{
	const vscsi_io *io = &n->io;
	char asc[96];

	switch (n->kind) {
	case NOTE_ERROR:
		if (io->response != VSCSI_S_OK) {
			const char *r = vscsi_vs_response_name(io->response, 0);

			if (r)
				snprintf(buf, len, "response %s", r);
			else
				snprintf(buf, len, "response %u",
					 io->response);
		} else if (io->has & VSCSI_IO_HAS_SENSE) {
			vscsi_asc_describe(io->asc, io->ascq, asc, sizeof(asc));
			snprintf(buf, len, "%s %s %02x/%02x %s",
				 vscsi_status_str(io->status),
				 vscsi_sense_key_str(io->sense_key), io->asc,
				 io->ascq, asc);
		} else {
			snprintf(buf, len, "%s", vscsi_status_str(io->status));
		}
		break;
	case NOTE_CTRL:
		if (io->has & VSCSI_IO_HAS_TMF)
			snprintf(buf, len, "request tag=0x%" PRIx64, io->tag);
		else
			snprintf(buf, len, "request");
		break;
	case NOTE_CTRL_DONE: {
		const char *r = vscsi_vs_response_name(io->response, 1);
		char lat[16] = "";

		if (io->has & VSCSI_IO_HAS_LATENCY)
			fmt_ns(lat, sizeof(lat), io->latency_ns);
		if (r)
			snprintf(buf, len, "%s%s%s", r, *lat ? " lat=" : "",
				 lat);
		else
			snprintf(buf, len, "response %u%s%s", io->response,
				 *lat ? " lat=" : "", lat);
		break;
	}
	case NOTE_EVENT: {
		uint32_t ev = io->event & ~VSCSI_EVT_EVENTS_MISSED;
		const char *name = vscsi_event_name(io->event);
		const char *missed = (io->event & VSCSI_EVT_EVENTS_MISSED) ?
					     " (events missed)" : "";

		if (ev == VSCSI_EVT_TRANSPORT_RESET) {
			const char *r = vscsi_reset_reason_name(io->event_reason);

			snprintf(buf, len, "TRANSPORT_RESET %s%s",
				 r ? r : "?", missed);
		} else if (ev == VSCSI_EVT_PARAM_CHANGE) {
			vscsi_asc_describe((uint8_t)io->event_reason,
					   (uint8_t)(io->event_reason >> 8), asc,
					   sizeof(asc));
			snprintf(buf, len, "PARAM_CHANGE %s%s", asc, missed);
		} else if (ev == VSCSI_EVT_ASYNC_NOTIFY) {
			const char *c = vscsi_an_class_name(io->event_reason);

			if (c)
				snprintf(buf, len, "ASYNC_NOTIFY %s%s", c,
					 missed);
			else
				snprintf(buf, len, "ASYNC_NOTIFY 0x%x%s",
					 io->event_reason, missed);
		} else {
			snprintf(buf, len, "%s%s", name ? name : "event ?",
				 missed);
		}
		break;
	}
	case NOTE_RESET: {
		const char *r = vscsi_vu_request_name(io->vu_request, 0);

		snprintf(buf, len, "%s", r ? r : "reset");
		break;
	}
	case NOTE_LOSS:
		snprintf(buf, len, "%" PRIu64 " records dropped (%s)",
			 n->count, vscsi_cap_loss_reason_name(n->reason));
		break;
	case NOTE_GAP:
		snprintf(buf, len, "%" PRIu64 " records missing (sequence "
			 "gap on c%u)", n->count, io->conn);
		break;
	case NOTE_DAMAGED:
		snprintf(buf, len, "a damaged record was skipped");
		break;
	case NOTE_REUSED:
		snprintf(buf, len, "head %u made available again while in "
			 "flight", io->head);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

static void note_what(const top_note *n, char *buf, size_t len)
{
	switch (n->kind) {
	case NOTE_ERROR:
	case NOTE_CTRL:
	case NOTE_CTRL_DONE:
	case NOTE_REUSED:
		io_what(&n->io, buf, len);
		break;
	case NOTE_EVENT: snprintf(buf, len, "EVENT"); break;
	case NOTE_RESET: snprintf(buf, len, "VHOST-USER"); break;
	case NOTE_LOSS: snprintf(buf, len, "LOSS"); break;
	case NOTE_GAP: snprintf(buf, len, "GAP"); break;
	default: snprintf(buf, len, "DAMAGED"); break;
	}
}

static void err_cell(const snap *s, size_t i, unsigned col, char *buf,
		     size_t len)
{
	const top_note *n = &s->notes[i];

	switch (col) {
	case EC_TIME: fmt_clock(buf, len, n->io.ts_ns, 1); break;
	case EC_LUN: io_lun_text(&n->io, buf, len); break;
	case EC_QUEUE:
		if (n->kind == NOTE_LOSS || n->kind == NOTE_DAMAGED ||
		    n->io.vq == VSCSI_CAP_VQ_NONE)
			snprintf(buf, len, "-");
		else
			fmt_queue_key(buf, len,
				      (uint64_t)n->io.conn << 16 | n->io.vq);
		break;
	case EC_WHAT: note_what(n, buf, len); break;
	default: note_result(n, buf, len); break;
	}
}

static unsigned err_attr(const snap *s, size_t i)
{
	unsigned k = s->notes[i].kind;

	return k == NOTE_CTRL || k == NOTE_EVENT ? 0 : VA_ERR;
}

static const tview tviews[VIEW_COUNT] = {
	[VIEW_LUNS] = { lun_cols, RC_N, RC_KEY, lun_count, lun_num, lun_cell,
			lun_attr },
	[VIEW_QUEUES] = { queue_cols, RC_N, RC_KEY, queue_count, queue_num,
			  queue_cell, queue_attr },
	[VIEW_OPS] = { op_cols, OC_N, OC_COUNT, op_count, op_num, op_cell,
		       op_attr },
	[VIEW_INFLIGHT] = { fl_cols, FC_N, FC_AGE, fl_count, fl_num, fl_cell,
			    fl_attr },
	[VIEW_ERRORS] = { err_cols, EC_N, EC_TIME, err_count, err_num,
			  err_cell, err_attr },
	[VIEW_LATENCY] = { NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct {
	const char *name, *key;
} view_names[VIEW_COUNT] = {
	{ "LUNs", "luns" },	    { "Queues", "queues" },
	{ "Opcodes", "opcodes" },   { "In flight", "inflight" },
	{ "Errors", "errors" },	    { "Latency", "latency" },
};

const char *view_name(unsigned view)
{
	return view < VIEW_COUNT ? view_names[view].name : "?";
}

const char *view_key_name(unsigned view)
{
	return view < VIEW_COUNT ? view_names[view].key : "?";
}

int view_lookup(const char *name)
{
	unsigned i;

	if (name[0] >= '1' && name[0] <= '6' && !name[1])
		return name[0] - '1';
	for (i = 0; i < VIEW_COUNT; i++)
		if (!strcasecmp(name, view_names[i].key))
			return (int)i;
	if (!strcasecmp(name, "ops"))
		return VIEW_OPS;
	if (!strcasecmp(name, "lat"))
		return VIEW_LATENCY;
	return -1;
}

unsigned view_ncols(unsigned view)
{
	return view < VIEW_COUNT ? tviews[view].ncols : 0;
}

const char *view_col_name(unsigned view, unsigned col)
{
	return col < view_ncols(view) ? tviews[view].cols[col].name : "";
}

int view_col_desc(unsigned view, unsigned col)
{
	return col < view_ncols(view) ? tviews[view].cols[col].desc : 0;
}

int view_sort_lookup(unsigned view, const char *col)
{
	unsigned i;

	for (i = 0; i < view_ncols(view); i++)
		if (!strcasecmp(col, tviews[view].cols[i].name))
			return (int)i;
	return -1;
}

void view_state_init(view_state *vs)
{
	unsigned i;

	memset(vs, 0, sizeof(*vs));
	for (i = 0; i < VIEW_COUNT; i++) {
		vs->sort[i] = tviews[i].dflt;
		vs->cursor[i] = -1;
	}
}

/* ------------------------------------------------------------ sorting */

typedef struct skey {
	size_t idx;
	double num;
	char str[48];
} skey;

typedef struct sctx {
	int str, desc;
} sctx;

static int skey_cmp(const void *a, const void *b, void *arg)
{
	const skey *x = a, *y = b;
	const sctx *c = arg;
	int r;

	if (c->str)
		r = strcmp(x->str, y->str);
	else
		r = x->num < y->num ? -1 : x->num > y->num ? 1 : 0;
	if (c->desc)
		r = -r;
	if (!r)
		r = x->idx < y->idx ? -1 : x->idx > y->idx ? 1 : 0;
	return r;
}

/* The rows of a table view in display order; NULL when out of memory or
 * empty (*n then 0). The caller frees. */
static skey *view_sorted(unsigned view, const snap *s, const view_state *vs,
			 size_t *n)
{
	const tview *t = &tviews[view];
	unsigned col = vs->sort[view] < t->ncols ? vs->sort[view] : t->dflt;
	size_t cnt = t->count(s), i;
	skey *k;
	sctx c;

	*n = 0;
	if (!cnt)
		return NULL;
	k = calloc(cnt, sizeof(*k));
	if (!k)
		return NULL;
	c.str = t->cols[col].str;
	c.desc = t->cols[col].desc ^ (vs->rev[view] != 0);
	for (i = 0; i < cnt; i++) {
		k[i].idx = i;
		if (c.str) {
			t->cell(s, i, col, k[i].str, sizeof(k[i].str));
			/* the selection mark does not sort */
			if (k[i].str[0] == '*')
				memmove(k[i].str, k[i].str + 1,
					strlen(k[i].str));
		} else {
			k[i].num = t->num(s, i, col);
		}
	}
	qsort_r(k, cnt, sizeof(*k), skey_cmp, &c);
	*n = cnt;
	return k;
}

int view_row_key(unsigned view, const snap *s, const view_state *vs,
		 size_t i, uint64_t *key)
{
	size_t n;
	skey *k;
	int ok = 0;

	if (view != VIEW_LUNS && view != VIEW_OPS)
		return 0;
	k = view_sorted(view, s, vs, &n);
	if (k && i < n) {
		*key = s->rows[view == VIEW_LUNS ? SEL_LUNS : SEL_OPS][k[i].idx]
			       .key;
		ok = 1;
	}
	free(k);
	return ok;
}

/* ------------------------------------------------------------ layout */

/* Append text into a column of width w at *pos of line (len bytes). */
static void put_col(char *line, size_t len, size_t *pos, const char *text,
		    int w, int left, int first)
{
	int n;

	if (*pos >= len)
		return;
	n = snprintf(line + *pos, len - *pos, left ? "%s%-*s" : "%s%*s",
		     first ? "" : " ", w, text);
	if (n > 0)
		*pos += (size_t)n;
	if (*pos >= len)
		*pos = len - 1;
}

static void sort_desc(unsigned view, const view_state *vs, char *buf,
		      size_t len)
{
	unsigned col = vs->sort[view];
	int desc;

	if (!view_ncols(view)) {
		snprintf(buf, len, "-");
		return;
	}
	desc = view_col_desc(view, col) ^ (vs->rev[view] != 0);
	snprintf(buf, len, "%s %s", view_col_name(view, col),
		 desc ? "desc" : "asc");
}

static size_t render_table(unsigned view, const snap *s, const view_state *vs,
			   vout *o, int width, size_t rows_max)
{
	const tview *t = &tviews[view];
	char line[VLINE_MAX], cell[VLINE_MAX];
	size_t n, i, pos;
	skey *k;
	tline *l;
	unsigned c;

	pos = 0;
	line[0] = '\0';
	l = vout_add(o, VA_COLHDR, "%s", "");
	for (c = 0; c < t->ncols; c++) {
		size_t start = pos + (c ? 1 : 0);

		put_col(line, sizeof(line), &pos, t->cols[c].name,
			t->cols[c].width, t->cols[c].left, c == 0);
		if (c == vs->sort[view]) {
			l->hl_x = (int)start;
			l->hl_w = (int)(pos - start);
		}
	}
	snprintf(l->text, sizeof(l->text), "%s", line);

	k = view_sorted(view, s, vs, &n);
	for (i = 0; i < n && (!rows_max || i < rows_max); i++) {
		unsigned attr = t->attr(s, k[i].idx);

		pos = 0;
		line[0] = '\0';
		for (c = 0; c < t->ncols; c++) {
			int w = t->cols[c].width;

			t->cell(s, k[i].idx, c, cell, sizeof(cell));
			/* names longer than their column end in '+' */
			if (t->cols[c].left && w > 1 && c + 1 < t->ncols &&
			    strlen(cell) > (size_t)w) {
				cell[w - 1] = '+';
				cell[w] = '\0';
			}
			put_col(line, sizeof(line), &pos, cell,
				c + 1 == t->ncols && !t->cols[c].width ? 0 :
				t->cols[c].width, t->cols[c].left, c == 0);
		}
		/* no trailing blanks */
		while (pos > 0 && line[pos - 1] == ' ')
			line[--pos] = '\0';
		if (width > 0 && pos > (size_t)width)
			line[width] = '\0';
		if (vs->cursor[view] >= 0 && (size_t)vs->cursor[view] == i)
			attr |= VA_CURSOR;
		vout_add(o, attr, "%s", line);
	}
	free(k);
	return n;
}

/* Latency: power-of-two microsecond buckets, biolatency style. */
static void render_latency(const snap *s, vout *o)
{
	uint64_t cnt[64], maxc = 0, lo, hi;
	unsigned i, first = 64, last = 0;
	char a[16], b[16], c[16], d[16], e[16], f[16], g[16], bar[HIST_BAR + 1];
	char lun[24] = "all LUNs", op[48] = "all opcodes";
	const vscsi_hist *h = &s->lat;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < VSCSI_HIST_BUCKETS; i++) {
		uint64_t us;
		unsigned k;

		if (!h->bucket[i])
			continue;
		vscsi_hist_bucket_range(i, &lo, &hi);
		us = (lo + (hi - lo) / 2) / 1000u;
		k = us < 2 ? 0 : 63u - (unsigned)__builtin_clzll(us);
		cnt[k] += h->bucket[i];
	}
	for (i = 0; i < 64; i++) {
		if (!cnt[i])
			continue;
		if (first == 64)
			first = i;
		last = i;
		if (cnt[i] > maxc)
			maxc = cnt[i];
	}
	if (s->sel_lun)
		fmt_lun_key(lun, sizeof(lun), s->lun_key);
	if (s->sel_op)
		fmt_op_key(op, sizeof(op), s->op_key);
	vout_add(o, 0, "%s, %s%s: %" PRIu64 " completions", lun, op,
		 s->filter[0] ? ", filtered" : "", h->count);
	if (h->count) {
		fmt_ns(a, sizeof(a), vscsi_hist_mean(h));
		fmt_ns(b, sizeof(b), h->min);
		fmt_ns(c, sizeof(c), vscsi_hist_quantile(h, 0.5));
		fmt_ns(d, sizeof(d), vscsi_hist_quantile(h, 0.9));
		fmt_ns(e, sizeof(e), vscsi_hist_quantile(h, 0.99));
		fmt_ns(f, sizeof(f), vscsi_hist_quantile(h, 0.999));
		fmt_ns(g, sizeof(g), h->max);
		vout_add(o, 0, "avg %s  min %s  p50 %s  p90 %s  p99 %s  "
			 "p99.9 %s  max %s", a, b, c, d, e, f, g);
	}
	vout_add(o, VA_COLHDR, "%10s    %-10s : %-9s %s", "usecs", "",
		 "count", "distribution");
	if (first == 64)
		return;
	for (i = first; i <= last; i++) {
		unsigned stars = (unsigned)(cnt[i] * HIST_BAR / maxc), j;
		uint64_t from = i ? 1ull << i : 0;
		uint64_t to = (i < 63 ? (1ull << (i + 1)) : 0) - 1;

		for (j = 0; j < HIST_BAR; j++)
			bar[j] = j < stars ? '*' : ' ';
		bar[HIST_BAR] = '\0';
		vout_add(o, 0, "%10" PRIu64 " -> %-10" PRIu64 " : %-9" PRIu64
			 " |%s|", from, to, cnt[i], bar);
	}
}

size_t view_render(unsigned view, const snap *s, const view_state *vs,
		   vout *o, int with_title, int width, size_t rows_max)
{
	char sd[48];

	if (view >= VIEW_COUNT)
		return 0;
	if (with_title) {
		sort_desc(view, vs, sd, sizeof(sd));
		if (view_ncols(view))
			vout_add(o, VA_TITLE, "%u %s (sort %s)", view + 1,
				 view_name(view), sd);
		else
			vout_add(o, VA_TITLE, "%u %s", view + 1,
				 view_name(view));
	}
	if (view == VIEW_LATENCY) {
		render_latency(s, o);
		return 0;
	}
	if (view == VIEW_INFLIGHT)
		vout_add(o, 0, "%" PRIu64 " in flight%s, oldest first by "
			 "default", s->fl_match,
			 s->filter[0] || s->sel_lun ? " that match" : "");
	return render_table(view, s, vs, o, width, rows_max);
}

/* ------------------------------------------------------------ header */

static void fmt_uptime(char *buf, size_t len, uint64_t ns)
{
	uint64_t t = ns / 1000000000u;
	unsigned d = (unsigned)(t / 86400u);

	if (d)
		snprintf(buf, len, "%ud %u:%02u:%02u", d,
			 (unsigned)(t % 86400u / 3600u),
			 (unsigned)(t % 3600u / 60u), (unsigned)(t % 60u));
	else
		snprintf(buf, len, "%u:%02u:%02u", (unsigned)(t / 3600u),
			 (unsigned)(t % 3600u / 60u), (unsigned)(t % 60u));
}

void view_header(const snap *s, const view_state *vs, vout *o)
{
	char now[16], up[24], iops[16], r[16], w[16], rm[16], wm[16], rec[16];
	char lag[40], sd[48], lun[24], op[48], delay[16];

	if (s->now)
		fmt_clock(now, sizeof(now), s->now, 0);
	else
		snprintf(now, sizeof(now), "--:--:--");
	fmt_uptime(up, sizeof(up),
		   s->first_ts && s->now > s->first_ts ? s->now - s->first_ts :
							 0);
	vout_add(o, VA_HEADER, "vscsi-top  %s  up %s  %s%s%s%s", now, up,
		 s->source, s->state[0] ? "  " : "", s->state,
		 s->paused ? "  PAUSED" : "");

	fmt_rate(iops, sizeof(iops), s->iops);
	fmt_rate(r, sizeof(r), s->rps);
	fmt_rate(w, sizeof(w), s->wps);
	fmt_rate(rm, sizeof(rm), s->rmbs);
	fmt_rate(wm, sizeof(wm), s->wmbs);
	vout_add(o, VA_HEADER | (s->errors ? VA_WARN : 0),
		 "IOPS %s  read %s/s %s MB/s  write %s/s %s MB/s  inflight %"
		 PRIu64 "  err %" PRIu64, iops, r, rm, w, wm, s->inflight,
		 s->errors);

	fmt_rate(rec, sizeof(rec), s->rec_rate);
	if (s->data_clock)
		lag[0] = '\0';
	else if (s->have_lag) {
		char t[16];

		fmt_ns(t, sizeof(t), s->lag_max);
		snprintf(lag, sizeof(lag), "  behind %s", t);
	} else {
		snprintf(lag, sizeof(lag), "  behind 0");
	}
	vout_add(o, VA_HEADER | (s->lost || s->damaged || s->bad ? VA_WARN : 0),
		 "conns %" PRIu64 "  records %s/s  lost %" PRIu64 " (notes %"
		 PRIu64 ", gaps %" PRIu64 ")  damaged %" PRIu64 "%s",
		 s->conns, rec, s->lost, s->lost_notes, s->lost_gaps,
		 s->damaged + s->bad, lag);

	sort_desc(vs->cur, vs, sd, sizeof(sd));
	if (s->sel_lun)
		fmt_lun_key(lun, sizeof(lun), s->lun_key);
	else
		snprintf(lun, sizeof(lun), "all");
	if (s->sel_op)
		fmt_op_key(op, sizeof(op), s->op_key);
	else
		snprintf(op, sizeof(op), "all");
	snprintf(delay, sizeof(delay), "%g", s->delay);
	vout_add(o, VA_HEADER, "%s %ss | sort %s | lun %s | op %s | filter %s",
		 s->totals ? "totals, every" : "interval", delay, sd, lun, op,
		 s->filter[0] ? s->filter : "none");
}
