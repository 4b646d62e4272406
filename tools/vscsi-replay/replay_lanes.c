/*
 * replay_lanes: an --timing asap replay on several threads (--jobs).
 *
 * One thread cannot replay faster than a tool that only moves the bytes:
 * every request also costs the fill, a digest and its verification. So the
 * requests are dealt out to lanes, one thread each, by the blocks they
 * touch: LUN and LBA chunk (RP_LANE_SHIFT blocks) decide the lane, so that
 * every request on a block is issued by one lane, in file order. Each lane
 * has its own emulation over the same files, its own request slots and its
 * own figures (merged at the end), and the lanes share nothing but the
 * files and the happens-before bookkeeping: the done flags of completion
 * indices and the watermark over them, which every lane moves and obeys,
 * so that what is in flight stays within what the recording had in
 * flight, as in a serial replay. No data moves between threads (a 4 KiB
 * buffer written on one CPU and read on another costs more than the read
 * that filled it).
 *
 * Requests that no lane owns run as barriers: every lane drains and waits,
 * and lane 0 issues the request to every lane's emulation, verifying the
 * answer of its own. Those are commands without a block range (TEST UNIT
 * READY, INQUIRY, MODE SELECT, UNMAP, ...), commands across a chunk
 * boundary, and the first command to each LUN that its power-on unit
 * attention would answer (rl_first_ua). Each emulation so sees every command that changes its state
 * (unit attentions, mode pages, reservations), in order; a write reaches
 * the medium once per lane, with the same bytes each time, which leaves
 * the medium as one write would. TMFs and AN requests (which act on other
 * requests in flight), more than one recorded connection, --record or a
 * back-end target make the replay serial; the report says why.
 *
 * The verification of each lane sees the writes of its own blocks, and
 * the barriers' writes (rp_lanes_mark), which is all a read of its blocks
 * depends on; a barrier read's difference is explained from lane 0's
 * writes and the barriers'.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay_int.h"
#include "vu_loop.h"

#define RP_LANES_MAX 16
#define RP_LANE_SHIFT 11	/* blocks per chunk: 2048 (1 MiB of 512) */
#define RP_LANE_BARRIER 0xffu
#define RP_LANE_BATCH 4		/* issues between collections */
#define RL_UA_LUNS 256		/* LUNs a replay on lanes tells apart */

typedef struct rp_lanes {
	unsigned n;
	replay *lane[RP_LANES_MAX];	/* lane 0 is the main replay */
	uint8_t *owner;			/* per op: lane, or RP_LANE_BARRIER */
	uint32_t *ops[RP_LANES_MAX];	/* each lane's ops */
	size_t nops[RP_LANES_MAX];
	pthread_t th[RP_LANES_MAX];
	atomic_uint arrived;		/* lanes at the barrier */
	atomic_uint gen;		/* barriers passed */
	atomic_int fatal;
	pthread_mutex_t fatal_lock;
	char pad[64];
	uint32_t watermark;		/* __atomic; its own cache line */
	atomic_uint waiting;		/* lanes waiting for the watermark */
	char pad2[56];
} rp_lanes;

/*
 * The watermark, moved as far as the done flags allow: every completion
 * index up to it is done. Lanes set done flags (r->done, shared) as their
 * completions come and move the watermark when a request waits for more
 * than it says.
 */
static uint32_t rl_watermark(replay *r)
{
	rp_lanes *L = r->lanes;
	uint32_t w0 = __atomic_load_n(&L->watermark, __ATOMIC_ACQUIRE), w = w0;

	while (w < r->plan.ncompl &&
	       __atomic_load_n(&r->done[w + 1], __ATOMIC_ACQUIRE))
		w++;
	while (w > w0 &&
	       !__atomic_compare_exchange_n(&L->watermark, &w0, w, 1,
					    __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
	return w > w0 ? w : w0;
}

void rp_lanes_done(replay *r, uint32_t cidx)
{
	__atomic_store_n(&r->done[cidx], 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ the plan */

/* The lane of op, RP_LANE_BARRIER, or -1 (the replay must be serial: why
 * in *why). */
static int rl_owner(const replay *r, const rp_op *op, unsigned n,
		    const char **why)
{
	uint8_t raw[8];
	uint32_t addr;
	uint64_t c0, c1;
	int whole;

	if (op->skip != RP_ISSUE && !(op->flags & RP_OPF_WRITE))
		return 0;	/* only marked done */
	if (op->skip != RP_ISSUE && op->kind != RP_CMD)
		return RP_LANE_BARRIER;
	if (op->kind != RP_CMD) {
		*why = "the selection has task management or AN requests";
		return -1;
	}
	rp_map_lun(r->maps, r->nmaps, op->lun, raw);
	addr = rp_lun_addr(raw);
	whole = op->nblk && addr != RP_LUN_NONE;
	c0 = op->lba >> RP_LANE_SHIFT;
	c1 = whole ? (op->lba + op->nblk - 1) >> RP_LANE_SHIFT : c0;
	if (whole && c0 == c1)
		return (int)((c0 + (uint64_t)addr * 7919u) % n);
	return RP_LANE_BARRIER;
}

void rp_lanes_mark(replay *r, uint32_t opi, void (*mark)(replay *, uint32_t))
{
	rp_lanes *L = r->lanes;
	unsigned i;

	/* a barrier's writes: every lane's reads of those blocks rest on
	 * them (the lanes are parked at the barrier) */
	if (L->owner[opi] != RP_LANE_BARRIER)
		return;
	for (i = 1; i < L->n; i++)
		mark(L->lane[i], opi);
}

static unsigned rl_wanted(const replay *r)
{
	long ncpu;

	if (r->o->jobs > 0)
		return (unsigned)r->o->jobs;
	if (r->o->jobs == 0)
		return 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2)
		return 1;
	return ncpu > 4 ? 4u : (unsigned)ncpu;
}

static const char *rl_serial_why(const replay *r)
{
	if (r->o->timing != REPLAY_ASAP)
		return "timed replays run on one thread";
	if (r->o->vhost_user)
		return "a back-end target is replayed on one connection";
	if (r->o->record)
		return "--record writes one capture in order";
	if (r->plan.nconns > 1)
		return "the capture has more than one connection";
	return NULL;
}

/*
 * The first command to a LUN that a unit attention would answer (any but
 * INQUIRY, REPORT LUNS and REQUEST SENSE, which go to every lane anyway):
 * every lane's emulation starts with a power-on unit attention, so that
 * command goes to all of them, which clears it in each as the serial
 * replay's one emulation clears it. 1 when op is that command.
 */
static int rl_first_ua(const replay *r, const rp_op *op, uint32_t *seen,
		       unsigned *nseen)
{
	uint8_t raw[8];
	uint32_t addr;
	unsigned i;

	if (op->skip != RP_ISSUE || op->kind != RP_CMD || !op->cdb_len ||
	    op->cdb[0] == 0x12 || op->cdb[0] == 0xa0 || op->cdb[0] == 0x03)
		return 0;
	rp_map_lun(r->maps, r->nmaps, op->lun, raw);
	addr = rp_lun_addr(raw);
	if (addr == RP_LUN_NONE)
		return 0;
	for (i = 0; i < *nseen && i < RL_UA_LUNS; i++)
		if (seen[i] == addr)
			return 0;
	if (*nseen < RL_UA_LUNS)
		seen[*nseen] = addr;
	(*nseen)++;
	return 1;
}

int rp_lanes_setup(replay *r, char *err, size_t errlen)
{
	uint32_t ua[RL_UA_LUNS];
	unsigned nua = 0;
	unsigned n = rl_wanted(r), i;
	const char *why = NULL;
	rp_lanes *L;
	size_t k;

	r->nlanes = 1;
	if (n > RP_LANES_MAX)
		n = RP_LANES_MAX;
	if (n < 2)
		return VSCSI_OK;
	why = rl_serial_why(r);
	if (why)
		goto serial;
	L = calloc(1, sizeof(*L));
	if (!L)
		return VSCSI_ERR_NOMEM;
	L->n = n;
	L->owner = malloc(r->plan.nops ? r->plan.nops : 1);
	if (!L->owner) {
		free(L);
		return VSCSI_ERR_NOMEM;
	}
	for (k = 0; k < r->plan.nops; k++) {
		int o = rl_owner(r, &r->plan.ops[k], n, &why);

		if (o >= 0 && rl_first_ua(r, &r->plan.ops[k], ua, &nua))
			o = RP_LANE_BARRIER;
		if (o < 0 || nua > RL_UA_LUNS) {
			if (o >= 0)
				why = "the capture addresses too many LUNs";
			free(L->owner);
			free(L);
			goto serial;
		}
		L->owner[k] = (uint8_t)o;
		if (o == (int)RP_LANE_BARRIER) {
			for (i = 0; i < n; i++)
				L->nops[i]++;
		} else {
			L->nops[o]++;
		}
	}
	pthread_mutex_init(&L->fatal_lock, NULL);
	r->lanes = L;
	for (i = 0; i < n; i++) {
		L->ops[i] = malloc((L->nops[i] ? L->nops[i] : 1) *
				   sizeof(uint32_t));
		if (!L->ops[i])
			return VSCSI_ERR_NOMEM;
		L->nops[i] = 0;
	}
	for (k = 0; k < r->plan.nops; k++) {
		uint8_t o = L->owner[k];

		for (i = 0; i < n; i++)
			if (o == RP_LANE_BARRIER || o == i)
				L->ops[i][L->nops[i]++] = (uint32_t)k;
	}
	L->lane[0] = r;
	r->lane_id = 0;
	r->lops = L->ops[0];
	r->lcount = L->nops[0];
	for (i = 1; i < n; i++) {
		replay *lr = calloc(1, sizeof(*lr));
		int rc;

		if (!lr)
			return VSCSI_ERR_NOMEM;
		L->lane[i] = lr;
		lr->o = r->o;
		lr->plan = r->plan;
		memcpy(lr->maps, r->maps, sizeof(r->maps));
		lr->nmaps = r->nmaps;
		lr->done = r->done;
		lr->oflags = r->oflags;
		lr->base_ts = r->base_ts;
		lr->scale = r->scale;
		lr->lanes = L;
		lr->lane_id = i;
		lr->lops = L->ops[i];
		lr->lcount = L->nops[i];
		vscsi_hist_init(&lr->issue_err);
		lr->vmap = rp_vmap_new();
		if (!lr->vmap)
			return VSCSI_ERR_NOMEM;
		rc = rp_emu_open(lr, &lr->t, err, errlen);
		if (rc)
			return rc;
	}
	r->nlanes = n;
	return VSCSI_OK;
serial:
	snprintf(r->lanes_why, sizeof(r->lanes_why), "%s", why);
	return VSCSI_OK;
}

/* ------------------------------------------------------------ running */

static void rl_fatal(replay *r, const char *msg)
{
	rp_lanes *L = r->lanes;
	replay *m = L->lane[0];

	pthread_mutex_lock(&L->fatal_lock);
	if (!m->fatal) {
		m->fatal = 1;
		snprintf(m->fatal_msg, sizeof(m->fatal_msg), "%s", msg);
	}
	atomic_store(&L->fatal, 1);
	pthread_mutex_unlock(&L->fatal_lock);
}

/* Reap the lane's completions, waiting for one when any is in flight;
 * 0, or -1 after a failure. */
static int rl_wait(replay *r, int64_t timeout_ns)
{
	int rc = r->t->vt->wait(r->t, timeout_ns);

	if (rc < 0) {
		char m[160];

		snprintf(m, sizeof(m), "the target failed: %s",
			 vscsi_strerror(rc));
		rl_fatal(r, m);
		return -1;
	}
	if (r->fatal) {
		rl_fatal(r, r->fatal_msg);
		return -1;
	}
	return 0;
}

/* A barrier op copied to lane lr's emulation, answered uncounted. */
static int rl_issue_copy(replay *lr, uint32_t opi)
{
	const rp_op *op = &lr->plan.ops[opi];
	rp_slot *s = rp_slot_get(lr, op->dout_len + op->din_alloc + 1);
	int rc;

	if (!s)
		return VSCSI_ERR_NOMEM;
	s->op = opi;
	s->discard = 1;
	rp_map_lun(lr->maps, lr->nmaps, op->lun, s->lun);
	s->din = s->dout + op->dout_len;
	if (op->dout_len)
		rp_dout(lr, op, s);
	s->issue_ns = rp_now_ns();
	lr->inflight++;
	rc = lr->t->vt->cmd(lr->t, op, s);
	if (rc) {
		lr->inflight--;
		rp_slot_put(lr, s);
	}
	return rc;
}

/*
 * A lane that waits for another: a short pause between looks (each look
 * at a line the other lane writes takes that line from it), and every
 * 64th look the CPU to whoever else wants it.
 */
static void rl_backoff(unsigned k)
{
	unsigned i;

	if (k % 64 == 0) {
		/* waited a while: the lane waited for may have no CPU
		 * (more lanes than CPUs, or other load) */
		sched_yield();
		return;
	}
	for (i = 0; i < 8; i++)
		vu_cpu_relax();
}

/* Every lane at barrier op opi with nothing in flight; lane 0 runs it. */
static void rl_barrier(replay *r, uint32_t opi)
{
	rp_lanes *L = r->lanes;
	unsigned gen = atomic_load(&L->gen), i, spins = 0;

	atomic_fetch_add(&L->arrived, 1);
	if (r->lane_id) {
		while (atomic_load(&L->gen) == gen && !atomic_load(&L->fatal))
			rl_backoff(++spins);
		return;
	}
	while (atomic_load(&L->arrived) < L->n && !atomic_load(&L->fatal))
		rl_backoff(++spins);
	if (r->plan.ops[opi].skip != RP_ISSUE) {
		rp_skip(r, opi);
		goto out;
	}
	for (i = 1; i < L->n && !atomic_load(&L->fatal); i++) {
		replay *lr = L->lane[i];

		if (rl_issue_copy(lr, opi) == VSCSI_OK)
			while (lr->inflight && rl_wait(lr, -1) == 0)
				;
	}
	if (!atomic_load(&L->fatal)) {
		int rc;

		while ((rc = rp_issue(r, opi, rp_now_ns())) ==
		       VSCSI_ERR_NOSPACE)
			if (rl_wait(r, -1))
				break;
		while (rc == VSCSI_OK && r->inflight && rl_wait(r, -1) == 0)
			;
	}
out:
	atomic_store(&L->arrived, 0);
	atomic_fetch_add(&L->gen, 1);
}

/* One lane: its ops in file order, each once the watermark allows. */
static void rl_run(replay *r)
{
	rp_lanes *L = r->lanes;
	const rp_op *ops = r->plan.ops;
	unsigned idle = 0;
	int waiting = 0;

	while (!atomic_load(&L->fatal)) {
		uint32_t opi;
		const rp_op *op;
		int rc;

		if (r->lpos == r->lcount) {
			if (!r->inflight)
				return;
			if (rl_wait(r, -1))
				return;
			continue;
		}
		opi = r->lops[r->lpos];
		op = &ops[opi];
		if (L->owner[opi] == RP_LANE_BARRIER) {
			while (r->inflight)
				if (rl_wait(r, -1))
					return;
			rl_barrier(r, opi);
			r->lpos++;
			continue;
		}
		if (op->skip != RP_ISSUE) {
			rp_skip(r, opi);
			r->lpos++;
			continue;
		}
		if (__atomic_load_n(&L->watermark, __ATOMIC_ACQUIRE) < op->dep &&
		    rl_watermark(r) < op->dep) {
			/* another lane's completions will move it */
			if (r->inflight) {
				if (rl_wait(r, 0))
					return;
			} else {
				if (!waiting) {
					waiting = 1;
					atomic_fetch_add(&L->waiting, 1);
				}
				rl_backoff(++idle);
			}
			continue;
		}
		if (waiting) {
			waiting = 0;
			atomic_fetch_sub(&L->waiting, 1);
		}
		rc = rp_issue(r, opi, rp_now_ns());
		if (rc == VSCSI_ERR_NOSPACE) {
			if (rl_wait(r, -1))
				return;
			continue;
		}
		if (rc < 0) {
			rl_fatal(r, vscsi_strerror(rc));
			return;
		}
		r->lpos++;
		/* the emulation answers inline: collect now and then, so
		 * that the other lanes see the watermark move */
		if ((++idle % RP_LANE_BATCH == 0 ||
		     atomic_load_explicit(&L->waiting, memory_order_relaxed)) &&
		    rl_wait(r, 0))
			return;
	}
}

static void *rl_thread(void *arg)
{
	rl_run(arg);
	return NULL;
}

static void rl_opstat_merge(replay *m, const replay *lr)
{
	size_t i, j;

	for (i = 0; i < lr->nopstats; i++) {
		const rp_opstat *src = &lr->opstats[i];
		rp_opstat *dst = NULL;

		for (j = 0; j < m->nopstats; j++)
			if (m->opstats[j].key == src->key)
				dst = &m->opstats[j];
		if (!dst) {
			if (m->nopstats == m->capopstats) {
				size_t c = m->capopstats ? m->capopstats * 2
							 : 16;
				rp_opstat *t = realloc(m->opstats,
						       c * sizeof(*t));

				if (!t)
					continue;
				m->opstats = t;
				m->capopstats = c;
			}
			m->opstats[m->nopstats] = *src;
			m->nopstats++;
			continue;
		}
		dst->issued += src->issued;
		dst->compared += src->compared;
		dst->differ += src->differ;
		vscsi_hist_merge(&dst->rec, &src->rec);
		vscsi_hist_merge(&dst->rep, &src->rep);
	}
}

static int rl_diff_cmp(const void *a, const void *b)
{
	const rp_diff *x = a, *y = b;

	return x->op < y->op ? -1 : x->op > y->op;
}

/* Lane lr's figures into the main replay m. */
static void rl_merge(replay *m, const replay *lr)
{
	size_t i;

	m->issued += lr->issued;
	m->completed += lr->completed;
	m->compared += lr->compared;
	m->matched += lr->matched;
	m->differ += lr->differ;
	for (i = 0; i < RP_D_COUNT; i++)
		m->by_kind[i] += lr->by_kind[i];
	for (i = 0; i < RP_U_COUNT; i++)
		m->unver[i] += lr->unver[i];
	m->dout_writes += lr->dout_writes;
	m->dout_exact += lr->dout_exact;
	m->dout_fill += lr->dout_fill;
	m->dout_inexact += lr->dout_inexact;
	rl_opstat_merge(m, lr);
	if (lr->ndiffs && !m->diffs) {
		m->diffs = calloc(RP_DIFFS_KEPT, sizeof(*m->diffs));
		if (!m->diffs)
			return;
	}
	for (i = 0; i < lr->ndiffs && m->ndiffs < RP_DIFFS_KEPT; i++)
		m->diffs[m->ndiffs++] = lr->diffs[i];
}

int rp_lanes_run(replay *r)
{
	rp_lanes *L = r->lanes;
	unsigned i, started = 1;

	for (i = 1; i < L->n; i++) {
		if (pthread_create(&L->th[i], NULL, rl_thread, L->lane[i])) {
			rl_fatal(r, "cannot start a lane's thread");
			break;
		}
		started++;
	}
	if (started == L->n)
		rl_run(r);
	else
		atomic_store(&L->fatal, 1);
	for (i = 1; i < started; i++)
		pthread_join(L->th[i], NULL);
	r->t_end = rp_now_ns();
	for (i = 1; i < L->n; i++)
		rl_merge(r, L->lane[i]);
	if (r->ndiffs > 1)
		qsort(r->diffs, r->ndiffs, sizeof(*r->diffs), rl_diff_cmp);
	return r->fatal ? VSCSI_ERR_IO : VSCSI_OK;
}

void rp_lanes_free(replay *r)
{
	rp_lanes *L = r->lanes;
	unsigned i;

	if (!L)
		return;
	for (i = 1; i < L->n; i++) {
		replay *lr = L->lane[i];

		if (!lr)
			continue;
		if (lr->t)
			lr->t->vt->close(lr->t);
		rp_slots_free(lr);
		rp_vmap_free(lr->vmap);
		free(lr->wlog);
		free(lr->diffs);
		free(lr->opstats);
		free(lr);
	}
	for (i = 0; i < L->n; i++)
		free(L->ops[i]);
	free(L->owner);
	pthread_mutex_destroy(&L->fatal_lock);
	free(L);
	r->lanes = NULL;
}
