/*
 * A hand-made vhost-user front-end for the back-end suites (check_vu_dev.c,
 * check_serve.c): one socketpair, guest memory in a memfd, messages built
 * with vscsi_vu_msg_build, rings driven with the library's driver side.
 * Single-threaded: after each message the test lets the device handle it
 * (vu_dev_dispatch), then reads the reply if one is due.
 *
 * Guest memory: T_MEM bytes at guest-physical 0, front-end virtual address
 * T_UVA (a number unrelated to where this process mapped it, so a device
 * that mixes the two address spaces fails).
 */
#ifndef CHECK_SERVE_UTIL_H
#define CHECK_SERVE_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "vscsi.h"
#include "vu.h"
#include "vu_dev.h"
#include "vu_loop.h"

#define T_MEM (4u << 20)
#define T_UVA 0x7a0000000000ull
#define T_NUM 64
#define T_MAXQ 8

typedef struct t_ring {
	vscsi_vq *vq;		/* driver side */
	uint16_t num;
	uint64_t desc, avail, used;	/* gpa */
	int kick, call, err;	/* our ends (eventfds) */
} t_ring;

typedef struct t_fe {
	int sock;		/* our end */
	int dev_sock;		/* the device's end (handed to vu_dev_new) */
	int memfd;
	uint8_t *mem;
	uint64_t next;		/* bump allocator (gpa) */
	uint64_t pf;
	uint64_t features;
	t_ring r[T_MAXQ];
	unsigned nr;
	vu_dev *d;		/* dispatch target */
} t_fe;

/* Open fds of this process (for leak checks). */
static inline int t_fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the DIR's own fd */
}

static inline void t_fe_init(t_fe *f)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	f->sock = sv[0];
	f->dev_sock = sv[1];
	vu_set_timeout(f->sock, 2000);
	f->memfd = memfd_create("t-guest", MFD_CLOEXEC);
	ck_assert_int_ge(f->memfd, 0);
	ck_assert_int_eq(ftruncate(f->memfd, T_MEM), 0);
	f->mem = mmap(NULL, T_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->memfd, 0);
	ck_assert_ptr_ne(f->mem, MAP_FAILED);
	f->next = 4096;
}

static inline void t_fe_fini(t_fe *f)
{
	unsigned i;

	for (i = 0; i < T_MAXQ; i++) {
		if (f->r[i].vq)
			vscsi_vq_free(f->r[i].vq);
		if (f->r[i].kick > 0)
			close(f->r[i].kick);
		if (f->r[i].call > 0)
			close(f->r[i].call);
		if (f->r[i].err > 0)
			close(f->r[i].err);
	}
	munmap(f->mem, T_MEM);
	close(f->memfd);
	close(f->sock);
}

/* Guest memory: len bytes aligned to align; returns the gpa. */
static inline uint64_t t_alloc(t_fe *f, uint64_t len, uint64_t align)
{
	uint64_t g = (f->next + align - 1) & ~(align - 1);

	ck_assert_uint_le(g + len, T_MEM);
	f->next = g + len;
	memset(f->mem + g, 0, len);
	return g;
}

static inline void *t_ptr(t_fe *f, uint64_t gpa)
{
	return f->mem + gpa;
}

/* Send a message as built. */
static inline void t_send(t_fe *f, const vscsi_vu_msg *m, const int *fds,
			  unsigned n)
{
	ck_assert_int_eq(vu_send(f->sock, m, fds, n), 0);
}

static inline void t_msg(vscsi_vu_msg *m, uint32_t req, unsigned kind,
			 uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->hdr.request = req;
	m->hdr.flags = VSCSI_VU_VERSION | flags;
	m->channel = VSCSI_VU_FRONTEND;
	m->payload_kind = kind;
}

/* Send, let the device handle it; the dispatch result. */
static inline int t_call(t_fe *f, const vscsi_vu_msg *m, const int *fds,
			 unsigned n)
{
	t_send(f, m, fds, n);
	return vu_dev_dispatch(f->d);
}

/* Read one reply (must come). */
static inline void t_reply(t_fe *f, vu_msg *out)
{
	int rc = vu_recv(f->sock, VSCSI_VU_FRONTEND, f->pf, out);

	ck_assert_int_eq(rc, 1);
	ck_assert(out->m.hdr.flags & VSCSI_VU_FLAG_REPLY);
}

/* 1 when a reply (or anything) is waiting on our socket. */
static inline int t_pending(t_fe *f)
{
	struct pollfd p = { f->sock, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

static inline uint64_t t_get_u64(t_fe *f, uint32_t req)
{
	vscsi_vu_msg m;
	vu_msg r;

	t_msg(&m, req, VSCSI_VU_P_NONE, 0);
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	t_reply(f, &r);
	ck_assert_uint_eq(r.m.hdr.request, req);
	ck_assert_uint_eq(r.m.payload_kind, VSCSI_VU_P_U64);
	return r.m.u.u64;
}

/* A request without a reply of its own; with REPLY_ACK negotiated it asks
 * for the ack and returns it (0 success), else returns 0. */
static inline uint64_t t_set_u64(t_fe *f, uint32_t req, uint64_t v,
				 const int *fds, unsigned n)
{
	int ack = (f->pf >> VSCSI_VU_PF_REPLY_ACK) & 1;
	vscsi_vu_msg m;
	vu_msg r;

	t_msg(&m, req,
	      req == VSCSI_VU_SET_OWNER || req == VSCSI_VU_RESET_OWNER ||
			      req == VSCSI_VU_RESET_DEVICE ||
			      req == VSCSI_VU_SET_LOG_FD
		      ? VSCSI_VU_P_NONE
		      : VSCSI_VU_P_U64,
	      ack ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.u.u64 = v;
	ck_assert_int_eq(t_call(f, &m, fds, n), 1);
	if (!ack)
		return 0;
	t_reply(f, &r);
	ck_assert_uint_eq(r.m.hdr.request, req);
	return r.m.u.u64;
}

static inline uint64_t t_set_state(t_fe *f, uint32_t req, uint32_t idx,
				   uint32_t num)
{
	int ack = (f->pf >> VSCSI_VU_PF_REPLY_ACK) & 1;
	vscsi_vu_msg m;
	vu_msg r;

	t_msg(&m, req, VSCSI_VU_P_STATE, ack ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.u.state.index = idx;
	m.u.state.num = num;
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	if (!ack)
		return 0;
	t_reply(f, &r);
	return r.m.u.u64;
}

static inline uint32_t t_get_vring_base(t_fe *f, uint32_t idx)
{
	vscsi_vu_msg m;
	vu_msg r;

	t_msg(&m, VSCSI_VU_GET_VRING_BASE, VSCSI_VU_P_STATE, 0);
	m.u.state.index = idx;
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	t_reply(f, &r);
	ck_assert_uint_eq(r.m.payload_kind, VSCSI_VU_P_STATE);
	ck_assert_uint_eq(r.m.u.state.index, idx);
	return r.m.u.state.num;
}

static inline uint64_t t_mem_table(t_fe *f, uint64_t gpa, uint64_t uva,
				   uint64_t size, uint64_t off)
{
	int ack = (f->pf >> VSCSI_VU_PF_REPLY_ACK) & 1;
	vscsi_vu_msg m;
	vu_msg r;

	t_msg(&m, VSCSI_VU_SET_MEM_TABLE, VSCSI_VU_P_MEM_TABLE,
	      ack ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.u.mem.nregions = 1;
	m.u.mem.regions[0].gpa = gpa;
	m.u.mem.regions[0].size = size;
	m.u.mem.regions[0].uva = uva;
	m.u.mem.regions[0].mmap_offset = off;
	ck_assert_int_eq(t_call(f, &m, &f->memfd, 1), 1);
	if (!ack)
		return 0;
	t_reply(f, &r);
	return r.m.u.u64;
}

/*
 * Set a ring up on both sides: the driver side here, and SET_VRING_NUM,
 * BASE, ADDR, CALL, ERR, KICK, ENABLE for the device.
 */
static inline void t_ring_setup(t_fe *f, unsigned q, uint16_t num,
				int packed)
{
	t_ring *r = &f->r[q];
	size_t ds, as, us;
	unsigned fl = 0;
	vscsi_vu_msg m;
	vu_msg rep;
	int ack = (f->pf >> VSCSI_VU_PF_REPLY_ACK) & 1;

	if (f->features >> VSCSI_F_RING_EVENT_IDX & 1)
		fl |= VSCSI_VQ_EVENT_IDX;
	if (f->features >> VSCSI_F_RING_INDIRECT_DESC & 1)
		fl |= VSCSI_VQ_INDIRECT;
	ck_assert_int_eq(packed, (int)(f->features >> VSCSI_F_RING_PACKED & 1));
	if (packed)
		vscsi_vring_packed_sizes(num, &ds, &as, &us);
	else
		vscsi_vring_split_sizes(num, &ds, &as, &us);
	r->num = num;
	r->desc = t_alloc(f, ds, 16);
	r->avail = t_alloc(f, as, 4);
	r->used = t_alloc(f, us, 4);
	if (!r->vq)
		r->vq = vscsi_vq_new();
	ck_assert_ptr_nonnull(r->vq);
	if (packed)
		ck_assert_int_eq(vscsi_vq_drv_setup_packed(r->vq, num,
					t_ptr(f, r->desc), t_ptr(f, r->avail),
					t_ptr(f, r->used), fl), 0);
	else
		ck_assert_int_eq(vscsi_vq_drv_setup_split(r->vq, num,
					t_ptr(f, r->desc), t_ptr(f, r->avail),
					t_ptr(f, r->used), fl), 0);
	if (r->kick <= 0) {
		r->kick = vu_eventfd();
		r->call = vu_eventfd();
		r->err = vu_eventfd();
	}
	ck_assert_uint_eq(t_set_state(f, VSCSI_VU_SET_VRING_NUM, q, num), 0);
	/* packed: both wrap counters start at 1 (bits 15 and 31) */
	ck_assert_uint_eq(t_set_state(f, VSCSI_VU_SET_VRING_BASE, q,
				      packed ? 0x80008000u : 0), 0);
	t_msg(&m, VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_P_ADDR,
	      ack ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.u.addr.index = q;
	m.u.addr.desc = T_UVA + r->desc;
	m.u.addr.avail = T_UVA + r->avail;
	m.u.addr.used = T_UVA + r->used;
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	if (ack) {
		t_reply(f, &rep);
		ck_assert_uint_eq(rep.m.u.u64, 0);
	}
	ck_assert_uint_eq(t_set_u64(f, VSCSI_VU_SET_VRING_CALL, q, &r->call, 1),
			  0);
	ck_assert_uint_eq(t_set_u64(f, VSCSI_VU_SET_VRING_ERR, q, &r->err, 1),
			  0);
	ck_assert_uint_eq(t_set_u64(f, VSCSI_VU_SET_VRING_KICK, q, &r->kick, 1),
			  0);
	ck_assert_uint_eq(t_set_state(f, VSCSI_VU_SET_VRING_ENABLE, q, 1), 0);
	if (q + 1 > f->nr)
		f->nr = q + 1;
}

/* Negotiate as QEMU does, with every protocol feature the device offers
 * (or those in pf_want when not 0), then the memory table. */
static inline void t_negotiate(t_fe *f, uint64_t want_features,
			       uint64_t pf_want)
{
	uint64_t feat = t_get_u64(f, VSCSI_VU_GET_FEATURES);
	uint64_t pf;

	ck_assert(feat >> VSCSI_VU_F_PROTOCOL_FEATURES & 1);
	pf = t_get_u64(f, VSCSI_VU_GET_PROTOCOL_FEATURES);
	if (pf_want)
		pf &= pf_want;
	t_set_u64(f, VSCSI_VU_SET_PROTOCOL_FEATURES, pf, NULL, 0);
	f->pf = pf;
	ck_assert_uint_eq(t_set_u64(f, VSCSI_VU_SET_OWNER, 0, NULL, 0), 0);
	f->features = (feat & want_features) |
		      1ull << VSCSI_VU_F_PROTOCOL_FEATURES;
	ck_assert_uint_eq(t_set_u64(f, VSCSI_VU_SET_FEATURES, f->features,
				    NULL, 0), 0);
	ck_assert_uint_eq(t_mem_table(f, 0, T_UVA, T_MEM, 0), 0);
}

/* 1 when the eventfd was signalled (and reads it). */
static inline int t_signalled(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == (ssize_t)sizeof(v) && v > 0;
}

#endif
