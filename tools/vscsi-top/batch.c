/*
 * Batch mode (-b): the header and the chosen views as plain text, once per
 * interval, like top -b. A file read with --speed 0 is cut into intervals
 * of the recording's own time (first record + k * delay), so the output
 * depends on the file alone; other inputs print on the wall clock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "top.h"

#define BATCH_MAX_FL 100000

typedef struct bctx {
	const top_opts *o;
	model *m;
	source *src;
	view_state vs;
	snap snap;
	vout out;
	long printed;
} bctx;

static void batch_print(bctx *b, uint64_t now, int roll)
{
	size_t i;
	unsigned v;

	model_lock(b->m);
	model_snapshot(b->m, &b->snap, now, b->o->totals,
		       !(b->o->views & (1u << VIEW_INFLIGHT)) ? 0 :
		       b->o->rows > 0 ? (size_t)b->o->rows : BATCH_MAX_FL);
	if (roll)
		model_roll(b->m, now);
	model_unlock(b->m);
	b->snap.delay = b->o->delay;
	b->snap.data_clock = src_data_clock(b->src);
	snprintf(b->snap.source, sizeof(b->snap.source), "%s",
		 src_name(b->src));

	vout_clear(&b->out);
	b->vs.cur = b->o->first_view;
	view_header(&b->snap, &b->vs, &b->out);
	for (v = 0; v < VIEW_COUNT; v++) {
		if (!(b->o->views & (1u << v)))
			continue;
		vout_add(&b->out, 0, "%s", "");
		b->vs.cur = v;
		view_render(v, &b->snap, &b->vs, &b->out, 1, 0,
			    b->o->rows > 0 ? (size_t)b->o->rows : 0);
	}
	if (b->printed)
		putchar('\n');
	for (i = 0; i < b->out.n; i++)
		puts(b->out.l[i].text);
	fflush(stdout);
	b->printed++;
}

static int batch_tick(void *arg, uint64_t t)
{
	bctx *b = arg;

	if (!t) {
		uint64_t last, start;

		/* the end: the partial interval, when it holds anything */
		model_lock(b->m);
		last = model_last_ts(b->m);
		start = model_interval_start(b->m);
		model_unlock(b->m);
		if (!b->printed || last > start)
			batch_print(b, last, 0);
		return 1;
	}
	batch_print(b, t, 1);
	return b->o->count > 0 && b->printed >= b->o->count;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec d;

	d.tv_sec = (time_t)(ns / 1000000000u);
	d.tv_nsec = (long)(ns % 1000000000u);
	while (nanosleep(&d, &d))
		;
}

int batch_run(const top_opts *o, model *m, source *src)
{
	char err[256];
	bctx b;
	int rc = 0;
	unsigned v;

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.m = m;
	b.src = src;
	view_state_init(&b.vs);
	for (v = 0; v < VIEW_COUNT; v++)
		if (o->views & (1u << v))
			break;
	if (v < VIEW_COUNT) {
		if (o->sort) {
			int c = view_sort_lookup(o->first_view, o->sort);

			if (c >= 0)
				b.vs.sort[o->first_view] = (unsigned)c;
		}
		b.vs.rev[o->first_view] = o->reverse;
	}

	if (src_data_clock(src)) {
		rc = src_run_data(src, o->delay, batch_tick, &b, err,
				  sizeof(err));
		if (rc)
			fprintf(stderr, "%s: %s\n", TOP_NAME, err);
	} else {
		uint64_t step = (uint64_t)(o->delay * 1e9);

		if (src_start(src, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", TOP_NAME, err);
			rc = 1;
		} else {
			model_lock(m);
			if (src_now(src))
				model_roll(m, src_now(src));
			model_unlock(m);
		}
		while (!rc) {
			uint64_t now;
			int ended;

			sleep_ns(step);
			model_lock(m);
			ended = src_ended(src);
			now = src_now(src);
			model_unlock(m);
			batch_print(&b, now, !ended);
			if (ended || (o->count > 0 && b.printed >= o->count))
				break;
		}
		if (!rc && strncmp(b.snap.state, "error", 5) == 0) {
			fprintf(stderr, "%s: %s: %s\n", TOP_NAME, src_name(src),
				b.snap.state);
			rc = 1;
		}
	}
	vout_free(&b.out);
	snap_free(&b.snap);
	return rc;
}
