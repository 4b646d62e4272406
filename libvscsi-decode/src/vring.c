/*
 * Virtqueues: chain walking over untrusted descriptor tables, the device
 * side (pop, push, notification decisions) and the driver side (add,
 * get_used, kick decisions) of split (virtio 1.2 section 2.7) and packed
 * (section 2.8) rings. See vscsi/vring.h for the layouts and the contract.
 *
 * Reading shared memory: a descriptor is copied into a local (vring_desc_get)
 * and decoded from the copy with the bounds-checked reader; it is never read
 * twice. The fields that publish entries (split avail/used idx, packed
 * descriptor flags) are 16-bit aligned words loaded with acquire and stored
 * with release; the setups check the alignment that makes those accesses
 * valid. The other ring words are accessed as relaxed atomics so that the
 * compiler reads each exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "gmem_int.h"
#include "vscsi/reader.h"
#include "vscsi/vring.h"

#define DESC_NEXT VSCSI_VRING_DESC_F_NEXT
#define DESC_WRITE VSCSI_VRING_DESC_F_WRITE
#define DESC_INDIRECT VSCSI_VRING_DESC_F_INDIRECT
#define DESC_AVAIL VSCSI_VRING_DESC_F_AVAIL
#define DESC_USED VSCSI_VRING_DESC_F_USED
#define DSZ VSCSI_VRING_DESC_SIZE

/* ------------------------------------------------------------ ring words */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define vring_le16(v) __builtin_bswap16(v)
#define vring_le32(v) __builtin_bswap32(v)
#define vring_le64(v) __builtin_bswap64(v)
#else
#define vring_le16(v) (v)
#define vring_le32(v) (v)
#define vring_le64(v) (v)
#endif

/* The pointers below are aligned ring fields (checked at setup); they are
 * scalars accessed atomically, not structures laid over the buffer. */
static uint16_t vring_ld16(const uint8_t *p)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p,
				     __ATOMIC_RELAXED);
	return vring_le16(v);
}

static uint16_t vring_ld16_acq(const uint8_t *p)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p,
				     __ATOMIC_ACQUIRE);
	return vring_le16(v);
}

static uint32_t vring_ld32(const uint8_t *p)
{
	uint32_t v = __atomic_load_n((const uint32_t *)(const void *)p,
				     __ATOMIC_RELAXED);
	return vring_le32(v);
}

static uint64_t vring_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return vring_le64(v);
}

static void vring_st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, vring_le16(v),
			 __ATOMIC_RELAXED);
}

static void vring_st16_rel(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, vring_le16(v),
			 __ATOMIC_RELEASE);
}

static void vring_st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, vring_le32(v),
			 __ATOMIC_RELAXED);
}

static void vring_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* vring_need_event (2.7 "Used Buffer Notification Suppression"): 1 when
 * event lies in [old, new) modulo m (m = 65536 for split indices, 2 * num
 * for packed positions). */
static int vring_need_event(uint32_t event, uint32_t new_pos, uint32_t old,
			    uint32_t m)
{
	return (new_pos + 2 * m - event - 1) % m < (new_pos + m - old) % m;
}

/* A packed (slot, wrap counter) as one position in [0, 2 * num): the wrap
 * counter starts at 1, so the first lap is 0..num-1. */
static uint32_t vring_packed_pos(uint16_t slot, unsigned wrap, uint16_t num)
{
	return wrap ? slot : (uint32_t)slot + num;
}

/* ------------------------------------------------------------ descriptors */

/* One descriptor as read once from shared memory. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;	/* split: next index; packed: buffer id */
};

/* Decode a 16-byte descriptor from a private copy. */
static void vring_desc_decode(const uint8_t raw[DSZ], int packed,
			      struct vring_desc *d)
{
	uint64_t a;
	uint32_t l;
	uint16_t w12, w14;

	memcpy(&a, raw, 8);
	memcpy(&l, raw + 8, 4);
	memcpy(&w12, raw + 12, 2);
	memcpy(&w14, raw + 14, 2);
	d->addr = vring_le64(a);
	d->len = vring_le32(l);
	d->flags = vring_le16(packed ? w14 : w12);
	d->next = vring_le16(packed ? w12 : w14);
}

/* Copy a descriptor out of shared memory, then decode the copy. The fence
 * keeps the compiler from reading the shared bytes again later. */
static void vring_desc_get(const uint8_t *src, int packed, struct vring_desc *d)
{
	uint8_t raw[DSZ];

	memcpy(raw, src, DSZ);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	vring_desc_decode(raw, packed, d);
}

/* Write a descriptor the peer does not look at yet (split table entries,
 * indirect tables). */
static void vring_desc_put(uint8_t *dst, int packed, uint64_t addr,
			   uint32_t len, uint16_t flags, uint16_t next_or_id)
{
	uint8_t raw[DSZ];

	vscsi_put_le64(raw, addr);
	vscsi_put_le32(raw + 8, len);
	if (packed) {
		vscsi_put_le16(raw + 12, next_or_id);
		vscsi_put_le16(raw + 14, flags);
	} else {
		vscsi_put_le16(raw + 12, flags);
		vscsi_put_le16(raw + 14, next_or_id);
	}
	memcpy(dst, raw, DSZ);
}

/* Write a packed ring descriptor but its flags word, which the device may
 * be polling: the caller stores the flags with release after. */
static void vring_pdesc_put_body(uint8_t *dst, uint64_t addr, uint32_t len,
				 uint16_t id)
{
	uint8_t raw[DSZ];

	vscsi_put_le64(raw, addr);
	vscsi_put_le32(raw + 8, len);
	vscsi_put_le16(raw + 12, id);
	memcpy(dst, raw, DSZ - 2);
}

/* ------------------------------------------------------------ chain walker */

void vscsi_chain_init(vscsi_chain *c, struct iovec *iov, unsigned cap)
{
	memset(c, 0, sizeof(*c));
	c->iov = iov;
	c->cap = iov ? cap : 0;
}

void vscsi_chain_set_addr(vscsi_chain *c, uint64_t *addr)
{
	c->addr = addr;
}

/*
 * The iterator over one chain: a table (the split descriptor table, the
 * packed ring, or an indirect table) and a position in it. vring_it_next
 * gives the next buffer descriptor (1), the end of the chain (0) or an
 * error (< 0).
 */
struct vring_it {
	const uint8_t *tab;	/* current table; NULL: indirect table read
				 * by guest address (it spans regions) */
	uint64_t tab_gpa;
	const vscsi_gmem *mem;
	uint32_t size;		/* entries in the current table */
	uint32_t pos;		/* entry to read next */
	uint32_t seen;		/* entries read from the current table */
	uint16_t num;		/* ring size */
	unsigned walk_flags;
	int packed;
	int indirect;		/* in an indirect table */
	int done;
	uint16_t ring_desc;	/* descriptors read from the ring / table */
	uint16_t id;		/* packed: id of the last ring descriptor */
	int used_indirect;
};

/* Read the entry at it->pos, counting it against the table size. */
static int vring_it_read(struct vring_it *it, struct vring_desc *d)
{
	if (it->seen >= it->size) {
		/* More entries than the table holds: only a loop can do that
		 * in a split table; a packed list just ran past num slots. */
		return it->packed && !it->indirect ? VSCSI_ERR_CHAIN_LONG
						   : VSCSI_ERR_DESC_LOOP;
	}
	it->seen++;
	if (it->tab) {
		vring_desc_get(it->tab + (size_t)it->pos * DSZ, it->packed, d);
	} else {
		uint8_t raw[DSZ];
		int r = vscsi_gmem_read(it->mem,
					it->tab_gpa + (uint64_t)it->pos * DSZ,
					raw, DSZ);

		if (r)
			return r;
		vring_desc_decode(raw, it->packed, d);
	}
	if (!it->indirect) {
		it->ring_desc++;
		if (it->packed)
			it->id = d->next;
	}
	return VSCSI_OK;
}

/* The one place that reads indirect tables (2.7 and 2.8 "Indirect
 * Descriptors"): check the table and make it the current one. */
static int vring_it_enter(struct vring_it *it, const struct vring_desc *d)
{
	unsigned pieces;
	int r;

	if (it->indirect)
		return VSCSI_ERR_INDIRECT_NESTED;
	if (!(it->walk_flags & VSCSI_WALK_INDIRECT))
		return VSCSI_ERR_INDIRECT_OFF;
	if (d->flags & DESC_NEXT)
		return VSCSI_ERR_INDIRECT_NESTED;
	/* packed: no indirect descriptor inside a NEXT-linked list */
	if (it->packed && it->seen > 1)
		return VSCSI_ERR_INDIRECT_NESTED;
	if (d->len == 0 || d->len % DSZ != 0 || d->len / DSZ > it->num)
		return VSCSI_ERR_INDIRECT_LEN;
	r = vscsi_gmem_map(it->mem, d->addr, d->len, NULL, 0, &pieces);
	if (r)
		return r;
	it->tab = pieces == 1 ? vscsi_gmem_ptr(it->mem, d->addr, d->len) : NULL;
	it->tab_gpa = d->addr;
	it->size = d->len / DSZ;
	it->pos = 0;
	it->seen = 0;
	it->indirect = 1;
	it->used_indirect = 1;
	return VSCSI_OK;
}

/* The one place that follows `next` (split) or moves to the following slot
 * or entry (packed). */
static int vring_it_follow(struct vring_it *it, const struct vring_desc *d)
{
	if (it->packed && it->indirect) {
		/* entries are consecutive; NEXT is ignored (2.8) */
		if (++it->pos >= it->size)
			it->done = 1;
		return VSCSI_OK;
	}
	if (!(d->flags & DESC_NEXT)) {
		it->done = 1;
		return VSCSI_OK;
	}
	if (it->packed) {
		it->pos = it->pos + 1 == it->num ? 0 : it->pos + 1;
		return VSCSI_OK;
	}
	if (d->next >= it->size)
		return VSCSI_ERR_DESC_INDEX;
	it->pos = d->next;
	return VSCSI_OK;
}

static int vring_it_next(struct vring_it *it, struct vring_desc *d)
{
	int r;

	for (;;) {
		if (it->done)
			return 0;
		r = vring_it_read(it, d);
		if (r)
			return r;
		if (d->flags & DESC_INDIRECT) {
			r = vring_it_enter(it, d);
			if (r)
				return r;
			continue;
		}
		r = vring_it_follow(it, d);
		return r ? r : 1;
	}
}

/* Add one buffer descriptor to the chain. */
static int vring_chain_add(vscsi_chain *c, const vscsi_gmem *mem,
			   const struct vring_desc *d)
{
	int write = (d->flags & DESC_WRITE) != 0;
	unsigned used = c->n_out + c->n_in;
	unsigned k = 0, j;
	uint64_t gpa;
	int r;

	if (!write && c->desc_in)
		return VSCSI_ERR_DESC_ORDER;
	/* each direction fits the 32-bit used length; the whole chain is at
	 * most 2^32 bytes (2.7 "The Virtqueue Descriptor Table") */
	if (d->len > UINT32_MAX - (write ? c->in_len : c->out_len) ||
	    c->out_len + c->in_len + d->len > (uint64_t)1 << 32)
		return VSCSI_ERR_INVALID;
	if (d->len > 0) {
		if (used >= c->cap)
			return VSCSI_ERR_IOV_FULL;
		r = vscsi_gmem_map(mem, d->addr, d->len, c->iov + used,
				   c->cap - used, &k);
		if (r)
			return r;
		if (c->addr) {
			gpa = d->addr;
			for (j = 0; j < k; j++) {
				c->addr[used + j] = gpa;
				gpa += c->iov[used + j].iov_len;
			}
		}
	}
	if (write) {
		c->n_in += k;
		c->desc_in++;
		c->in_len += d->len;
	} else {
		c->n_out += k;
		c->desc_out++;
		c->out_len += d->len;
	}
	return VSCSI_OK;
}

static int vring_walk(struct vring_it *it, vscsi_chain *c)
{
	struct vring_desc d = {0, 0, 0, 0};
	uint32_t nbuf = 0;
	int r;

	while ((r = vring_it_next(it, &d)) > 0) {
		if (++nbuf > it->num) {
			r = VSCSI_ERR_CHAIN_LONG;
			break;
		}
		r = vring_chain_add(c, it->mem, &d);
		if (r)
			break;
	}
	c->ndesc = it->ring_desc;
	if (it->used_indirect)
		c->flags |= VSCSI_CHAIN_INDIRECT;
	if (it->packed)
		c->head = it->id;
	return r;
}

#define VRING_FAST_MAX 8u	/* descriptors the short path walks */

/*
 * The short path's loop: the linked list of direct descriptors that starts
 * with d (read already) in a table of size entries, at most max of them,
 * none empty, readable before writable, each buffer in the memory region
 * the last lookup found. Fills c's iovecs, addresses, counts and lengths;
 * returns 0 to give up (the general walker then starts over), else 1.
 */
static int vring_fast_list(const uint8_t *tab, uint32_t size,
			   struct vring_desc d, unsigned max,
			   const vscsi_gmem *mem, vscsi_chain *c)
{
	uint64_t out_len = 0, in_len = 0;
	unsigned n = 0, n_out = 0;
	int in = 0;

	if (max > size)
		max = size;
	for (;;) {
		void *p;

		if ((d.flags & DESC_INDIRECT) || d.len == 0)
			return 0;
		if (d.flags & DESC_WRITE)
			in = 1;
		else if (in)
			return 0;
		p = vscsi__gmem_hit(mem, d.addr, d.len);
		if (!p)
			return 0;
		c->iov[n].iov_base = p;
		c->iov[n].iov_len = d.len;
		if (c->addr)
			c->addr[n] = d.addr;
		n++;
		if (in) {
			in_len += d.len;
		} else {
			out_len += d.len;
			n_out++;
		}
		if (!(d.flags & DESC_NEXT))
			break;
		if (d.next >= size || n >= max)
			return 0;
		vring_desc_get(tab + (size_t)d.next * DSZ, 0, &d);
	}
	/* the general walker's length rules (vring_chain_add) */
	if (out_len > UINT32_MAX || in_len > UINT32_MAX ||
	    out_len + in_len > (uint64_t)1 << 32)
		return 0;
	c->n_out = c->desc_out = n_out;
	c->n_in = c->desc_in = n - n_out;
	c->out_len = out_len;
	c->in_len = in_len;
	return 1;
}

/*
 * The usual split chain, walked without the iterator: up to VRING_FAST_MAX
 * direct descriptors in the ring, or one indirect descriptor whose table
 * holds as many (what Linux sends whenever INDIRECT_DESC is negotiated).
 * Fills c as vring_walk would and returns 1; on anything else (a buffer
 * outside the region of the last lookup, any error) returns 0, having
 * written at most iovecs and addresses, and the caller walks the chain
 * again the general way.
 */
static int vring_walk_split_fast(const uint8_t *tab, uint16_t num,
				 uint16_t head, const vscsi_gmem *mem,
				 unsigned flags, vscsi_chain *c)
{
	unsigned max = VRING_FAST_MAX;
	struct vring_desc d;
	const uint8_t *t;
	uint32_t size;

	if (max > c->cap)
		max = c->cap;
	if (max == 0)
		return 0;
	vring_desc_get(tab + (size_t)head * DSZ, 0, &d);
	if (!(d.flags & DESC_INDIRECT)) {
		if (!vring_fast_list(tab, num, d, max, mem, c))
			return 0;
		c->ndesc = (uint16_t)(c->desc_out + c->desc_in);
		return 1;
	}
	/* the table as vring_it_enter takes it (2.7.5.3.1) */
	if (!(flags & VSCSI_WALK_INDIRECT) || (d.flags & DESC_NEXT) ||
	    d.len == 0 || d.len % DSZ || d.len / DSZ > num)
		return 0;
	size = d.len / DSZ;
	t = vscsi__gmem_hit(mem, d.addr, d.len);
	if (!t)
		return 0;
	vring_desc_get(t, 0, &d);
	if (!vring_fast_list(t, size, d, max, mem, c))
		return 0;
	c->ndesc = 1;
	c->flags |= VSCSI_CHAIN_INDIRECT;
	return 1;
}

static int vring_walk_start(const void *table, uint16_t num, uint16_t start,
			    const vscsi_gmem *mem, unsigned flags,
			    vscsi_chain *c, int packed)
{
	struct vring_it it;

	if (!table || !mem || !c || num == 0 || (!c->iov && c->cap))
		return VSCSI_ERR_ARG;
	c->head = start;
	c->ndesc = 0;
	c->flags = packed ? VSCSI_CHAIN_PACKED : 0;
	c->n_out = c->n_in = 0;
	c->desc_out = c->desc_in = 0;
	c->out_len = c->in_len = 0;
	if (start >= num)
		return VSCSI_ERR_HEAD;
	if (!packed && !(flags & VSCSI_WALK_GENERAL) &&
	    vring_walk_split_fast(table, num, start, mem, flags, c))
		return VSCSI_OK;
	memset(&it, 0, sizeof(it));
	it.tab = table;
	it.mem = mem;
	it.size = num;
	it.pos = start;
	it.num = num;
	it.walk_flags = flags;
	it.packed = packed;
	return vring_walk(&it, c);
}

int vscsi_chain_walk_split(const void *desc_table, uint16_t num, uint16_t head,
			   const vscsi_gmem *mem, unsigned flags,
			   vscsi_chain *c)
{
	return vring_walk_start(desc_table, num, head, mem, flags, c, 0);
}

int vscsi_chain_walk_packed(const void *ring, uint16_t num, uint16_t slot,
			    const vscsi_gmem *mem, unsigned flags,
			    vscsi_chain *c)
{
	return vring_walk_start(ring, num, slot, mem, flags, c, 1);
}

/* ------------------------------------------------------------ sizes */

void vscsi_vring_split_sizes(uint16_t num, size_t *desc, size_t *avail,
			     size_t *used)
{
	if (desc)
		*desc = (size_t)DSZ * num;
	if (avail)
		*avail = 6 + (size_t)2 * num;
	if (used)
		*used = 6 + (size_t)8 * num;
}

void vscsi_vring_packed_sizes(uint16_t num, size_t *desc, size_t *driver_event,
			      size_t *device_event)
{
	if (desc)
		*desc = (size_t)DSZ * num;
	if (driver_event)
		*driver_event = 4;
	if (device_event)
		*device_event = 4;
}

/* ------------------------------------------------------------ queues */

enum vq_mode {
	VQ_NONE,
	VQ_DEV_SPLIT,
	VQ_DEV_PACKED,
	VQ_DRV_SPLIT,
	VQ_DRV_PACKED,
};

#define VQ_HEADS 64u

struct vscsi_vq {
	enum vq_mode mode;
	unsigned flags;		/* VSCSI_VQ_* */
	uint16_t num;
	int broken;
	/* split: desc, avail, used; packed: desc, driver event, device event */
	uint8_t *desc, *area1, *area2;
	uint32_t base;		/* last SET_VRING_BASE value */
	int have_base;

	/* our side's indices. split: free-running; packed: slot + wrap */
	uint16_t avail_idx;	/* device: next to pop; driver: next to add */
	uint16_t avail_seen;	/* split device: the driver's avail idx as
				 * last read (chains up to it need no read
				 * of the driver's cache line) */
	uint8_t avail_wrap;
	/* split device: the heads of the chains from avail_idx on, copied
	 * when avail idx was read (the driver goes on writing the entries
	 * after them into the same cache lines) */
	uint16_t heads_at;	/* free-running index of heads[0] */
	uint16_t heads_n;
	uint16_t heads[VQ_HEADS];
	uint16_t used_idx;	/* device: next to publish; driver: next to
				 * read */
	uint16_t held;		/* split device: used entries written after
				 * used_idx and not yet published */
	uint8_t used_wrap;
	uint16_t inflight;	/* packed device, both drivers */

	/* notification decisions: position at the last decision (split:
	 * index; packed: vring_packed_pos) and positions moved since */
	uint32_t sig_pos;
	int sig_valid;
	uint32_t since;
	int notify_on;		/* we want notifications from the peer */

	/* driver: free lists (split: descriptor links; packed: buffer id
	 * links) and per id the descriptors/slots a chain holds (0: free) */
	uint16_t *link;
	uint16_t *ndesc;
	uint16_t free_head;
	uint16_t nfree;		/* free descriptors (packed: slots) */
	uint16_t nfree_ids;	/* packed */
	uint16_t arrays_num;
};

vscsi_vq *vscsi_vq_new(void)
{
	return calloc(1, sizeof(vscsi_vq));
}

void vscsi_vq_free(vscsi_vq *vq)
{
	if (!vq)
		return;
	free(vq->link);
	free(vq->ndesc);
	free(vq);
}

static int vq_break(vscsi_vq *vq, int err)
{
	vq->broken = 1;
	return err;
}

static int vq_is_pow2(uint16_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static int vq_aligned(const void *p, uintptr_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static int vq_check_split(uint16_t num, const void *desc, const void *avail,
			  const void *used, unsigned flags)
{
	if (!vq_is_pow2(num) || num > VSCSI_VRING_MAX_NUM)
		return VSCSI_ERR_ARG;
	if (!desc || !avail || !used || !vq_aligned(desc, 16) ||
	    !vq_aligned(avail, 2) || !vq_aligned(used, 4))
		return VSCSI_ERR_ARG;
	if (flags & ~(VSCSI_VQ_EVENT_IDX | VSCSI_VQ_INDIRECT))
		return VSCSI_ERR_ARG;
	return VSCSI_OK;
}

static int vq_check_packed(uint16_t num, const void *desc, const void *drv,
			   const void *dev, unsigned flags)
{
	if (num == 0 || num > VSCSI_VRING_MAX_NUM)
		return VSCSI_ERR_ARG;
	if (!desc || !drv || !dev || !vq_aligned(desc, 16) ||
	    !vq_aligned(drv, 4) || !vq_aligned(dev, 4))
		return VSCSI_ERR_ARG;
	if (flags & ~(VSCSI_VQ_EVENT_IDX | VSCSI_VQ_INDIRECT))
		return VSCSI_ERR_ARG;
	return VSCSI_OK;
}

static void vq_attach(vscsi_vq *vq, enum vq_mode mode, uint16_t num,
		      void *desc, void *a1, void *a2, unsigned flags)
{
	vq->mode = mode;
	vq->num = num;
	vq->flags = flags;
	vq->desc = desc;
	vq->area1 = a1;
	vq->area2 = a2;
	vq->broken = 0;
	vq->avail_idx = vq->used_idx = 0;
	vq->held = 0;
	vq->avail_seen = 0;
	vq->heads_n = 0;
	vq->avail_wrap = vq->used_wrap = 1;
	vq->inflight = 0;
	vq->sig_pos = 0;
	vq->sig_valid = 0;
	vq->since = 0;
	vq->notify_on = 1;
}

/* Apply the stored base to a device queue. */
static void vq_apply_base(vscsi_vq *vq)
{
	uint32_t b = vq->base;

	if (vq->mode == VQ_DEV_SPLIT || vq->mode == VQ_DEV_PACKED) {
		vq->sig_valid = 0;
		vq->since = 0;
	}
	if (vq->mode == VQ_DEV_SPLIT) {
		vq->avail_idx = (uint16_t)b;
		vq->avail_seen = (uint16_t)b;
		vq->heads_n = 0;
		vq->held = 0;
	} else if (vq->mode == VQ_DEV_PACKED) {
		vq->avail_idx = (uint16_t)(b & 0x7fff);
		vq->avail_wrap = (uint8_t)(b >> 15 & 1);
		vq->used_idx = (uint16_t)(b >> 16 & 0x7fff);
		vq->used_wrap = (uint8_t)(b >> 31);
		vq->inflight = 0;
		if (vq->avail_idx >= vq->num || vq->used_idx >= vq->num)
			vq->broken = 1;
	}
}

int vscsi_vq_setup_split(vscsi_vq *vq, uint16_t num, void *desc, void *avail,
			 void *used, unsigned flags)
{
	int r;

	if (!vq)
		return VSCSI_ERR_ARG;
	r = vq_check_split(num, desc, avail, used, flags);
	if (r)
		return r;
	vq_attach(vq, VQ_DEV_SPLIT, num, desc, avail, used, flags);
	if (vq->have_base)
		vq_apply_base(vq);
	/* the used index lives in the ring (a back-end that restarts takes
	 * it from there) */
	vq->used_idx = vring_ld16(vq->area2 + 2);
	return VSCSI_OK;
}

int vscsi_vq_setup_packed(vscsi_vq *vq, uint16_t num, void *desc,
			  void *driver_event, void *device_event,
			  unsigned flags)
{
	int r;

	if (!vq)
		return VSCSI_ERR_ARG;
	r = vq_check_packed(num, desc, driver_event, device_event, flags);
	if (r)
		return r;
	vq_attach(vq, VQ_DEV_PACKED, num, desc, driver_event, device_event,
		  flags);
	if (vq->have_base)
		vq_apply_base(vq);
	return VSCSI_OK;
}

void vscsi_vq_set_base(vscsi_vq *vq, uint32_t base)
{
	if (!vq)
		return;
	vq->base = base;
	vq->have_base = 1;
	vq_apply_base(vq);
}

uint32_t vscsi_vq_get_base(const vscsi_vq *vq)
{
	if (!vq)
		return 0;
	switch (vq->mode) {
	case VQ_DEV_SPLIT:
		return vq->avail_idx;
	case VQ_DEV_PACKED:
		return (uint32_t)(vq->avail_idx & 0x7fff) |
		       (uint32_t)vq->avail_wrap << 15 |
		       (uint32_t)(vq->used_idx & 0x7fff) << 16 |
		       (uint32_t)vq->used_wrap << 31;
	case VQ_NONE:
		return vq->have_base ? vq->base : 0;
	default:
		return 0;
	}
}

int vscsi_vq_broken(const vscsi_vq *vq)
{
	return vq ? vq->broken : 0;
}

uint16_t vscsi_vq_num(const vscsi_vq *vq)
{
	return vq && vq->mode != VQ_NONE ? vq->num : 0;
}

uint16_t vscsi_vq_inflight(const vscsi_vq *vq)
{
	if (!vq)
		return 0;
	if (vq->mode == VQ_DEV_SPLIT)
		return (uint16_t)(vq->avail_idx - vq->used_idx);
	return vq->inflight;
}

static unsigned vq_walk_flags(const vscsi_vq *vq)
{
	return vq->flags & VSCSI_VQ_INDIRECT ? VSCSI_WALK_INDIRECT : 0;
}

/* Split offsets. */
static uint8_t *vq_avail_ring(const vscsi_vq *vq, uint16_t idx)
{
	return vq->area1 + 4 + (size_t)2 * (idx & (vq->num - 1));
}
static uint8_t *vq_used_event(const vscsi_vq *vq)
{
	return vq->area1 + 4 + (size_t)2 * vq->num;
}
static uint8_t *vq_used_elem(const vscsi_vq *vq, uint16_t idx)
{
	return vq->area2 + 4 + (size_t)8 * (idx & (vq->num - 1));
}
static uint8_t *vq_avail_event(const vscsi_vq *vq)
{
	return vq->area2 + 4 + (size_t)8 * vq->num;
}
/* Packed offsets: a descriptor and its flags word. */
static uint8_t *vq_pdesc(const vscsi_vq *vq, uint16_t slot)
{
	return vq->desc + (size_t)DSZ * slot;
}
static uint8_t *vq_pflags(const vscsi_vq *vq, uint16_t slot)
{
	return vq_pdesc(vq, slot) + 14;
}

/* The flags of a used packed descriptor (2.8.1, 2.8.3). */
static uint16_t vq_used_flags(unsigned wrap, uint32_t len)
{
	return (uint16_t)((wrap ? DESC_AVAIL | DESC_USED : 0) |
			  (len ? DESC_WRITE : 0));
}

static int vq_packed_is_avail(uint16_t flags, unsigned wrap)
{
	return ((flags & DESC_AVAIL) != 0) == (wrap != 0) &&
	       ((flags & DESC_USED) != 0) != (wrap != 0);
}

static int vq_packed_is_used(uint16_t flags, unsigned wrap)
{
	return ((flags & DESC_AVAIL) != 0) == (wrap != 0) &&
	       ((flags & DESC_USED) != 0) == (wrap != 0);
}

/* Move a packed (slot, wrap) forward by n slots (n <= num). */
static void vq_packed_advance(uint16_t num, uint16_t *slot, uint8_t *wrap,
			      uint16_t n)
{
	uint32_t s = (uint32_t)*slot + n;

	if (s >= num) {
		s -= num;
		*wrap ^= 1;
	}
	*slot = (uint16_t)s;
}

/* Write an event suppression structure: desc (offset | wrap << 15), then
 * flags. */
static void vq_event_write(uint8_t *area, uint16_t slot, unsigned wrap,
			   uint16_t flags)
{
	vring_st16(area, (uint16_t)(slot | (wrap ? 0x8000u : 0)));
	vring_st16(area + 2, flags);
}

/* Device: tell the driver where to kick next (EVENT_IDX), then fence. */
static void vq_dev_publish_event(vscsi_vq *vq)
{
	if (vq->mode == VQ_DEV_SPLIT)
		vring_st16(vq_avail_event(vq), vq->avail_idx);
	else
		vq_event_write(vq->area2, vq->avail_idx, vq->avail_wrap,
			       VSCSI_VRING_EVENT_DESC);
	vring_fence();
}

/* Split device: copy the heads of the n chains from avail_idx on (when n
 * is more than the ring holds, the pop breaks the ring: copy none). */
static void vq_heads_fill(vscsi_vq *vq, uint16_t n)
{
	unsigned i;

	if (n > vq->num)
		n = 0;
	if (n > VQ_HEADS)
		n = VQ_HEADS;
	for (i = 0; i < n; i++)
		vq->heads[i] = vring_ld16(
			vq_avail_ring(vq, (uint16_t)(vq->avail_idx + i)));
	vq->heads_at = vq->avail_idx;
	vq->heads_n = n;
}

/* Split device: the head of the chain at free-running avail index idx. */
static uint16_t vq_head(const vscsi_vq *vq, uint16_t idx)
{
	uint16_t off = (uint16_t)(idx - vq->heads_at);

	if (off < vq->heads_n)
		return vq->heads[off];
	return vring_ld16(vq_avail_ring(vq, idx));
}

/* 1 when the next chain is available (split: *avail receives avail idx). */
static int vq_dev_peek(vscsi_vq *vq, uint16_t *avail)
{
	if (vq->mode == VQ_DEV_SPLIT) {
		uint16_t ahead = (uint16_t)(vq->avail_seen - vq->avail_idx);

		if (ahead && ahead <= vq->num) {
			*avail = vq->avail_seen;
			return 1;
		}
		*avail = vring_ld16_acq(vq->area1 + 2);
		vq->avail_seen = *avail;
		vq_heads_fill(vq, (uint16_t)(*avail - vq->avail_idx));
		return *avail != vq->avail_idx;
	}
	return vq_packed_is_avail(vring_ld16_acq(vq_pflags(vq, vq->avail_idx)),
				  vq->avail_wrap);
}

/* A hint to fetch guest address gpa (for writing when write is set), when
 * it lies in the region of the last lookup; the rest is left to the walk. */
static void vq_prefetch_gpa(const vscsi_gmem *mem, uint64_t gpa, int write)
{
	const void *p = vscsi__gmem_hit(mem, gpa, 1);

	if (!p)
		return;
	if (write)
		__builtin_prefetch(p, 1);
	else
		__builtin_prefetch(p);
}

#define VQ_PREFETCH_DESCS 2u	/* header, response */

/*
 * What the chain with head h points to. Not deep: the head descriptor's
 * buffer (the request header, or the indirect table) and the descriptor
 * it links to. Deep: the buffers of its first VQ_PREFETCH_DESCS
 * descriptors (of the indirect table, or following the links), for
 * writing where the device writes.
 */
static void vq_prefetch_chain(const vscsi_vq *vq, const vscsi_gmem *mem,
			      uint16_t h, int deep)
{
	const uint8_t *d, *t;
	uint16_t fl;
	uint32_t len;
	unsigned k;

	if (h >= vq->num)
		return;
	d = vq->desc + (size_t)h * DSZ;
	fl = vring_ld16(d + 12);
	if (fl & DESC_INDIRECT) {
		len = vring_ld32(d + 8);
		if (!deep) {
			vq_prefetch_gpa(mem, vring_ld64(d), 0);
			return;
		}
		if (len == 0 || len % DSZ || len / DSZ > vq->num)
			return;
		t = vscsi__gmem_hit(mem, vring_ld64(d), len);
		if (!t)
			return;
		/* the guest places the table: read it as the walker does,
		 * through a copy (it need not be aligned) */
		for (k = 0; k < VQ_PREFETCH_DESCS && k < len / DSZ; k++) {
			struct vring_desc e;

			vring_desc_get(t + (size_t)k * DSZ, 0, &e);
			vq_prefetch_gpa(mem, e.addr, e.flags & DESC_WRITE);
		}
		return;
	}
	for (k = 0;; k++) {
		uint16_t next = vring_ld16(d + 14);

		vq_prefetch_gpa(mem, vring_ld64(d), fl & DESC_WRITE);
		if (!(fl & DESC_NEXT) || next >= vq->num)
			return;
		d = vq->desc + (size_t)next * DSZ;
		if (!deep) {
			__builtin_prefetch(d);
			return;
		}
		if (k + 1 >= VQ_PREFETCH_DESCS)
			return;
		fl = vring_ld16(d + 12);
	}
}

/*
 * Split ring, n chains available: the chains after the one about to be
 * walked were just written by the driver on another CPU, and each cache
 * miss on them would stall this one in turn. Fetch them in stages, one
 * pop apart, so that each stage reads only what the stage before fetched:
 * the head descriptor three ahead; two ahead, what that descriptor points
 * to and links to; one ahead, the buffers of the whole chain. Only hints:
 * nothing is dereferenced but ring and table entries in bounds, and the
 * walker still checks everything.
 */
static void vq_prefetch_split(const vscsi_vq *vq, const vscsi_gmem *mem,
			      uint16_t n)
{
	uint16_t h;

	if (n > 3) {
		h = vq_head(vq, (uint16_t)(vq->avail_idx + 3));
		if (h < vq->num)
			__builtin_prefetch(vq->desc + (size_t)h * DSZ);
	}
	if (n > 2)
		vq_prefetch_chain(vq, mem,
				  vq_head(vq, (uint16_t)(vq->avail_idx + 2)), 0);
	if (n > 1)
		vq_prefetch_chain(vq, mem,
				  vq_head(vq, (uint16_t)(vq->avail_idx + 1)), 1);
}

int vscsi_vq_pop(vscsi_vq *vq, const vscsi_gmem *mem, vscsi_chain *c)
{
	uint16_t avail = 0, head;
	int r;

	if (!vq || !mem || !c)
		return VSCSI_ERR_ARG;
	if (vq->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (vq->mode != VQ_DEV_SPLIT && vq->mode != VQ_DEV_PACKED)
		return VSCSI_ERR_ARG;
	if (!vq_dev_peek(vq, &avail)) {
		if (!(vq->flags & VSCSI_VQ_EVENT_IDX) || !vq->notify_on)
			return 0;
		/* publish "kick me at the next one" and look once more, so
		 * a chain added meanwhile is seen here or kicked */
		vq_dev_publish_event(vq);
		if (!vq_dev_peek(vq, &avail))
			return 0;
	}
	if (vq->mode == VQ_DEV_SPLIT) {
		if ((uint16_t)(avail - vq->avail_idx) > vq->num)
			return vq_break(vq, VSCSI_ERR_AVAIL_IDX);
		head = vq_head(vq, vq->avail_idx);
		vq_prefetch_split(vq, mem, (uint16_t)(avail - vq->avail_idx));
		r = vscsi_chain_walk_split(vq->desc, vq->num, head, mem,
					   vq_walk_flags(vq), c);
		if (r)
			return vq_break(vq, r);
		vq->avail_idx++;
	} else {
		r = vscsi_chain_walk_packed(vq->desc, vq->num, vq->avail_idx,
					    mem, vq_walk_flags(vq), c);
		if (r)
			return vq_break(vq, r);
		vq_packed_advance(vq->num, &vq->avail_idx, &vq->avail_wrap,
				  c->ndesc);
		vq->inflight++;
	}
	return 1;
}

static int vq_dev_check_elem(const vscsi_vq *vq, uint16_t head, uint16_t ndesc)
{
	if (vq->mode == VQ_DEV_SPLIT)
		return head < vq->num ? VSCSI_OK : VSCSI_ERR_ARG;
	return ndesc >= 1 && ndesc <= vq->num ? VSCSI_OK : VSCSI_ERR_ARG;
}

static void vq_since_add(vscsi_vq *vq, uint32_t n)
{
	vq->since = n > UINT32_MAX - vq->since ? UINT32_MAX : vq->since + n;
}

/* Split device: write n used entries after the held ones, and hold them. */
static void vq_split_write(vscsi_vq *vq, const vscsi_used_elem *e, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t at = (uint16_t)(vq->used_idx + vq->held + i);
		uint8_t *el = vq_used_elem(vq, at);

		vring_st32(el, e[i].head);
		vring_st32(el + 4, e[i].len);
	}
	vq->held = (uint16_t)(vq->held + n);
}

/* Split device: publish the held used entries with one release store;
 * how many. */
static unsigned vq_split_publish(vscsi_vq *vq)
{
	unsigned n = vq->held;

	if (!n)
		return 0;
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	vq->held = 0;
	vring_st16_rel(vq->area2 + 2, vq->used_idx);
	vq_since_add(vq, n);
	return n;
}

/*
 * The used entries a split ring may hold back before publishing them: one
 * per four chains the driver has waiting (made available and not yet
 * answered, as of the last read of avail idx), at least one (a driver with
 * a single request waiting gets its answer at once), at most VQ_HOLD_MAX.
 * A quarter leaves the driver most of its queue depth to work with while
 * the held answers wait.
 */
#define VQ_HOLD_MAX 32u

static unsigned vq_hold_limit(const vscsi_vq *vq)
{
	unsigned k = (uint16_t)(vq->avail_seen - vq->used_idx) / 4u;

	if (k < 1)
		k = 1;
	return k < VQ_HOLD_MAX ? k : VQ_HOLD_MAX;
}

/*
 * Push n used entries, all checked before any is written. A split ring
 * writes them after the held ones and publishes everything held unless
 * lazy (then only once vq_hold_limit is reached); a packed ring publishes
 * them at once. How many entries were published, or an error.
 */
static int vq_dev_push(vscsi_vq *vq, const vscsi_used_elem *e, unsigned n,
		       int lazy)
{
	unsigned i;

	if (!vq || (!e && n))
		return VSCSI_ERR_ARG;
	if (vq->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (vq->mode != VQ_DEV_SPLIT && vq->mode != VQ_DEV_PACKED)
		return VSCSI_ERR_ARG;
	for (i = 0; i < n; i++)
		if (vq_dev_check_elem(vq, e[i].head, e[i].ndesc))
			return VSCSI_ERR_ARG;
	if (n == 0)
		return 0;
	if (vq->mode == VQ_DEV_SPLIT) {
		if (n + vq->held > vq->num)
			return VSCSI_ERR_ARG;
		vq_split_write(vq, e, n);
		if (lazy && vq->held < vq_hold_limit(vq))
			return 0;
		return (int)vq_split_publish(vq);
	} else {
		uint16_t slot = vq->used_idx, first = vq->used_idx;
		uint8_t wrap = vq->used_wrap, first_wrap = vq->used_wrap;
		uint32_t slots = 0;

		for (i = 0; i < n; i++)
			slots += e[i].ndesc;
		if (slots > vq->num)
			return VSCSI_ERR_ARG;
		/* the first entry's flags go last (2.8 "Multi-buffer
		 * requests"), the others are written in ring order */
		for (i = 0; i < n; i++) {
			uint8_t *d = vq_pdesc(vq, slot);

			vring_st16(d + 12, e[i].head);
			vring_st32(d + 8, e[i].len);
			if (i > 0)
				vring_st16_rel(d + 14,
					       vq_used_flags(wrap, e[i].len));
			vq_packed_advance(vq->num, &slot, &wrap, e[i].ndesc);
		}
		vring_st16_rel(vq_pflags(vq, first),
			       vq_used_flags(first_wrap, e[0].len));
		vq->used_idx = slot;
		vq->used_wrap = wrap;
		vq->inflight = (uint16_t)(vq->inflight > n ? vq->inflight - n
							   : 0);
		vq_since_add(vq, slots);
		return (int)n;
	}
}

int vscsi_vq_push_batch(vscsi_vq *vq, const vscsi_used_elem *e, unsigned n)
{
	int r = vq_dev_push(vq, e, n, 0);

	return r < 0 ? r : VSCSI_OK;
}

int vscsi_vq_push(vscsi_vq *vq, uint16_t head, uint16_t ndesc,
		  uint32_t used_len)
{
	vscsi_used_elem e;

	e.head = head;
	e.ndesc = ndesc;
	e.len = used_len;
	return vscsi_vq_push_batch(vq, &e, 1);
}

int vscsi_vq_push_lazy(vscsi_vq *vq, uint16_t head, uint16_t ndesc,
		       uint32_t used_len)
{
	vscsi_used_elem e;

	e.head = head;
	e.ndesc = ndesc;
	e.len = used_len;
	return vq_dev_push(vq, &e, 1, 1);
}

int vscsi_vq_flush(vscsi_vq *vq)
{
	if (!vq || vq->mode != VQ_DEV_SPLIT)
		return 0;
	return (int)vq_split_publish(vq);
}

unsigned vscsi_vq_held(const vscsi_vq *vq)
{
	return vq && vq->mode == VQ_DEV_SPLIT ? vq->held : 0;
}

/* Common end of should_notify / should_kick: 1 when the peer's event
 * position lies in [old, new). pos is our position now, m the modulus. */
static int vq_event_due(vscsi_vq *vq, uint32_t event, uint32_t pos, uint32_t m)
{
	uint32_t old = vq->sig_pos;
	int valid = vq->sig_valid;

	vq->sig_pos = pos;
	vq->sig_valid = 1;
	if (!valid)
		return 1;
	return vring_need_event(event, pos, old, m);
}

/*
 * The decision after pushes (device) or adds (driver), the same rules both
 * ways (2.7 "Used/Available Buffer Notification Suppression", 2.8 "Driver
 * and Device Event Suppression"). Split: the peer's flags word and the bit
 * that suppresses, and its event index word; packed: the peer's event
 * suppression area `ev`. pos is our position now (split: free-running
 * index; packed: vring_packed_pos). Once our position may have gone all
 * the way round the modulus since the last decision, the old position says
 * nothing and the answer is 1.
 */
static int vq_decide(vscsi_vq *vq, int packed, const uint8_t *flags_word,
		     uint16_t flag_bit, const uint8_t *event_word,
		     const uint8_t *ev, uint32_t pos)
{
	uint32_t m = packed ? 2u * vq->num : 65536u;
	uint32_t since = vq->since;

	if (since == 0)
		return 0;
	vq->since = 0;
	vring_fence();
	if (!packed) {
		if (!(vq->flags & VSCSI_VQ_EVENT_IDX)) {
			vq->sig_pos = pos;
			return !(vring_ld16(flags_word) & flag_bit);
		}
		if (since >= m) {
			vq->sig_pos = pos;
			vq->sig_valid = 1;
			return 1;
		}
		return vq_event_due(vq, vring_ld16(event_word), pos, m);
	} else {
		uint16_t off_wrap = vring_ld16(ev);
		uint16_t fl = vring_ld16(ev + 2);
		uint16_t off = (uint16_t)((off_wrap & 0x7fffu) % vq->num);

		if (fl == VSCSI_VRING_EVENT_DISABLE) {
			vq->sig_pos = pos;
			vq->sig_valid = 1;
			return 0;
		}
		if (fl != VSCSI_VRING_EVENT_DESC ||
		    !(vq->flags & VSCSI_VQ_EVENT_IDX) || since >= m) {
			/* ENABLE, or a value we cannot read: signal */
			vq->sig_pos = pos;
			vq->sig_valid = 1;
			return 1;
		}
		return vq_event_due(vq, vring_packed_pos(off, off_wrap >> 15,
							 vq->num),
				    pos, m);
	}
}

int vscsi_vq_should_notify(vscsi_vq *vq)
{
	if (!vq)
		return VSCSI_ERR_ARG;
	if (vq->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (vq->mode == VQ_DEV_SPLIT)
		return vq_decide(vq, 0, vq->area1,
				 VSCSI_VRING_AVAIL_F_NO_INTERRUPT,
				 vq_used_event(vq), NULL, vq->used_idx);
	if (vq->mode == VQ_DEV_PACKED)
		return vq_decide(vq, 1, NULL, 0, NULL, vq->area1,
				 vring_packed_pos(vq->used_idx, vq->used_wrap,
						  vq->num));
	return VSCSI_ERR_ARG;
}

void vscsi_vq_notify_enable(vscsi_vq *vq, int enable)
{
	if (!vq || vq->broken)
		return;
	if (vq->mode == VQ_DEV_SPLIT) {
		vq->notify_on = enable != 0;
		if (vq->flags & VSCSI_VQ_EVENT_IDX) {
			if (enable)
				vring_st16(vq_avail_event(vq), vq->avail_idx);
		} else {
			vring_st16(vq->area2, (uint16_t)(enable ? 0 :
					VSCSI_VRING_USED_F_NO_NOTIFY));
		}
	} else if (vq->mode == VQ_DEV_PACKED) {
		vq->notify_on = enable != 0;
		if (!enable)
			vring_st16(vq->area2 + 2, VSCSI_VRING_EVENT_DISABLE);
		else if (vq->flags & VSCSI_VQ_EVENT_IDX)
			vq_event_write(vq->area2, vq->avail_idx, vq->avail_wrap,
				       VSCSI_VRING_EVENT_DESC);
		else
			vring_st16(vq->area2 + 2, VSCSI_VRING_EVENT_ENABLE);
	} else {
		return;
	}
	vring_fence();
}

/* ------------------------------------------------------------ driver side */

static int vq_drv_alloc(vscsi_vq *vq, uint16_t num)
{
	uint16_t *p;
	uint16_t i;

	if (vq->arrays_num < num || !vq->link || !vq->ndesc) {
		p = realloc(vq->link, sizeof(uint16_t) * num);
		if (!p)
			return VSCSI_ERR_NOMEM;
		vq->link = p;
		p = realloc(vq->ndesc, sizeof(uint16_t) * num);
		if (!p)
			return VSCSI_ERR_NOMEM;
		vq->ndesc = p;
		vq->arrays_num = num;
	}
	for (i = 0; i < num; i++) {
		vq->link[i] = (uint16_t)(i + 1);
		vq->ndesc[i] = 0;
	}
	vq->free_head = 0;
	vq->nfree = num;
	vq->nfree_ids = num;
	return VSCSI_OK;
}

int vscsi_vq_drv_setup_split(vscsi_vq *vq, uint16_t num, void *desc,
			     void *avail, void *used, unsigned flags)
{
	size_t ds, as, us;
	int r;

	if (!vq)
		return VSCSI_ERR_ARG;
	r = vq_check_split(num, desc, avail, used, flags);
	if (r)
		return r;
	r = vq_drv_alloc(vq, num);
	if (r)
		return r;
	vscsi_vring_split_sizes(num, &ds, &as, &us);
	memset(desc, 0, ds);
	memset(avail, 0, as);
	memset(used, 0, us);
	vq_attach(vq, VQ_DRV_SPLIT, num, desc, avail, used, flags);
	return VSCSI_OK;
}

int vscsi_vq_drv_setup_packed(vscsi_vq *vq, uint16_t num, void *desc,
			      void *driver_event, void *device_event,
			      unsigned flags)
{
	int r;

	if (!vq)
		return VSCSI_ERR_ARG;
	r = vq_check_packed(num, desc, driver_event, device_event, flags);
	if (r)
		return r;
	r = vq_drv_alloc(vq, num);
	if (r)
		return r;
	memset(desc, 0, (size_t)DSZ * num);
	memset(driver_event, 0, 4);
	memset(device_event, 0, 4);
	vq_attach(vq, VQ_DRV_PACKED, num, desc, driver_event, device_event,
		  flags);
	return VSCSI_OK;
}

static int vq_drv_check(const vscsi_vq *vq)
{
	if (!vq)
		return VSCSI_ERR_ARG;
	if (vq->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (vq->mode != VQ_DRV_SPLIT && vq->mode != VQ_DRV_PACKED)
		return VSCSI_ERR_ARG;
	return VSCSI_OK;
}

/*
 * Write a chain of n descriptors and publish it; the caller checked the
 * space. Split: descriptors from the free list, linked by next; packed: the
 * next n slots and a free buffer id. extra_flags is INDIRECT for a
 * descriptor that points at a table. Returns the chain's id.
 */
static uint16_t vq_drv_write_split(vscsi_vq *vq, const struct vscsi_desc *d,
				   unsigned n, uint16_t extra_flags)
{
	uint16_t head = vq->free_head, i = head;
	unsigned k;

	for (k = 0; k < n; k++) {
		uint16_t nx = vq->link[i];
		uint16_t fl = (uint16_t)((d[k].flags & DESC_WRITE) |
					 extra_flags |
					 (k + 1 < n ? DESC_NEXT : 0));

		vring_desc_put(vq->desc + (size_t)DSZ * i, 0, d[k].addr,
			       d[k].len, fl, k + 1 < n ? nx : 0);
		if (k + 1 < n)
			i = nx;
	}
	vq->free_head = vq->link[i];
	vq->nfree = (uint16_t)(vq->nfree - n);
	vq->ndesc[head] = (uint16_t)n;
	/* publish: ring entry, then idx with release (2.7 "Updating idx") */
	vring_st16(vq_avail_ring(vq, vq->avail_idx), head);
	vq->avail_idx++;
	vring_st16_rel(vq->area1 + 2, vq->avail_idx);
	return head;
}

static uint16_t vq_drv_write_packed(vscsi_vq *vq, const struct vscsi_desc *d,
				    unsigned n, uint16_t extra_flags)
{
	uint16_t id = vq->free_head;
	uint16_t slot = vq->avail_idx, first = vq->avail_idx;
	uint8_t wrap = vq->avail_wrap;
	uint16_t first_flags = 0;
	unsigned k;

	vq->free_head = vq->link[id];
	vq->nfree_ids--;
	for (k = 0; k < n; k++) {
		uint16_t fl = (uint16_t)((d[k].flags & DESC_WRITE) |
					 extra_flags |
					 (k + 1 < n ? DESC_NEXT : 0) |
					 (wrap ? DESC_AVAIL : DESC_USED));
		uint8_t *p = vq_pdesc(vq, slot);

		/* write everything but the flags, then the flags; the first
		 * descriptor's flags go last and publish the list (2.8
		 * "Next Flag: Descriptor Chaining") */
		vring_pdesc_put_body(p, d[k].addr, d[k].len, id);
		if (k == 0)
			first_flags = fl;
		else
			vring_st16_rel(p + 14, fl);
		vq_packed_advance(vq->num, &slot, &wrap, 1);
	}
	vring_st16_rel(vq_pflags(vq, first), first_flags);
	vq->avail_idx = slot;
	vq->avail_wrap = wrap;
	vq->nfree = (uint16_t)(vq->nfree - n);
	vq->ndesc[id] = (uint16_t)n;
	return id;
}

int vscsi_vq_drv_add(vscsi_vq *vq, const struct vscsi_desc *d, unsigned n,
		     uint16_t *id)
{
	uint16_t got;
	int r = vq_drv_check(vq);

	if (r)
		return r;
	if (!d || n == 0 || n > vq->num)
		return VSCSI_ERR_ARG;
	if (n > vq->nfree || (vq->mode == VQ_DRV_PACKED && vq->nfree_ids == 0))
		return VSCSI_ERR_NOSPACE;
	if (vq->mode == VQ_DRV_SPLIT)
		got = vq_drv_write_split(vq, d, n, 0);
	else
		got = vq_drv_write_packed(vq, d, n, 0);
	vq->inflight++;
	vq_since_add(vq, vq->mode == VQ_DRV_SPLIT ? 1 : n);
	if (id)
		*id = got;
	return VSCSI_OK;
}

int vscsi_vq_drv_add_indirect(vscsi_vq *vq, const struct vscsi_desc *d,
			      unsigned n, void *table, uint64_t table_gpa,
			      uint16_t *id)
{
	struct vscsi_desc one;
	uint8_t *t = table;
	uint16_t got;
	unsigned k;
	int r = vq_drv_check(vq);

	if (r)
		return r;
	if (!(vq->flags & VSCSI_VQ_INDIRECT))
		return VSCSI_ERR_UNSUPPORTED;
	if (!d || !table || n == 0 || n > vq->num)
		return VSCSI_ERR_ARG;
	if (vq->nfree == 0 || (vq->mode == VQ_DRV_PACKED && vq->nfree_ids == 0))
		return VSCSI_ERR_NOSPACE;
	for (k = 0; k < n; k++) {
		int last = k + 1 == n;

		uint8_t *e = t + (size_t)DSZ * k;
		uint16_t wr = (uint16_t)(d[k].flags & DESC_WRITE);

		if (vq->mode == VQ_DRV_SPLIT)
			vring_desc_put(e, 0, d[k].addr, d[k].len,
				       (uint16_t)(wr | (last ? 0 : DESC_NEXT)),
				       last ? 0 : (uint16_t)(k + 1));
		else
			vring_desc_put(e, 1, d[k].addr, d[k].len, wr, 0);
	}
	one.addr = table_gpa;
	one.len = (uint32_t)(DSZ * n);
	one.flags = 0;
	/* the table is written before the descriptor that publishes it */
	if (vq->mode == VQ_DRV_SPLIT)
		got = vq_drv_write_split(vq, &one, 1, DESC_INDIRECT);
	else
		got = vq_drv_write_packed(vq, &one, 1, DESC_INDIRECT);
	vq->inflight++;
	vq_since_add(vq, 1);
	if (id)
		*id = got;
	return VSCSI_OK;
}

/* Driver: tell the device where to interrupt next (EVENT_IDX), then fence. */
static void vq_drv_publish_event(vscsi_vq *vq)
{
	if (vq->mode == VQ_DRV_SPLIT)
		vring_st16(vq_used_event(vq), vq->used_idx);
	else
		vq_event_write(vq->area1, vq->used_idx, vq->used_wrap,
			       VSCSI_VRING_EVENT_DESC);
	vring_fence();
}

/* 1 when the next used entry is there (split: *uidx receives used idx). */
static int vq_drv_peek(const vscsi_vq *vq, uint16_t *uidx)
{
	if (vq->mode == VQ_DRV_SPLIT) {
		*uidx = vring_ld16_acq(vq->area2 + 2);
		return *uidx != vq->used_idx;
	}
	return vq_packed_is_used(vring_ld16_acq(vq_pflags(vq, vq->used_idx)),
				 vq->used_wrap);
}

int vscsi_vq_drv_get_used(vscsi_vq *vq, uint16_t *id, uint32_t *len)
{
	uint16_t uidx = 0, got, n;
	uint32_t l;
	int r = vq_drv_check(vq);

	if (r)
		return r;
	if (!vq_drv_peek(vq, &uidx)) {
		if (!(vq->flags & VSCSI_VQ_EVENT_IDX) || !vq->notify_on)
			return 0;
		vq_drv_publish_event(vq);
		if (!vq_drv_peek(vq, &uidx))
			return 0;
	}
	if (vq->mode == VQ_DRV_SPLIT) {
		uint8_t *el;
		uint32_t id32;

		if ((uint16_t)(uidx - vq->used_idx) > vq->num)
			return vq_break(vq, VSCSI_ERR_INVALID);
		el = vq_used_elem(vq, vq->used_idx);
		id32 = vring_ld32(el);
		l = vring_ld32(el + 4);
		if (id32 >= vq->num || vq->ndesc[id32] == 0)
			return vq_break(vq, VSCSI_ERR_INVALID);
		got = (uint16_t)id32;
		n = vq->ndesc[got];
		/* give the chain back to the free list: its descriptors are
		 * still linked in `link` as they were taken */
		{
			uint16_t last = got, k;

			for (k = 1; k < n; k++)
				last = vq->link[last];
			vq->link[last] = vq->free_head;
			vq->free_head = got;
		}
		vq->used_idx++;
	} else {
		uint8_t *d = vq_pdesc(vq, vq->used_idx);
		uint16_t fl = vring_ld16(d + 14);

		got = vring_ld16(d + 12);
		l = fl & DESC_WRITE ? vring_ld32(d + 8) : 0;
		if (got >= vq->num || vq->ndesc[got] == 0)
			return vq_break(vq, VSCSI_ERR_INVALID);
		n = vq->ndesc[got];
		vq_packed_advance(vq->num, &vq->used_idx, &vq->used_wrap, n);
		vq->link[got] = vq->free_head;
		vq->free_head = got;
		vq->nfree_ids++;
	}
	vq->ndesc[got] = 0;
	vq->nfree = (uint16_t)(vq->nfree + n);
	vq->inflight--;
	if (id)
		*id = got;
	if (len)
		*len = l;
	return 1;
}

int vscsi_vq_drv_should_kick(vscsi_vq *vq)
{
	int r = vq_drv_check(vq);

	if (r)
		return r;
	if (vq->mode == VQ_DRV_SPLIT)
		return vq_decide(vq, 0, vq->area2, VSCSI_VRING_USED_F_NO_NOTIFY,
				 vq_avail_event(vq), NULL, vq->avail_idx);
	return vq_decide(vq, 1, NULL, 0, NULL, vq->area2,
			 vring_packed_pos(vq->avail_idx, vq->avail_wrap,
					  vq->num));
}

void vscsi_vq_drv_notify_enable(vscsi_vq *vq, int enable)
{
	if (!vq || vq->broken)
		return;
	if (vq->mode == VQ_DRV_SPLIT) {
		vq->notify_on = enable != 0;
		if (vq->flags & VSCSI_VQ_EVENT_IDX) {
			if (enable)
				vring_st16(vq_used_event(vq), vq->used_idx);
		} else {
			vring_st16(vq->area1, (uint16_t)(enable ? 0 :
					VSCSI_VRING_AVAIL_F_NO_INTERRUPT));
		}
	} else if (vq->mode == VQ_DRV_PACKED) {
		vq->notify_on = enable != 0;
		if (!enable)
			vring_st16(vq->area1 + 2, VSCSI_VRING_EVENT_DISABLE);
		else if (vq->flags & VSCSI_VQ_EVENT_IDX)
			vq_event_write(vq->area1, vq->used_idx, vq->used_wrap,
				       VSCSI_VRING_EVENT_DESC);
		else
			vring_st16(vq->area1 + 2, VSCSI_VRING_EVENT_ENABLE);
	} else {
		return;
	}
	vring_fence();
}
