/*
 * Private to proxy.c (connections, relay, memory) and proxy_ring.c (the
 * shadow rings and the data path).
 *
 * The shadow region: one memfd per connection, mapped here and handed to
 * the back-end as a memory region at PX_SHADOW_BASE (guest-physical and
 * front-end virtual alike). Vring q owns PX_RING_STRIDE bytes at
 * q * PX_RING_STRIDE, laid out for the largest ring:
 *
 *   +0       descriptor table   16 * PX_MAX_NUM
 *   +16 KiB  available ring     6 + 2 * PX_MAX_NUM (4 KiB)
 *   +20 KiB  used ring          6 + 8 * PX_MAX_NUM (12 KiB)
 *   +32 KiB  indirect tables    PX_MAX_NUM tables of PX_TBL_ENTRIES
 *
 * The memfd is sparse: only the pages the rings touch cost memory.
 */
#ifndef VSCSI_TOOLS_PROXY_INT_H
#define VSCSI_TOOLS_PROXY_INT_H

#include <stdint.h>
#include <sys/uio.h>

#include "proxy.h"
#include "vscsi/gmem.h"
#include "vscsi/vring.h"
#include "vu.h"

#define PX_TBL_ENTRIES 256u
#define PX_DESC_OFF 0u
#define PX_AVAIL_OFF (16u * PX_MAX_NUM)
#define PX_USED_OFF (PX_AVAIL_OFF + 4096u)
#define PX_TBL_OFF (PX_USED_OFF + 12288u)
#define PX_TBL_SIZE (16u * PX_TBL_ENTRIES)
#define PX_RING_STRIDE ((uint64_t)PX_TBL_OFF + (uint64_t)PX_MAX_NUM * PX_TBL_SIZE)
#define PX_REGION_ALIGN (2ull << 20)
/* Vrings the shadow region holds when the back-end never said
 * (GET_QUEUE_NUM): control, event and 64 request queues. */
#define PX_DEFAULT_VRINGS 66u
/* iovecs of one chain: a chain has at most PX_MAX_NUM descriptors; each may
 * cross a few regions. */
#define PX_IOV_MAX 4096u
#define PX_PEND_MAX 64u

/* A region of the front-end's memory, mapped here. */
struct px_region {
	uint64_t gpa, size, uva, off;
	void *map;
	size_t map_len;
	uint8_t *host;
};

/* A chain forwarded to the back-end, by its shadow head. */
struct px_slot {
	uint8_t busy;
	uint8_t has_tbl;
	uint16_t tbl;		/* indirect table slot */
	uint16_t ghead;		/* the guest's head (packed: buffer id) */
	uint16_t gndesc;	/* descriptors it took in the guest ring */
	vscsi_cap_chain shape;	/* what the records say */
	uint64_t ts;		/* made available */
	struct vscsi_desc *w;	/* the device-writable buffers */
	uint32_t nw, wcap;
};

typedef struct px_conn px_conn;

struct px_ring {
	px_conn *c;
	unsigned q;
	uint16_t num;		/* SET_VRING_NUM */
	int have_addr;
	uint64_t desc_uva, avail_uva, used_uva;
	uint32_t gbase;		/* guest index to resume at */
	int gkick;		/* the front-end's kick fd (watched) */
	int gcall;		/* the front-end's call fd */
	int gerr;		/* a copy of the front-end's error fd */
	int skick, scall;	/* ours, given to the back-end */
	int scall_watched;
	int polled;		/* started without a kick fd */
	int started, enabled, live, broken, stopping;
	int stall;		/* the shadow is full: wait for completions */
	int shadow_ok;		/* shadow set up for num */
	int packed;		/* the guest ring is packed (the shadow is
				 * split whatever the guest's) */
	uint16_t sav;		/* chains added to the shadow (its avail idx) */
	vscsi_vq *gvq;		/* device side of the guest ring */
	vscsi_vq *svq;		/* driver side of the shadow ring */
	uint8_t *gavail;	/* guest avail ring while live */
	uint8_t *sbase;		/* this ring's area of the shadow region */
	struct px_slot *slots;	/* nslots: num when the shadow was laid
				 * out (num may change since) */
	unsigned nslots;
	uint32_t *s2g;		/* shadow avail position -> the guest ring's
				 * base before that chain */
	uint16_t *tfree;	/* free indirect table slots */
	unsigned ntfree;
	vscsi_used_elem *ubatch;
	unsigned inflight;
};

/* A reply the connection waits for from the back-end. */
enum px_pend_kind {
	PX_PEND_PASS,		/* forward unchanged */
	PX_PEND_FIX,		/* adjust (by request), then forward */
	PX_PEND_SWALLOW,	/* the proxy's own request: consume */
};

struct px_pend {
	uint32_t req;
	uint8_t kind;
	uint16_t ring;
};

struct px_conn {
	proxy *p;
	unsigned id;
	px_conn *next;
	int fe, be;		/* front-end and back-end sockets */
	int bfe, bbe;		/* the back-end request channel: the
				 * front-end's socket, and our end of the
				 * pair whose other end the back-end got */
	int dead;
	uint64_t features;	/* SET_FEATURES */
	uint64_t pf;		/* SET_PROTOCOL_FEATURES */
	uint64_t be_nvr;	/* GET_QUEUE_NUM reply, 0: not seen */

	/* the front-end's memory */
	vscsi_gmem *mem;
	struct px_region *reg;
	unsigned nreg, capreg;

	/* the shadow region */
	int sfd;
	uint8_t *smap;
	uint64_t slen;
	unsigned snvr;		/* vrings it holds */
	int s_in_be;		/* the back-end's table holds it */

	struct px_ring *ring[PX_MAX_VRINGS];

	struct px_pend pend[PX_PEND_MAX];
	unsigned pend_head, npend;

	/* records */
	uint64_t seq;
	int sess_dirty, sess_written;

	/* scratch */
	vu_msg in, bin, cin;
	uint8_t out[VU_MAX_MSG];
	struct iovec *iov;
	uint64_t *addr;
	struct vscsi_desc *sd;
};

struct proxy {
	vu_loop *loop;
	px_opts o;
	px_conn *conns;
	unsigned next_id;
	px_stats st;
	int poll_fd;		/* the poll timer (proxy.c) */
	unsigned poll_ms, poll_slow_every, poll_ticks;
};

/* proxy.c */
void px_log(const px_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_conn_close(px_conn *c, const char *why);
void px_conn_reap(px_conn *c);
uint64_t px_next_seq(px_conn *c);
void px_session(px_conn *c);
void px_poll_update(proxy *p);

/* proxy_ring.c */
struct px_ring *px_ring_get(px_conn *c, unsigned q);
void px_ring_free(px_conn *c, struct px_ring *r);
int px_ring_update(px_conn *c, struct px_ring *r);
void px_ring_stop(px_conn *c, struct px_ring *r);
void px_ring_reset(px_conn *c, struct px_ring *r);
int px_ring_shadow_init(px_conn *c, struct px_ring *r);
unsigned px_ring_avail(px_conn *c, struct px_ring *r);
unsigned px_ring_used(px_conn *c, struct px_ring *r);
void px_spin(proxy *p);
uint32_t px_ring_guest_base(px_conn *c, struct px_ring *r, uint32_t sbase);
int px_ring_watch_call(px_conn *c, struct px_ring *r);
void px_ring_kick_cb(void *arg, int fd, uint32_t events);
int px_ring_in_region(const struct px_ring *r, const struct px_region *rg);
unsigned px_ring_inflight_note(px_conn *c, struct px_ring *r, char *buf,
			       size_t len, uint64_t *oldest);

#endif
