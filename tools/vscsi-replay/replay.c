/*
 * replay: the engine.
 *
 * Ops are issued strictly in file order (which is the recorded submission
 * order, so per-queue order, ORDERED and HEAD OF QUEUE keep their meaning
 * and the emulation sees the same arrival order every time). An op waits
 * until every completion recorded before it was submitted has happened in
 * the replay too: a watermark over completion indices (replay_load.c).
 * In flight in the replay is then always a subset of what was in flight in
 * the recording at that point, so the recorded concurrency is an upper
 * bound that asap timing reaches.
 *
 * Timed replays issue each op at t0 + (its time - the first op's time) *
 * scale. The wait is a sleep in the target's poll until a short stretch
 * before the mark, then a spin on the target's poll with no timeout: the
 * wake-up from a sleep is late by tens of microseconds, the spin is not.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <xxhash.h>

#include "replay_int.h"

/* Spin this long before a timed op's mark (on top of the target's sleep
 * granularity). */
#define RP_SPIN_NS 150000

uint64_t rp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ op stats */

rp_opstat *rp_opstat_get(replay *r, const rp_op *op)
{
	uint32_t key = op->opkey;
	rp_opstat *s;
	size_t i;

	if (r->last_opstat < r->nopstats &&
	    r->opstats[r->last_opstat].key == key)
		return &r->opstats[r->last_opstat];
	for (i = 0; i < r->nopstats; i++)
		if (r->opstats[i].key == key) {
			r->last_opstat = i;
			return &r->opstats[i];
		}
	if (r->nopstats == r->capopstats) {
		size_t n = r->capopstats ? r->capopstats * 2 : 16;
		rp_opstat *t = realloc(r->opstats, n * sizeof(*t));

		if (!t)
			return NULL;
		r->opstats = t;
		r->capopstats = n;
	}
	s = &r->opstats[r->nopstats];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->name = rp_op_name(op);
	vscsi_hist_init(&s->rec);
	vscsi_hist_init(&s->rep);
	r->last_opstat = r->nopstats;
	return &r->opstats[r->nopstats++];
}

/* ------------------------------------------------------------ slots */

rp_slot *rp_slot_get(replay *r, uint32_t need)
{
	rp_slot *s = r->free_slots;

	if (s) {
		r->free_slots = s->next;
	} else {
		rp_slot **t;

		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		t = realloc(r->slots, (r->nslots + 1) * sizeof(*t));
		if (!t) {
			free(s);
			return NULL;
		}
		r->slots = t;
		s->id = r->nslots;
		s->r = r;
		r->slots[r->nslots++] = s;
	}
	if (s->cap < need) {
		uint32_t c = s->cap ? s->cap : 4096;
		uint8_t *b;

		while (c < need)
			c *= 2;
		b = realloc(s->dout, c);
		if (!b) {
			s->next = r->free_slots;
			r->free_slots = s;
			return NULL;
		}
		s->dout = b;
		s->cap = c;
	}
	s->next = NULL;
	s->discard = 0;
	return s;
}

void rp_slot_put(replay *r, rp_slot *s)
{
	s->next = r->free_slots;
	r->free_slots = s;
}

void rp_slots_free(replay *r)
{
	uint32_t i;

	for (i = 0; i < r->nslots; i++) {
		free(r->slots[i]->dout);
		free(r->slots[i]);
	}
	free(r->slots);
	r->slots = NULL;
	r->nslots = 0;
	r->free_slots = NULL;
}

/* ------------------------------------------------------------ completion */

void rp_mark_done(replay *r, const rp_op *op)
{
	if (!op->cidx)
		return;
	if (r->lanes) {
		rp_lanes_done(r, op->cidx);
		return;
	}
	r->done[op->cidx] = 1;
	while (r->watermark < r->plan.ncompl && r->done[r->watermark + 1])
		r->watermark++;
}

void rp_complete(replay *r, rp_slot *s, const rp_res *res)
{
	const rp_op *op = &r->plan.ops[s->op];
	uint64_t now;
	rp_opstat *st;

	if (s->discard) {
		/* a lane's copy of a barrier op (replay_lanes.c) */
		r->inflight--;
		rp_slot_put(r, s);
		return;
	}
	now = rp_now_ns();
	st = rp_opstat_get(r, op);
	if (st) {
		vscsi_hist_add(&st->rep, now - s->issue_ns);
		if (op->flags & RP_OPF_DONE)
			vscsi_hist_add(&st->rec, op->done_ns - op->ts_ns);
	}
	if (r->rec)
		rp_rec_completion(r, op, s, res);
	rp_verify(r, s->op, res);
	rp_mark_done(r, op);
	if (res->err && !r->fatal && res->err == VSCSI_ERR_CLOSED) {
		r->fatal = 1;
		snprintf(r->fatal_msg, sizeof(r->fatal_msg),
			 "the back-end closed the connection");
	}
	r->inflight--;
	rp_slot_put(r, s);
}

/* ------------------------------------------------------------ issue */

/* The data-out of op into s->dout: the kept bytes, then the fill. */
void rp_dout(replay *r, const rp_op *op, rp_slot *s)
{
	const uint8_t *kept = rp_op_dout(&r->plan, op);
	uint32_t k = op->dout_kept < op->dout_len ? op->dout_kept : op->dout_len;

	if (k)
		memcpy(s->dout, kept, k);
	if (k < op->dout_len)
		rp_fill(rp_fill_seed(op->lun, op->cdb, op->cdb_len),
			s->dout + k, k, op->dout_len - k);
}

int rp_issue(replay *r, uint32_t opi, uint64_t now)
{
	const rp_op *op = &r->plan.ops[opi];
	uint32_t need = op->kind == RP_CMD ? op->dout_len + op->din_alloc : 0;
	rp_slot *s = rp_slot_get(r, need ? need : 1);
	uint8_t of = RP_OPF_ISSUED;
	rp_opstat *st;
	int rc;

	if (!s)
		return VSCSI_ERR_NOMEM;
	s->op = opi;
	rp_map_lun(r->maps, r->nmaps, op->lun, s->lun);
	s->din = s->dout + (op->kind == RP_CMD ? op->dout_len : 0);
	if (op->kind == RP_CMD && op->dout_len) {
		rp_dout(r, op, s);
		if (!(op->flags & RP_OPF_CUT))
			of |= RP_OPF_DOUT_EXACT;
		else if (rp_hash(s->dout, op->dout_len) == op->dout_digest)
			of |= RP_OPF_DOUT_FILL;
	} else {
		of |= RP_OPF_DOUT_EXACT;
	}
	s->issue_ns = now;
	r->inflight++;
	if (op->kind == RP_CMD)
		rc = r->t->vt->cmd(r->t, op, s);
	else if (op->kind == RP_TMF)
		rc = r->t->vt->tmf(r->t, op, s);
	else
		rc = r->t->vt->an(r->t, op, s);
	if (rc == VSCSI_ERR_NOSPACE) {
		r->inflight--;
		rp_slot_put(r, s);
		return rc;
	}
	r->oflags[opi] |= of;
	r->issued++;
	st = rp_opstat_get(r, op);
	if (st)
		st->issued++;
	if (op->kind == RP_CMD && op->dout_len) {
		r->dout_writes++;
		if (of & RP_OPF_DOUT_EXACT)
			r->dout_exact++;
		else if (of & RP_OPF_DOUT_FILL)
			r->dout_fill++;
		else
			r->dout_inexact++;
	}
	if (r->rec)
		rp_rec_request(r, op, s);
	if (rc) {
		rp_res res;

		memset(&res, 0, sizeof(res));
		res.err = rc;
		rp_complete(r, s, &res);
	}
	return VSCSI_OK;
}

void rp_skip(replay *r, uint32_t opi)
{
	const rp_op *op = &r->plan.ops[opi];

	if (op->flags & RP_OPF_WRITE)
		rp_verify_skipped(r, opi);
	else
		r->oflags[opi] |= RP_OPF_SKIPPED;
	rp_mark_done(r, op);
}

/* The wall-clock mark of op. */
static uint64_t rp_mark(const replay *r, const rp_op *op)
{
	double d = (double)(op->ts_ns - r->base_ts) * r->scale;

	if (op->ts_ns < r->base_ts)
		return r->t0;
	if (d > 1e18)
		d = 1e18;
	return r->t0 + (uint64_t)d;
}

/*
 * Issue what may go now. *wait_ns: -1 when blocked on completions (or
 * done), otherwise how long until the next op's mark.
 */
static int rp_issue_some(replay *r, int64_t *wait_ns)
{
	rp_plan *p = &r->plan;
	uint64_t now = rp_now_ns();

	*wait_ns = -1;
	while (r->next < p->nops && !r->fatal) {
		uint32_t opi = (uint32_t)r->next;
		const rp_op *op = &p->ops[opi];
		int rc;

		if (op->skip != RP_ISSUE) {
			rp_skip(r, opi);
			r->next++;
			continue;
		}
		if (r->watermark < op->dep)
			return 0;
		if (r->o->timing != REPLAY_ASAP) {
			uint64_t mark = rp_mark(r, op);

			if (now < mark) {
				now = rp_now_ns();
				if (now < mark) {
					*wait_ns = (int64_t)(mark - now);
					return 0;
				}
			}
			vscsi_hist_add(&r->issue_err, now - mark);
		}
		rc = rp_issue(r, opi, now);
		if (rc == VSCSI_ERR_NOSPACE)
			return 0;
		if (rc < 0)
			return rc;
		r->next++;
		if (r->o->timing != REPLAY_ASAP)
			now = rp_now_ns();
	}
	return 0;
}

static int rp_run(replay *r)
{
	int64_t gran = r->t->vt->granularity(r->t);
	int rc;

	/* timed replays: sleeps end when asked, not up to 50 us later */
	if (r->o->timing != REPLAY_ASAP)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	r->t0 = rp_now_ns();
	for (;;) {
		int64_t wait_ns;

		rc = rp_issue_some(r, &wait_ns);
		if (rc < 0)
			return rc;
		if (r->fatal)
			break;
		if (r->next >= r->plan.nops && !r->inflight)
			break;
		if (!r->inflight && wait_ns < 0) {
			/* nothing in flight can move the watermark */
			snprintf(r->fatal_msg, sizeof(r->fatal_msg),
				 "internal error: request %zu waits for a "
				 "completion that cannot come", r->next);
			r->fatal = 1;
			break;
		}
		if (wait_ns > 0) {
			wait_ns -= RP_SPIN_NS + gran;
			if (wait_ns < 0)
				wait_ns = 0;
		}
		rc = r->t->vt->wait(r->t, wait_ns);
		if (rc < 0 && !r->fatal) {
			r->fatal = 1;
			snprintf(r->fatal_msg, sizeof(r->fatal_msg),
				 "the target failed: %s", vscsi_strerror(rc));
		}
		if (r->fatal)
			break;
	}
	/* what is still in flight (after an error) is answered by close */
	r->t_end = rp_now_ns();
	return r->fatal ? VSCSI_ERR_IO : VSCSI_OK;
}

/* ------------------------------------------------------------ main */

static int rp_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= 0) || d > 1e9)
		return -1;
	*ns = (uint64_t)llround(d * 1e9);
	return 0;
}

static int rp_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int rp_usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", REPLAY_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* Refuse a replay that would write without --write. */
static int rp_check_writes(replay *r)
{
	rp_plan *p = &r->plan;
	size_t i;
	unsigned shown = 0;

	if (r->o->write || !p->writes)
		return 0;
	fprintf(stderr, "%s: %llu command%s in the selection would change "
		"the medium; give --write to issue them or --skip-writes to "
		"leave them out. The first:\n", REPLAY_PROG,
		(unsigned long long)p->writes, p->writes == 1 ? "" : "s");
	for (i = 0; i < p->nops && shown < 3; i++) {
		char line[512];

		if (p->ops[i].skip != RP_ISSUE ||
		    !(p->ops[i].flags & RP_OPF_WRITE))
			continue;
		rp_fmt_op(r, (uint32_t)i, line, sizeof(line));
		fprintf(stderr, "  %s\n", line);
		shown++;
	}
	return 2;
}

/* LUNs the capture addresses that the built-in target lacks. */
static void rp_missing_luns(replay *r)
{
	const replay_opts *o = r->o;
	uint32_t *given = calloc(o->nluns ? o->nluns : 1, sizeof(*given));
	size_t i;

	if (!given)
		return;
	for (i = 0; i < o->nluns; i++) {
		emu_lun_cfg cfg;

		given[i] = RP_LUN_NONE;
		if (emu_lun_parse(o->luns[i], &cfg, NULL, 0) == 0)
			given[i] = (uint32_t)cfg.target << 16 | cfg.lun;
	}

	for (i = 0; i < r->plan.nops; i++) {
		const rp_op *op = &r->plan.ops[i];
		uint8_t raw[8];
		uint32_t a;
		unsigned j;
		int have = 0;

		if (op->skip != RP_ISSUE || op->kind != RP_CMD)
			continue;
		rp_map_lun(r->maps, r->nmaps, op->lun, raw);
		a = rp_lun_addr(raw);
		if (a == RP_LUN_NONE)
			continue;
		for (j = 0; j < o->nluns && !have; j++)
			if (given[j] == a)
				have = 1;
		for (j = 0; j < r->nmissing && !have; j++)
			if (r->missing[j] == a)
				have = 1;
		if (!have && r->nmissing < 16)
			r->missing[r->nmissing++] = a;
	}
	free(given);
}

static void rp_digest_images(replay *r)
{
	const replay_opts *o = r->o;
	unsigned i;

	r->images = calloc(o->nluns ? o->nluns : 1, sizeof(*r->images));
	if (!r->images)
		return;
	for (i = 0; i < o->nluns; i++) {
		emu_lun_cfg cfg;
		rp_image *im = &r->images[r->nimages];

		if (emu_lun_parse(o->luns[i], &cfg, NULL, 0))
			continue;
		snprintf(im->addr, sizeof(im->addr), "%u:%u", cfg.target,
			 cfg.lun);
		im->path = o->luns[i];
		im->ok = rp_image_digest(cfg.path, &im->digest, im->err,
					 sizeof(im->err)) == VSCSI_OK;
		r->nimages++;
	}
}

int rp_exit_status(const replay *r)
{
	if (r->fatal)
		return 2;
	return r->differ ? 1 : 0;
}

static void rp_free(replay *r)
{
	rp_lanes_free(r);
	rp_slots_free(r);
	rp_vmap_free(r->vmap);
	free(r->wlog);
	vscsi_filter_free(r->filter);
	rp_plan_free(&r->plan);
	free(r->done);
	free(r->oflags);
	free(r->diffs);
	free(r->opstats);
	free(r->images);
}

int replay_main(const replay_opts *o)
{
	replay r;
	rp_sel sel;
	char err[512] = "";
	unsigned i;
	int rc, status;

	memset(&r, 0, sizeof(r));
	memset(&sel, 0, sizeof(sel));
	r.o = o;
	vscsi_hist_init(&r.issue_err);
	if (!o->dry_run && !o->nluns && !o->vhost_user)
		return rp_usage_err("%s", "give the LUNs (--lun T:L=PATH) or a "
				    "back-end (--vhost-user SOCKET)");
	if (o->nluns && o->vhost_user)
		return rp_usage_err("%s", "--lun and --vhost-user exclude each "
				    "other (the back-end has its own LUNs)");
	if (o->write && o->skip_writes)
		return rp_usage_err("%s", "--write and --skip-writes exclude "
				    "each other");
	if (o->digest_images && o->vhost_user)
		return rp_usage_err("%s", "--digest-images needs --lun (the "
				    "back-end's files are not ours to read)");
	if (o->nmaps > sizeof(r.maps) / sizeof(r.maps[0]))
		return rp_usage_err("%s", "too many --map options (64 at most)");
	for (i = 0; i < o->nmaps; i++)
		if (rp_parse_map(o->maps[i], &r.maps[r.nmaps++]))
			return rp_usage_err("--map %s: want T:L=T:L (target 0 "
					    "to 255, LUN 0 to 16383)",
					    o->maps[i]);
	if (o->start && rp_seconds(o->start, &sel.start_ns))
		return rp_usage_err("--start %s: want seconds from the "
				    "capture's start", o->start);
	if (o->end && rp_seconds(o->end, &sel.end_ns))
		return rp_usage_err("--end %s: want seconds from the capture's "
				    "start", o->end);
	sel.has_start = o->start != NULL;
	sel.has_end = o->end != NULL;
	sel.skip_writes = o->skip_writes;
	if (o->filter) {
		size_t col = 0;

		rc = vscsi_filter_compile(o->filter, &r.filter, err,
					  sizeof(err), &col);
		if (rc) {
			fprintf(stderr, "%s: -f: %s\n", REPLAY_PROG, err);
			return 2;
		}
		sel.filter = r.filter;
	}

	rc = rp_load(o->file, &sel, &r.plan, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", REPLAY_PROG,
			err[0] ? err : vscsi_strerror(rc));
		rp_free(&r);
		return 2;
	}
	r.done = calloc((size_t)r.plan.ncompl + 1, 1);
	r.oflags = calloc(r.plan.nops ? r.plan.nops : 1, 1);
	r.vmap = rp_vmap_new();
	if (!r.done || !r.oflags || !r.vmap) {
		fprintf(stderr, "%s: out of memory\n", REPLAY_PROG);
		rp_free(&r);
		return 2;
	}
	for (i = 0; i < r.plan.nops; i++)
		if (r.plan.ops[i].skip == RP_ISSUE) {
			r.base_ts = r.plan.ops[i].ts_ns;
			break;
		}
	r.scale = o->timing == REPLAY_SCALE ? o->scale : 1.0;

	if (o->dry_run) {
		rp_report_plan(&r, stdout);
		rp_free(&r);
		return 0;
	}
	if (rp_check_writes(&r)) {
		rp_free(&r);
		return 2;
	}
	if (o->vhost_user)
		rc = rp_vfe_open(&r, o->vhost_user, &r.t, err, sizeof(err));
	else
		rc = rp_emu_open(&r, &r.t, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", REPLAY_PROG, err);
		rp_free(&r);
		return 2;
	}
	if (!o->vhost_user)
		rp_missing_luns(&r);
	if (o->record && rp_rec_open(&r, o->record, err, sizeof(err))) {
		fprintf(stderr, "%s: --record %s\n", REPLAY_PROG, err);
		r.t->vt->close(r.t);
		rp_free(&r);
		return 2;
	}
	if (rp_lanes_setup(&r, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", REPLAY_PROG,
			err[0] ? err : "out of memory");
		r.t->vt->close(r.t);
		rp_free(&r);
		return 2;
	}
	if (r.lanes) {
		r.t0 = rp_now_ns();
		rp_lanes_run(&r);
	} else {
		rp_run(&r);
	}
	r.t->vt->close(r.t);
	r.t = NULL;
	if (r.rec && rp_rec_close(&r) && !r.fatal) {
		r.fatal = 1;
		snprintf(r.fatal_msg, sizeof(r.fatal_msg),
			 "--record %s: the capture could not be written",
			 o->record);
	}
	if (o->digest_images)
		rp_digest_images(&r);
	if (r.fatal)
		fprintf(stderr, "%s: %s\n", REPLAY_PROG, r.fatal_msg);
	/* a report on the standard output moves the text to stderr */
	rp_report_text(&r, (o->report_json && strcmp(o->report_json, "-") == 0) ||
			   (o->report_junit &&
			    strcmp(o->report_junit, "-") == 0) ? stderr : stdout);
	status = rp_exit_status(&r);
	if (o->report_json &&
	    rp_report_json(&r, o->report_json, err, sizeof(err))) {
		fprintf(stderr, "%s: --report-json %s\n", REPLAY_PROG, err);
		status = 2;
	}
	if (o->report_junit &&
	    rp_report_junit(&r, o->report_junit, err, sizeof(err))) {
		fprintf(stderr, "%s: --report-junit %s\n", REPLAY_PROG, err);
		status = 2;
	}
	rp_free(&r);
	return status;
}
