/* vhost-user-scsi front-end driver; see vfe.h. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vfe.h"
#include "vu.h"
#include "vu_loop.h"
#include "vscsi/vhost_user.h"
#include "vscsi/vring.h"

/*
 * Each slot's metadata block in guest memory: the request header (its
 * second piece, when split, 64 bytes further so that the two are not
 * adjacent), the response header (likewise), and an indirect table.
 */
#define META_HDR 0u
#define META_HDR2 64u
#define META_RESP 128u
#define META_RESP2 256u
#define META_TBL 512u
#define META_SIZE (META_TBL + 16u * VFE_MAX_CHAIN)
#define HDR_PIECE_MAX 64u	/* largest header piece (51, or 59 with PI) */
#define RESP_PIECE_MAX 128u	/* 12 + sense 96 */
#define EVENT_BUF_MIN 8u
#define EVENT_RING 64u
#define SPIN_CHECK 1024u	/* spins between clock/socket checks */

enum slot_kind { SLOT_FREE = 0, SLOT_CMD, SLOT_CTRL, SLOT_EVENT };

struct vfe_slot {
	uint8_t *meta;
	uint64_t meta_gpa;
	uint64_t data_gpa;	/* 0 when the queue has no data buffers */
	struct iovec data_iov[2];
	unsigned data_n;
	/* while in flight */
	uint8_t kind;
	uint16_t ndesc;		/* ring slots the chain takes (packed) */
	uint16_t resp_split;
	uint32_t din_off, din_len;
	uint32_t ctrl_type;
	uint64_t tag;
	uint64_t t0;
	vfe_cmd_cb cb;
	vfe_ctrl_cb ccb;
	void *arg;
};

struct vfe_q {
	unsigned idx;		/* virtqueue index */
	vscsi_vq *vq;
	uint16_t num;
	uint8_t *desc, *a1, *a2;	/* split: desc/avail/used; packed:
					 * desc/driver event/device event */
	int kick_fd, call_fd, err_fd;
	struct vfe_slot *slots;
	unsigned nslots;
	uint16_t *free_slots;
	unsigned nfree;
	uint16_t *id2slot;	/* ring id -> slot */
	unsigned inflight;
	int kick_pending;
	int raw;		/* raw-posted: vscsi_vq no longer used */
	int broken;		/* the device broke the ring */
	int spin;		/* interrupts off */
	uint64_t err_count;
	/* packed positions mirrored from the driver side (for raw posts) */
	uint16_t p_avail, p_used;
	uint8_t p_avail_wrap, p_used_wrap;
	uint16_t r_used;	/* split raw mode: next used index to read */
	uint16_t *raw_n;	/* packed raw mode: slots per buffer id */
};

struct vfe_region {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint8_t *host;
	uint64_t gpa, size;
	uint64_t lo, hi;	/* free window (offsets) for the allocator */
};

struct vfe {
	int fd, epfd;
	int dead;		/* 0, or the error that killed it */
	int stopped;
	unsigned flags;
	int proto;		/* PROTOCOL_FEATURES negotiated */
	uint64_t features, pf;
	vscsi_vs_cfg cfg;
	uint32_t req_size, resp_size;
	unsigned nq;		/* request queues */
	unsigned nvq;		/* 2 + nq */
	uint16_t num;
	uint32_t slot_data;
	struct vfe_region reg[VFE_MAX_REGIONS];
	unsigned nreg;
	uint64_t fd_offset;
	vscsi_gmem *mem;
	struct vfe_q *q;
	int inflight_fd;
	uint64_t next_tag;
	vscsi_event evring[EVENT_RING];
	unsigned ev_head, ev_count;
	void (*on_event)(void *arg, const vscsi_event *ev);
	void *event_arg;
	vfe_stats st;
	uint64_t idle_polls;
	uint64_t spin_ns;	/* VFE_SPIN: spin this long before sleeping */
	vu_msg rx;
	char errbuf[256];
};

/* ------------------------------------------------------------ helpers */

static void vfe_err(vfe *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vfe_err(vfe *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->errbuf, sizeof(v->errbuf), fmt, ap);
	va_end(ap);
}

static uint64_t vfe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t vfe_align(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	st16(p, (uint16_t)v);
	st16(p + 2, (uint16_t)(v >> 16));
}

static void st64(uint8_t *p, uint64_t v)
{
	st32(p, (uint32_t)v);
	st32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)ld16(p) | (uint32_t)ld16(p + 2) << 16;
}

/* Ring index words are 2-byte aligned; the host is little-endian (the
 * library handles only VERSION_1 layouts on such hosts). */
static uint16_t ld16_acq(const uint8_t *p)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p,
				     __ATOMIC_ACQUIRE);
	return ld16((const uint8_t *)&v);
}

static void st16_rel(uint8_t *p, uint16_t v)
{
	uint16_t le;

	st16((uint8_t *)&le, v);
	__atomic_store_n((uint16_t *)(void *)p, le, __ATOMIC_RELEASE);
}

static void vfe_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------------------ messages */

static void vfe_msg(vscsi_vu_msg *m, uint32_t req, unsigned kind)
{
	memset(m, 0, sizeof(*m));
	m->hdr.request = req;
	m->channel = VSCSI_VU_FRONTEND;
	m->payload_kind = kind;
}

static const char *vfe_reqname(uint32_t req)
{
	const char *n = vscsi_vu_request_name(req, VSCSI_VU_FRONTEND);

	return n ? n : "?";
}

/*
 * Send m; when it has a reply, receive it into v->rx (fds owned by the
 * caller then); when REPLY_ACK is negotiated and it has none, ask for an ack
 * and check it is 0.
 */
static int vfe_rpc(vfe *v, vscsi_vu_msg *m, const int *fds, unsigned nfds)
{
	int want, ack, r;

	if (v->dead)
		return v->dead;
	m->hdr.flags = VSCSI_VU_VERSION;
	want = vscsi_vu_expects_reply(m, v->pf);
	ack = !want && (v->pf & (1ull << VSCSI_VU_PF_REPLY_ACK));
	if (ack)
		m->hdr.flags |= VSCSI_VU_FLAG_NEED_REPLY;
	r = vu_send(v->fd, m, fds, nfds);
	if (r < 0) {
		vfe_err(v, "sending %s: %s", vfe_reqname(m->hdr.request),
			r == VSCSI_ERR_IO ? strerror(errno) : vscsi_strerror(r));
		return r;
	}
	if (!want && !ack)
		return VSCSI_OK;
	r = vu_recv(v->fd, VSCSI_VU_FRONTEND, v->pf, &v->rx);
	if (r <= 0) {
		if (r == 0)
			r = VSCSI_ERR_CLOSED;
		vfe_err(v, "reply to %s: %s", vfe_reqname(m->hdr.request),
			r == VSCSI_ERR_IO ? strerror(errno) : vscsi_strerror(r));
		return r;
	}
	if (v->rx.m.hdr.request != m->hdr.request ||
	    !(v->rx.m.hdr.flags & VSCSI_VU_FLAG_REPLY)) {
		vfe_err(v, "back-end answered %s with %s", vfe_reqname(m->hdr.request),
			vfe_reqname(v->rx.m.hdr.request));
		vu_msg_close_fds(&v->rx);
		return VSCSI_ERR_PROTO;
	}
	if (ack) {
		if (v->rx.m.payload_kind != VSCSI_VU_P_U64 || v->rx.m.u.u64) {
			vfe_err(v, "back-end refused %s (ack %llu)",
				vfe_reqname(m->hdr.request),
				(unsigned long long)v->rx.m.u.u64);
			vu_msg_close_fds(&v->rx);
			return VSCSI_ERR_PROTO;
		}
	}
	return VSCSI_OK;
}

/* A request with no payload and a u64 reply. */
static int vfe_get_u64(vfe *v, uint32_t req, uint64_t *out)
{
	vscsi_vu_msg m;
	int r;

	vfe_msg(&m, req, VSCSI_VU_P_NONE);
	r = vfe_rpc(v, &m, NULL, 0);
	if (r)
		return r;
	if (v->rx.m.payload_kind != VSCSI_VU_P_U64) {
		vfe_err(v, "%s reply has no u64", vfe_reqname(req));
		vu_msg_close_fds(&v->rx);
		return VSCSI_ERR_PROTO;
	}
	*out = v->rx.m.u.u64;
	return VSCSI_OK;
}

static int vfe_set_u64(vfe *v, uint32_t req, uint64_t val, int fd)
{
	vscsi_vu_msg m;

	vfe_msg(&m, req, VSCSI_VU_P_U64);
	m.u.u64 = val;
	return vfe_rpc(v, &m, fd >= 0 ? &fd : NULL, fd >= 0 ? 1u : 0u);
}

static int vfe_set_state(vfe *v, uint32_t req, uint32_t index, uint32_t num)
{
	vscsi_vu_msg m;

	vfe_msg(&m, req, VSCSI_VU_P_STATE);
	m.u.state.index = index;
	m.u.state.num = num;
	return vfe_rpc(v, &m, NULL, 0);
}

/* ------------------------------------------------------------ memory */

static int vfe_mem_create(vfe *v, unsigned nreg, uint64_t rsize,
			  uint64_t base, uint64_t gap)
{
	unsigned i;

	for (i = 0; i < nreg; i++) {
		struct vfe_region *g = &v->reg[i];
		size_t len = (size_t)(v->fd_offset + rsize);
		void *p;

		g->fd = memfd_create("vfe-guest", MFD_CLOEXEC);
		if (g->fd < 0 || ftruncate(g->fd, (off_t)len)) {
			vfe_err(v, "memfd: %s", strerror(errno));
			return VSCSI_ERR_IO;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, g->fd, 0);
		if (p == MAP_FAILED) {
			vfe_err(v, "mmap %zu bytes: %s", len, strerror(errno));
			return VSCSI_ERR_IO;
		}
		g->map = p;
		g->map_len = len;
		g->host = g->map + v->fd_offset;
		g->gpa = base + i * (rsize + gap);
		g->size = rsize;
		g->lo = 0;
		g->hi = rsize;
		v->nreg = i + 1;
		if (vscsi_gmem_add(v->mem, g->gpa, rsize, (uint64_t)(uintptr_t)g->host,
				   g->host) < 0) {
			vfe_err(v, "guest memory map refused region %u", i);
			return VSCSI_ERR_ARG;
		}
	}
	return VSCSI_OK;
}

/* Bump allocation inside one region. */
static uint8_t *vfe_galloc(vfe *v, uint64_t len, uint64_t align,
			   uint64_t *gpa)
{
	unsigned i;

	for (i = 0; i < v->nreg; i++) {
		struct vfe_region *g = &v->reg[i];
		uint64_t off = vfe_align(g->lo, align);

		if (off <= g->hi && len <= g->hi - off) {
			g->lo = off + len;
			*gpa = g->gpa + off;
			return g->host + off;
		}
	}
	return NULL;
}

void *vfe_alloc(vfe *v, uint64_t len, uint64_t align, uint64_t *gpa)
{
	if (!v || !gpa || !align || (align & (align - 1)))
		return NULL;
	return vfe_galloc(v, len, align, gpa);
}

const vscsi_gmem *vfe_mem(const vfe *v)
{
	return v ? v->mem : NULL;
}

uint64_t vfe_mem_end(const vfe *v)
{
	if (!v || !v->nreg)
		return 0;
	return v->reg[v->nreg - 1].gpa + v->reg[v->nreg - 1].size;
}

/* ------------------------------------------------------------ options */

void vfe_opts_init(vfe_opts *o)
{
	memset(o, 0, sizeof(*o));
}

#define F(b) (1ull << (b))

static uint64_t vfe_default_features(unsigned flags)
{
	uint64_t f = F(VSCSI_F_VERSION_1) | F(VSCSI_F_RING_INDIRECT_DESC) |
		     F(VSCSI_F_RING_EVENT_IDX) | F(VSCSI_F_INOUT) |
		     F(VSCSI_F_HOTPLUG) | F(VSCSI_F_CHANGE);

	if (flags & VFE_PACKED)
		f |= F(VSCSI_F_RING_PACKED);
	if (flags & VFE_NO_EVENT_IDX)
		f &= ~F(VSCSI_F_RING_EVENT_IDX);
	if (flags & VFE_NO_INDIRECT)
		f &= ~F(VSCSI_F_RING_INDIRECT_DESC);
	return f;
}

/* Bits that must be offered: asked explicitly, or essential. */
static uint64_t vfe_required_features(const vfe_opts *o)
{
	uint64_t f = F(VSCSI_F_VERSION_1);

	if (o->features)
		return o->features | f;
	if (o->flags & VFE_PACKED)
		f |= F(VSCSI_F_RING_PACKED);
	return f;
}

static size_t vfe_ring_bytes(uint16_t num, int packed)
{
	size_t d, a, u;

	if (packed) {
		vscsi_vring_packed_sizes(num, &d, &a, &u);
	} else {
		vscsi_vring_split_sizes(num, &d, &a, &u);
	}
	return (size_t)vfe_align(d, 64) + (size_t)vfe_align(a, 64) +
	       (size_t)vfe_align(u, 64);
}

/* ------------------------------------------------------------ queues */

static int vfe_q_alloc(vfe *v, struct vfe_q *q, unsigned idx, unsigned nslots)
{
	unsigned i;

	q->idx = idx;
	q->num = v->num;
	q->kick_fd = q->call_fd = q->err_fd = -1;
	q->vq = vscsi_vq_new();
	q->slots = calloc(nslots ? nslots : 1, sizeof(*q->slots));
	q->free_slots = calloc(nslots ? nslots : 1, sizeof(*q->free_slots));
	q->id2slot = calloc(v->num, sizeof(*q->id2slot));
	q->raw_n = calloc(v->num, sizeof(*q->raw_n));
	if (!q->vq || !q->slots || !q->free_slots || !q->id2slot || !q->raw_n)
		return VSCSI_ERR_NOMEM;
	q->nslots = nslots;
	/* the free stack pops slot 0 first (VFE_CROSS puts crossing buffers
	 * in the low slots) */
	for (i = 0; i < nslots; i++)
		q->free_slots[i] = (uint16_t)(nslots - 1 - i);
	q->nfree = nslots;
	q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->kick_fd < 0 || q->call_fd < 0 || q->err_fd < 0) {
		vfe_err(v, "eventfd: %s", strerror(errno));
		return VSCSI_ERR_IO;
	}
	q->p_avail_wrap = q->p_used_wrap = 1;
	return VSCSI_OK;
}

static int vfe_q_rings(vfe *v, struct vfe_q *q)
{
	int packed = (v->features & F(VSCSI_F_RING_PACKED)) != 0;
	size_t d, a, u;
	uint64_t gpa;
	unsigned fl = 0;

	if (packed)
		vscsi_vring_packed_sizes(q->num, &d, &a, &u);
	else
		vscsi_vring_split_sizes(q->num, &d, &a, &u);
	q->desc = vfe_galloc(v, d, 64, &gpa);
	q->a1 = vfe_galloc(v, a, 64, &gpa);
	q->a2 = vfe_galloc(v, u, 64, &gpa);
	if (!q->desc || !q->a1 || !q->a2) {
		vfe_err(v, "guest memory too small for the rings");
		return VSCSI_ERR_ARG;
	}
	if (v->features & F(VSCSI_F_RING_EVENT_IDX))
		fl |= VSCSI_VQ_EVENT_IDX;
	if (v->features & F(VSCSI_F_RING_INDIRECT_DESC))
		fl |= VSCSI_VQ_INDIRECT;
	if (packed)
		return vscsi_vq_drv_setup_packed(q->vq, q->num, q->desc, q->a1,
						 q->a2, fl);
	return vscsi_vq_drv_setup_split(q->vq, q->num, q->desc, q->a1, q->a2, fl);
}

static int vfe_q_meta(vfe *v, struct vfe_q *q)
{
	unsigned i;

	for (i = 0; i < q->nslots; i++) {
		struct vfe_slot *s = &q->slots[i];

		s->meta = vfe_galloc(v, META_SIZE, 64, &s->meta_gpa);
		if (!s->meta) {
			vfe_err(v, "guest memory too small for the slots");
			return VSCSI_ERR_ARG;
		}
	}
	return VSCSI_OK;
}

static int vfe_slot_data_map(vfe *v, struct vfe_slot *s)
{
	unsigned n = 0;

	if (vscsi_gmem_map(v->mem, s->data_gpa, v->slot_data, s->data_iov, 2,
			   &n) < 0)
		return VSCSI_ERR_ARG;
	s->data_n = n;
	return VSCSI_OK;
}

/* Data buffers: with VFE_CROSS the first ones straddle the region
 * boundaries (slot 0 of each queue in turn, then slot 1, ...). */
static int vfe_data_layout(vfe *v)
{
	unsigned b, qi, si;
	uint64_t half = vfe_align(v->slot_data / 2, 512);

	if (half > v->slot_data)
		half = v->slot_data;
	if (v->flags & VFE_CROSS) {
		unsigned k = 0;

		for (b = 1; b < v->nreg && k < v->nq * v->num; b++) {
			struct vfe_region *g0 = &v->reg[b - 1], *g1 = &v->reg[b];
			struct vfe_slot *s;

			/* the buffer's second half must start region b, so
			 * nothing may be there yet */
			if (g1->lo != 0 || g0->hi < half || g0->hi - half < g0->lo ||
			    g1->hi < v->slot_data - half)
				continue;
			qi = k % v->nq;
			si = k / v->nq;
			k++;
			s = &v->q[VFE_VQ_REQ(qi)].slots[si];
			g0->hi -= half;
			g1->lo = v->slot_data - half;
			s->data_gpa = g0->gpa + g0->hi;
		}
	}
	for (qi = 0; qi < v->nq; qi++) {
		struct vfe_q *q = &v->q[VFE_VQ_REQ(qi)];

		for (si = 0; si < q->nslots; si++) {
			struct vfe_slot *s = &q->slots[si];

			if (!s->data_gpa &&
			    !vfe_galloc(v, v->slot_data,
					(v->slot_data & 4095) ? 64 : 4096,
					&s->data_gpa)) {
				vfe_err(v, "guest memory too small for data");
				return VSCSI_ERR_ARG;
			}
			if (vfe_slot_data_map(v, s))
				return VSCSI_ERR_ARG;
		}
	}
	return VSCSI_OK;
}

/* ------------------------------------------------------------ set-up */

static int vfe_negotiate(vfe *v, const vfe_opts *o, uint64_t *max_slots)
{
	uint64_t offered, want, need, pf_offered = 0, pf_want, pf_need, n;
	int r;
	char b1[256];

	r = vfe_get_u64(v, VSCSI_VU_GET_FEATURES, &offered);
	if (r)
		return r;
	want = o->features ? o->features | F(VSCSI_F_VERSION_1)
			   : vfe_default_features(o->flags);
	need = vfe_required_features(o);
	if ((offered & need) != need) {
		vscsi_vu_features_describe(need & ~offered, 0, b1, sizeof(b1));
		vfe_err(v, "back-end lacks features %s", b1);
		return VSCSI_ERR_UNSUPPORTED;
	}
	v->features = want & offered;

	*max_slots = 0;
	if (offered & F(VSCSI_F_PROTOCOL_FEATURES)) {
		r = vfe_get_u64(v, VSCSI_VU_GET_PROTOCOL_FEATURES, &pf_offered);
		if (r)
			return r;
		if (o->protocol_features) {
			pf_want = pf_need = o->protocol_features;
		} else {
			pf_want = F(VSCSI_VU_PF_MQ) | F(VSCSI_VU_PF_REPLY_ACK) |
				  F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS);
			if (o->flags & VFE_NO_ACK)
				pf_want &= ~F(VSCSI_VU_PF_REPLY_ACK);
			pf_need = 0;
		}
		if (o->flags & VFE_INFLIGHT) {
			pf_want |= F(VSCSI_VU_PF_INFLIGHT_SHMFD);
			pf_need |= F(VSCSI_VU_PF_INFLIGHT_SHMFD);
		}
		if (o->flags & VFE_ADD_MEM_REG) {
			pf_want |= F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS);
			pf_need |= F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS);
		}
		if ((pf_offered & pf_need) != pf_need) {
			vscsi_vu_features_describe(pf_need & ~pf_offered, 1, b1,
						   sizeof(b1));
			vfe_err(v, "back-end lacks protocol features %s", b1);
			return VSCSI_ERR_UNSUPPORTED;
		}
		r = vfe_set_u64(v, VSCSI_VU_SET_PROTOCOL_FEATURES,
				pf_want & pf_offered, -1);
		if (r)
			return r;
		v->pf = pf_want & pf_offered;
		v->proto = 1;
	} else if (o->protocol_features || (o->flags & (VFE_INFLIGHT |
							VFE_ADD_MEM_REG))) {
		vfe_err(v, "back-end has no protocol features");
		return VSCSI_ERR_UNSUPPORTED;
	}
	if (v->pf & F(VSCSI_VU_PF_MQ)) {
		r = vfe_get_u64(v, VSCSI_VU_GET_QUEUE_NUM, &n);
		if (r)
			return r;
		if (n < v->nvq) {
			vfe_err(v, "back-end supports %llu queues, %u wanted",
				(unsigned long long)n, v->nvq);
			return VSCSI_ERR_UNSUPPORTED;
		}
	}
	if (v->pf & F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS)) {
		r = vfe_get_u64(v, VSCSI_VU_GET_MAX_MEM_SLOTS, max_slots);
		if (r)
			return r;
		if (*max_slots < v->nreg) {
			vfe_err(v, "back-end takes %llu memory slots, %u wanted",
				(unsigned long long)*max_slots, v->nreg);
			return VSCSI_ERR_UNSUPPORTED;
		}
	}
	{
		vscsi_vu_msg m;

		vfe_msg(&m, VSCSI_VU_SET_OWNER, VSCSI_VU_P_NONE);
		r = vfe_rpc(v, &m, NULL, 0);
		if (r)
			return r;
	}
	return vfe_set_u64(v, VSCSI_VU_SET_FEATURES,
			   v->features | (offered & F(VSCSI_F_PROTOCOL_FEATURES)),
			   -1);
}

static int vfe_inflight_setup(vfe *v)
{
	vscsi_vu_msg m;
	int r, fd;

	vfe_msg(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT);
	m.u.inflight.num_queues = (uint16_t)v->nvq;
	m.u.inflight.queue_size = v->num;
	r = vfe_rpc(v, &m, NULL, 0);
	if (r)
		return r;
	if (v->rx.m.payload_kind != VSCSI_VU_P_INFLIGHT || v->rx.nfds != 1 ||
	    v->rx.m.u.inflight.mmap_size == 0) {
		vfe_err(v, "GET_INFLIGHT_FD reply without a region");
		vu_msg_close_fds(&v->rx);
		return VSCSI_ERR_PROTO;
	}
	fd = v->rx.fds[0];
	v->rx.nfds = 0;
	v->inflight_fd = fd;
	vfe_msg(&m, VSCSI_VU_SET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT);
	m.u.inflight = v->rx.m.u.inflight;
	m.u.inflight.num_queues = (uint16_t)v->nvq;
	m.u.inflight.queue_size = v->num;
	return vfe_rpc(v, &m, &fd, 1);
}

static int vfe_mem_table(vfe *v)
{
	vscsi_vu_msg m;
	int fds[VFE_MAX_REGIONS];
	unsigned i;
	int r;

	if (v->flags & VFE_ADD_MEM_REG) {
		for (i = 0; i < v->nreg; i++) {
			vfe_msg(&m, VSCSI_VU_ADD_MEM_REG, VSCSI_VU_P_MEM_REG);
			m.u.reg.gpa = v->reg[i].gpa;
			m.u.reg.size = v->reg[i].size;
			m.u.reg.uva = (uint64_t)(uintptr_t)v->reg[i].host;
			m.u.reg.mmap_offset = v->fd_offset;
			r = vfe_rpc(v, &m, &v->reg[i].fd, 1);
			if (r)
				return r;
		}
		return VSCSI_OK;
	}
	vfe_msg(&m, VSCSI_VU_SET_MEM_TABLE, VSCSI_VU_P_MEM_TABLE);
	m.u.mem.nregions = v->nreg;
	for (i = 0; i < v->nreg; i++) {
		m.u.mem.regions[i].gpa = v->reg[i].gpa;
		m.u.mem.regions[i].size = v->reg[i].size;
		m.u.mem.regions[i].uva = (uint64_t)(uintptr_t)v->reg[i].host;
		m.u.mem.regions[i].mmap_offset = v->fd_offset;
		fds[i] = v->reg[i].fd;
	}
	return vfe_rpc(v, &m, fds, v->nreg);
}

static int vfe_vring_start(vfe *v, struct vfe_q *q)
{
	vscsi_vu_msg m;
	int r;

	/* packed: the base carries both wrap counters, which start at 1
	 * (vhost-user.rst "vring descriptor indices for packed
	 * virtqueues") */
	uint32_t base = (v->features & F(VSCSI_F_RING_PACKED)) ?
		(1u << 15) | (1u << 31) : 0;

	r = vfe_set_state(v, VSCSI_VU_SET_VRING_NUM, q->idx, q->num);
	if (!r)
		r = vfe_set_state(v, VSCSI_VU_SET_VRING_BASE, q->idx, base);
	if (r)
		return r;
	vfe_msg(&m, VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_P_ADDR);
	m.u.addr.index = q->idx;
	m.u.addr.desc = (uint64_t)(uintptr_t)q->desc;
	/* packed: "avail" is the driver area, "used" the device area */
	m.u.addr.avail = (uint64_t)(uintptr_t)q->a1;
	m.u.addr.used = (uint64_t)(uintptr_t)q->a2;
	r = vfe_rpc(v, &m, NULL, 0);
	if (!r)
		r = vfe_set_u64(v, VSCSI_VU_SET_VRING_CALL, q->idx, q->call_fd);
	if (!r)
		r = vfe_set_u64(v, VSCSI_VU_SET_VRING_ERR, q->idx, q->err_fd);
	if (!r)
		r = vfe_set_u64(v, VSCSI_VU_SET_VRING_KICK, q->idx, q->kick_fd);
	return r;
}

static int vfe_layout(vfe *v, const vfe_opts *o, uint64_t *rsize)
{
	int packed = (o->flags & VFE_PACKED) != 0;
	uint64_t need = 0, per, total, largest;

	need += (uint64_t)v->nvq * (vfe_ring_bytes(v->num, packed) + 3 * 64);
	need += (uint64_t)(v->nq + 2) * v->num * (META_SIZE + 64);
	need += (uint64_t)v->nq * v->num * ((uint64_t)v->slot_data + 4096);
	need += o->spare ? o->spare : (1u << 20);
	largest = vfe_ring_bytes(v->num, packed);
	if (largest < v->slot_data)
		largest = v->slot_data;
	/* the bump allocator may waste up to one allocation per region end */
	need += (uint64_t)v->nreg * (largest + 4096);
	total = o->mem_size ? o->mem_size : need;
	if (total < need) {
		vfe_err(v, "mem_size %llu is below the %llu bytes the layout needs",
			(unsigned long long)total, (unsigned long long)need);
		return VSCSI_ERR_ARG;
	}
	per = vfe_align((total + v->nreg - 1) / v->nreg, 4096);
	if (per < largest + 4096)
		per = vfe_align(largest + 4096, 4096);
	*rsize = per;
	return VSCSI_OK;
}

static int vfe_check_opts(vfe *v, const vfe_opts *o)
{
	unsigned num = o->queue_size ? o->queue_size : 128;

	v->nq = o->num_queues ? o->num_queues : 1;
	v->nvq = v->nq + 2;
	v->num = (uint16_t)num;
	v->nreg = o->nregions ? o->nregions : 1;
	v->slot_data = o->slot_data ? o->slot_data : 65536;
	v->fd_offset = o->fd_offset;
	if (v->nq > VFE_MAX_QUEUES || v->nreg > VFE_MAX_REGIONS ||
	    (num & (num - 1)) || (o->gpa_gap & 4095) || (o->fd_offset & 4095) ||
	    v->slot_data > (1u << 30) ||
	    ((o->flags & VFE_CROSS) && (v->nreg < 2 || o->gpa_gap))) {
		vfe_err(v, "bad options (queues 1..%u, regions 1..%u, queue size "
			   "a power of two, gap and fd offset multiples of 4096, "
			   "VFE_CROSS with 2+ regions and no gap)",
			VFE_MAX_QUEUES, VFE_MAX_REGIONS);
		return VSCSI_ERR_ARG;
	}
	return VSCSI_OK;
}

static unsigned vfe_event_posts(const vfe_opts *o)
{
	if (o->event_bufs == VFE_NO_EVENT_BUFS)
		return 0;
	return o->event_bufs ? o->event_bufs : EVENT_BUF_MIN;
}

static unsigned vfe_event_slots(const vfe_opts *o, uint16_t num)
{
	unsigned n = vfe_event_posts(o);

	if (n < EVENT_BUF_MIN)
		n = EVENT_BUF_MIN;
	if (n > num)
		n = num;
	return n;
}

static int vfe_setup(vfe *v, const vfe_opts *o)
{
	uint64_t rsize, max_slots;
	unsigned i, nreg;
	int r;

	r = vfe_check_opts(v, o);
	if (r)
		return r;
	v->mem = vscsi_gmem_new();
	v->q = calloc(v->nvq, sizeof(*v->q));
	if (!v->mem || !v->q)
		return VSCSI_ERR_NOMEM;
	for (i = 0; i < v->nvq; i++)
		v->q[i].kick_fd = v->q[i].call_fd = v->q[i].err_fd = -1;
	for (i = 0; i < v->nvq; i++) {
		r = vfe_q_alloc(v, &v->q[i], i,
				i == VFE_VQ_EVENT ? vfe_event_slots(o, v->num)
						  : v->num);
		if (r)
			return r;
	}
	r = vfe_layout(v, o, &rsize);
	if (r)
		return r;
	nreg = v->nreg;
	v->nreg = 0;
	r = vfe_mem_create(v, nreg, rsize, o->gpa_base ? o->gpa_base : 0x100000,
			   o->gpa_gap);
	if (r)
		return r;
	r = vfe_negotiate(v, o, &max_slots);
	if (r)
		return r;
	vscsi_vs_cfg_default(&v->cfg);
	v->cfg.features = v->features;
	v->req_size = vscsi_vs_cmd_req_size(&v->cfg);
	v->resp_size = vscsi_vs_cmd_resp_size(&v->cfg);
	/* rings first (never across regions), then the data, then the
	 * slots' headers */
	for (i = 0; i < v->nvq; i++) {
		r = vfe_q_rings(v, &v->q[i]);
		if (r)
			return r;
	}
	r = vfe_data_layout(v);
	if (r)
		return r;
	for (i = 0; i < v->nvq; i++) {
		r = vfe_q_meta(v, &v->q[i]);
		if (r)
			return r;
	}
	if (o->flags & VFE_INFLIGHT) {
		r = vfe_inflight_setup(v);
		if (r)
			return r;
	}
	r = vfe_mem_table(v);
	if (r)
		return r;
	for (i = 0; i < v->nvq; i++) {
		r = vfe_vring_start(v, &v->q[i]);
		if (r)
			return r;
	}
	return VSCSI_OK;
}

/* Enable the rings (they start disabled when PROTOCOL_FEATURES was
 * negotiated), report the status, set up interrupts, post event
 * buffers. */
static int vfe_finish(vfe *v, const vfe_opts *o)
{
	struct epoll_event ev;
	unsigned i;
	int r;

	if (v->proto) {
		for (i = 0; i < v->nvq; i++) {
			r = vfe_set_state(v, VSCSI_VU_SET_VRING_ENABLE, i, 1);
			if (r)
				return r;
		}
	}
	if (v->pf & F(VSCSI_VU_PF_STATUS)) {
		r = vfe_set_u64(v, VSCSI_VU_SET_STATUS,
				VSCSI_VU_S_ACKNOWLEDGE | VSCSI_VU_S_DRIVER |
					VSCSI_VU_S_FEATURES_OK |
					VSCSI_VU_S_DRIVER_OK, -1);
		if (r)
			return r;
	}
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (v->epfd < 0) {
		vfe_err(v, "epoll: %s", strerror(errno));
		return VSCSI_ERR_IO;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u32 = 0xffffffffu;
	if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->fd, &ev))
		return VSCSI_ERR_IO;
	for (i = 0; i < v->nvq; i++) {
		struct vfe_q *q = &v->q[i];

		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, q->call_fd, &ev))
			return VSCSI_ERR_IO;
		q->spin = (o->flags & VFE_SPIN) && i >= VFE_VQ_REQ(0);
		vscsi_vq_drv_notify_enable(q->vq, !q->spin);
	}
	vfe_event_post(v, vfe_event_posts(o));
	return VSCSI_OK;
}

static void vfe_free(vfe *v)
{
	unsigned i;

	if (!v)
		return;
	if (v->q) {
		for (i = 0; i < v->nvq; i++) {
			struct vfe_q *q = &v->q[i];

			vscsi_vq_free(q->vq);
			free(q->slots);
			free(q->free_slots);
			free(q->id2slot);
			free(q->raw_n);
			vfe_close_fd(&q->kick_fd);
			vfe_close_fd(&q->call_fd);
			vfe_close_fd(&q->err_fd);
		}
		free(v->q);
	}
	for (i = 0; i < VFE_MAX_REGIONS; i++) {
		if (v->reg[i].map)
			munmap(v->reg[i].map, v->reg[i].map_len);
		vfe_close_fd(&v->reg[i].fd);
	}
	vscsi_gmem_free(v->mem);
	vfe_close_fd(&v->inflight_fd);
	vfe_close_fd(&v->epfd);
	vfe_close_fd(&v->fd);
	free(v);
}

int vfe_open_fd(int fd, const vfe_opts *o, vfe **out, char *err,
		size_t errlen)
{
	vfe_opts defaults;
	vfe *v;
	unsigned i;
	int r;

	if (err && errlen)
		err[0] = 0;
	if (!out || fd < 0) {
		if (fd >= 0)
			close(fd);
		if (out)
			*out = NULL;
		return VSCSI_ERR_ARG;
	}
	*out = NULL;
	if (!o) {
		vfe_opts_init(&defaults);
		o = &defaults;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		close(fd);
		return VSCSI_ERR_NOMEM;
	}
	v->fd = fd;
	v->epfd = -1;
	v->inflight_fd = -1;
	v->flags = o->flags;
	v->next_tag = 1;
	v->on_event = o->on_event;
	v->event_arg = o->event_arg;
	v->spin_ns = (uint64_t)(o->spin_us ? o->spin_us : 50) * 1000u;
	for (i = 0; i < VFE_MAX_REGIONS; i++)
		v->reg[i].fd = -1;
	vu_set_timeout(fd, VU_IO_TIMEOUT_MS);
	r = vfe_setup(v, o);
	if (!r)
		r = vfe_finish(v, o);
	if (r) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 v->errbuf[0] ? v->errbuf : vscsi_strerror(r));
		vfe_free(v);
		return r;
	}
	*out = v;
	return VSCSI_OK;
}

int vfe_open(const char *path, const vfe_opts *o, vfe **out, char *err,
	     size_t errlen)
{
	int fd;

	if (out)
		*out = NULL;
	if (!path || !out)
		return VSCSI_ERR_ARG;
	fd = vu_connect(path);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "connect %s: %s", path,
				 strerror(errno));
		return VSCSI_ERR_IO;
	}
	return vfe_open_fd(fd, o, out, err, errlen);
}

const char *vfe_last_error(const vfe *v)
{
	return v && v->errbuf[0] ? v->errbuf : "no error";
}

/* ------------------------------------------------------------ I/O path */

static void vfe_adv(uint16_t num, uint16_t *slot, uint8_t *wrap, unsigned n)
{
	unsigned s = (unsigned)*slot + n;

	while (s >= num) {
		s -= num;
		*wrap ^= 1;
	}
	*slot = (uint16_t)s;
}

static void vfe_q_kick(vfe *v, struct vfe_q *q)
{
	uint64_t one = 1;

	q->kick_pending = 0;
	if (!q->raw && vscsi_vq_drv_should_kick(q->vq) != 1)
		return;
	if (write(q->kick_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		v->st.kicks++;
}

static void vfe_flush_kicks(vfe *v)
{
	unsigned i;

	for (i = 0; i < v->nvq; i++)
		if (v->q[i].kick_pending)
			vfe_q_kick(v, &v->q[i]);
}

static int vfe_q_ready(const vfe *v, const struct vfe_q *q)
{
	if (v->dead)
		return v->dead;
	if (v->stopped || q->raw || q->broken)
		return VSCSI_ERR_RING_BROKEN;
	return VSCSI_OK;
}

/* Publish a chain for slot si (its fields set) and take the slot. */
static int vfe_add(vfe *v, struct vfe_q *q, uint16_t si,
		   const struct vscsi_desc *d, unsigned n, int indirect,
		   int kick)
{
	struct vfe_slot *s = &q->slots[si];
	uint16_t id;
	int r;

	if (indirect)
		r = vscsi_vq_drv_add_indirect(q->vq, d, n, s->meta + META_TBL,
					      s->meta_gpa + META_TBL, &id);
	else
		r = vscsi_vq_drv_add(q->vq, d, n, &id);
	if (r)
		return r;
	s->ndesc = (uint16_t)(indirect ? 1 : n);
	vfe_adv(q->num, &q->p_avail, &q->p_avail_wrap, s->ndesc);
	q->id2slot[id] = si;
	q->inflight++;
	if (kick)
		vfe_q_kick(v, q);
	else
		q->kick_pending = 1;
	return VSCSI_OK;
}

/* Take the top free slot: call only after vfe_add succeeded for it. */
static void vfe_take(struct vfe_q *q)
{
	q->nfree--;
}

static void vfe_put(struct vfe_q *q, uint16_t si)
{
	q->slots[si].kind = SLOT_FREE;
	q->free_slots[q->nfree++] = si;
}

static int vfe_data_descs(struct vscsi_desc *d, unsigned *n, uint64_t gpa,
			  uint32_t len, uint32_t split, uint16_t flags)
{
	while (len) {
		uint32_t l = split && split < len ? split : len;

		if (*n >= VFE_MAX_CHAIN)
			return VSCSI_ERR_ARG;
		d[*n].addr = gpa;
		d[*n].len = l;
		d[*n].flags = flags;
		(*n)++;
		gpa += l;
		len -= l;
	}
	return VSCSI_OK;
}

void vfe_lun(uint8_t raw[8], uint8_t target, uint16_t lun)
{
	vscsi_lun_encode(raw, target, lun, 1);
}

static int vfe_submit_slot(vfe *v, unsigned rq, const vfe_cmd *c,
			   vfe_cmd_cb cb, void *arg, uint64_t *tag_out,
			   struct vfe_slot **sp)
{
	struct vscsi_desc d[VFE_MAX_CHAIN];
	struct vfe_q *q;
	struct vfe_slot *s;
	vscsi_cmd_req req;
	uint8_t hdr[128];
	uint32_t din_off;
	unsigned n = 0;
	uint16_t si;
	int r, hb;

	if (!v || !c || rq >= v->nq || (!c->cdb && c->cdb_len))
		return VSCSI_ERR_ARG;
	q = &v->q[VFE_VQ_REQ(rq)];
	r = vfe_q_ready(v, q);
	if (r)
		return r;
	din_off = c->dout_len ? (uint32_t)vfe_align(c->dout_len, 512) : 0;
	if (c->cdb_len > v->cfg.cdb_size || c->dout_len > v->slot_data ||
	    din_off > v->slot_data || c->din_len > v->slot_data - din_off ||
	    c->hdr_split >= v->req_size || c->resp_split >= v->resp_size)
		return VSCSI_ERR_ARG;
	if ((c->flags & VFE_CMD_INDIRECT) &&
	    !(v->features & F(VSCSI_F_RING_INDIRECT_DESC)))
		return VSCSI_ERR_UNSUPPORTED;
	if (!q->nfree)
		return VSCSI_ERR_NOSPACE;
	si = q->free_slots[q->nfree - 1];
	s = &q->slots[si];

	memcpy(req.lun.raw, c->lun, 8);
	req.tag = c->tag ? c->tag : v->next_tag++;
	req.task_attr = c->task_attr;
	req.prio = c->prio;
	req.crn = c->crn;
	req.has_pi = 0;
	req.pi_bytesout = req.pi_bytesin = 0;
	req.cdb_size = c->cdb_len;
	if (c->cdb_len)
		memcpy(req.cdb, c->cdb, c->cdb_len);
	hb = vscsi_vs_cmd_req_build(&v->cfg, &req, hdr, sizeof(hdr));
	if (hb < 0)
		return hb;
	if (c->hdr_split) {
		memcpy(s->meta + META_HDR, hdr, c->hdr_split);
		memcpy(s->meta + META_HDR2, hdr + c->hdr_split,
		       (size_t)hb - c->hdr_split);
		d[n].addr = s->meta_gpa + META_HDR;
		d[n].len = c->hdr_split;
		d[n++].flags = 0;
		d[n].addr = s->meta_gpa + META_HDR2;
		d[n].len = (uint32_t)hb - c->hdr_split;
		d[n++].flags = 0;
	} else {
		memcpy(s->meta + META_HDR, hdr, (size_t)hb);
		d[n].addr = s->meta_gpa + META_HDR;
		d[n].len = (uint32_t)hb;
		d[n++].flags = 0;
	}
	if (c->dout_len) {
		if (c->dout)
			vscsi_iov_scatter(s->data_iov, s->data_n, 0, c->dout,
					  c->dout_len);
		if (vfe_data_descs(d, &n, s->data_gpa, c->dout_len,
				   c->data_split, 0))
			return VSCSI_ERR_ARG;
	}
	/* the response areas start zeroed so that a device that writes
	 * nothing is not read as a stale answer */
	if (c->resp_split) {
		memset(s->meta + META_RESP, 0, c->resp_split);
		memset(s->meta + META_RESP2, 0, v->resp_size - c->resp_split);
		d[n].addr = s->meta_gpa + META_RESP;
		d[n].len = c->resp_split;
		d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
		d[n].addr = s->meta_gpa + META_RESP2;
		d[n].len = v->resp_size - c->resp_split;
		d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
	} else {
		memset(s->meta + META_RESP, 0, v->resp_size);
		d[n].addr = s->meta_gpa + META_RESP;
		d[n].len = v->resp_size;
		d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
	}
	if (c->din_len &&
	    vfe_data_descs(d, &n, s->data_gpa + din_off, c->din_len,
			   c->data_split, VSCSI_VRING_DESC_F_WRITE))
		return VSCSI_ERR_ARG;
	if (n > q->num && !(c->flags & VFE_CMD_INDIRECT))
		return VSCSI_ERR_ARG;

	s->kind = SLOT_CMD;
	s->tag = req.tag;
	s->cb = cb;
	s->ccb = NULL;
	s->arg = arg;
	s->din_off = din_off;
	s->din_len = c->din_len;
	s->resp_split = c->resp_split;
	s->t0 = vfe_now();
	r = vfe_add(v, q, si, d, n, (c->flags & VFE_CMD_INDIRECT) != 0,
		    !(c->flags & VFE_CMD_NOKICK));
	if (r) {
		s->kind = SLOT_FREE;
		return r;
	}
	vfe_take(q);
	v->st.submitted++;
	if (tag_out)
		*tag_out = req.tag;
	if (sp)
		*sp = s;
	return VSCSI_OK;
}

int vfe_submit(vfe *v, unsigned rq, const vfe_cmd *c, vfe_cmd_cb cb,
	       void *arg, uint64_t *tag_out)
{
	return vfe_submit_slot(v, rq, c, cb, arg, tag_out, NULL);
}

int vfe_kick(vfe *v, unsigned rq)
{
	if (!v || rq >= v->nq)
		return VSCSI_ERR_ARG;
	if (v->dead)
		return v->dead;
	vfe_q_kick(v, &v->q[VFE_VQ_REQ(rq)]);
	return VSCSI_OK;
}

/* iovecs for bytes [off, off + len) of src. */
static unsigned vfe_iov_sub(const struct iovec *src, unsigned n, size_t off,
			    size_t len, struct iovec *dst, unsigned max)
{
	unsigned i, k = 0;

	for (i = 0; i < n && len && k < max; i++) {
		size_t l = src[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = l - off < len ? l - off : len;
		len -= dst[k].iov_len;
		off = 0;
		k++;
	}
	return k;
}

static void vfe_done_cmd(vfe *v, struct vfe_q *q, struct vfe_slot *s,
			 uint32_t len, uint64_t now, int err)
{
	vfe_result res;
	vscsi_cmd_resp resp;
	struct iovec riov[2], din[2];
	unsigned rn = 1;
	uint32_t rs = v->resp_size, avail;

	res.err = err;
	res.rq = q->idx - VFE_VQ_REQ(0);
	res.tag = s->tag;
	res.used_len = len;
	res.lat_ns = now - s->t0;
	res.crossed = s->data_n > 1;
	res.response = res.status = 0;
	res.status_qualifier = 0;
	res.sense_len = res.resid = res.din_len = 0;
	res.sense_copied = 0;
	res.din = NULL;
	res.din_cnt = 0;
	if (!err) {
		/* the device's bytes: only what the used length covers */
		avail = len < rs ? len : rs;
		if (s->resp_split) {
			uint32_t a = avail < s->resp_split ? avail : s->resp_split;

			riov[0].iov_base = s->meta + META_RESP;
			riov[0].iov_len = a;
			riov[1].iov_base = s->meta + META_RESP2;
			riov[1].iov_len = avail - a;
			rn = 2;
		} else {
			riov[0].iov_base = s->meta + META_RESP;
			riov[0].iov_len = avail;
		}
		vscsi_vs_cmd_resp_parse_iov(&v->cfg, riov, rn, &resp);
		if (len < 12)
			res.err = VSCSI_ERR_TRUNCATED;
		res.response = resp.response;
		res.status = resp.status;
		res.status_qualifier = resp.status_qualifier;
		res.sense_len = resp.sense_len;
		res.sense_copied = resp.sense_copied;
		memcpy(res.sense, resp.sense, resp.sense_copied);
		res.resid = resp.resid;
		if (len > rs) {
			res.din_len = len - rs;
			if (res.din_len > s->din_len)
				res.din_len = s->din_len;
		}
		if (s->din_len) {
			res.din_cnt = vfe_iov_sub(s->data_iov, s->data_n,
						  s->din_off, s->din_len, din, 2);
			res.din = din;
		}
	}
	if (s->cb)
		s->cb(s->arg, &res);
}

static void vfe_done_ctrl(vfe *v, struct vfe_slot *s, uint32_t len, int err)
{
	vfe_ctrl_result res;
	vscsi_ctrl_resp resp;
	uint32_t rs = vscsi_vs_ctrl_resp_size(s->ctrl_type);

	memset(&res, 0, sizeof(res));
	res.err = err;
	res.type = s->ctrl_type;
	res.used_len = len;
	if (!err) {
		if (len < rs)
			res.err = VSCSI_ERR_TRUNCATED;
		if (vscsi_vs_ctrl_resp_parse(&v->cfg, s->ctrl_type,
					     s->meta + META_RESP, rs, &resp) == 0) {
			res.response = resp.response;
			res.event_actual = resp.event_actual;
		}
	}
	if (s->ccb)
		s->ccb(s->arg, &res);
}

static int vfe_event_repost(vfe *v, struct vfe_q *q, uint16_t si)
{
	struct vfe_slot *s = &q->slots[si];
	struct vscsi_desc d;

	memset(s->meta, 0, VSCSI_EVENT_SIZE);
	d.addr = s->meta_gpa;
	d.len = VSCSI_EVENT_SIZE;
	d.flags = VSCSI_VRING_DESC_F_WRITE;
	s->kind = SLOT_EVENT;
	if (vfe_add(v, q, si, &d, 1, 0, 0)) {
		s->kind = SLOT_FREE;
		return -1;
	}
	return 0;
}

static void vfe_done_event(vfe *v, struct vfe_q *q, uint16_t si, uint32_t len)
{
	vscsi_event ev;

	if (len >= VSCSI_EVENT_SIZE &&
	    vscsi_vs_event_parse(&v->cfg, q->slots[si].meta, VSCSI_EVENT_SIZE,
				 &ev) == 0) {
		unsigned at;

		if (v->ev_count == EVENT_RING) {
			v->ev_head = (v->ev_head + 1) % EVENT_RING;
			v->ev_count--;
			v->st.events_dropped++;
		}
		at = (v->ev_head + v->ev_count) % EVENT_RING;
		v->evring[at] = ev;
		v->ev_count++;
		v->st.events++;
		if (v->on_event)
			v->on_event(v->event_arg, &ev);
	}
	/* the buffer goes straight back to the device */
	if (!v->dead && !v->stopped && vfe_event_repost(v, q, si))
		vfe_put(q, si);
}

/* Call back every chain in flight on q with err and free the slots. */
static void vfe_fail_q(vfe *v, struct vfe_q *q, int err)
{
	uint64_t now = vfe_now();
	unsigned i;

	for (i = 0; i < q->nslots; i++) {
		struct vfe_slot *s = &q->slots[i];
		uint8_t kind = s->kind;

		if (kind == SLOT_FREE)
			continue;
		vfe_put(q, (uint16_t)i);
		if (kind == SLOT_CMD)
			vfe_done_cmd(v, q, s, 0, now, err);
		else if (kind == SLOT_CTRL)
			vfe_done_ctrl(v, s, 0, err);
	}
	q->inflight = 0;
}

static void vfe_kill(vfe *v, int err, const char *why)
{
	unsigned i;

	if (v->dead)
		return;
	v->dead = err;
	if (why)
		vfe_err(v, "%s", why);
	for (i = 0; i < v->nvq; i++)
		vfe_fail_q(v, &v->q[i], err);
}

static int vfe_reap_q(vfe *v, struct vfe_q *q, uint64_t *now)
{
	uint16_t id;
	uint32_t len;
	int r, n = 0;

	if (q->raw || q->broken || !q->inflight)
		return 0;
	while ((r = vscsi_vq_drv_get_used(q->vq, &id, &len)) == 1) {
		uint16_t si = q->id2slot[id];
		struct vfe_slot *s = &q->slots[si];
		uint8_t kind = s->kind;

		if (!*now)
			*now = vfe_now();
		vfe_adv(q->num, &q->p_used, &q->p_used_wrap, s->ndesc);
		q->inflight--;
		n++;
		v->st.completed++;
		if (kind == SLOT_EVENT) {
			v->st.completed--;
			vfe_done_event(v, q, si, len);
			continue;
		}
		if (kind == SLOT_CMD)
			vfe_done_cmd(v, q, s, len, *now, VSCSI_OK);
		else
			vfe_done_ctrl(v, s, len, VSCSI_OK);
		vfe_put(q, si);
	}
	if (r < 0) {
		q->broken = 1;
		vfe_err(v, "device broke virtqueue %u: %s", q->idx,
			vscsi_strerror(r));
		vfe_fail_q(v, q, VSCSI_ERR_RING_BROKEN);
	}
	return n;
}

static int vfe_reap_all(vfe *v)
{
	uint64_t now = 0;
	unsigned i;
	int n = 0;

	for (i = 0; i < v->nvq; i++)
		n += vfe_reap_q(v, &v->q[i], &now);
	if (v->q[VFE_VQ_EVENT].kick_pending)
		vfe_q_kick(v, &v->q[VFE_VQ_EVENT]);
	return n;
}

/* The back-end sends nothing unasked after set-up, so a readable socket
 * means it closed (or broke the protocol). VSCSI_OK or the error. */
static int vfe_check_socket(vfe *v)
{
	char c;
	ssize_t r = recv(v->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return VSCSI_OK;
	if (r > 0)
		vfe_kill(v, VSCSI_ERR_CLOSED,
			 "back-end sent a message nobody asked for");
	else
		vfe_kill(v, VSCSI_ERR_CLOSED, "back-end closed the connection");
	return v->dead;
}

static int vfe_remaining(uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return -1;
	now = vfe_now();
	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

static void vfe_spin_irqs(vfe *v, int on);
static int vfe_wait_irq(vfe *v, uint64_t deadline);

int vfe_poll(vfe *v, int timeout_ms)
{
	uint64_t deadline = 0;
	unsigned k;
	int n;

	if (!v)
		return VSCSI_ERR_ARG;
	if (v->dead)
		return v->dead;
	vfe_flush_kicks(v);
	n = vfe_reap_all(v);
	if (n)
		return n;
	if (timeout_ms == 0) {
		/* a caller that only polls must still learn of a death */
		if ((++v->idle_polls & (SPIN_CHECK - 1)) == 0 &&
		    vfe_check_socket(v))
			return v->dead;
		return 0;
	}
	if (timeout_ms > 0)
		deadline = vfe_now() + (uint64_t)timeout_ms * 1000000u;
	if (v->flags & VFE_SPIN) {
		uint64_t spin_end = vfe_now() + v->spin_ns;

		for (k = 1;; k++) {
			n = vfe_reap_all(v);
			if (n)
				return n;
			if ((k & 63) == 0) {
				uint64_t t = vfe_now();

				if ((k & (SPIN_CHECK - 1)) == 0 && vfe_check_socket(v))
					return v->dead;
				if (deadline && t >= deadline)
					return 0;
				if (t >= spin_end)
					break;
			}
			vu_cpu_relax();
		}
		/* the budget is spent: sleep with interrupts on, so that a
		 * back-end waiting for this CPU gets it */
		vfe_spin_irqs(v, 1);
		n = vfe_wait_irq(v, deadline);
		vfe_spin_irqs(v, 0);
		return n;
	}
	return vfe_wait_irq(v, deadline);
}

/* Turn interrupts of the spinning request queues on or off. */
static void vfe_spin_irqs(vfe *v, int on)
{
	unsigned i;

	for (i = VFE_VQ_REQ(0); i < v->nvq; i++)
		if (v->q[i].spin && !v->q[i].raw && !v->q[i].broken)
			vscsi_vq_drv_notify_enable(v->q[i].vq, on);
}

/* Sleep on the call eventfds and the socket until a completion or the
 * deadline (0: none). Interrupts must be on for what is awaited. */
static int vfe_wait_irq(vfe *v, uint64_t deadline)
{
	struct epoll_event evs[16];
	int n, i, ne;

	/* after enabling interrupts, look again before sleeping */
	n = vfe_reap_all(v);
	if (n)
		return n;
	for (;;) {
		int wait = vfe_remaining(deadline);

		ne = epoll_wait(v->epfd, evs, 16, wait);
		if (ne < 0) {
			if (errno == EINTR)
				continue;
			vfe_err(v, "epoll_wait: %s", strerror(errno));
			return VSCSI_ERR_IO;
		}
		v->st.waits++;
		for (i = 0; i < ne; i++) {
			if (evs[i].data.u32 == 0xffffffffu) {
				if (vfe_check_socket(v))
					return v->dead;
			} else if (evs[i].data.u32 < v->nvq) {
				uint64_t cnt;

				if (read(v->q[evs[i].data.u32].call_fd, &cnt,
					 sizeof(cnt)) < 0 && errno != EAGAIN)
					return VSCSI_ERR_IO;
			}
		}
		n = vfe_reap_all(v);
		if (n)
			return n;
		if (ne == 0 || (deadline && vfe_now() >= deadline))
			return 0;
	}
}

unsigned vfe_inflight(const vfe *v, unsigned rq)
{
	unsigned i, n = 0;

	if (!v)
		return 0;
	if (rq != ~0u)
		return rq < v->nq ? v->q[VFE_VQ_REQ(rq)].inflight : 0;
	for (i = 0; i < v->nq; i++)
		n += v->q[VFE_VQ_REQ(i)].inflight;
	return n;
}

/* ------------------------------------------------------------ waiting */

struct vfe_wait {
	vfe_result *r;
	vfe_ctrl_result *cr;
	void *din;
	size_t cap;
	int done;
};

static void vfe_wait_cb(void *arg, const vfe_result *res)
{
	struct vfe_wait *w = arg;

	*w->r = *res;
	if (w->din && res->din && res->din_len)
		vscsi_iov_gather(res->din, res->din_cnt, 0, w->din,
				 res->din_len < w->cap ? res->din_len : w->cap);
	w->r->din = NULL;
	w->r->din_cnt = 0;
	w->done = 1;
}

static void vfe_wait_ctrl_cb(void *arg, const vfe_ctrl_result *res)
{
	struct vfe_wait *w = arg;

	*w->cr = *res;
	w->done = 1;
}

/* Poll until w->done or the deadline; on timeout the slot's callback is
 * cleared so that the late answer is dropped. */
static int vfe_wait(vfe *v, struct vfe_wait *w, struct vfe_slot *s,
		    int timeout_ms)
{
	uint64_t deadline = timeout_ms >= 0 ?
		vfe_now() + (uint64_t)timeout_ms * 1000000u : 0;

	while (!w->done) {
		int rem = vfe_remaining(deadline);
		int p;

		if (rem == 0) {
			s->cb = NULL;
			s->ccb = NULL;
			errno = ETIMEDOUT;
			return VSCSI_ERR_IO;
		}
		p = vfe_poll(v, rem);
		if (p < 0 && !w->done)
			return p;
	}
	return VSCSI_OK;
}

int vfe_exec(vfe *v, unsigned rq, const vfe_cmd *c, vfe_result *r,
	     void *din, size_t din_cap, int timeout_ms)
{
	struct vfe_wait w;
	struct vfe_slot *s = NULL;
	int e;

	if (!r)
		return VSCSI_ERR_ARG;
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.din = din;
	w.cap = din_cap;
	e = vfe_submit_slot(v, rq, c, vfe_wait_cb, &w, NULL, &s);
	if (e)
		return e;
	e = vfe_wait(v, &w, s, timeout_ms);
	if (e)
		return e;
	return r->err == VSCSI_ERR_CLOSED ? VSCSI_ERR_CLOSED : VSCSI_OK;
}

/* ------------------------------------------------------------ control */

static int vfe_ctrl_submit(vfe *v, const vscsi_ctrl_req *cr, vfe_ctrl_cb cb,
			   void *arg, struct vfe_slot **sp)
{
	struct vfe_q *q;
	struct vfe_slot *s;
	struct vscsi_desc d[2];
	uint32_t rs;
	uint16_t si;
	int r, hb;

	if (!v)
		return VSCSI_ERR_ARG;
	q = &v->q[VFE_VQ_CTRL];
	r = vfe_q_ready(v, q);
	if (r)
		return r;
	if (!q->nfree)
		return VSCSI_ERR_NOSPACE;
	si = q->free_slots[q->nfree - 1];
	s = &q->slots[si];
	hb = vscsi_vs_ctrl_req_build(&v->cfg, cr, s->meta + META_HDR, 64);
	if (hb < 0)
		return hb;
	rs = vscsi_vs_ctrl_resp_size(cr->type);
	memset(s->meta + META_RESP, 0, 8);
	d[0].addr = s->meta_gpa + META_HDR;
	d[0].len = (uint32_t)hb;
	d[0].flags = 0;
	d[1].addr = s->meta_gpa + META_RESP;
	d[1].len = rs;
	d[1].flags = VSCSI_VRING_DESC_F_WRITE;
	s->kind = SLOT_CTRL;
	s->ctrl_type = cr->type;
	s->tag = cr->tag;
	s->cb = NULL;
	s->ccb = cb;
	s->arg = arg;
	s->t0 = vfe_now();
	r = vfe_add(v, q, si, d, 2, 0, 1);
	if (r) {
		s->kind = SLOT_FREE;
		return r;
	}
	vfe_take(q);
	v->st.submitted++;
	if (sp)
		*sp = s;
	return VSCSI_OK;
}

static void vfe_ctrl_fill(vscsi_ctrl_req *cr, uint32_t type,
			  const uint8_t lun[8])
{
	memset(cr, 0, sizeof(*cr));
	cr->type = type;
	memcpy(cr->lun.raw, lun, 8);
}

int vfe_tmf(vfe *v, const uint8_t lun[8], uint32_t subtype, uint64_t tag,
	    vfe_ctrl_cb cb, void *arg)
{
	vscsi_ctrl_req cr;

	if (!lun)
		return VSCSI_ERR_ARG;
	vfe_ctrl_fill(&cr, VSCSI_T_TMF, lun);
	cr.subtype = subtype;
	cr.tag = tag;
	return vfe_ctrl_submit(v, &cr, cb, arg, NULL);
}

int vfe_an(vfe *v, uint32_t type, const uint8_t lun[8],
	   uint32_t event_requested, vfe_ctrl_cb cb, void *arg)
{
	vscsi_ctrl_req cr;

	if (!lun || (type != VSCSI_T_AN_QUERY && type != VSCSI_T_AN_SUBSCRIBE))
		return VSCSI_ERR_ARG;
	vfe_ctrl_fill(&cr, type, lun);
	cr.event_requested = event_requested;
	return vfe_ctrl_submit(v, &cr, cb, arg, NULL);
}

int vfe_tmf_exec(vfe *v, const uint8_t lun[8], uint32_t subtype,
		 uint64_t tag, vfe_ctrl_result *r, int timeout_ms)
{
	vscsi_ctrl_req cr;
	struct vfe_wait w;
	struct vfe_slot *s = NULL;
	int e;

	if (!lun || !r)
		return VSCSI_ERR_ARG;
	vfe_ctrl_fill(&cr, VSCSI_T_TMF, lun);
	cr.subtype = subtype;
	cr.tag = tag;
	memset(&w, 0, sizeof(w));
	w.cr = r;
	e = vfe_ctrl_submit(v, &cr, vfe_wait_ctrl_cb, &w, &s);
	if (e)
		return e;
	e = vfe_wait(v, &w, s, timeout_ms);
	if (e)
		return e;
	return r->err == VSCSI_ERR_CLOSED ? VSCSI_ERR_CLOSED : VSCSI_OK;
}

/* ------------------------------------------------------------ events */

int vfe_event_get(vfe *v, vscsi_event *ev)
{
	if (!v || !ev || !v->ev_count)
		return 0;
	*ev = v->evring[v->ev_head];
	v->ev_head = (v->ev_head + 1) % EVENT_RING;
	v->ev_count--;
	return 1;
}

int vfe_event_post(vfe *v, unsigned n)
{
	struct vfe_q *q;
	unsigned k = 0;

	if (!v)
		return VSCSI_ERR_ARG;
	q = &v->q[VFE_VQ_EVENT];
	if (vfe_q_ready(v, q))
		return 0;
	while (k < n && q->nfree) {
		uint16_t si = q->free_slots[q->nfree - 1];

		if (vfe_event_repost(v, q, si))
			break;
		vfe_take(q);
		k++;
	}
	if (k)
		vfe_q_kick(v, q);
	return (int)k;
}

/* ------------------------------------------------------------ raw chains */

static void vfe_raw_put(uint8_t *p, uint64_t addr, uint32_t len, uint16_t a,
			uint16_t b)
{
	st64(p, addr);
	st32(p + 8, len);
	st16(p + 12, a);
	st16(p + 14, b);
}

int vfe_post_raw(vfe *v, unsigned vq, const vfe_raw_desc *d, unsigned n,
		 uint16_t head)
{
	struct vfe_q *q;
	uint64_t one = 1;
	unsigned k;

	if (!v || !d || vq >= v->nvq || n == 0)
		return VSCSI_ERR_ARG;
	if (v->dead)
		return v->dead;
	q = &v->q[vq];
	if (q->inflight || v->stopped)
		return VSCSI_ERR_ARG;
	if (!(v->features & F(VSCSI_F_RING_PACKED))) {
		uint16_t cur;

		for (k = 0; k < n; k++)
			if (d[k].index >= q->num)
				return VSCSI_ERR_ARG;
		cur = ld16(q->a1 + 2);
		if (!q->raw) {
			/* idle: everything published was used and read */
			q->raw = 1;
			q->r_used = cur;
		}
		for (k = 0; k < n; k++)
			vfe_raw_put(q->desc + 16u * d[k].index, d[k].addr, d[k].len,
				    d[k].flags, d[k].next);
		st16(q->a1 + 4 + 2u * (cur % q->num), head);
		st16(q->a1, 0);				/* interrupts on */
		st16(q->a1 + 4 + 2u * q->num, q->r_used);	/* used_event */
		st16_rel(q->a1 + 2, (uint16_t)(cur + 1));
	} else {
		uint16_t slot = q->p_avail, first = q->p_avail;
		uint8_t wrap = q->p_avail_wrap;
		uint16_t first_flags = 0, id = 0;

		if (n > q->num)
			return VSCSI_ERR_ARG;
		q->raw = 1;
		for (k = 0; k < n; k++) {
			uint16_t fl = (uint16_t)(d[k].flags &
						 ~(VSCSI_VRING_DESC_F_AVAIL |
						   VSCSI_VRING_DESC_F_USED));
			uint8_t *p = q->desc + 16u * slot;

			fl = (uint16_t)(fl | (wrap ? VSCSI_VRING_DESC_F_AVAIL
						   : VSCSI_VRING_DESC_F_USED));
			st64(p, d[k].addr);
			st32(p + 8, d[k].len);
			st16(p + 12, d[k].next);
			if (k == 0)
				first_flags = fl;
			else
				st16_rel(p + 14, fl);
			id = d[k].next;
			vfe_adv(q->num, &slot, &wrap, 1);
		}
		st16(q->a1 + 2, VSCSI_VRING_EVENT_ENABLE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		st16_rel(q->desc + 16u * first + 14, first_flags);
		q->p_avail = slot;
		q->p_avail_wrap = wrap;
		if (id < q->num)
			q->raw_n[id] = (uint16_t)n;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kick_pending = 0;
	if (write(q->kick_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		v->st.kicks++;
	return VSCSI_OK;
}

/* 1 with an entry, 0 none, < 0 an impossible index. */
static int vfe_raw_peek(struct vfe_q *q, int packed, uint16_t *id,
			uint32_t *len)
{
	if (!packed) {
		uint16_t uidx = ld16_acq(q->a2 + 2);
		const uint8_t *el;

		if (uidx == q->r_used)
			return 0;
		if ((uint16_t)(uidx - q->r_used) > q->num)
			return VSCSI_ERR_INVALID;
		el = q->a2 + 4 + 8u * (q->r_used % q->num);
		*id = (uint16_t)ld32(el);
		*len = ld32(el + 4);
		q->r_used++;
		return 1;
	} else {
		const uint8_t *p = q->desc + 16u * q->p_used;
		uint16_t fl = ld16_acq(p + 14);
		unsigned a = (fl & VSCSI_VRING_DESC_F_AVAIL) != 0;
		unsigned u = (fl & VSCSI_VRING_DESC_F_USED) != 0;
		uint16_t adv;

		if (a != u || a != q->p_used_wrap)
			return 0;
		*id = ld16(p + 12);
		*len = ld32(p + 8);
		adv = *id < q->num && q->raw_n[*id] ? q->raw_n[*id] : 1;
		if (*id < q->num)
			q->raw_n[*id] = 0;
		vfe_adv(q->num, &q->p_used, &q->p_used_wrap, adv);
		return 1;
	}
}

int vfe_raw_used(vfe *v, unsigned vq, int timeout_ms, uint16_t *id,
		 uint32_t *len)
{
	uint64_t deadline;
	struct vfe_q *q;
	int packed, r;
	uint16_t i0;
	uint32_t l0;

	if (!v || vq >= v->nvq || !v->q[vq].raw)
		return VSCSI_ERR_ARG;
	if (!id)
		id = &i0;
	if (!len)
		len = &l0;
	q = &v->q[vq];
	packed = (v->features & F(VSCSI_F_RING_PACKED)) != 0;
	deadline = timeout_ms >= 0 ?
		vfe_now() + (uint64_t)timeout_ms * 1000000u : 0;
	for (;;) {
		struct pollfd pf[2];
		int rem;

		if (v->dead)
			return v->dead;
		r = vfe_raw_peek(q, packed, id, len);
		if (r)
			return r;
		rem = vfe_remaining(deadline);
		if (rem == 0)
			return 0;
		pf[0].fd = q->call_fd;
		pf[0].events = POLLIN;
		pf[1].fd = v->fd;
		pf[1].events = POLLIN | POLLRDHUP;
		if (poll(pf, 2, rem) < 0 && errno != EINTR)
			return VSCSI_ERR_IO;
		if (pf[0].revents & POLLIN) {
			uint64_t c;

			if (read(q->call_fd, &c, sizeof(c)) < 0 && errno != EAGAIN)
				return VSCSI_ERR_IO;
		}
		if (pf[1].revents && vfe_check_socket(v))
			return v->dead;
	}
}

/* ------------------------------------------------------------ stop */

int vfe_stop(vfe *v, uint32_t *bases)
{
	vscsi_vu_msg m;
	unsigned i;
	int r;

	if (!v)
		return VSCSI_ERR_ARG;
	if (v->dead)
		return v->dead;
	for (i = 0; i < v->nvq; i++) {
		vfe_msg(&m, VSCSI_VU_GET_VRING_BASE, VSCSI_VU_P_STATE);
		m.u.state.index = i;
		r = vfe_rpc(v, &m, NULL, 0);
		if (r) {
			vfe_kill(v, VSCSI_ERR_CLOSED, NULL);
			return r;
		}
		if (v->rx.m.payload_kind != VSCSI_VU_P_STATE ||
		    v->rx.m.u.state.index != i) {
			vfe_err(v, "GET_VRING_BASE %u answered for another ring", i);
			return VSCSI_ERR_PROTO;
		}
		if (bases)
			bases[i] = v->rx.m.u.state.num;
	}
	v->stopped = 1;
	return VSCSI_OK;
}

void vfe_close(vfe *v)
{
	if (!v)
		return;
	if (!v->dead && !v->stopped)
		vfe_stop(v, NULL);
	vfe_free(v);
}

/* ------------------------------------------------------------ state */

uint64_t vfe_features(const vfe *v)
{
	return v ? v->features : 0;
}

uint64_t vfe_protocol_features(const vfe *v)
{
	return v ? v->pf : 0;
}

int vfe_fd(const vfe *v)
{
	return v ? v->fd : -1;
}

unsigned vfe_num_queues(const vfe *v)
{
	return v ? v->nq : 0;
}

uint16_t vfe_queue_size(const vfe *v)
{
	return v ? v->num : 0;
}

int vfe_inflight_fd(const vfe *v)
{
	return v ? v->inflight_fd : -1;
}

uint64_t vfe_vring_errors(vfe *v, unsigned vq)
{
	uint64_t c;

	if (!v || vq >= v->nvq)
		return 0;
	if (read(v->q[vq].err_fd, &c, sizeof(c)) == (ssize_t)sizeof(c))
		v->q[vq].err_count += c;
	return v->q[vq].err_count;
}

const vscsi_vs_cfg *vfe_cfg(const vfe *v)
{
	return v ? &v->cfg : NULL;
}

int vfe_dead(const vfe *v)
{
	return v ? v->dead != 0 : 1;
}

void vfe_get_stats(const vfe *v, vfe_stats *out)
{
	if (!out)
		return;
	if (!v) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = v->st;
}
