/*
 * Request tracking: an open-addressing hash table (linear probing, deletion
 * by backward shift, so no tombstones) from (conn, vq, head) to an entry in
 * a pool. Entries are large (a whole request), so the table holds pool
 * indices and entries never move. The table keeps each key beside its
 * index, so that probing, and completing without a copy of the entry,
 * touch the table alone.
 */
#include <stdlib.h>
#include <string.h>

#include "vscsi/stats.h"
#include "mem_int.h"

#define NO_ENTRY UINT32_MAX
#define DEFAULT_MAX (1u << 20)
#define INITIAL_POOL 256u

struct track_slot {
	uint64_t key;		/* track_pack() of the entry's key */
	uint32_t idx;		/* pool index, or NO_ENTRY */
};

struct vscsi_tracker {
	struct track_slot *slot;	/* the table */
	size_t nslot;		/* power of two, >= 2 * pool size */
	vscsi_inflight *pool;
	uint32_t *free_list;	/* stack of free pool indices */
	size_t nfree;
	size_t pool_size;
	size_t count;
	size_t max;
	uint64_t next_seq;
	vscsi_tracker_counts c;
};

/* A key as one number: equal keys, equal numbers. */
static uint64_t track_pack(vscsi_track_key k)
{
	return (uint64_t)k.conn << 32 | (uint64_t)k.vq << 16 | k.head;
}

static uint64_t track_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

vscsi_tracker *vscsi_tracker_new(size_t max_inflight)
{
	vscsi_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_inflight ? max_inflight : DEFAULT_MAX;
	return t;
}

void vscsi_tracker_free(vscsi_tracker *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t->pool);
	free(t->free_list);
	free(t);
}

/* Slot holding key (packed), or the empty slot where it would go. */
static size_t track_find(const vscsi_tracker *t, uint64_t key)
{
	size_t mask = t->nslot - 1;
	size_t i = (size_t)track_hash(key) & mask;

	while (t->slot[i].idx != NO_ENTRY && t->slot[i].key != key)
		i = (i + 1) & mask;
	return i;
}

static int track_rehash(vscsi_tracker *t, size_t nslot)
{
	struct track_slot *old = t->slot;
	size_t old_n = t->nslot, i;

	t->slot = malloc(nslot * sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return VSCSI_ERR_NOMEM;
	}
	for (i = 0; i < nslot; i++) {
		t->slot[i].key = 0;
		t->slot[i].idx = NO_ENTRY;
	}
	t->nslot = nslot;
	for (i = 0; i < old_n; i++)
		if (old[i].idx != NO_ENTRY)
			t->slot[track_find(t, old[i].key)] = old[i];
	free(old);
	return VSCSI_OK;
}

static int track_grow(vscsi_tracker *t)
{
	size_t n = t->pool_size ? t->pool_size * 2 : INITIAL_POOL, i;
	vscsi_inflight *pool;
	uint32_t *fl;

	if (n > t->max)
		n = t->max;
	if (n <= t->pool_size)
		return VSCSI_ERR_NOSPACE;
	pool = realloc(t->pool, n * sizeof(*pool));
	if (!pool)
		return VSCSI_ERR_NOMEM;
	t->pool = pool;
	fl = realloc(t->free_list, n * sizeof(*fl));
	if (!fl)
		return VSCSI_ERR_NOMEM;
	t->free_list = fl;
	for (i = n; i > t->pool_size; i--)
		t->free_list[t->nfree++] = (uint32_t)(i - 1);
	t->pool_size = n;
	return track_rehash(t, n * 2 > t->nslot ? n * 2 : t->nslot);
}

/*
 * The entry for key, with key, ts_ns and seq set; the caller fills is_ctrl
 * and req. NULL (with *rc) when the tracker is full.
 */
static vscsi_inflight *track_insert(vscsi_tracker *t, vscsi_track_key key,
				    uint64_t ts_ns, int *rc)
{
	uint64_t k = track_pack(key);
	vscsi_inflight *e;
	size_t i = 0;

	t->c.submitted++;
	if (t->nslot) {
		i = track_find(t, k);
		if (t->slot[i].idx != NO_ENTRY) {
			/* The head is still in flight: the guest reused it. */
			t->c.reused++;
			e = &t->pool[t->slot[i].idx];
			e->ts_ns = ts_ns;
			e->seq = t->next_seq++;
			*rc = 1;
			return e;
		}
	}
	if (!t->nfree) {
		int err = track_grow(t);

		if (err) {
			t->c.overflow++;
			*rc = err == VSCSI_ERR_NOSPACE ? err : VSCSI_ERR_NOMEM;
			return NULL;
		}
		/* the table was rebuilt */
		i = track_find(t, k);
	}
	t->slot[i].key = k;
	t->slot[i].idx = t->free_list[--t->nfree];
	e = &t->pool[t->slot[i].idx];
	e->key = key;
	e->ts_ns = ts_ns;
	e->seq = t->next_seq++;
	t->count++;
	*rc = VSCSI_OK;
	return e;
}

int vscsi_tracker_submit_cmd(vscsi_tracker *t, vscsi_track_key key,
			     uint64_t ts_ns, const vscsi_cmd_req *req)
{
	int rc;
	vscsi_inflight *e = track_insert(t, key, ts_ns, &rc);

	if (e) {
		e->is_ctrl = 0;
		vscsi__copy(&e->req.cmd, req, sizeof(*req));
	}
	return rc;
}

int vscsi_tracker_submit_ctrl(vscsi_tracker *t, vscsi_track_key key,
			      uint64_t ts_ns, const vscsi_ctrl_req *req)
{
	int rc;
	vscsi_inflight *e = track_insert(t, key, ts_ns, &rc);

	if (e) {
		e->is_ctrl = 1;
		memset(&e->req, 0, sizeof(e->req));
		e->req.ctrl = *req;
	}
	return rc;
}

/* Remove the entry at slot i, shifting later members of its cluster back. */
static void track_remove_slot(vscsi_tracker *t, size_t i)
{
	size_t mask = t->nslot - 1, j = i;

	t->free_list[t->nfree++] = t->slot[i].idx;
	t->slot[i].idx = NO_ENTRY;
	t->count--;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (t->slot[j].idx == NO_ENTRY)
			return;
		home = (size_t)track_hash(t->slot[j].key) & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j].idx = NO_ENTRY;
		i = j;
	}
}

int vscsi_tracker_complete(vscsi_tracker *t, vscsi_track_key key,
			   vscsi_inflight *out)
{
	size_t i;

	if (!t->nslot ||
	    t->slot[i = track_find(t, track_pack(key))].idx == NO_ENTRY) {
		t->c.unmatched++;
		return 0;
	}
	if (out)
		vscsi__copy(out, &t->pool[t->slot[i].idx], sizeof(*out));
	track_remove_slot(t, i);
	t->c.completed++;
	return 1;
}

size_t vscsi_tracker_count(const vscsi_tracker *t)
{
	return t->count;
}

static int track_cmp_seq(const void *a, const void *b)
{
	const vscsi_inflight *x = *(const vscsi_inflight *const *)a;
	const vscsi_inflight *y = *(const vscsi_inflight *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t vscsi_tracker_oldest(const vscsi_tracker *t, const vscsi_inflight **out,
			    size_t max)
{
	const vscsi_inflight **all;
	size_t i, n = 0;

	if (!t->count || !max)
		return 0;
	all = malloc(t->count * sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < t->nslot; i++)
		if (t->slot[i].idx != NO_ENTRY)
			all[n++] = &t->pool[t->slot[i].idx];
	qsort(all, n, sizeof(*all), track_cmp_seq);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

size_t vscsi_tracker_drop(vscsi_tracker *t, uint32_t conn)
{
	size_t i = 0, dropped = 0;

	while (i < t->nslot) {
		if (t->slot[i].idx != NO_ENTRY &&
		    (conn == UINT32_MAX ||
		     t->pool[t->slot[i].idx].key.conn == conn)) {
			/* the shift may pull a later entry into slot i: look again */
			track_remove_slot(t, i);
			dropped++;
			continue;
		}
		i++;
	}
	return dropped;
}

void vscsi_tracker_counters(const vscsi_tracker *t, vscsi_tracker_counts *out)
{
	*out = t->c;
}
