/*
 * proxy: the vhost-user man-in-the-middle of vscsi-capture. For each
 * front-end connection (QEMU) it opens a connection to the back-end and
 * relays every message both ways, and it owns the rings in between
 * (ARCHITECTURE.md "Lossless capture by owning the rings"):
 *
 *   guest rings (QEMU's memory)          shadow rings (the proxy's memory)
 *   kick ---> pop, validate, record, copy descriptors ---> kick back-end
 *   call <--- push used entry <--- record completion <--- back-end call
 *
 * Relay. Requests pass through unchanged (bytes, flags, fds) except where
 * the shadow rings need otherwise:
 *   GET_FEATURES reply       in-order, notification data, ring reset,
 *                            access platform, dirty logging and unknown
 *                            bits are taken out (PX_FEATURES); packed
 *                            rings are offered whatever the back-end
 *                            says (PX_FEATURES_OWN)
 *   SET_FEATURES             packed rings are taken out: the back-end's
 *                            (shadow) rings are split
 *   GET_PROTOCOL_FEATURES    only the protocol features the proxy relays
 *   reply                    correctly are kept (PX_PROTOCOL_FEATURES):
 *                            no inflight region, host notifiers, in-band
 *                            notifications, dirty logging, postcopy,
 *                            device state, Xen mmap, shmem
 *   SET_MEM_TABLE            the proxy's region is added (when the table
 *                            is full: an ADD_MEM_REG of its own follows,
 *                            which needs CONFIGURE_MEM_SLOTS)
 *   ADD_MEM_REG              the first one is followed by the proxy's
 *   GET_MAX_MEM_SLOTS reply  one less: the proxy keeps a slot
 *   SET_VRING_ADDR           the shadow rings' addresses, logging off
 *   SET_VRING_BASE           the shadow ring starts again at 0
 *   GET_VRING_BASE reply     the guest ring's index: completions are copied
 *                            back first; chains the back-end gave back
 *                            unused are the guest's to make available again
 *   SET_VRING_KICK / CALL    the proxy's own eventfds
 *   SET_BACKEND_REQ_FD       a socket of the proxy's: the back-end request
 *                            channel is relayed (and recorded) both ways
 * Replies the proxy's own requests cause are consumed. vhost-user records
 * show the conversation as the front-end sees it: its requests as sent,
 * the replies as it receives them.
 *
 * Data path. The guest's rings split or packed, the shadow rings split
 * whatever the guest negotiated. A chain is walked and validated by the library (vscsi_vq_pop), its buffers are written as
 * new descriptors (or an indirect table) in proxy memory, so the guest
 * cannot change what the back-end reads after validation. Buffers cut by a
 * memory region boundary are joined again. Completions are recorded from
 * guest memory before the used entry is published to the guest; the guest
 * is signalled as its ring asks (EVENT_IDX or NO_INTERRUPT).
 *
 * A chain the walker refuses is answered as a vhost-user back-end answers
 * it (libvhost-user, vscsi-replay --serve): the guest ring is marked broken
 * and not used again until it is set up anew, and its error eventfd
 * (SET_VRING_ERR) is signalled; no used entry. The chain is recorded as a
 * request with PX_RECF_MALFORMED. Nothing of it reaches the back-end, whose
 * other rings go on.
 *
 * Failures. A back-end that closes its socket or breaks the protocol ends
 * the connection: the front-end's socket is closed too (QEMU may reconnect;
 * the next connection finds the back-end again if it is back). Requests
 * still in flight at the end of a connection are told by a loss note
 * (reason shutdown, the connection's id, one line per request).
 *
 * Threads: everything runs on the loop's thread.
 */
#ifndef VSCSI_TOOLS_PROXY_H
#define VSCSI_TOOLS_PROXY_H

#include <stdint.h>

#include "proxy_rec.h"
#include "vu_loop.h"

/* Largest ring the shadow takes (QEMU's VIRTQUEUE_MAX_SIZE). */
#define PX_MAX_NUM 1024
/* Largest vring index + 1. */
#define PX_MAX_VRINGS 256
/* Where the shadow region sits, guest-physical and front-end virtual:
 * above any guest's memory and any user-space address. */
#define PX_SHADOW_BASE 0xfff0000000000000ull

/* Virtio feature bits offered to the front-end (those of the back-end's
 * offer that the shadow rings handle): virtio-scsi 0-3, ANY_LAYOUT,
 * INDIRECT_DESC, EVENT_IDX, PROTOCOL_FEATURES (vhost-user), VERSION_1,
 * ORDER_PLATFORM. */
#define PX_FEATURES                                                        \
	(0xfull | 1ull << 27 | 1ull << 28 | 1ull << 29 | 1ull << 30 |      \
	 1ull << 32 | 1ull << 36)
/* Features the proxy provides itself, whatever the back-end offers: packed
 * rings on the guest side (the back-end's shadow rings are split). */
#define PX_FEATURES_OWN (1ull << 34)
/* Protocol features offered: MQ, RARP, REPLY_ACK, NET_MTU, BACKEND_REQ,
 * CROSS_ENDIAN, CRYPTO_SESSION, CONFIG, BACKEND_SEND_FD, RESET_DEVICE,
 * CONFIGURE_MEM_SLOTS, STATUS, SHARED_OBJECT. */
#define PX_PROTOCOL_FEATURES                                               \
	(1ull << 0 | 1ull << 2 | 1ull << 3 | 1ull << 4 | 1ull << 5 |       \
	 1ull << 6 | 1ull << 7 | 1ull << 9 | 1ull << 10 | 1ull << 13 |     \
	 1ull << 15 | 1ull << 16 | 1ull << 18)

typedef struct px_opts {
	const char *prog;	/* log prefix */
	const char *backend;	/* the back-end's socket */
	px_rec *rec;		/* records go here; NULL: relay only */
	int notify;		/* record kicks and calls too */
	int verbose;		/* 1: connections; 2: every message */
	unsigned poll_us;	/* after activity, poll the rings this long
				 * before sleeping (0: never) */
	/* called when a connection ended (after its records) */
	void (*closed)(void *arg, unsigned id);
	void *arg;
} px_opts;

typedef struct px_stats {
	uint64_t conns;		/* connections accepted */
	unsigned open;		/* connections open now */
	uint64_t requests;	/* chains made available and forwarded */
	uint64_t completions;	/* used entries copied back */
	uint64_t malformed;	/* chains refused */
	uint64_t bytes_out;	/* device-readable bytes of the requests */
	uint64_t bytes_in;	/* used lengths of the completions */
	uint64_t inflight;	/* requests forwarded, not completed, now */
	uint64_t messages;	/* vhost-user messages relayed */
	uint64_t kicks, calls;	/* notifications sent to back-end / guest */
	uint64_t poll_yields;	/* polls cut short for a writer behind */
} px_stats;

typedef struct proxy proxy;

/* A proxy whose connections run in loop. o is copied (the strings and rec
 * must outlive it). NULL when out of memory. */
proxy *proxy_new(vu_loop *loop, const px_opts *o);
/*
 * Take an accepted front-end connection: connect to the back-end and start
 * relaying. Returns the connection id (1, 2, ...), or -1 (logged; fd
 * closed) when the back-end cannot be reached.
 */
int proxy_add(proxy *p, int fd);
/*
 * proxy_add with the back-end's socket already connected (tests and the
 * fuzz harness drive one connection over socketpairs this way; proxy_add
 * is vu_connect(o.backend) and this). Both fds are the proxy's from the
 * call on, also on failure. Returns the connection id, or -1 (logged; both
 * fds closed) when out of memory or the loop cannot watch them.
 */
int proxy_add_conn(proxy *p, int fe, int be);
/* End every connection (requests in flight told), free. NULL is ignored. */
void proxy_free(proxy *p);
void proxy_get_stats(const proxy *p, px_stats *st);

#endif
