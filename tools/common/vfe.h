/*
 * vfe: the toolkit's own vhost-user-scsi front-end driver (the role QEMU
 * plays for a guest). vscsi-replay uses it to replay into any vhost-user-scsi
 * back-end; the wire tests and benchmarks use it to drive the back-end and
 * the capture proxy without a guest.
 *
 * What vfe_open() does, in QEMU's order (docs/interop/vhost-user.rst):
 *   1. guest memory: one memfd per region, mapped MAP_SHARED here; region i
 *      starts at guest-physical gpa_base + i * (region size + gpa_gap), its
 *      front-end virtual address (uva) is where this process mapped it, and
 *      the memfd is mapped from offset fd_offset (sent as mmap_offset);
 *   2. GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES,
 *      GET_QUEUE_NUM (MQ; must cover 2 + num_queues virtqueues),
 *      GET_MAX_MEM_SLOTS (CONFIGURE_MEM_SLOTS), SET_OWNER;
 *   3. SET_FEATURES, GET_INFLIGHT_FD + SET_INFLIGHT_FD (when asked),
 *      SET_MEM_TABLE with the memfds (or ADD_MEM_REG per region);
 *   4. per virtqueue (control 0, event 1, request 2..): SET_VRING_NUM,
 *      SET_VRING_BASE 0, SET_VRING_ADDR (this process's addresses),
 *      SET_VRING_CALL, SET_VRING_ERR, SET_VRING_KICK (eventfds), then
 *      SET_VRING_ENABLE 1 (with PROTOCOL_FEATURES rings start disabled);
 *   5. SET_STATUS (STATUS) and the event queue's buffers.
 * With REPLY_ACK every request that has no reply of its own is sent with
 * NEED_REPLY and its ack is checked, so a refusal fails vfe_open().
 *
 * The I/O path allocates nothing: every request queue has one slot per ring
 * entry, each with its header, response, indirect table and data buffer
 * laid out in guest memory at open. A command's data-out is copied into its
 * slot's buffer; data-in is handed to the callback in place.
 *
 * Completions arrive through vfe_poll(): it reaps every queue, calls the
 * callbacks, and when nothing is there waits on the call eventfds (with
 * VFE_SPIN it first spins on the rings with interrupts off, for a budget,
 * so that a back-end that needs this CPU is not starved on a small
 * machine). A back-end that goes away
 * (closed socket, killed process) makes vfe_poll() return
 * VSCSI_ERR_CLOSED after every command in flight was called back with that
 * error; later submissions fail with it.
 *
 * Threads: a vfe is used by one thread at a time. Callbacks run on the
 * thread in vfe_poll()/vfe_exec(); they may submit, but must not poll,
 * exec, stop or close.
 *
 * Errors are the negative codes of vscsi/common.h; allocation failure is
 * VSCSI_ERR_NOMEM; a failed system call is VSCSI_ERR_IO with errno set; a
 * back-end that answers wrongly (bad reply, nonzero ack, missing feature)
 * is VSCSI_ERR_PROTO or VSCSI_ERR_UNSUPPORTED, with a sentence in
 * vfe_last_error().
 */
#ifndef VSCSI_TOOLS_VFE_H
#define VSCSI_TOOLS_VFE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vscsi/common.h"
#include "vscsi/gmem.h"
#include "vscsi/virtio_scsi.h"

typedef struct vfe vfe;

/* Virtqueue indices (virtio 1.2 5.6.2). */
#define VFE_VQ_CTRL 0u
#define VFE_VQ_EVENT 1u
#define VFE_VQ_REQ(i) (2u + (i))

#define VFE_MAX_REGIONS 8	/* SET_MEM_TABLE's limit; ADD_MEM_REG too */
#define VFE_MAX_QUEUES 64	/* request queues */
#define VFE_MAX_CHAIN 64	/* descriptors in one command chain */

/* vfe_opts.flags */
#define VFE_PACKED 0x1u		/* packed rings (VIRTIO_F_RING_PACKED) */
#define VFE_SPIN 0x2u		/* vfe_poll spins on the request rings with
				 * interrupts off for up to spin_us, then
				 * sleeps with them on (benchmarks) */
#define VFE_INFLIGHT 0x4u	/* ask INFLIGHT_SHMFD; GET/SET_INFLIGHT_FD */
#define VFE_ADD_MEM_REG 0x8u	/* ADD_MEM_REG per region instead of
				 * SET_MEM_TABLE (needs CONFIGURE_MEM_SLOTS) */
#define VFE_CROSS 0x10u		/* lay the first data buffers across region
				 * boundaries (needs 2+ regions, no gap) */
#define VFE_NO_ACK 0x20u	/* do not ask REPLY_ACK */
#define VFE_NO_EVENT_IDX 0x40u	/* do not ask EVENT_IDX */
#define VFE_NO_INDIRECT 0x80u	/* do not ask INDIRECT_DESC */

typedef struct vfe_opts {
	unsigned flags;		/* VFE_* */
	unsigned num_queues;	/* request queues, 1..VFE_MAX_QUEUES (0: 1) */
	uint16_t queue_size;	/* ring entries, a power of two (0: 128) */
	unsigned nregions;	/* memory regions 1..8 (0: 1) */
	uint64_t mem_size;	/* guest memory bytes (0: what the layout
				 * needs, rounded up); must cover it */
	uint64_t gpa_base;	/* guest-physical start (0: 0x100000) */
	uint64_t gpa_gap;	/* hole between regions, multiple of 4096 */
	uint64_t fd_offset;	/* mmap_offset of every region, multiple of
				 * 4096 (the memfd holds that much before) */
	uint32_t slot_data;	/* data buffer bytes per request slot
				 * (0: 65536); bounds dout + din of one
				 * command */
	uint64_t spare;		/* bytes for vfe_alloc (0: 1 MiB) */
	unsigned spin_us;	/* VFE_SPIN budget per vfe_poll (0: 50) */
	unsigned event_bufs;	/* event buffers posted at open; 0: 8,
				 * VFE_NO_EVENT_BUFS: none */
	uint64_t features;	/* 0: VERSION_1 INDIRECT_DESC EVENT_IDX INOUT
				 * HOTPLUG CHANGE (+ RING_PACKED), less the
				 * VFE_NO_* flags; otherwise exactly these
				 * bits are asked (VERSION_1 is required) */
	uint64_t protocol_features; /* 0: MQ REPLY_ACK CONFIGURE_MEM_SLOTS
				 * (+ INFLIGHT_SHMFD, - REPLY_ACK by flags);
				 * otherwise exactly these bits */
	/* Called from vfe_poll for each event the device posts (may be NULL:
	 * events are then only queued for vfe_event_get). */
	void (*on_event)(void *arg, const vscsi_event *ev);
	void *event_arg;
} vfe_opts;

#define VFE_NO_EVENT_BUFS 0xffffffffu

/* Fill o with the defaults (all zero means defaults too). */
void vfe_opts_init(vfe_opts *o);

/*
 * Connect to the back-end listening at path and set everything up (see
 * above). On success *out is the driver; on error nothing is left open and
 * *out is NULL. Errors: VSCSI_ERR_ARG (bad options), VSCSI_ERR_IO (socket,
 * memfd, mmap, eventfd: errno), VSCSI_ERR_NOMEM, VSCSI_ERR_UNSUPPORTED (the
 * back-end lacks VERSION_1, asked features, or enough queues/slots),
 * VSCSI_ERR_PROTO (a refused request), VSCSI_ERR_CLOSED, and the framing
 * errors of vu_recv(). o may be NULL (defaults).
 */
int vfe_open(const char *path, const vfe_opts *o, vfe **out, char *err,
	     size_t errlen);
/* The same over a connected socket, which the driver then owns (closed on
 * error too). err (errlen bytes, may be 0) receives a sentence on error. */
int vfe_open_fd(int fd, const vfe_opts *o, vfe **out, char *err,
		size_t errlen);
/* Stop the rings (vfe_stop) when still connected, close the socket and the
 * eventfds, unmap the memory, free. Commands still in flight are dropped
 * without callbacks. NULL is ignored. */
void vfe_close(vfe *v);

/*
 * Stop every ring with GET_VRING_BASE; bases (may be NULL) receives
 * 2 + num_queues values in virtqueue order (split: the next available index
 * the back-end would have processed; packed: the vhost-user packed
 * encoding). Commands still in flight stay so (a later vfe_poll may still
 * reap what the back-end pushed before it stopped). Afterwards submissions
 * fail with VSCSI_ERR_RING_BROKEN. VSCSI_OK or a transport error (the
 * connection is then considered dead).
 */
int vfe_stop(vfe *v, uint32_t *bases);

/* A sentence about the last failure seen by stop, poll, exec or the
 * reaping of a ring the device broke ("no error" when none; never NULL). */
const char *vfe_last_error(const vfe *v);

/* ------------------------------------------------------------ commands */

/* vfe_cmd.flags */
#define VFE_CMD_INDIRECT 0x1u	/* one indirect descriptor (needs
				 * INDIRECT_DESC) */
#define VFE_CMD_NOKICK 0x2u	/* do not notify; vfe_kick or vfe_poll does */

typedef struct vfe_cmd {
	uint8_t lun[8];		/* the LUN field (vfe_lun) */
	const uint8_t *cdb;
	uint16_t cdb_len;	/* <= the config's cdb_size (32) */
	uint8_t task_attr;	/* enum vscsi_task_attr */
	uint8_t prio, crn;
	uint64_t tag;		/* 0: the driver picks a unique one */
	const void *dout;	/* copied into guest memory at submit; NULL
				 * with dout_len > 0 sends the slot buffer
				 * as it is (benchmarks) */
	uint32_t dout_len;
	uint32_t din_len;	/* device-writable data bytes */
	unsigned flags;		/* VFE_CMD_* */
	uint16_t hdr_split;	/* 0, or split the request header after this
				 * many bytes into two descriptors (the
				 * second piece is not adjacent in memory) */
	uint16_t resp_split;	/* the same for the response header */
	uint32_t data_split;	/* 0, or at most this many bytes per data
				 * descriptor */
} vfe_cmd;

/* What the device answered (valid during the callback; copy what you
 * keep). */
typedef struct vfe_result {
	int err;		/* VSCSI_OK: the device answered (fields
				 * below); VSCSI_ERR_CLOSED: the connection
				 * died first; VSCSI_ERR_TRUNCATED: the used
				 * length cannot hold the response header */
	unsigned rq;		/* request queue */
	uint64_t tag;
	uint8_t response;	/* enum vscsi_vs_response */
	uint8_t status;		/* SCSI status */
	uint16_t status_qualifier;
	uint32_t sense_len;	/* as the device wrote it */
	uint16_t sense_copied;	/* bytes valid in sense[] */
	uint8_t sense[VSCSI_SENSE_MAX];
	uint32_t resid;
	uint32_t used_len;	/* the used ring's length */
	uint32_t din_len;	/* used_len less the response header, at
				 * most the command's din_len */
	const struct iovec *din; /* the data-in buffer in guest memory */
	unsigned din_cnt;	/* 1, or 2 when it crosses regions */
	int crossed;		/* the data buffer spans two regions */
	uint64_t lat_ns;	/* submit to reap */
} vfe_result;

typedef void (*vfe_cmd_cb)(void *arg, const vfe_result *r);

/* The 8-byte LUN field for target:lun (flat addressing, as Linux). */
void vfe_lun(uint8_t raw[8], uint8_t target, uint16_t lun);

/*
 * Submit a command on request queue rq (0-based). cb is called exactly once
 * (from vfe_poll/vfe_exec, never from here) unless the driver is closed
 * first. *tag_out (may be NULL) receives the tag. Returns VSCSI_OK;
 * VSCSI_ERR_NOSPACE (no free slot or descriptors: poll first);
 * VSCSI_ERR_ARG (bad queue, lengths over slot_data, CDB too long, splits
 * out of range, too many descriptors); VSCSI_ERR_UNSUPPORTED (indirect not
 * negotiated); VSCSI_ERR_RING_BROKEN (stopped, raw-posted, or the device
 * broke the ring); VSCSI_ERR_CLOSED.
 */
int vfe_submit(vfe *v, unsigned rq, const vfe_cmd *c, vfe_cmd_cb cb,
	       void *arg, uint64_t *tag_out);

/*
 * Submit and wait up to timeout_ms (-1: forever). *r receives the result
 * (r->din is NULL after return); data-in is copied to din (din_cap bytes,
 * may be NULL). Other completions are delivered meanwhile. Returns VSCSI_OK
 * (check r->err and r->response), a submit error, VSCSI_ERR_CLOSED, or
 * VSCSI_ERR_IO with errno ETIMEDOUT (the command stays in flight; its
 * answer is dropped).
 */
int vfe_exec(vfe *v, unsigned rq, const vfe_cmd *c, vfe_result *r,
	     void *din, size_t din_cap, int timeout_ms);

/* Notify request queue rq now (after VFE_CMD_NOKICK submissions), when the
 * device asked for it. */
int vfe_kick(vfe *v, unsigned rq);

/*
 * Reap completions on every queue and call their callbacks; when none came
 * and timeout_ms != 0, wait up to timeout_ms (-1: forever) for one.
 * Pending kicks are sent first. Returns the number of completions handled
 * (events included), or VSCSI_ERR_CLOSED (the back-end went away: every
 * command in flight was called back with err CLOSED), VSCSI_ERR_IO.
 */
int vfe_poll(vfe *v, int timeout_ms);

/* Commands in flight on request queue rq (all queues when rq is ~0u). */
unsigned vfe_inflight(const vfe *v, unsigned rq);

/* ------------------------------------------------------------ control */

typedef struct vfe_ctrl_result {
	int err;		/* as vfe_result.err */
	uint32_t type;		/* enum vscsi_ctrl_type */
	uint8_t response;
	uint32_t event_actual;	/* AN */
	uint32_t used_len;
} vfe_ctrl_result;

typedef void (*vfe_ctrl_cb)(void *arg, const vfe_ctrl_result *r);

/* Submit a TMF (enum vscsi_tmf subtype; tag: the command it names). As
 * vfe_submit. */
int vfe_tmf(vfe *v, const uint8_t lun[8], uint32_t subtype, uint64_t tag,
	    vfe_ctrl_cb cb, void *arg);
/* Submit an AN query or subscribe (type VSCSI_T_AN_QUERY/SUBSCRIBE). */
int vfe_an(vfe *v, uint32_t type, const uint8_t lun[8],
	   uint32_t event_requested, vfe_ctrl_cb cb, void *arg);
/* TMF and wait, as vfe_exec. */
int vfe_tmf_exec(vfe *v, const uint8_t lun[8], uint32_t subtype,
		 uint64_t tag, vfe_ctrl_result *r, int timeout_ms);

/* ------------------------------------------------------------ events */

/* Take the oldest event received (1), or 0 when none. Events are kept in a
 * ring of 64; older ones are dropped (and counted in vfe_stats). */
int vfe_event_get(vfe *v, vscsi_event *ev);
/* Post up to n more event buffers (bounded by the ring and the buffers
 * laid out at open: max(event_bufs, 8)). Returns how many were posted. */
int vfe_event_post(vfe *v, unsigned n);

/* ------------------------------------------------------------ raw chains */

/*
 * A descriptor written exactly as given, for deliberately malformed chains.
 * Split: written at table index `index`, `next` as given. Packed: written
 * to consecutive slots from the driver's position, `next` is the buffer id;
 * the AVAIL/USED bits for the current wrap are added.
 */
typedef struct vfe_raw_desc {
	uint16_t index;
	uint64_t addr;
	uint32_t len;
	uint16_t flags;		/* VSCSI_VRING_DESC_F_* */
	uint16_t next;
} vfe_raw_desc;

/*
 * Write n descriptors and make `head` available (split: the table index;
 * packed: ignored, the chain starts at the driver's slot) on virtqueue vq,
 * then kick. The queue must have nothing in flight (VSCSI_ERR_ARG
 * otherwise; the event queue never qualifies while buffers are posted); it
 * is then in raw mode for good: vfe_submit on it fails and its used entries
 * come back only through vfe_raw_used. Indirect tables are the caller's
 * (vfe_alloc). VSCSI_OK, VSCSI_ERR_ARG, VSCSI_ERR_CLOSED.
 */
int vfe_post_raw(vfe *v, unsigned vq, const vfe_raw_desc *d, unsigned n,
		 uint16_t head);
/* Wait up to timeout_ms for a used entry on a raw-mode queue: 1 with *id
 * and *len, 0 on timeout, VSCSI_ERR_CLOSED, VSCSI_ERR_INVALID (the device
 * published an impossible used index). */
int vfe_raw_used(vfe *v, unsigned vq, int timeout_ms, uint16_t *id,
		 uint32_t *len);

/* ------------------------------------------------------------ memory */

/* Allocate len bytes of guest memory (aligned to align, a power of two,
 * within one region) from the spare area. Returns the host pointer and
 * *gpa, or NULL when the spare area is used up. Never freed before close. */
void *vfe_alloc(vfe *v, uint64_t len, uint64_t align, uint64_t *gpa);
/* The guest memory map (front-end side: host = this process's mapping). */
const vscsi_gmem *vfe_mem(const vfe *v);
/* The first guest-physical address past the last region. */
uint64_t vfe_mem_end(const vfe *v);

/* ------------------------------------------------------------ state */

/* Negotiated virtio features, protocol features; the connected socket. */
uint64_t vfe_features(const vfe *v);
uint64_t vfe_protocol_features(const vfe *v);
int vfe_fd(const vfe *v);
unsigned vfe_num_queues(const vfe *v);
uint16_t vfe_queue_size(const vfe *v);
/* The inflight memfd (VFE_INFLIGHT), or -1. */
int vfe_inflight_fd(const vfe *v);
/* Times the device signalled the error eventfd of virtqueue vq (reads
 * it). */
uint64_t vfe_vring_errors(vfe *v, unsigned vq);
/* The virtio-scsi configuration the driver uses (cdb 32, sense 96). */
const vscsi_vs_cfg *vfe_cfg(const vfe *v);
/* 1 once the connection is known dead. */
int vfe_dead(const vfe *v);

typedef struct vfe_stats {
	uint64_t submitted, completed;	/* commands and control requests */
	uint64_t kicks;			/* eventfd writes */
	uint64_t waits;			/* sleeps in epoll */
	uint64_t events, events_dropped;
} vfe_stats;
void vfe_get_stats(const vfe *v, vfe_stats *out);

#endif
