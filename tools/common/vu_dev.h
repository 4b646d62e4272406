/*
 * vu_dev: the back-end side of one vhost-user connection (QEMU
 * docs/interop/vhost-user.rst), reusable by any device.
 *
 * The core answers every front-end request a vhost-user-scsi back-end sees:
 * features and protocol features, ownership, the memory table (SET_MEM_TABLE,
 * ADD_MEM_REG, REM_MEM_REG, GET_MAX_MEM_SLOTS), vring set-up, start and stop
 * (SET_VRING_NUM/ADDR/BASE, GET_VRING_BASE, SET_VRING_KICK/CALL/ERR with the
 * no-fd mask, SET_VRING_ENABLE), GET_QUEUE_NUM, SET_STATUS/GET_STATUS,
 * RESET_DEVICE/RESET_OWNER, GET_INFLIGHT_FD/SET_INFLIGHT_FD, and REPLY_ACK.
 * Dirty logging (SET_LOG_BASE/SET_LOG_FD) is not offered and is refused.
 * It maps guest memory, translates and attaches the rings (vscsi_vq), tracks
 * popped chains in the inflight region, and calls the device through a
 * small table of operations. The device pops chains and pushes used entries
 * through vu_dev_pop / vu_dev_push / vu_dev_notify.
 *
 * A ring is "live" when it has a size and addresses, was started by
 * SET_VRING_KICK (a kick fd, or the no-fd flag: the core then polls the ring
 * every millisecond), is enabled (rings start enabled unless
 * VHOST_USER_F_PROTOCOL_FEATURES was negotiated; SET_VRING_ENABLE changes
 * it) and is not broken. The device is told when a ring becomes live
 * (queue_start) and before it stops being live (queue_stop).
 *
 * Errors from the peer: a message of the wrong size, with the wrong number
 * of fds, a ring index out of range, or anything else that breaks the
 * protocol is logged ("PROG: connection N: SET_VRING_ADDR: payload size 12,
 * want 40") and closes the connection (every fd received is closed). A
 * request that is well formed but cannot be honoured (a region that does not
 * map, ring addresses outside memory) is logged and answered with a failure
 * when the front-end asked for an ack; the connection stays. A malformed
 * descriptor chain marks only its ring broken (logged, the error fd
 * signalled); the device goes on with its other rings.
 *
 * Memory changes: before a memory table replaces or removes memory, and
 * before a ring stops, the device is asked to finish what it has in flight
 * (drain, queue_stop), so no pointer into guest memory outlives its mapping.
 *
 * Inflight I/O tracking (vhost-user.rst "Inflight I/O tracking"): with
 * INFLIGHT_SHMFD the core creates (GET_INFLIGHT_FD) or adopts
 * (SET_INFLIGHT_FD) the shared region; for split rings every popped head is
 * marked in flight with a counter and cleared when it is pushed, and a ring
 * that starts with entries still in flight (a restarted back-end) returns
 * them again from vu_dev_pop, oldest first, before new chains; the ring's
 * next index is set to used idx + their number. A split queue's area is
 * align64(16 + 16 * queue_size) bytes: a 16-byte header (le64 features,
 * le16 version 1, le16 desc_num, le16 last_batch_head, le16 used_idx) and
 * desc_num 16-byte entries (u8 inflight, 5 pad, le16 next, le64 counter).
 * Packed rings (the layout follows the features set when GET_INFLIGHT_FD
 * or the ring's start comes) use align64(32 + 32 * queue_size) bytes: a
 * 32-byte header (le64 features, le16 version, le16 desc_num, le16
 * free_head, old_free_head, used_idx, old_used_idx, u8 used_wrap_counter,
 * old_used_wrap_counter, pad) and 32-byte entries (u8 inflight, pad, le16
 * next, last, num, le64 counter, le16 id, flags, le32 len, le64 addr):
 * each popped chain's ring descriptors are saved, and a restarted
 * back-end resubmits them from the saved copies (the ring may hold used
 * entries over them), oldest first, and takes the ring position (used
 * slot and wrap counter; avail = used + the slots in flight) from the
 * area, since a front-end cannot read it back after a crash. A version 0
 * area is initialised from SET_VRING_BASE at the ring's start. An area
 * that does not check out (version, sizes, indices, lists) is refused
 * with a logged error: nothing resubmitted, the ring not tracked.
 *
 * Notification fds from the peer are made nonblocking; the process should
 * ignore SIGPIPE (a call fd may be a pipe whose reader is gone).
 *
 * Threads: a vu_dev and everything it calls run on the thread of its loop.
 */
#ifndef VSCSI_TOOLS_VU_DEV_H
#define VSCSI_TOOLS_VU_DEV_H

#include <stdarg.h>
#include <stdint.h>

#include "vscsi/gmem.h"
#include "vscsi/vring.h"
#include "vu.h"
#include "vu_loop.h"

/* Most vrings one device can have (the vring index is 8 bits). */
#define VU_DEV_MAX_QUEUES 256
/* Default and largest GET_MAX_MEM_SLOTS answer. */
#define VU_DEV_MEM_SLOTS 64

/* Protocol features the core implements (offered unless the device's
 * configuration narrows them). */
#define VU_DEV_PROTOCOL_FEATURES                                   \
	((1ull << VSCSI_VU_PF_MQ) | (1ull << VSCSI_VU_PF_REPLY_ACK) |      \
	 (1ull << VSCSI_VU_PF_CONFIGURE_MEM_SLOTS) |                       \
	 (1ull << VSCSI_VU_PF_INFLIGHT_SHMFD) |                            \
	 (1ull << VSCSI_VU_PF_RESET_DEVICE) | (1ull << VSCSI_VU_PF_STATUS))

typedef struct vu_dev vu_dev;

/* The device's side. Every member may be NULL. */
typedef struct vu_dev_ops {
	/* Ring q became live: chains may be popped from now on. */
	void (*queue_start)(vu_dev *d, unsigned q);
	/* Ring q stops being live (GET_VRING_BASE, disable, reset, a memory
	 * change that moved it, disconnect). Before returning, push every
	 * chain of q still in flight (or give it back with vu_dev_rewind). */
	void (*queue_stop)(vu_dev *d, unsigned q);
	/* A kick (or a poll tick) on live ring q. */
	void (*queue_kick)(vu_dev *d, unsigned q);
	/* Memory is about to be replaced or removed: complete (push) every
	 * chain in flight on every ring; pointers into guest memory taken
	 * before are invalid afterwards. */
	void (*drain)(vu_dev *d);
	/* SET_FEATURES (the value as sent, F_PROTOCOL_FEATURES included). */
	void (*features)(vu_dev *d, uint64_t features);
	/* RESET_DEVICE or RESET_OWNER, after every ring was stopped. */
	void (*reset)(vu_dev *d);
	/* SET_STATUS. */
	void (*status)(vu_dev *d, uint8_t status);
	/* The connection ended (the peer closed it, or broke the protocol).
	 * Called from the loop's callback; the owner may vu_dev_free(d) here
	 * and must not touch d after. */
	void (*closed)(vu_dev *d);
} vu_dev_ops;

typedef struct vu_dev_cfg {
	const char *prog;	/* log prefix, "vscsi-replay" */
	unsigned id;		/* connection number in log lines */
	uint64_t features;	/* device features offered (GET_FEATURES adds
				 * VHOST_USER_F_PROTOCOL_FEATURES) */
	uint64_t protocol_features; /* offered; 0 means
				 * VU_DEV_PROTOCOL_FEATURES; bits outside it
				 * are dropped */
	unsigned nqueues;	/* vrings, 1..VU_DEV_MAX_QUEUES
				 * (GET_QUEUE_NUM) */
	unsigned mem_slots;	/* GET_MAX_MEM_SLOTS; 0 = VU_DEV_MEM_SLOTS */
	int verbose;		/* 1: connection events; 2: every message */
	void *arg;		/* the device's, see vu_dev_arg() */
} vu_dev_cfg;

/*
 * Take over the connected socket fd (closed by vu_dev_free) and, when loop
 * is not NULL, watch it and the rings' kick fds in loop. Without a loop the
 * caller feeds messages with vu_dev_dispatch() and kicks with vu_dev_kick()
 * (tests). cfg and ops are copied. NULL on allocation failure (fd is then
 * not closed) or a bad cfg.
 */
vu_dev *vu_dev_new(int fd, vu_loop *loop, const vu_dev_cfg *cfg,
		   const vu_dev_ops *ops);
/* Stop the live rings (queue_stop), drain, unmap, close every fd. NULL is
 * ignored. Not from inside vu_dev_dispatch, except through ops->closed. */
void vu_dev_free(vu_dev *d);

/*
 * Receive and handle one message (blocking up to VU_IO_TIMEOUT_MS for its
 * bytes). 1: handled (failures the peer was told about included); 0: the
 * peer closed the connection; < 0: a protocol error, logged (the caller
 * closes the connection: vu_dev_free, or with a loop the core calls
 * ops->closed itself).
 */
int vu_dev_dispatch(vu_dev *d);
/* Handle a kick on ring q as if its kick fd fired (without a loop). */
void vu_dev_kick(vu_dev *d, unsigned q);
/* Stop the live rings and drain (as on disconnect), without closing. */
void vu_dev_quiesce(vu_dev *d);

void *vu_dev_arg(const vu_dev *d);
unsigned vu_dev_id(const vu_dev *d);
/* The features set by SET_FEATURES (0 before). */
uint64_t vu_dev_features(const vu_dev *d);
uint64_t vu_dev_protocol_features(const vu_dev *d);
uint8_t vu_dev_status(const vu_dev *d);
/* The current guest memory map (never NULL). */
const vscsi_gmem *vu_dev_mem(const vu_dev *d);
unsigned vu_dev_nqueues(const vu_dev *d);
/* 1 when ring q is live. */
int vu_dev_queue_live(const vu_dev *d, unsigned q);
/* 1 when ring q was marked broken (until it is set up again). */
int vu_dev_queue_broken(const vu_dev *d, unsigned q);
/* The ring's queue object (NULL when q is out of range). */
vscsi_vq *vu_dev_vq(vu_dev *d, unsigned q);

/*
 * Take the next chain of live ring q into c (chains left in flight by a
 * previous back-end first, see above). 1: a chain; 0: nothing (or the ring
 * is not live); < 0: the front-end broke a rule: logged, the ring is marked
 * broken, its error fd signalled.
 */
int vu_dev_pop(vu_dev *d, unsigned q, vscsi_chain *c);
/* Answer a chain with a used entry (head: split head / packed buffer id,
 * ndesc: the chain's c->ndesc, len: bytes written). A split ring may hold
 * the entry back (vscsi_vq_push_lazy) until a few more are pushed or the
 * device calls vu_dev_notify, which it must do whenever it has pushed and
 * has nothing more to do for now (stops, breaks and memory table changes
 * publish by themselves); an inflight mark is cleared when its entry is
 * published. VSCSI_OK or the library's error (VSCSI_ERR_RING_BROKEN...). */
int vu_dev_push(vu_dev *d, unsigned q, uint16_t head, uint16_t ndesc,
		uint32_t len);
/* Publish what ring q holds back, then signal its call fd when the driver
 * wants an interrupt for what was pushed since the last call
 * (vscsi_vq_should_notify). 1 signalled, 0 not. */
int vu_dev_notify(vu_dev *d, unsigned q);
/* Mark ring q broken: log why, signal its error fd, stop using it. */
void vu_dev_break(vu_dev *d, unsigned q, const char *why);
/*
 * Give back the n most recently popped chains of ring q, still unused (an
 * event queue's held buffers when the ring stops): the ring's next index
 * moves back by n (packed: by nslots slots) and their inflight marks (heads
 * in heads[0..n)) are cleared. The chains must be exactly the last ones
 * popped. VSCSI_OK or VSCSI_ERR_ARG.
 */
int vu_dev_rewind(vu_dev *d, unsigned q, const uint16_t *heads, unsigned n,
		  unsigned nslots);

/* Log a line on stderr: "PROG: connection N: " and the text. */
void vu_dev_log(const vu_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
