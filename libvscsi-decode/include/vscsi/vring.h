/*
 * libvscsi-decode: virtqueues (virtio 1.2 section 2.7 split, 2.8 packed).
 *
 * Three layers:
 *   1. chain walkers: turn one descriptor chain in an untrusted table into
 *      readable and writable iovecs (vscsi_chain_walk_split/_packed);
 *   2. the device side of a queue (vscsi_vq_setup_*, _pop, _push,
 *      _should_notify): what a vhost-user back-end and the guest-facing half
 *      of the capture proxy use;
 *   3. the driver side (vscsi_vq_drv_*): the toolkit's own front-end driver
 *      and the proxy's shadow rings.
 *
 * All ring memory is shared with a peer that may be hostile and may change
 * it at any time. Every descriptor is copied into a local before it is
 * checked and is never read twice; index and flag fields that publish
 * entries are read with acquire and written with release ordering, and the
 * notification checks use full fences, as the "Supplying Buffers to The
 * Device" sections of 2.7 and 2.8 require.
 * Only the VERSION_1 (little-endian) layout is handled, not the legacy
 * guest-native one.
 *
 * Split layout (2.7), le = little-endian, aligned 16 / 2 / 4:
 *
 *   descriptor table, num entries of 16 bytes:
 *     +0 le64 addr | +8 le32 len | +12 le16 flags | +14 le16 next
 *   available ring (driver writes):
 *     +0 le16 flags | +2 le16 idx | +4 le16 ring[num] | +4+2num le16 used_event
 *   used ring (device writes):
 *     +0 le16 flags | +2 le16 idx | +4 {le32 id, le32 len}[num]
 *     | +4+8num le16 avail_event
 *
 * Packed layout (2.8), aligned 16 / 4 / 4:
 *
 *   descriptor ring, num entries of 16 bytes:
 *     +0 le64 addr | +8 le32 len | +12 le16 id | +14 le16 flags
 *     flags: NEXT 1, WRITE 2, INDIRECT 4, AVAIL 1<<7, USED 1<<15
 *   event suppression (driver area: the driver writes it, for interrupts;
 *   device area: the device writes it, for kicks):
 *     +0 le16 desc = offset | wrap << 15 | +2 le16 flags (ENABLE 0,
 *     DISABLE 1, DESC 2)
 *
 * Threads: a vscsi_vq is used by one thread at a time (the device side and
 * the driver side of the same memory are different objects, possibly in
 * different processes). The walkers keep no state and are thread-safe.
 */
#ifndef VSCSI_VRING_H
#define VSCSI_VRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common.h"
#include "gmem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Descriptor flags (2.7.5, 2.8.1). */
#define VSCSI_VRING_DESC_F_NEXT 1u
#define VSCSI_VRING_DESC_F_WRITE 2u
#define VSCSI_VRING_DESC_F_INDIRECT 4u
#define VSCSI_VRING_DESC_F_AVAIL (1u << 7)	/* packed */
#define VSCSI_VRING_DESC_F_USED (1u << 15)	/* packed */
/* Split ring flags (2.7.6, 2.7.8). */
#define VSCSI_VRING_AVAIL_F_NO_INTERRUPT 1u
#define VSCSI_VRING_USED_F_NO_NOTIFY 1u
/* Packed event suppression flags (2.8.10). */
#define VSCSI_VRING_EVENT_ENABLE 0u
#define VSCSI_VRING_EVENT_DISABLE 1u
#define VSCSI_VRING_EVENT_DESC 2u

#define VSCSI_VRING_DESC_SIZE 16
#define VSCSI_VRING_MAX_NUM 32768

/* ------------------------------------------------------------ chains */

/* vscsi_chain.flags */
#define VSCSI_CHAIN_INDIRECT 1u	/* an indirect table was followed */
#define VSCSI_CHAIN_PACKED 2u	/* walked in a packed ring */

/*
 * One descriptor chain as iovecs: iov[0..n_out) are device-readable, then
 * iov[n_out..n_out + n_in) device-writable. The caller owns iov (cap
 * entries) and the optional addr array; the walker fills them.
 *
 * A descriptor whose buffer crosses memory regions gives several iovecs;
 * a zero-length descriptor gives none but still counts in desc_out/desc_in.
 * out_len and in_len are the byte totals of each direction; each is capped
 * at UINT32_MAX (the used length is 32-bit; Linux never sends more), a
 * chain beyond that is VSCSI_ERR_INVALID.
 */
typedef struct vscsi_chain {
	uint16_t head;		/* split: head index; packed: buffer id */
	uint16_t ndesc;		/* split: table descriptors in the chain
				 * (an indirect table counts 1); packed:
				 * ring slots consumed */
	uint32_t flags;		/* VSCSI_CHAIN_* */
	unsigned n_out, n_in;	/* iovecs readable, then writable */
	unsigned desc_out, desc_in; /* buffer descriptors of each kind */
	uint64_t out_len, in_len;
	struct iovec *iov;
	unsigned cap;
	uint64_t *addr;		/* NULL, or cap entries: guest-physical
				 * address of each iov (for copying a chain
				 * to another ring) */
} vscsi_chain;

/* Prepare c to receive chains into iov[0..cap). addr is set to NULL. */
VSCSI_API void vscsi_chain_init(vscsi_chain *c, struct iovec *iov,
				unsigned cap);
/* Also record each iovec's guest address into addr[0..cap) (or NULL). */
VSCSI_API void vscsi_chain_set_addr(vscsi_chain *c, uint64_t *addr);

/* vscsi_chain_walk_* flags */
#define VSCSI_WALK_INDIRECT 1u	/* VIRTIO_F_INDIRECT_DESC negotiated */
/* Split chains of a few direct descriptors in one memory region take a
 * shorter path with the same results; this flag makes every chain take
 * the general one (tests compare the two). */
#define VSCSI_WALK_GENERAL 2u

/*
 * Walk the chain that starts at `head` of a split descriptor table of num
 * entries (desc_table: host pointer, 16 * num bytes, 16-byte aligned not
 * required) and translate its buffers through mem into c.
 *
 * Rules (2.7.5, 2.7.5.3) and the error for each:
 *   num 0, or a NULL pointer                          VSCSI_ERR_ARG
 *   head >= num                                       VSCSI_ERR_HEAD
 *   next >= num (>= table entries when indirect)      VSCSI_ERR_DESC_INDEX
 *   more descriptors than the table has (a loop)      VSCSI_ERR_DESC_LOOP
 *   INDIRECT without VSCSI_WALK_INDIRECT              VSCSI_ERR_INDIRECT_OFF
 *   INDIRECT together with NEXT, or inside a table    VSCSI_ERR_INDIRECT_NESTED
 *   indirect len 0, not a multiple of 16, or > 16*num VSCSI_ERR_INDIRECT_LEN
 *   indirect table or a buffer outside memory         VSCSI_ERR_ADDR
 *   device-readable after device-writable             VSCSI_ERR_DESC_ORDER
 *   more than num buffer descriptors in all           VSCSI_ERR_CHAIN_LONG
 *   more iovecs than c->cap                           VSCSI_ERR_IOV_FULL
 *   a direction's bytes above UINT32_MAX              VSCSI_ERR_INVALID
 * An indirect descriptor ends the table chain (it has no NEXT); it may
 * follow direct descriptors. Its WRITE flag is ignored (2.7.5.3.2). An
 * indirect table may span regions (it is then read entry by entry).
 *
 * Returns VSCSI_OK with c filled, or an error with c partly filled.
 * Thread-safe; reads each descriptor once.
 */
VSCSI_API int vscsi_chain_walk_split(const void *desc_table, uint16_t num,
				     uint16_t head, const vscsi_gmem *mem,
				     unsigned flags, vscsi_chain *c);

/*
 * Walk the chain that starts at ring slot `slot` of a packed descriptor ring
 * of num entries, following NEXT through consecutive slots (wrapping at num).
 * The AVAIL/USED bits are not looked at (vscsi_vq_pop checks the first
 * descriptor's; the driver writes the rest before it, 2.8.6). The buffer id
 * is the last descriptor's (2.8.6); in an indirect table entries are
 * consecutive, ids and NEXT are ignored, INDIRECT is
 * VSCSI_ERR_INDIRECT_NESTED (2.8.19). Errors as for the split walker, with:
 *   slot >= num                                       VSCSI_ERR_HEAD
 *   more than num ring slots                          VSCSI_ERR_CHAIN_LONG
 * c->ndesc is the number of ring slots the chain takes.
 */
VSCSI_API int vscsi_chain_walk_packed(const void *ring, uint16_t num,
				      uint16_t slot, const vscsi_gmem *mem,
				      unsigned flags, vscsi_chain *c);

/* ------------------------------------------------------------ ring sizes */

/* Bytes of each split area for num entries (2.7: 16*num, 6+2*num,
 * 6+8*num, event fields included). NULL outputs are skipped. */
VSCSI_API void vscsi_vring_split_sizes(uint16_t num, size_t *desc,
				       size_t *avail, size_t *used);
/* Bytes of each packed area: 16*num, 4, 4. */
VSCSI_API void vscsi_vring_packed_sizes(uint16_t num, size_t *desc,
					size_t *driver_event,
					size_t *device_event);

/* ------------------------------------------------------------ device side */

typedef struct vscsi_vq vscsi_vq;

/* vscsi_vq_setup_* / vscsi_vq_drv_setup_* flags */
#define VSCSI_VQ_EVENT_IDX 1u	/* VIRTIO_F_EVENT_IDX negotiated */
#define VSCSI_VQ_INDIRECT 2u	/* VIRTIO_F_INDIRECT_DESC negotiated */

/* A queue with no rings, or NULL when out of memory. */
VSCSI_API vscsi_vq *vscsi_vq_new(void);
VSCSI_API void vscsi_vq_free(vscsi_vq *vq);

/*
 * Attach the device side to a split ring: num a power of two 1..32768,
 * desc 16-byte, avail 2-byte, used 4-byte aligned host pointers covering
 * vscsi_vring_split_sizes(num) bytes (the caller translated and checked
 * them). The last available index is the base set with vscsi_vq_set_base()
 * (kept across setups, 0 at first); the used index is read from the used
 * ring, as vhost-user back-ends do. Clears the broken mark.
 * VSCSI_OK or VSCSI_ERR_ARG. The memory must outlive the setup.
 */
VSCSI_API int vscsi_vq_setup_split(vscsi_vq *vq, uint16_t num, void *desc,
				   void *avail, void *used, unsigned flags);
/* Attach to a packed ring: num 1..32768, desc 16-byte, event areas 4-byte
 * aligned. Indices and wrap counters come from the base (wrap counters 1 at
 * first). VSCSI_OK or VSCSI_ERR_ARG. */
VSCSI_API int vscsi_vq_setup_packed(vscsi_vq *vq, uint16_t num, void *desc,
				    void *driver_event, void *device_event,
				    unsigned flags);

/*
 * vhost-user SET_VRING_BASE / GET_VRING_BASE (docs/interop/vhost-user.rst
 * "vring descriptor indices"):
 *   split:  bits 0-15 the next available ring index to process;
 *   packed: bits 0-14 next available slot, bit 15 its wrap counter,
 *           bits 16-30 next used slot, bit 31 the used wrap counter.
 * set_base may come before or after setup; the value is kept and applied
 * again by a later setup. A packed base whose slots are >= num marks the
 * queue broken (the front-end broke a rule). get_base gives the state now
 * (the stored value before any setup; 0 on the driver side).
 */
VSCSI_API void vscsi_vq_set_base(vscsi_vq *vq, uint32_t base);
VSCSI_API uint32_t vscsi_vq_get_base(const vscsi_vq *vq);

/*
 * Take the next available chain into c (device side).
 * Returns 1 with c filled; 0 when nothing new is available; < 0 when the
 * driver broke a rule (a walker error, or VSCSI_ERR_AVAIL_IDX when the
 * split avail idx ran more than num ahead): the queue is then marked broken
 * and this and every other call on it returns VSCSI_ERR_RING_BROKEN until
 * the next setup. VSCSI_ERR_IOV_FULL also breaks the queue (size the
 * iovec array for the chains the driver may send).
 *
 * With EVENT_IDX and notifications enabled, when the ring looks empty pop
 * publishes the next index to process in avail_event (packed: DESC in the
 * device event area), fences, and looks once more, so a chain added in
 * between is either returned or kicked. While the ring is not empty the
 * event index is left alone (no kicks are needed while the device is
 * busy): a caller that stops popping before 0 must come back without a
 * kick.
 */
VSCSI_API int vscsi_vq_pop(vscsi_vq *vq, const vscsi_gmem *mem,
			   vscsi_chain *c);

/*
 * Publish one used entry: head (split: head index < num; packed: buffer
 * id), ndesc (packed: the chain's c->ndesc, 1..num; ignored for split) and
 * the bytes written. Release ordering: the entry is visible before the
 * index/flags that publish it. VSCSI_OK, VSCSI_ERR_ARG, or
 * VSCSI_ERR_RING_BROKEN.
 */
VSCSI_API int vscsi_vq_push(vscsi_vq *vq, uint16_t head, uint16_t ndesc,
			    uint32_t used_len);

typedef struct vscsi_used_elem {
	uint16_t head;
	uint16_t ndesc;
	uint32_t len;
} vscsi_used_elem;

/*
 * A push that a split ring may hold back: the used entry is written at
 * once, and the used idx that publishes it is stored when as many entries
 * are held as one per four chains the driver has waiting (at least one,
 * at most 32), so that a driver polling the used ring sees a few answers
 * per cache line it fetches rather than one, and the device writes the
 * used idx line (which the driver keeps reading) that much less often. A
 * driver with one request waiting gets its answer at once. Returns how
 * many entries this call published (0: held), VSCSI_ERR_ARG or
 * VSCSI_ERR_RING_BROKEN. Packed rings publish every entry at once.
 *
 * The device must vscsi_vq_flush() the queue before it deems an answer
 * delivered: before it notifies the driver (an interrupt for an index the
 * driver cannot see yet is lost), before it stops or sets the queue up
 * again, and when it has nothing more to do for now.
 */
VSCSI_API int vscsi_vq_push_lazy(vscsi_vq *vq, uint16_t head, uint16_t ndesc,
				 uint32_t used_len);

/* Publish the used entries held by vscsi_vq_push_lazy (one release
 * store), on a broken queue too (they answer chains taken before it
 * broke); how many (0 for a packed or driver queue). */
VSCSI_API int vscsi_vq_flush(vscsi_vq *vq);

/* Used entries written and not yet published. */
VSCSI_API unsigned vscsi_vq_held(const vscsi_vq *vq);

/* Publish n used entries, after any that vscsi_vq_push_lazy holds, with
 * one release (split: one idx store; packed:
 * the first entry's flags written last, 2.8.9). All are checked before any
 * is written. VSCSI_OK, VSCSI_ERR_ARG or VSCSI_ERR_RING_BROKEN. */
VSCSI_API int vscsi_vq_push_batch(vscsi_vq *vq, const vscsi_used_elem *e,
				  unsigned n);

/*
 * After pushes: 1 when the driver wants an interrupt, 0 when not (or when
 * nothing was pushed since the last call), VSCSI_ERR_RING_BROKEN. Split:
 * with EVENT_IDX, vring_need_event(used_event, new, old) over the used idx
 * at this call and at the last one (2.7.7); without, !NO_INTERRUPT. Packed:
 * the driver event area: ENABLE, DISABLE, or DESC with its offset/wrap
 * (2.8 "Driver and Device Event Suppression"). With an event index, the
 * first call after setup/set_base answers 1, and so does a call after the
 * index went all the way round since the last call (65536 split entries,
 * 2 * num packed slots), when the old index says nothing.
 */
VSCSI_API int vscsi_vq_should_notify(vscsi_vq *vq);

/*
 * Ask the driver for kicks (enable 1) or not (0); enabled after setup.
 * Split without EVENT_IDX: the used ring's NO_NOTIFY flag; with EVENT_IDX:
 * enable writes avail_event = next index to process, disable stops pop
 * from updating it (the flags stay 0, as 2.7 requires). Packed: the
 * device event area (ENABLE/DISABLE, or DESC at the next slot with
 * EVENT_IDX). Ends with a full fence: after enabling, pop again before
 * waiting for a kick. No effect on a broken or unset queue.
 */
VSCSI_API void vscsi_vq_notify_enable(vscsi_vq *vq, int enable);

/* 1 when the queue is marked broken. */
VSCSI_API int vscsi_vq_broken(const vscsi_vq *vq);
/* Ring size, 0 before setup. */
VSCSI_API uint16_t vscsi_vq_num(const vscsi_vq *vq);
/* Device: chains popped and not yet pushed (split: last avail idx minus
 * used idx, so it includes chains in flight before a set_base). Driver:
 * chains added and not yet returned. */
VSCSI_API uint16_t vscsi_vq_inflight(const vscsi_vq *vq);

/* ------------------------------------------------------------ driver side */

/* One buffer for vscsi_vq_drv_add: only VSCSI_VRING_DESC_F_WRITE of flags
 * is looked at (NEXT and the packed bits are set by the function). */
struct vscsi_desc {
	uint64_t addr;	/* guest-physical */
	uint32_t len;
	uint16_t flags;
};

/*
 * Attach the driver side to rings it owns (same pointers and alignment as
 * the device setups). Zeroes the three areas, so call it before the device
 * looks at them. Allocates the free lists (VSCSI_ERR_NOMEM). VSCSI_OK or
 * VSCSI_ERR_ARG.
 */
VSCSI_API int vscsi_vq_drv_setup_split(vscsi_vq *vq, uint16_t num, void *desc,
				       void *avail, void *used,
				       unsigned flags);
VSCSI_API int vscsi_vq_drv_setup_packed(vscsi_vq *vq, uint16_t num,
					void *desc, void *driver_event,
					void *device_event, unsigned flags);

/*
 * Write a chain of n buffers (readable ones first is the caller's job) and
 * publish it (release). *id receives the id that vscsi_vq_drv_get_used will
 * return for it (split: the head index; packed: the buffer id).
 * VSCSI_ERR_NOSPACE when fewer than n descriptors (packed: slots or ids)
 * are free; VSCSI_ERR_ARG for n 0 or n > num.
 */
VSCSI_API int vscsi_vq_drv_add(vscsi_vq *vq, const struct vscsi_desc *d,
			       unsigned n, uint16_t *id);

/*
 * The same through an indirect table: the n entries are written to
 * table (host pointer, 16 * n bytes, the caller's until the chain comes
 * back) whose guest address is table_gpa, and one ring descriptor points
 * at it. VSCSI_ERR_UNSUPPORTED without VSCSI_VQ_INDIRECT; n 1..num.
 */
VSCSI_API int vscsi_vq_drv_add_indirect(vscsi_vq *vq,
					const struct vscsi_desc *d,
					unsigned n, void *table,
					uint64_t table_gpa, uint16_t *id);

/*
 * Take the next used entry: 1 with *id and *len, 0 when none, < 0 when the
 * device broke a rule (VSCSI_ERR_INVALID: an id not in flight, or a split
 * used idx more than num ahead); the queue is then marked broken and later
 * calls return VSCSI_ERR_RING_BROKEN. id and len may be NULL. A packed
 * used descriptor without WRITE gives len 0 (its len is reserved, 2.8.4).
 * With EVENT_IDX and interrupts enabled, when the ring looks empty
 * used_event (packed: DESC in the driver event area) is set to the next
 * entry, fenced, and the ring looked at once more.
 */
VSCSI_API int vscsi_vq_drv_get_used(vscsi_vq *vq, uint16_t *id,
				    uint32_t *len);

/* After adds: 1 when the device wants a kick, 0 when not (or nothing was
 * added since the last call), VSCSI_ERR_RING_BROKEN. The mirror of
 * vscsi_vq_should_notify (avail_event / NO_NOTIFY / device event area). */
VSCSI_API int vscsi_vq_drv_should_kick(vscsi_vq *vq);

/* Ask the device for interrupts (1) or not (0): NO_INTERRUPT, used_event,
 * or the driver event area. Ends with a full fence: after enabling, call
 * vscsi_vq_drv_get_used again before waiting. */
VSCSI_API void vscsi_vq_drv_notify_enable(vscsi_vq *vq, int enable);

#ifdef __cplusplus
}
#endif
#endif
