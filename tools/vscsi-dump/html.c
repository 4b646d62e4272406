/*
 * vscsi-dump --report: one self-contained HTML page of a capture: inline
 * SVG plots and the --stats tables, with no script, no style sheet or font
 * from elsewhere and no link out, so that it reads the same with no
 * network, mailed or attached to a ticket.
 *
 * The capture is read once. Commands are counted in time bins (at most
 * HTML_BINS; their width doubles, and pairs of bins merge, whenever the
 * capture outgrows them); latency and LBA points are kept as uniform
 * samples of bounded size (reservoir sampling with a fixed seed, so the
 * same capture gives the same page). The plots therefore have a bounded
 * number of points whatever the capture's size.
 *
 * Layout, fixed so that a test can find each plot in a screenshot of the
 * page at 1280 px wide (tests/report/run.sh): a header block HTML_HEAD_H
 * high, then HTML_NFIG figures, each an SVG HTML_FIG_W x HTML_FIG_H at
 * x = HTML_MARGIN, one below the other, each with its plot area (data only;
 * titles, legends and axis labels are outside it) at HTML_PX0..HTML_PX1,
 * HTML_PY0..HTML_PY1 within the figure; then the tables. Figures, in order:
 * IOPS, MB/s, latency over time, latency histograms, queue depth, LBA,
 * errors. Data is drawn in saturated colours; frames, grids and text in
 * greys.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"

#define HTML_MARGIN 20
#define HTML_HEAD_H 100
#define HTML_FIG_W 1240
#define HTML_FIG_H 360
#define HTML_PX0 80
#define HTML_PX1 1220
#define HTML_PY0 52
#define HTML_PY1 310
#define HTML_NFIG 7

#define HTML_BINS 512u		/* time bins */
#define HTML_BIN0_NS 1000u	/* the first bin width; doubles as needed */
#define HTML_NS 9u		/* series: 8 LUNs and "other" */
#define HTML_OTHER (HTML_NS - 1u)
#define HTML_LB 168u		/* latency buckets of a bin: 4 per octave */
#define HTML_PTS 3000u		/* latency points */
#define HTML_LBA_LUNS 4u	/* LBA panels */
#define HTML_LBA_PTS 1500u	/* points per LBA panel */
#define HTML_OPS 8u		/* histogram panels */
#define HTML_LOSS_MAX 64u	/* loss markers */

/* Intervals drawn (bins are merged to at most this many). */
#define HTML_IV_RATE 240u
#define HTML_IV_PCT 60u
#define HTML_IV_ERR 120u

enum { HTML_E_CHECK, HTML_E_STATUS, HTML_E_RESPONSE, HTML_E_N };

static const char *const html_series_color[HTML_NS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22",
};
/* by enum vscsi_op_class: other, read, write, flush, unmap */
static const char *const html_class_color[5] = {
	"#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
};
static const char *const html_err_color[HTML_E_N] = {
	"#d62728", "#ff7f0e", "#9467bd",
};
static const char *const html_err_name[HTML_E_N] = {
	"CHECK CONDITION", "other SCSI status", "virtio response not OK",
};

typedef struct html_bin {
	uint32_t ios[HTML_NS];		/* completions */
	uint64_t rbytes[HTML_NS], wbytes[HTML_NS];
	double qd[HTML_NS];		/* commands in flight x ns */
	uint32_t err[HTML_E_N];
	uint32_t lat[HTML_LB];		/* completion latency */
} html_bin;

typedef struct html_pt {
	double t;		/* s since the first record */
	double v;		/* latency ns, or LBA */
	unsigned cls;		/* enum vscsi_op_class */
} html_pt;

/* A uniform sample of at most cap points. */
typedef struct html_res {
	html_pt *pt;
	size_t n, cap;
	uint64_t seen;
} html_res;

typedef struct html_series {
	uint32_t key;		/* target << 16 | lun */
	uint64_t ios;
	uint32_t block;		/* block size known, or 0 */
	int from_capacity;
	uint64_t capacity;	/* blocks (READ CAPACITY), or 0 */
	uint64_t max_end;	/* highest LBA + blocks seen */
	html_res lba;		/* the first HTML_LBA_LUNS series */
} html_series;

typedef struct html_loss {
	double t;
	uint64_t count;
} html_loss;

typedef struct html_state {
	const dump_opts *o;
	int have_t0;
	uint64_t t0;
	uint64_t last;		/* last record, ns since t0 */
	uint64_t w;		/* bin width, ns */
	unsigned nb;		/* bins in use */
	html_bin *bins;
	html_series series[HTML_NS];
	unsigned nseries;	/* LUN series made (<= HTML_OTHER) */
	int other_used;
	html_res lat;
	uint64_t rng;
	vscsi_stats *stats;
	html_loss loss[HTML_LOSS_MAX];
	unsigned nloss;
	uint64_t cmds, errors, inflight_end;
	uint8_t op_class[256];	/* by opcode, as last seen */
} html_state;

/* ---------------------------------------------------------------- data */

static uint64_t html_rand(html_state *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 2685821657736338717ull;
}

static int html_res_init(html_res *r, size_t cap)
{
	r->pt = calloc(cap, sizeof(*r->pt));
	r->cap = cap;
	r->n = 0;
	r->seen = 0;
	return r->pt ? 0 : -1;
}

static void html_res_add(html_state *h, html_res *r, double t, double v,
			 unsigned cls)
{
	html_pt p;
	uint64_t j;

	p.t = t;
	p.v = v;
	p.cls = cls;
	r->seen++;
	if (r->n < r->cap) {
		r->pt[r->n++] = p;
		return;
	}
	j = html_rand(h) % r->seen;
	if (j < r->cap)
		r->pt[j] = p;
}

/* Make room for time t (ns since t0): merge pairs of bins until it fits. */
static void html_grow(html_state *h, uint64_t t)
{
	unsigned i, k;

	while (t / h->w >= HTML_BINS) {
		for (i = 0; i < HTML_BINS / 2; i++) {
			html_bin *d = &h->bins[i];
			const html_bin *a = &h->bins[2 * i],
				       *b = &h->bins[2 * i + 1];
			html_bin m;

			for (k = 0; k < HTML_NS; k++) {
				m.ios[k] = a->ios[k] + b->ios[k];
				m.rbytes[k] = a->rbytes[k] + b->rbytes[k];
				m.wbytes[k] = a->wbytes[k] + b->wbytes[k];
				m.qd[k] = a->qd[k] + b->qd[k];
			}
			for (k = 0; k < HTML_E_N; k++)
				m.err[k] = a->err[k] + b->err[k];
			for (k = 0; k < HTML_LB; k++)
				m.lat[k] = a->lat[k] + b->lat[k];
			*d = m;
		}
		memset(&h->bins[HTML_BINS / 2], 0,
		       HTML_BINS / 2 * sizeof(h->bins[0]));
		h->w *= 2;
		h->nb = (h->nb + 1) / 2;
	}
	if (t / h->w + 1 > h->nb)
		h->nb = (unsigned)(t / h->w + 1);
}

static unsigned html_lat_bucket(uint64_t ns)
{
	double b = ns ? 4.0 * log2((double)ns) : 0;
	unsigned i = b > 0 ? (unsigned)b : 0;

	return i < HTML_LB ? i : HTML_LB - 1;
}

/* The latency a bucket stands for: its geometric middle. */
static double html_lat_value(unsigned i)
{
	return pow(2.0, ((double)i + 0.5) / 4.0);
}

/*
 * The series of a LUN key; a ninth LUN and the rest share "other", and so
 * do the LUNs that never answered OK (a guest's scan of targets that are
 * not there: BAD_TARGET), so that they take no colour of their own.
 */
static unsigned html_series_of(html_state *h, const vscsi_io *io)
{
	uint32_t key;
	unsigned i;

	if (!(io->has & VSCSI_IO_HAS_LUN) || io->lun_kind != VSCSI_LUN_NORMAL) {
		h->other_used = 1;
		return HTML_OTHER;
	}
	key = (uint32_t)io->target << 16 | io->lun;
	for (i = 0; i < h->nseries; i++)
		if (h->series[i].key == key)
			return i;
	if (h->nseries == HTML_OTHER ||
	    ((io->has & VSCSI_IO_HAS_RESP) && io->response != VSCSI_S_OK)) {
		h->other_used = 1;
		return HTML_OTHER;
	}
	h->series[h->nseries].key = key;
	if (h->nseries < HTML_LBA_LUNS &&
	    html_res_init(&h->series[h->nseries].lba, HTML_LBA_PTS))
		h->series[h->nseries].lba.cap = 0;
	return h->nseries++;
}

/* Commands in flight on series s from a to b (ns since t0). */
static void html_inflight(html_state *h, unsigned s, uint64_t a, uint64_t b)
{
	uint64_t i;

	if (b <= a)
		return;
	html_grow(h, b);
	for (i = a / h->w; i <= (b - 1) / h->w && i < HTML_BINS; i++) {
		uint64_t lo = i * h->w, hi = lo + h->w;

		if (lo < a)
			lo = a;
		if (hi > b)
			hi = b;
		h->bins[i].qd[s] += (double)(hi - lo);
	}
}

static void html_cmd_done(html_state *h, const vscsi_cap_rec *rec,
			  const capio_ev *ev)
{
	const vscsi_io *io = &ev->io;
	unsigned s = html_series_of(h, io);
	uint64_t t = io->ts_ns > h->t0 ? io->ts_ns - h->t0 : 0;
	html_series *se = &h->series[s];
	double ts = (double)t / 1e9;
	html_bin *b;
	uint32_t block;
	uint64_t blocks;

	html_grow(h, t);
	b = &h->bins[t / h->w];
	h->cmds++;
	se->ios++;
	if (io->has & VSCSI_IO_HAS_CDB)
		h->op_class[io->opcode] = io->op_class < 5 ? io->op_class : 0;
	b->ios[s]++;
	if (io->op_class == VSCSI_OPC_READ)
		b->rbytes[s] += io->bytes_in;
	else if (io->op_class == VSCSI_OPC_WRITE)
		b->wbytes[s] += io->bytes_out;
	if (vscsi_io_is_error(io)) {
		h->errors++;
		if (io->response != VSCSI_S_OK)
			b->err[HTML_E_RESPONSE]++;
		else if (io->status == 0x02)
			b->err[HTML_E_CHECK]++;
		else
			b->err[HTML_E_STATUS]++;
	}
	if (io->has & VSCSI_IO_HAS_LATENCY) {
		b->lat[html_lat_bucket(io->latency_ns)]++;
		html_res_add(h, &h->lat, ts, (double)(io->latency_ns ?
						      io->latency_ns : 1),
			     io->op_class);
		if (io->ts_submit_ns >= h->t0)
			html_inflight(h, s, io->ts_submit_ns - h->t0, t);
	}
	if (s == HTML_OTHER)
		return;
	if (dump_capacity(rec, ev, &block, &blocks)) {
		se->block = block;
		se->capacity = blocks;
		se->from_capacity = 1;
	} else if (!se->from_capacity && !se->block) {
		se->block = dump_block_guess(io);
	}
	if ((io->has & VSCSI_IO_HAS_LBA) && !vscsi_io_is_error(io) &&
	    (io->op_class != VSCSI_OPC_OTHER)) {
		uint64_t n = (io->has & VSCSI_IO_HAS_LEN) ? io->xfer_len : 0;

		if (io->op_class == VSCSI_OPC_FLUSH && !n)
			return;		/* the whole LUN: no place */
		if (io->lba + n > se->max_end)
			se->max_end = io->lba + n;
		if (se->lba.cap)
			html_res_add(h, &se->lba, ts, (double)io->lba,
				     io->op_class);
	}
}

static int html_rec(void *arg, const vscsi_cap_rec *rec, const capio_ev *ev,
		    int rc)
{
	html_state *h = arg;

	if (!h->have_t0) {
		h->have_t0 = 1;
		h->t0 = rec->ts_ns;
	}
	h->last = rec->ts_ns > h->t0 ? rec->ts_ns - h->t0 : 0;
	html_grow(h, h->last);
	if (rec->type == VSCSI_REC_LOSS && h->nloss < HTML_LOSS_MAX) {
		h->loss[h->nloss].t = (double)h->last / 1e9;
		h->loss[h->nloss++].count = rec->loss.count;
	}
	if (rc != 1 || (ev->kind != CAPIO_CMD_REQ && ev->kind != CAPIO_CMD_RESP))
		return 0;
	if (h->o->filter && !vscsi_filter_match(h->o->filter, &ev->io))
		return 0;
	vscsi_stats_add(h->stats, &ev->io);
	if (ev->kind == CAPIO_CMD_RESP)
		html_cmd_done(h, rec, ev);
	return 0;
}

/* A command still in flight at the end: in flight until the last record. */
static void html_open_end(void *arg, const vscsi_inflight *in)
{
	html_state *h = arg;
	vscsi_io io;

	if (in->is_ctrl || in->ts_ns < h->t0)
		return;
	vscsi_io_from_request(&io, in->key.conn, in->key.vq, in->key.head,
			      in->ts_ns, &in->req.cmd);
	if (h->o->filter && !vscsi_filter_match(h->o->filter, &io))
		return;
	h->inflight_end++;
	html_inflight(h, html_series_of(h, &io), in->ts_ns - h->t0, h->last);
}

/* ---------------------------------------------------------------- text */

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* control bytes would make the page invalid */
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void html_lun_name(char *buf, size_t len, uint32_t key)
{
	snprintf(buf, len, "%u:%u", (unsigned)(key >> 16 & 0xff),
		 (unsigned)(key & 0xffff));
}

static void html_series_name(const html_state *h, unsigned s, char *buf,
			     size_t len)
{
	if (s == HTML_OTHER)
		snprintf(buf, len, "other");
	else
		html_lun_name(buf, len, h->series[s].key);
}

/* A duration for a tick or a cell: "10 µs", "1.5 ms", "2 s". */
static void html_dur(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%g ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%g µs", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%g ms", ns / 1e6);
	else
		snprintf(buf, len, "%g s", ns / 1e9);
}

/* A number for an axis whose ticks are step apart. */
static void html_num(char *buf, size_t len, double v, double step)
{
	int dec = 0;

	if (fabs(v) < fabs(step) * 1e-6)
		v = 0;		/* no "-0.0" */
	if (fabs(v) >= 1e6 && step >= 1e5) {
		html_num(buf, len, v / 1e6, step / 1e6);
		strncat(buf, "M", len - strlen(buf) - 1);
		return;
	}
	if (fabs(v) >= 1e4 && step >= 1e3) {
		html_num(buf, len, v / 1e3, step / 1e3);
		strncat(buf, "k", len - strlen(buf) - 1);
		return;
	}
	if (step > 0 && step < 1)
		dec = (int)ceil(-log10(step) - 1e-9);
	if (dec > 9)
		dec = 9;
	snprintf(buf, len, "%.*f", dec, v);
}

/* ---------------------------------------------------------------- axes */

typedef struct html_axis {
	double lo, hi;		/* values */
	double p0, p1;		/* pixels of lo and hi */
	int log;		/* log10 scale */
} html_axis;

static double html_map(const html_axis *a, double v)
{
	double f;

	if (a->log) {
		double l = log10(a->lo), u = log10(a->hi);

		f = ((v > 0 ? log10(v) : l) - l) / (u - l);
	} else {
		f = (v - a->lo) / (a->hi - a->lo);
	}
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return a->p0 + f * (a->p1 - a->p0);
}

/* A 1-2-5 step giving about n ticks over span. */
static double html_step(double span, int n)
{
	double raw = span / n, mag, r;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

/* A linear axis from 0 (or lo) to a round value above hi. */
static void html_axis_lin(html_axis *a, double lo, double hi, double p0,
			  double p1)
{
	double step;

	if (!(hi > lo))
		hi = lo + 1;
	step = html_step(hi - lo, 5);
	a->lo = lo;
	a->hi = ceil(hi / step - 1e-9) * step;
	if (a->hi <= lo)
		a->hi = lo + step;
	a->p0 = p0;
	a->p1 = p1;
	a->log = 0;
}

/* A log axis over whole decades around [lo, hi]. */
static void html_axis_log(html_axis *a, double lo, double hi, double p0,
			  double p1)
{
	if (!(lo > 0))
		lo = 1;
	if (!(hi > lo))
		hi = lo * 10;
	a->lo = pow(10, floor(log10(lo) + 1e-9));
	a->hi = pow(10, ceil(log10(hi) - 1e-9));
	if (a->hi <= a->lo)
		a->hi = a->lo * 10;
	a->p0 = p0;
	a->p1 = p1;
	a->log = 1;
}

enum html_unit { HTML_U_NUM, HTML_U_DUR, HTML_U_BYTES };

static void html_tick_label(char *buf, size_t len, double v, double step,
			    int unit, double scale)
{
	if (unit == HTML_U_DUR)
		html_dur(buf, len, v);
	else if (unit == HTML_U_BYTES)
		html_num(buf, len, v / scale, step / scale);
	else
		html_num(buf, len, v, step);
}

/* Ticks, grid lines and labels of a horizontal (x) axis at y = base. */
static void html_xaxis(FILE *f, const html_axis *a, double y0, double y1,
		       int unit, const char *label)
{
	double step, v;
	char buf[48];

	fprintf(f, "<g class=\"ax\">");
	if (a->log) {
		for (v = a->lo; v <= a->hi * 1.0001; v *= 10) {
			double x = html_map(a, v);

			html_tick_label(buf, sizeof(buf), v, v, unit, 1);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" "
				"y=\"%.1f\" text-anchor=\"middle\">%s</text>",
				x, y0, x, y1, x, y1 + 15, buf);
		}
	} else {
		step = html_step(a->hi - a->lo, 8);
		for (v = ceil(a->lo / step - 1e-9) * step;
		     v <= a->hi + step * 1e-6; v += step) {
			double x = html_map(a, v);

			html_tick_label(buf, sizeof(buf), v, step, unit, 1);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" "
				"y=\"%.1f\" text-anchor=\"middle\">%s</text>",
				x, y0, x, y1, x, y1 + 15, buf);
		}
	}
	if (label)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"class=\"lab\">%s</text>", (a->p0 + a->p1) / 2,
			y1 + 32, label);
	fprintf(f, "</g>\n");
}

/* The same for a vertical (y) axis between x0 and x1. */
static void html_yaxis(FILE *f, const html_axis *a, double x0, double x1,
		       int unit, double scale, const char *label)
{
	double step, v;
	char buf[48];

	fprintf(f, "<g class=\"ax\">");
	if (a->log) {
		double dec = log10(a->hi / a->lo);
		int every = dec > 6 ? 2 : 1, k = 0;

		for (v = a->lo; v <= a->hi * 1.0001; v *= 10, k++) {
			double y = html_map(a, v);

			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" class=\"grid\"/>", x0, y, x1, y);
			if (k % every)
				continue;
			html_tick_label(buf, sizeof(buf), v, v, unit, scale);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"end\">%s</text>", x0 - 5, y + 4,
				buf);
		}
	} else {
		/* round steps in the unit shown */
		step = html_step((a->hi - a->lo) / scale, 5) * scale;
		for (v = ceil(a->lo / step - 1e-9) * step;
		     v <= a->hi + step * 1e-6; v += step) {
			double y = html_map(a, v);

			html_tick_label(buf, sizeof(buf), v, step, unit, scale);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" "
				"y=\"%.1f\" text-anchor=\"end\">%s</text>",
				x0, y, x1, y, x0 - 5, y + 4, buf);
		}
	}
	if (label)
		fprintf(f, "<text transform=\"translate(%.1f %.1f) "
			"rotate(-90)\" text-anchor=\"middle\" class=\"lab\">"
			"%s</text>", x0 - 52, (a->p0 + a->p1) / 2, label);
	fprintf(f, "</g>\n");
}

static void html_frame(FILE *f, double x0, double y0, double x1, double y1)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" class=\"frame\"/>\n", x0, y0, x1 - x0,
		y1 - y0);
}

/* ---------------------------------------------------------------- figures */

typedef struct html_legend {
	const char *color;
	const char *name;
	int dashed;		/* 1: a dashed line; 2: a dot */
} html_legend;

static void html_fig_begin(FILE *f, const char *id, const char *title,
			   const html_legend *lg, unsigned n, const char *note)
{
	double x = HTML_PX0;
	unsigned i;

	fprintf(f, "<svg id=\"%s\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\">\n<title>", id,
		HTML_FIG_W, HTML_FIG_H, HTML_FIG_W, HTML_FIG_H);
	html_esc(f, title);
	fprintf(f, "</title><rect width=\"%d\" height=\"%d\" class=\"bg\"/>"
		"<text x=\"10\" y=\"22\" class=\"title\">", HTML_FIG_W,
		HTML_FIG_H);
	html_esc(f, title);
	fprintf(f, "</text>\n<g class=\"legend\">");
	for (i = 0; i < n; i++) {
		if (lg[i].dashed == 2)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"37\" r=\"4\" "
				"fill=\"%s\"/>", x + 6, lg[i].color);
		else
			fprintf(f, "<line x1=\"%.1f\" y1=\"37\" x2=\"%.1f\" "
				"y2=\"37\" stroke=\"%s\" stroke-width=\"3\"%s/>",
				x, x + 18, lg[i].color, lg[i].dashed ?
				" stroke-dasharray=\"5 3\"" : "");
		fprintf(f, "<text x=\"%.1f\" y=\"41\">", x + 23);
		html_esc(f, lg[i].name);
		fprintf(f, "</text>");
		x += 35 + 7.2 * (double)strlen(lg[i].name);
	}
	if (note) {
		fprintf(f, "<text x=\"%d\" y=\"41\" text-anchor=\"end\" "
			"class=\"note\">", HTML_PX1);
		html_esc(f, note);
		fprintf(f, "</text>");
	}
	fprintf(f, "</g>\n");
}

static void html_fig_empty(FILE *f, const char *what)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		"class=\"empty\">", (HTML_PX0 + HTML_PX1) / 2,
		(HTML_PY0 + HTML_PY1) / 2);
	html_esc(f, what);
	fprintf(f, "</text>\n");
}

static void html_fig_end(FILE *f)
{
	fputs("</svg>\n", f);
}

/* How many bins make one drawn interval, for at most max intervals. */
static unsigned html_merge(const html_state *h, unsigned max)
{
	unsigned m = (h->nb + max - 1) / max;

	return m ? m : 1;
}

/* The time axis: the whole capture. */
static void html_time_axis(const html_state *h, html_axis *a, double p0,
			   double p1)
{
	double end = (double)h->nb * (double)h->w / 1e9;
	double last = (double)h->last / 1e9;

	html_axis_lin(a, 0, last > 0 ? last : end, p0, p1);
	/* the plot ends with the capture, not at the next round tick */
	if (last > 0)
		a->hi = last;
}

/* A series over the intervals: value(interval) for each, as a polyline. */
typedef double (*html_value_fn)(const html_state *h, unsigned s,
				unsigned first, unsigned n);

static double html_v_iops(const html_state *h, unsigned s, unsigned first,
			  unsigned n)
{
	double sum = 0;
	unsigned i;

	for (i = first; i < first + n && i < h->nb; i++)
		sum += s == HTML_NS ? 0 : h->bins[i].ios[s];
	if (s == HTML_NS)
		for (i = first; i < first + n && i < h->nb; i++) {
			unsigned k;

			for (k = 0; k < HTML_NS; k++)
				sum += h->bins[i].ios[k];
		}
	return sum / ((double)n * (double)h->w / 1e9);
}

static double html_v_rd(const html_state *h, unsigned s, unsigned first,
			unsigned n)
{
	double sum = 0;
	unsigned i;

	for (i = first; i < first + n && i < h->nb; i++)
		sum += (double)h->bins[i].rbytes[s];
	return sum / 1e6 / ((double)n * (double)h->w / 1e9);
}

static double html_v_wr(const html_state *h, unsigned s, unsigned first,
			unsigned n)
{
	double sum = 0;
	unsigned i;

	for (i = first; i < first + n && i < h->nb; i++)
		sum += (double)h->bins[i].wbytes[s];
	return sum / 1e6 / ((double)n * (double)h->w / 1e9);
}

static double html_v_qd(const html_state *h, unsigned s, unsigned first,
			unsigned n)
{
	double sum = 0;
	unsigned i, k;

	for (i = first; i < first + n && i < h->nb; i++) {
		if (s < HTML_NS) {
			sum += h->bins[i].qd[s];
			continue;
		}
		for (k = 0; k < HTML_NS; k++)
			sum += h->bins[i].qd[k];
	}
	return sum / ((double)n * (double)h->w);
}

static int html_series_used(const html_state *h, unsigned s)
{
	return s < h->nseries || (s == HTML_OTHER && h->other_used);
}

/* The legend of the LUN series (and "all" when there are several). */
static unsigned html_lun_legend(const html_state *h, html_legend *lg,
				char names[][24], int with_all)
{
	unsigned s, n = 0, used = 0;

	for (s = 0; s < HTML_NS; s++) {
		if (!html_series_used(h, s))
			continue;
		used++;
		html_series_name(h, s, names[n], 24);
		if (s != HTML_OTHER) {
			char tmp[24];

			snprintf(tmp, sizeof(tmp), "LUN %s", names[n]);
			snprintf(names[n], 24, "%s", tmp);
		}
		lg[n].color = html_series_color[s];
		lg[n].name = names[n];
		lg[n].dashed = 0;
		n++;
	}
	if (with_all && used > 1) {
		lg[n].color = "#000";
		lg[n].name = "all";
		lg[n].dashed = 0;
		n++;
	}
	return n;
}

static double html_series_max(const html_state *h, html_value_fn fn,
			      unsigned s, unsigned m)
{
	double mx = 0, v;
	unsigned i;

	for (i = 0; i < h->nb; i += m) {
		v = fn(h, s, i, m);
		if (v > mx)
			mx = v;
	}
	return mx;
}

static void html_polyline(FILE *f, const html_state *h, html_value_fn fn,
			  unsigned s, unsigned m, const html_axis *x,
			  const html_axis *y, const char *color, int dashed,
			  double width)
{
	unsigned i;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width="
		"\"%.1f\"%s stroke-linejoin=\"round\" points=\"", color, width,
		dashed ? " stroke-dasharray=\"5 3\"" : "");
	for (i = 0; i < h->nb; i += m) {
		unsigned n = i + m <= h->nb ? m : h->nb - i;
		double t = ((double)i + (double)n / 2) * (double)h->w / 1e9;

		fprintf(f, "%s%.1f,%.1f", i ? " " : "", html_map(x, t),
			html_map(y, fn(h, s, i, m)));
	}
	fprintf(f, "\"/>\n");
}

/* IOPS, MB/s or queue depth per LUN over time. */
static void html_fig_rate(FILE *f, const html_state *h, const char *id,
			  const char *title, const char *ylabel,
			  html_value_fn fn, html_value_fn fn2, int with_all)
{
	html_legend lg[HTML_NS + 3];
	char names[HTML_NS + 1][24];
	unsigned n = html_lun_legend(h, lg, names, with_all && !fn2), s;
	unsigned m = html_merge(h, HTML_IV_RATE), used = 0;
	html_axis x, y;
	double mx = 0, v;
	char note[96];

	if (fn2) {
		lg[n].color = "#555";
		lg[n].name = "read";
		lg[n++].dashed = 0;
		lg[n].color = "#555";
		lg[n].name = "write";
		lg[n++].dashed = 1;
	}
	snprintf(note, sizeof(note), "per %g ms",
		 (double)m * (double)h->w / 1e6);
	html_fig_begin(f, id, title, lg, n, note);
	html_time_axis(h, &x, HTML_PX0, HTML_PX1);
	for (s = 0; s < HTML_NS; s++) {
		if (!html_series_used(h, s))
			continue;
		used++;
		v = html_series_max(h, fn, s, m);
		if (v > mx)
			mx = v;
		if (fn2 && (v = html_series_max(h, fn2, s, m)) > mx)
			mx = v;
	}
	if (with_all && !fn2 && used > 1 &&
	    (v = html_series_max(h, fn, HTML_NS, m)) > mx)
		mx = v;
	html_axis_lin(&y, 0, mx, HTML_PY1, HTML_PY0);
	html_frame(f, HTML_PX0, HTML_PY0, HTML_PX1, HTML_PY1);
	html_yaxis(f, &y, HTML_PX0, HTML_PX1, HTML_U_NUM, 1, ylabel);
	html_xaxis(f, &x, HTML_PY0, HTML_PY1, HTML_U_NUM,
		   "time since the first record (s)");
	if (!h->cmds) {
		html_fig_empty(f, "no commands completed");
		html_fig_end(f);
		return;
	}
	for (s = 0; s < HTML_NS; s++) {
		if (!html_series_used(h, s))
			continue;
		html_polyline(f, h, fn, s, m, &x, &y, html_series_color[s], 0,
			      1.6);
		if (fn2)
			html_polyline(f, h, fn2, s, m, &x, &y,
				      html_series_color[s], 1, 1.6);
	}
	if (with_all && !fn2 && used > 1)
		html_polyline(f, h, fn, HTML_NS, m, &x, &y, "#000", 0, 1.2);
	html_fig_end(f);
}

/* Points as zero-length round-capped segments: one path per colour. */
static void html_points(FILE *f, const html_pt *pt, size_t n,
			const html_axis *x, const html_axis *y,
			const char *const *colors, unsigned ncolors,
			double size)
{
	unsigned c;
	size_t i;

	for (c = 0; c < ncolors; c++) {
		int any = 0;

		for (i = 0; i < n; i++) {
			if (pt[i].cls != c)
				continue;
			if (!any)
				fprintf(f, "<path fill=\"none\" stroke=\"%s\" "
					"stroke-width=\"%.1f\" stroke-linecap="
					"\"round\" stroke-opacity=\"0.75\" d=\"",
					colors[c], size);
			any = 1;
			fprintf(f, "M%.1f %.1fh0", html_map(x, pt[i].t),
				html_map(y, pt[i].v));
		}
		if (any)
			fprintf(f, "\"/>\n");
	}
}

static double html_quantile(const uint32_t *lat, double q)
{
	uint64_t total = 0, acc = 0, want;
	unsigned i;

	for (i = 0; i < HTML_LB; i++)
		total += lat[i];
	if (!total)
		return 0;
	want = (uint64_t)ceil(q * (double)total);
	if (!want)
		want = 1;
	for (i = 0; i < HTML_LB; i++) {
		acc += lat[i];
		if (acc >= want)
			return html_lat_value(i);
	}
	return html_lat_value(HTML_LB - 1);
}

/* p50 or p99 per interval, broken where an interval has no completion. */
static void html_pct_line(FILE *f, const html_state *h, double q,
			  const html_axis *x, const html_axis *y,
			  const char *color, int dashed)
{
	unsigned m = html_merge(h, HTML_IV_PCT), i, k, b;
	uint32_t lat[HTML_LB];
	int pen = 0;

	fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"%s "
		"d=\"", color, dashed ? " stroke-dasharray=\"6 3\"" : "");
	for (i = 0; i < h->nb; i += m) {
		unsigned n = i + m <= h->nb ? m : h->nb - i;
		double v, t0 = (double)i * (double)h->w / 1e9,
			  t1 = (double)(i + n) * (double)h->w / 1e9;

		memset(lat, 0, sizeof(lat));
		for (b = i; b < i + n; b++)
			for (k = 0; k < HTML_LB; k++)
				lat[k] += h->bins[b].lat[k];
		v = html_quantile(lat, q);
		if (v <= 0) {
			pen = 0;
			continue;
		}
		/* a step over the interval */
		fprintf(f, "%c%.1f %.1fL%.1f %.1f", pen ? 'L' : 'M',
			html_map(x, t0), html_map(y, v), html_map(x, t1),
			html_map(y, v));
		pen = 1;
	}
	fprintf(f, "\"/>\n");
}

static void html_fig_latency(FILE *f, const html_state *h)
{
	static const html_legend lg[] = {
		{ "#1f77b4", "read", 2 },  { "#ff7f0e", "write", 2 },
		{ "#2ca02c", "flush", 2 }, { "#9467bd", "unmap", 2 },
		{ "#7f7f7f", "other", 2 }, { "#000", "p50", 0 },
		{ "#d62728", "p99", 1 },
	};
	html_axis x, y;
	double lo = 0, hi = 0;
	char note[128];
	size_t i;

	snprintf(note, sizeof(note), "%zu of %" PRIu64 " completions drawn; "
		 "p50 and p99 per %g ms", h->lat.n, h->lat.seen,
		 (double)html_merge(h, HTML_IV_PCT) * (double)h->w / 1e6);
	html_fig_begin(f, "latency", "Latency over time (completions)", lg,
		       sizeof(lg) / sizeof(lg[0]), note);
	for (i = 0; i < h->lat.n; i++) {
		double v = h->lat.pt[i].v;

		if (!lo || v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	html_time_axis(h, &x, HTML_PX0, HTML_PX1);
	html_axis_log(&y, lo, hi, HTML_PY1, HTML_PY0);
	html_frame(f, HTML_PX0, HTML_PY0, HTML_PX1, HTML_PY1);
	html_yaxis(f, &y, HTML_PX0, HTML_PX1, HTML_U_DUR, 1, "latency");
	html_xaxis(f, &x, HTML_PY0, HTML_PY1, HTML_U_NUM,
		   "time since the first record (s)");
	if (!h->lat.n) {
		html_fig_empty(f, "no completion paired with its request");
		html_fig_end(f);
		return;
	}
	html_points(f, h->lat.pt, h->lat.n, &x, &y, html_class_color, 5, 4);
	html_pct_line(f, h, 0.50, &x, &y, "#000", 0);
	html_pct_line(f, h, 0.99, &x, &y, "#d62728", 1);
	html_fig_end(f);
}

/* Latency histograms of the busiest commands, log buckets (4 a decade). */
#define HTML_HB 4.0

static void html_fig_hist(FILE *f, const html_state *h)
{
	const vscsi_stats_row *rows, *top[HTML_OPS];
	size_t nrows = vscsi_stats_rows(h->stats, VSCSI_GROUP_OPCODE, &rows);
	unsigned ntop = 0, i, j, cols, nrow;
	double lo = 0, hi = 0;
	html_axis x;
	char note[128];

	/* the busiest HTML_OPS commands with a latency, busiest first */
	for (i = 0; i < nrows; i++) {
		const vscsi_stats_row *r = &rows[i];

		if (!r->lat.count)
			continue;
		for (j = ntop; j > 0 && top[j - 1]->lat.count < r->lat.count;
		     j--)
			if (j < HTML_OPS)
				top[j] = top[j - 1];
		if (j < HTML_OPS) {
			top[j] = r;
			if (ntop < HTML_OPS)
				ntop++;
		}
	}
	for (i = 0; i < ntop; i++) {
		if (!lo || (double)top[i]->lat.min < lo)
			lo = (double)(top[i]->lat.min ? top[i]->lat.min : 1);
		if ((double)top[i]->lat.max > hi)
			hi = (double)top[i]->lat.max;
	}
	snprintf(note, sizeof(note), "%.0f buckets a decade; bar height: "
		 "share of the command's completions", HTML_HB);
	html_fig_begin(f, "histogram", "Latency histogram per command", NULL,
		       0, note);
	if (!ntop) {
		html_frame(f, HTML_PX0, HTML_PY0, HTML_PX1, HTML_PY1);
		html_fig_empty(f, "no completion paired with its request");
		html_fig_end(f);
		return;
	}
	html_axis_log(&x, lo, hi * 1.01, 0, 1);
	cols = ntop < 4 ? ntop : 4;
	nrow = (ntop + cols - 1) / cols;
	for (i = 0; i < ntop; i++) {
		const vscsi_stats_row *r = top[i];
		double pw = (double)(HTML_PX1 - HTML_PX0 + 50) / cols;
		double ph = (double)(HTML_PY1 - HTML_PY0 + 40) / nrow;
		double x0 = HTML_PX0 + (i % cols) * pw, x1 = x0 + pw - 50;
		double y0 = HTML_PY0 + (i / cols) * ph + 16,
		       y1 = y0 + ph - 40 - 16;
		unsigned nb = (unsigned)(HTML_HB * log10(x.hi / x.lo) + 0.5);
		uint64_t cnt[64], mx = 0;
		unsigned op = (unsigned)(r->key >> 16), sa = r->key & 0xffff;
		const char *name = vscsi_cdb_name((uint8_t)op, (uint16_t)sa,
						  sa != 0xffff);
		unsigned k, cls = 0;
		char p50[24], p99[24];
		html_axis px, py;

		if (nb > 64)
			nb = 64;
		memset(cnt, 0, sizeof(cnt));
		for (k = 0; k < VSCSI_HIST_BUCKETS; k++) {
			uint64_t blo, bhi;
			double mid;
			int b;

			if (!r->lat.bucket[k])
				continue;
			vscsi_hist_bucket_range(k, &blo, &bhi);
			mid = ((double)blo + (double)bhi) / 2;
			if (mid < 1)
				mid = 1;
			b = (int)floor(HTML_HB * log10(mid / x.lo));
			if (b < 0)
				b = 0;
			if (b >= (int)nb)
				b = (int)nb - 1;
			cnt[b] += r->lat.bucket[k];
		}
		for (k = 0; k < nb; k++)
			if (cnt[k] > mx)
				mx = cnt[k];
		cls = h->op_class[op];
		px = x;
		px.p0 = x0;
		px.p1 = x1;
		html_axis_lin(&py, 0, (double)mx / (double)r->lat.count, y1,
			      y0);
		vscsi_fmt_duration(p50, sizeof(p50),
				   vscsi_hist_quantile(&r->lat, 0.5));
		vscsi_fmt_duration(p99, sizeof(p99),
				   vscsi_hist_quantile(&r->lat, 0.99));
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"sub\">", x0,
			y0 - 5);
		html_esc(f, name);
		fprintf(f, "  n=%" PRIu64 "</text>\n", r->lat.count);
		html_frame(f, x0, y0, x1, y1);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			"class=\"sub\">p50 %s</text><text x=\"%.1f\" "
			"y=\"%.1f\" text-anchor=\"end\" class=\"sub\">p99 %s"
			"</text>\n", x1 - 4, y0 + 13, p50, x1 - 4, y0 + 26, p99);
		html_xaxis(f, &px, y0, y1, HTML_U_DUR, NULL);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
			"%.0f%%</text><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">0</text>\n", x0 - 4, y0 + 8,
			py.hi * 100, x0 - 4, y1);
		fprintf(f, "<g fill=\"%s\">", html_class_color[cls]);
		for (k = 0; k < nb; k++) {
			double bx0, bx1, by;

			if (!cnt[k])
				continue;
			bx0 = html_map(&px, x.lo * pow(10, k / HTML_HB));
			bx1 = html_map(&px, x.lo * pow(10, (k + 1) / HTML_HB));
			by = html_map(&py, (double)cnt[k] /
					   (double)r->lat.count);
			if (y1 - by < 1)
				by = y1 - 1;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\"/>", bx0 + 0.5, by,
				bx1 - bx0 - 1 > 1 ? bx1 - bx0 - 1 : 1, y1 - by);
		}
		fprintf(f, "</g>\n");
	}
	html_fig_end(f);
}

/* Where on each LUN the I/O went: a panel per LUN (the first few). */
static void html_fig_lba(FILE *f, const html_state *h)
{
	static const html_legend lg[] = {
		{ "#1f77b4", "read", 2 },  { "#ff7f0e", "write", 2 },
		{ "#2ca02c", "flush", 2 }, { "#9467bd", "unmap", 2 },
	};
	unsigned n = 0, s, i = 0;
	char note[96];
	uint64_t drawn = 0, seen = 0;

	for (s = 0; s < h->nseries && s < HTML_LBA_LUNS; s++)
		if (h->series[s].lba.n) {
			n++;
			drawn += h->series[s].lba.n;
			seen += h->series[s].lba.seen;
		}
	snprintf(note, sizeof(note), "%" PRIu64 " of %" PRIu64 " commands "
		 "drawn", drawn, seen);
	html_fig_begin(f, "lba", "Offset on the LUN against time", lg,
		       sizeof(lg) / sizeof(lg[0]), note);
	if (!n) {
		html_frame(f, HTML_PX0, HTML_PY0, HTML_PX1, HTML_PY1);
		html_fig_empty(f, "no command with an LBA");
		html_fig_end(f);
		return;
	}
	for (s = 0; s < h->nseries && s < HTML_LBA_LUNS; s++) {
		const html_series *se = &h->series[s];
		double pw = (double)(HTML_PX1 - HTML_PX0 + 70) / n;
		double x0 = HTML_PX0 + i * pw, x1 = x0 + pw - 70;
		uint64_t bs = se->block ? se->block : 512;
		double top = (double)(se->capacity > se->max_end ?
				      se->capacity : se->max_end) *
			     (double)bs;
		double scale;
		const char *unit;
		html_axis x, y;
		html_pt *pt;
		size_t k;
		char lun[24], size[48], label[64];

		if (!se->lba.n)
			continue;
		i++;
		scale = top >= 1073741824.0 ? 1073741824.0 :
			top >= 1048576.0 ? 1048576.0 : 1024.0;
		unit = scale == 1073741824.0 ? "GiB" :
		       scale == 1048576.0 ? "MiB" : "KiB";
		html_time_axis(h, &x, x0, x1);
		/* a round top in the unit */
		html_axis_lin(&y, 0, top / scale, HTML_PY1, HTML_PY0);
		y.hi *= scale;
		html_lun_name(lun, sizeof(lun), se->key);
		if (se->capacity)
			snprintf(size, sizeof(size), "%.4g %s, %" PRIu64
				 "-byte blocks", (double)se->capacity *
				 (double)bs / scale, unit, bs);
		else if (se->block)
			snprintf(size, sizeof(size), "%" PRIu64 "-byte blocks, "
				 "as transfers tell", bs);
		else
			snprintf(size, sizeof(size), "block size unknown: "
				 "512 taken");
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"sub\" "
			"fill=\"%s\">LUN %s (%s)</text>\n", x0, HTML_PY0 - 1 +
			14, "#333", lun, size);
		html_frame(f, x0, HTML_PY0 + 18, x1, HTML_PY1);
		y.p1 = HTML_PY0 + 18;
		snprintf(label, sizeof(label), "offset (%s)", unit);
		html_yaxis(f, &y, x0, x1, HTML_U_BYTES, scale,
			   i == 1 ? label : NULL);
		html_xaxis(f, &x, HTML_PY0 + 18, HTML_PY1, HTML_U_NUM,
			   "time (s)");
		pt = malloc(se->lba.n * sizeof(*pt));
		if (!pt)
			continue;
		for (k = 0; k < se->lba.n; k++) {
			pt[k] = se->lba.pt[k];
			pt[k].v *= (double)bs;
		}
		html_points(f, pt, se->lba.n, &x, &y, html_class_color, 5, 4);
		free(pt);
	}
	html_fig_end(f);
}

static void html_fig_errors(FILE *f, const html_state *h)
{
	html_legend lg[HTML_E_N + 1];
	unsigned m = html_merge(h, HTML_IV_ERR), i, k, b;
	double mx = 0;
	html_axis x, y;
	char note[128], what[96];

	for (k = 0; k < HTML_E_N; k++) {
		lg[k].color = html_err_color[k];
		lg[k].name = html_err_name[k];
		lg[k].dashed = 0;
	}
	lg[HTML_E_N].color = "#8c564b";
	lg[HTML_E_N].name = "records lost";
	lg[HTML_E_N].dashed = 1;
	snprintf(note, sizeof(note), "completions per %g ms",
		 (double)m * (double)h->w / 1e6);
	html_fig_begin(f, "errors", "Errors over time", lg,
		       h->nloss ? HTML_E_N + 1 : HTML_E_N, note);
	for (i = 0; i < h->nb; i += m) {
		double sum = 0;

		for (b = i; b < i + m && b < h->nb; b++)
			for (k = 0; k < HTML_E_N; k++)
				sum += h->bins[b].err[k];
		if (sum > mx)
			mx = sum;
	}
	html_time_axis(h, &x, HTML_PX0, HTML_PX1);
	html_axis_lin(&y, 0, mx > 0 ? mx : 1, HTML_PY1, HTML_PY0);
	html_frame(f, HTML_PX0, HTML_PY0, HTML_PX1, HTML_PY1);
	html_yaxis(f, &y, HTML_PX0, HTML_PX1, HTML_U_NUM, 1, "errors");
	html_xaxis(f, &x, HTML_PY0, HTML_PY1, HTML_U_NUM,
		   "time since the first record (s)");
	for (i = 0; i < h->nb; i += m) {
		double base = 0, t0 = (double)i * (double)h->w / 1e9,
		       t1 = (double)(i + m) * (double)h->w / 1e9;
		double bx0 = html_map(&x, t0), bx1 = html_map(&x, t1);

		for (k = 0; k < HTML_E_N; k++) {
			double c = 0, ya, yb;

			for (b = i; b < i + m && b < h->nb; b++)
				c += h->bins[b].err[k];
			if (!c)
				continue;
			ya = html_map(&y, base);
			yb = html_map(&y, base + c);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\" fill=\"%s\"/>", bx0, yb,
				bx1 - bx0 > 3 ? bx1 - bx0 - 1 : 2, ya - yb,
				html_err_color[k]);
			base += c;
		}
	}
	fprintf(f, "\n");
	for (i = 0; i < h->nloss; i++) {
		double lx = html_map(&x, h->loss[i].t);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#8c564b\" stroke-width=\"2\" "
			"stroke-dasharray=\"5 3\"/><text x=\"%.1f\" y=\"%d\" "
			"class=\"sub\">%" PRIu64 " lost</text>\n", lx,
			HTML_PY0, lx, HTML_PY1, lx + 4, HTML_PY0 + 14,
			h->loss[i].count);
	}
	if (!h->errors) {
		snprintf(what, sizeof(what), "no errors in %" PRIu64
			 " completions", h->cmds);
		html_fig_empty(f, what);
	}
	html_fig_end(f);
}

/* ---------------------------------------------------------------- tables */

static void html_sense(char *buf, size_t len, const vscsi_stats_err *e)
{
	uint8_t sense[VSCSI_SENSE_BUILD_MAX];
	vscsi_sense_info si;
	int n;

	n = vscsi_sense_build_simple(sense, sizeof(sense), 0, e->sense_key,
				     e->asc, e->ascq);
	if (n <= 0 || vscsi_sense_decode(sense, (size_t)n, &si) < 0) {
		snprintf(buf, len, "%02x/%02x/%02x", e->sense_key, e->asc,
			 e->ascq);
		return;
	}
	vscsi_sense_describe(&si, buf, len);
}

static void html_dur_cell(FILE *f, const vscsi_hist *hi, double q)
{
	char buf[24];

	if (!hi->count) {
		fputs("<td>-</td>", f);
		return;
	}
	vscsi_fmt_duration(buf, sizeof(buf), vscsi_hist_quantile(hi, q));
	fprintf(f, "<td>%s</td>", buf);
}

static void html_row(FILE *f, const char *name, const vscsi_stats_row *r,
		     uint64_t span)
{
	double s = (double)span / 1e9;

	fputs("<tr><th>", f);
	html_esc(f, name);
	fprintf(f, "</th><td>%" PRIu64 "</td>", r->ios);
	if (span)
		fprintf(f, "<td>%.1f</td><td>%.2f</td><td>%.2f</td>",
			(double)r->ios / s, (double)r->bytes_read / 1e6 / s,
			(double)r->bytes_written / 1e6 / s);
	else
		fputs("<td>-</td><td>-</td><td>-</td>", f);
	html_dur_cell(f, &r->lat, 0.50);
	html_dur_cell(f, &r->lat, 0.90);
	html_dur_cell(f, &r->lat, 0.99);
	html_dur_cell(f, &r->lat, 0.999);
	html_dur_cell(f, &r->lat, 1.0);
	if (span)
		fprintf(f, "<td>%.2f</td>", (double)r->qd_area / (double)span);
	else
		fputs("<td>-</td>", f);
	fprintf(f, "<td>%" PRIu32 "</td><td>%" PRIu64 "</td></tr>\n",
		r->qd_max, r->errors);
}

static void html_table(FILE *f, const html_state *h, const char *title,
		       unsigned group, uint64_t span)
{
	const vscsi_stats_row *rows, *tot;
	size_t n = vscsi_stats_rows(h->stats, group, &rows), i;
	size_t ntot = vscsi_stats_rows(h->stats, VSCSI_GROUP_TOTAL, &tot);
	char name[96];

	fputs("<table><thead><tr><th>", f);
	html_esc(f, title);
	fputs("</th><th>IOs</th><th>IOPS</th><th>rd MB/s</th><th>wr MB/s</th>"
	      "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>"
	      "<th>qd avg</th><th>qd max</th><th>errors</th></tr></thead>"
	      "<tbody>\n", f);
	if (group == VSCSI_GROUP_LUN && ntot)
		html_row(f, "all", &tot[0], span);
	for (i = 0; i < n; i++) {
		if (!rows[i].ios && !rows[i].qd_max)
			continue;
		if (group == VSCSI_GROUP_LUN) {
			html_lun_name(name, sizeof(name),
				      (uint32_t)rows[i].key);
		} else {
			uint8_t op = (uint8_t)(rows[i].key >> 16);
			uint16_t sa = (uint16_t)rows[i].key;

			snprintf(name, sizeof(name), "%s",
				 vscsi_cdb_name(op, sa, sa != 0xffff));
		}
		html_row(f, name, &rows[i], span);
	}
	fputs("</tbody></table>\n", f);
}

static void html_tables(FILE *f, const html_state *h,
			const dump_walk_end *end)
{
	const vscsi_stats_err *errs;
	size_t n = vscsi_stats_errors(h->stats, &errs), i;
	uint64_t first, last, span;
	char sense[256];

	vscsi_stats_span(h->stats, NULL, &first, &last);
	vscsi_stats_settle(h->stats, last);
	span = last > first ? last - first : 0;
	fputs("<section id=\"tables\"><h2>Summary</h2>\n", f);
	fprintf(f, "<p>Rates divide by the span of the commands seen (%.6f s)."
		"</p>\n", (double)span / 1e9);
	html_table(f, h, "LUN", VSCSI_GROUP_LUN, span);
	html_table(f, h, "command", VSCSI_GROUP_OPCODE, span);
	if (n) {
		fputs("<table><thead><tr><th>count</th><th>response</th>"
		      "<th>status</th><th>sense</th></tr></thead><tbody>\n", f);
		for (i = 0; i < n; i++) {
			const vscsi_stats_err *e = &errs[i];
			const char *resp = vscsi_vs_response_name(e->response,
								  0);

			fprintf(f, "<tr><td>%" PRIu64 "</td><td>", e->count);
			if (resp)
				html_esc(f, resp);
			else
				fprintf(f, "%u", e->response);
			fputs("</td><td>", f);
			html_esc(f, e->response == VSCSI_S_OK ?
					    vscsi_status_str(e->status) : "-");
			fputs("</td><td>", f);
			if (e->has_sense) {
				html_sense(sense, sizeof(sense), e);
				html_esc(f, sense);
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	} else {
		fputs("<p>No errors.</p>\n", f);
	}
	fprintf(f, "<p>Still in flight at the end: %" PRIu64 " command%s. "
		"Records lost: %" PRIu64 " told by loss notes, %" PRIu64
		" missing by sequence number; %" PRIu64 " damaged; %" PRIu64
		" completion%s without a request; %" PRIu64 " head%s reused "
		"in flight.</p>\n</section>\n", h->inflight_end,
		h->inflight_end == 1 ? "" : "s", end->loss_records,
		end->rst.seq_missing, end->rst.damaged, end->tc.unmatched,
		end->tc.unmatched == 1 ? "" : "s", end->tc.reused,
		end->tc.reused == 1 ? "" : "s");
}

/* ---------------------------------------------------------------- page */

static const char html_css[] =
	"body{margin:0;background:#fff;color:#222;"
	"font:13px/1.35 'DejaVu Sans',Arial,Helvetica,sans-serif}"
	"header{height:100px;overflow:hidden;margin:0 20px;box-sizing:"
	"border-box;padding-top:8px}"
	"header h1{font-size:20px;margin:0 0 6px}"
	"header p{margin:0;color:#444}"
	"svg{display:block;margin:0 20px}"
	"svg text{font:12px 'DejaVu Sans',Arial,Helvetica,sans-serif;"
	"fill:#333}"
	"svg .title{font-size:15px;font-weight:bold;fill:#111}"
	"svg .lab{font-size:12px;fill:#333}"
	"svg .note,svg .sub{font-size:11px;fill:#555}"
	"svg .empty{font-size:15px;fill:#777}"
	".bg{fill:#fff}.frame{fill:#fcfcfc;stroke:#999;stroke-width:1}"
	".grid{stroke:#e3e3e3;stroke-width:1}"
	"#tables{margin:10px 20px 40px}"
	"table{border-collapse:collapse;margin:8px 0 16px}"
	"th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	"thead th{background:#f0f0f0}tbody th{text-align:left}"
	"h2{font-size:17px;margin:16px 0 4px}";

static void html_utc(char *buf, size_t len, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	char d[40];

	if (gmtime_r(&sec, &tm) &&
	    strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%s.%03u UTC", d,
			 (unsigned)(ns % 1000000000u / 1000000u));
	else
		snprintf(buf, len, "%" PRIu64 " ns", ns);
}

static void html_page(FILE *f, const html_state *h, const dump_walk_end *end)
{
	const char *name = strcmp(h->o->path, "-") == 0 ? "standard input" :
							  h->o->path;
	char when[64];

	html_utc(when, sizeof(when), h->t0);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8"
	      "\"><meta name=\"generator\" content=\"vscsi-dump ", f);
	html_esc(f, vscsi_version());
	fputs("\"><title>vscsi-dump report: ", f);
	html_esc(f, name);
	fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>"
		"vscsi-dump report: ", html_css);
	html_esc(f, name);
	fprintf(f, "</h1><p>%s, %.6f s, %" PRIu64 " records, %" PRIu64
		" commands completed, %" PRIu64 " errors, %" PRIu64
		" records lost.", end->records ? when : "no records",
		(double)h->last / 1e9, end->records, h->cmds, h->errors,
		/* a loss note and the gap it explains are the same records */
		end->loss_records > end->rst.seq_missing ? end->loss_records :
		end->rst.seq_missing);
	if (h->o->filter_text) {
		fputs(" Filter: <code>", f);
		html_esc(f, h->o->filter_text);
		fputs("</code>.", f);
	}
	if (end->rst.truncated)
		fputs(" The file is truncated.", f);
	fputs("</p><p>Plots: IOPS, MB/s, latency, latency histograms, queue "
	      "depth, offsets, errors; then the summary tables.</p>"
	      "</header>\n", f);
	html_fig_rate(f, h, "iops", "IOPS per LUN (completions per second)",
		      "IOPS", html_v_iops, NULL, 1);
	html_fig_rate(f, h, "mbps", "MB/s per LUN (10^6 bytes per second)",
		      "MB/s", html_v_rd, html_v_wr, 0);
	html_fig_latency(f, h);
	html_fig_hist(f, h);
	html_fig_rate(f, h, "qd", "Queue depth per LUN (commands in flight, "
		      "average)", "commands in flight", html_v_qd, NULL, 1);
	html_fig_lba(f, h);
	html_fig_errors(f, h);
	html_tables(f, h, end);
	fputs("</body></html>\n", f);
}

/* ---------------------------------------------------------------- main */

/* mkstemp() made the file 0600: give it the mode a new file gets. */
static int html_chmod(const char *path)
{
	mode_t mask = umask(022);

	umask(mask);
	return chmod(path, 0666 & ~mask);
}

static void html_free(html_state *h)
{
	unsigned s;

	for (s = 0; s < HTML_NS; s++)
		free(h->series[s].lba.pt);
	free(h->lat.pt);
	free(h->bins);
	vscsi_stats_free(h->stats);
	free(h);
}

int dump_html(const dump_opts *o)
{
	html_state *h = calloc(1, sizeof(*h));
	dump_walk_end end;
	char *tmp = NULL;
	FILE *f;
	int status, fd, bad;

	if (!h || !(h->bins = calloc(HTML_BINS, sizeof(*h->bins))) ||
	    !(h->stats = vscsi_stats_new()) ||
	    html_res_init(&h->lat, HTML_PTS)) {
		fprintf(stderr, "vscsi-dump: out of memory\n");
		if (h)
			html_free(h);
		return DUMP_EXIT_FAIL;
	}
	h->o = o;
	h->w = HTML_BIN0_NS;
	h->nb = 1;
	h->rng = 0x9e3779b97f4a7c15ull;
	status = dump_walk(o, html_rec, html_open_end, h, &end);
	if (status == DUMP_EXIT_FAIL) {
		html_free(h);
		return status;
	}
	/* write a temporary file beside the page and rename it: a failure
	 * leaves no half page */
	if (strcmp(o->report, "-") == 0) {
		f = stdout;
	} else {
		size_t len = strlen(o->report) + 16;

		tmp = malloc(len);
		if (!tmp) {
			fprintf(stderr, "vscsi-dump: out of memory\n");
			html_free(h);
			return DUMP_EXIT_FAIL;
		}
		snprintf(tmp, len, "%s.tmpXXXXXX", o->report);
		fd = mkstemp(tmp);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			fprintf(stderr, "vscsi-dump: %s: %s\n", o->report,
				strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			html_free(h);
			return DUMP_EXIT_FAIL;
		}
	}
	html_page(f, h, &end);
	bad = ferror(f);
	if (f != stdout) {
		bad |= fclose(f) != 0;
		if (!bad && html_chmod(tmp))
			bad = 1;
		if (!bad && rename(tmp, o->report) != 0)
			bad = 1;
		if (bad) {
			fprintf(stderr, "vscsi-dump: %s: %s\n", o->report,
				strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
	html_free(h);
	return bad ? DUMP_EXIT_FAIL : status;
}
