/* The back-end side of one vhost-user connection; see vu_dev.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vscsi/virtio_scsi.h"
#include "vu_dev.h"

#define VU_POLL_MS 1
#define VU_IFL_ALIGN 64u
#define VU_IFL_HDR 16u
#define VU_IFL_ENT 16u
/* packed areas (vhost-user.rst QueueRegionPacked / DescStatePacked) */
#define VU_IFLP_HDR 32u
#define VU_IFLP_ENT 32u
#define VU_IFLP_FREE 12		/* le16 free_head */
#define VU_IFLP_OLD_FREE 14	/* le16 old_free_head */
#define VU_IFLP_USED 16		/* le16 used_idx */
#define VU_IFLP_OLD_USED 18	/* le16 old_used_idx */
#define VU_IFLP_WRAP 20		/* u8 used_wrap_counter */
#define VU_IFLP_OLD_WRAP 21	/* u8 old_used_wrap_counter */
#define VU_IFLE_NEXT 2		/* entry: le16 next */
#define VU_IFLE_LAST 4		/* le16 last */
#define VU_IFLE_NUM 6		/* le16 num */
#define VU_IFLE_COUNTER 8	/* le64 counter */
#define VU_IFLE_ID 16		/* le16 id */
#define VU_IFLE_FLAGS 18	/* le16 flags */
#define VU_IFLE_LEN 20		/* le32 len */
#define VU_IFLE_ADDR 24		/* le64 addr */
#define VU_IFL_NONE 0xffffu

/* A mapped memory region. */
struct vu_region {
	uint64_t gpa, size, uva;
	void *map;		/* what mmap returned */
	size_t map_len;
	uint8_t *host;		/* the region's first byte */
};

struct vu_ring {
	vu_dev *d;
	unsigned q;
	vscsi_vq *vq;
	uint16_t num;
	int have_addr;
	uint64_t desc_uva, avail_uva, used_uva;
	uint8_t *desc, *avail, *used;	/* translated while live */
	uint32_t base;		/* next index, kept while not live */
	int kick_fd, call_fd, err_fd;
	int started;		/* SET_VRING_KICK since the last stop */
	int polled;		/* started with the no-fd flag */
	int enabled;
	int live;
	int broken;
	int packed;		/* set up as packed */
	uint8_t *ifl;		/* this ring's inflight area, NULL: none */
	uint64_t ifl_counter;
	uint16_t *resubmit;	/* heads (packed: head entries) to hand out
				 * again, oldest first */
	unsigned nresubmit, resubmit_pos;
	uint16_t *ifl_ids;	/* packed: buffer id -> head entry */
	uint8_t *ifl_scratch;	/* packed: num slots to walk a resubmitted
				 * chain's saved descriptors in */
	int ifl_warned;
};

struct vu_dev {
	int fd;
	vu_loop *loop;
	vu_dev_cfg cfg;
	vu_dev_ops ops;
	uint64_t features;
	uint64_t pf;		/* negotiated protocol features */
	uint64_t pf_offered;
	uint8_t status;
	int owner;
	vscsi_gmem *mem;
	struct vu_region *regions;
	unsigned nregions;
	struct vu_ring *rings;
	unsigned nrings;
	/* the inflight region */
	void *ifl_map;
	size_t ifl_len;
	uint8_t *ifl_base;
	uint16_t ifl_nq, ifl_qsize;
	size_t ifl_size;	/* bytes from ifl_base */
	int poll_fd;
	int quiesced;
	int dead;		/* closed: no more messages */
	vu_msg msg;
};

/* ------------------------------------------------------------ logging */

static void vu_dev_vlog(const vu_dev *d, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vu_dev_vlog(const vu_dev *d, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: connection %u: %s\n", d->cfg.prog, d->cfg.id,
		line);
}

void vu_dev_log(const vu_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vu_dev_vlog(d, fmt, ap);
	va_end(ap);
}

static const char *vu_req_name(uint32_t req, char *buf, size_t len)
{
	const char *n = vscsi_vu_request_name(req, VSCSI_VU_FRONTEND);

	if (n)
		return n;
	snprintf(buf, len, "UNKNOWN(%u)", req);
	return buf;
}

/* ------------------------------------------------------------ little endian */

static uint16_t vu_ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void vu_st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint32_t vu_ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void vu_st32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t vu_ld64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void vu_st64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------ accessors */

void *vu_dev_arg(const vu_dev *d)
{
	return d->cfg.arg;
}

unsigned vu_dev_id(const vu_dev *d)
{
	return d->cfg.id;
}

uint64_t vu_dev_features(const vu_dev *d)
{
	return d->features;
}

uint64_t vu_dev_protocol_features(const vu_dev *d)
{
	return d->pf;
}

uint8_t vu_dev_status(const vu_dev *d)
{
	return d->status;
}

const vscsi_gmem *vu_dev_mem(const vu_dev *d)
{
	return d->mem;
}

unsigned vu_dev_nqueues(const vu_dev *d)
{
	return d->nrings;
}

int vu_dev_queue_live(const vu_dev *d, unsigned q)
{
	return q < d->nrings && d->rings[q].live;
}

int vu_dev_queue_broken(const vu_dev *d, unsigned q)
{
	return q < d->nrings && d->rings[q].broken;
}

vscsi_vq *vu_dev_vq(vu_dev *d, unsigned q)
{
	return q < d->nrings ? d->rings[q].vq : NULL;
}

static int vu_has(uint64_t bits, unsigned bit)
{
	return (bits >> bit) & 1;
}

/* ------------------------------------------------------------ fds */

static void vu_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Take fd i of a message (it is no longer closed with the message). */
static int vu_take_fd(vu_msg *m, unsigned i)
{
	int fd;

	if (i >= m->nfds)
		return -1;
	fd = m->fds[i];
	m->fds[i] = -1;
	return fd;
}

/* Take a kick/call/error fd: nonblocking, so that a peer that sends a
 * full pipe instead of an eventfd cannot stall this thread. */
static int vu_take_notify_fd(vu_msg *m)
{
	int fd = vu_take_fd(m, 0);
	int fl;

	if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}

static void vu_kick_cb(void *arg, int fd, uint32_t events);
static void vu_poll_cb(void *arg, int fd, uint32_t events);

static void vu_kick_unwatch(vu_dev *d, struct vu_ring *r)
{
	if (r->kick_fd >= 0 && d->loop)
		vu_loop_del(d->loop, r->kick_fd);
	vu_close(&r->kick_fd);
}

/* Poll the rings started without a kick fd every VU_POLL_MS. */
static void vu_poll_update(vu_dev *d)
{
	unsigned q;
	int want = 0;

	for (q = 0; q < d->nrings; q++)
		if (d->rings[q].live && d->rings[q].polled)
			want = 1;
	if (!d->loop)
		return;
	if (want && d->poll_fd < 0) {
		d->poll_fd = vu_timerfd(VU_POLL_MS, VU_POLL_MS);
		if (d->poll_fd < 0 ||
		    vu_loop_add(d->loop, d->poll_fd, EPOLLIN, vu_poll_cb,
				d)) {
			vu_dev_log(d, "cannot poll rings: %s", strerror(errno));
			vu_close(&d->poll_fd);
		}
	} else if (!want && d->poll_fd >= 0) {
		vu_loop_del(d->loop, d->poll_fd);
		vu_close(&d->poll_fd);
	}
}

/* ------------------------------------------------------------ inflight */

/*
 * The region is written in the order vhost-user.rst "Inflight I/O tracking"
 * gives, so that a back-end killed between any two stores leaves something
 * the next one can repair. Only the order of our own stores matters (the
 * next reader is a later process): the fences keep the compiler (and
 * weaker CPUs) from moving a commit store before what it commits.
 */
static unsigned vu_vq_flags(const vu_dev *d);

static void vu_ifl_fence(void)
{
	atomic_thread_fence(memory_order_release);
}

static size_t vu_ifl_qbytes(uint16_t qsize, int packed)
{
	size_t b = packed ? VU_IFLP_HDR + (size_t)qsize * VU_IFLP_ENT
			  : VU_IFL_HDR + (size_t)qsize * VU_IFL_ENT;

	return (b + VU_IFL_ALIGN - 1) & ~(size_t)(VU_IFL_ALIGN - 1);
}

static uint8_t *vu_ifl_ent(const struct vu_ring *r, uint16_t head)
{
	return r->ifl + VU_IFL_HDR + (size_t)head * VU_IFL_ENT;
}

static uint8_t *vu_iflp_ent(const struct vu_ring *r, uint16_t i)
{
	return r->ifl + VU_IFLP_HDR + (size_t)i * VU_IFLP_ENT;
}

static void vu_ifl_clear(struct vu_ring *r)
{
	free(r->resubmit);
	r->resubmit = NULL;
	r->nresubmit = r->resubmit_pos = 0;
	free(r->ifl_ids);
	r->ifl_ids = NULL;
	free(r->ifl_scratch);
	r->ifl_scratch = NULL;
}

/* Stop tracking a ring whose area stopped making sense while it ran (a
 * front-end writing into it, or a chain we could not record). */
static void vu_ifl_drop(vu_dev *d, struct vu_ring *r, const char *why)
{
	vu_dev_log(d, "vring %u: inflight area: %s; no longer tracked", r->q,
		   why);
	r->ifl = NULL;
}

/*
 * Split: the last n chains pushed (linked from the area's last batch head,
 * newest first) were published: clear their marks, then record the used
 * idx. A back-end that dies in between finds the area's used idx behind
 * the ring's, and clears as many from the same list (vu_ifls_start).
 */
static void vu_ifls_published(struct vu_ring *r, unsigned n)
{
	uint16_t head;
	unsigned i;

	if (!r->ifl || !n)
		return;
	head = vu_ld16(r->ifl + 12);
	for (i = 0; i < n && head < r->num; i++) {
		uint8_t *e = vu_ifl_ent(r, head);

		e[0] = 0;
		head = vu_ld16(e + 6);
	}
	vu_st16(r->ifl + 14, vu_ld16(r->used + 2));
}

/* Publish what ring r holds back (vscsi_vq_push_lazy); a broken ring
 * too: those answers were given before it broke. */
static void vu_ring_flush(struct vu_ring *r)
{
	if (r->desc && !r->packed)
		vu_ifls_published(r, (unsigned)vscsi_vq_flush(r->vq));
}

static void vu_ifl_record(struct vu_ring *r, uint16_t head)
{
	uint8_t *e;

	if (!r->ifl || head >= r->num)
		return;
	e = vu_ifl_ent(r, head);
	vu_st64(e + 8, ++r->ifl_counter);
	vu_ifl_fence();
	e[0] = 1;
}

/* Sort keys for the resubmit list (split: by head; packed: by entry). */
static int vu_cmp_counter(const void *a, const void *b, void *arg)
{
	const struct vu_ring *r = arg;
	uint16_t ia = *(const uint16_t *)a, ib = *(const uint16_t *)b;
	uint64_t ca, cb;

	if (r->packed) {
		ca = vu_ld64(vu_iflp_ent(r, ia) + VU_IFLE_COUNTER);
		cb = vu_ld64(vu_iflp_ent(r, ib) + VU_IFLE_COUNTER);
	} else {
		ca = vu_ld64(vu_ifl_ent(r, ia) + 8);
		cb = vu_ld64(vu_ifl_ent(r, ib) + 8);
	}
	return ca < cb ? -1 : ca > cb;
}

/*
 * A split ring starts with an inflight area: repair the last batch, then
 * collect what the previous back-end had popped and not completed
 * (vhost-user.rst "Inflight I/O tracking", "When reconnecting").
 */
static void vu_ifls_start(vu_dev *d, struct vu_ring *r, uint8_t *h)
{
	uint16_t used_idx, n, i, head;
	uint64_t maxc = 0;
	unsigned count = 0;

	if (vu_ld16(h + 8) == 0) {
		/* a fresh area: version 1, one entry per descriptor */
		memset(h, 0, VU_IFL_HDR + (size_t)r->num * VU_IFL_ENT);
		vu_st16(h + 8, 1);
		vu_st16(h + 10, r->num);
	}
	if (vu_ld16(h + 8) != 1) {
		vu_dev_log(d, "vring %u: inflight area of version %u (only 1 "
			   "is known): refused, not tracked", r->q,
			   vu_ld16(h + 8));
		return;
	}
	if (vu_ld16(h + 10) != r->num) {
		vu_dev_log(d, "vring %u: inflight area holds %u entries, ring "
			   "has %u: not tracked", r->q, vu_ld16(h + 10), r->num);
		return;
	}
	r->ifl = h;
	used_idx = vu_ld16(r->used + 2);
	if (vu_ld16(h + 14) != used_idx) {
		/* the last batch was published but not cleared */
		n = (uint16_t)(used_idx - vu_ld16(h + 14));
		head = vu_ld16(h + 12);
		for (i = 0; i < n && head < r->num; i++) {
			uint8_t *e = vu_ifl_ent(r, head);

			e[0] = 0;
			head = vu_ld16(e + 6);
		}
		vu_st16(h + 14, used_idx);
	}
	for (i = 0; i < r->num; i++) {
		uint8_t *e = vu_ifl_ent(r, i);
		uint64_t c = vu_ld64(e + 8);

		if (c > maxc)
			maxc = c;
		if (e[0])
			count++;
	}
	r->ifl_counter = maxc;
	if (!count)
		return;
	r->resubmit = malloc(count * sizeof(uint16_t));
	if (!r->resubmit) {
		vu_dev_log(d, "vring %u: out of memory for %u inflight chains",
			   r->q, count);
		return;
	}
	for (i = 0; i < r->num; i++)
		if (vu_ifl_ent(r, i)[0])
			r->resubmit[r->nresubmit++] = i;
	qsort_r(r->resubmit, r->nresubmit, sizeof(uint16_t), vu_cmp_counter,
		r);
	/* the chains between used idx and the next index are these */
	vscsi_vq_set_base(r->vq, (uint16_t)(used_idx + count));
	if (d->cfg.verbose)
		vu_dev_log(d, "vring %u: resubmitting %u inflight chains",
			   r->q, count);
}

/*
 * A fresh packed area (version 0: nobody tracked this ring yet): every
 * entry on the free list in order, the used position the ring's (the
 * SET_VRING_BASE value, which is right when nothing is in flight).
 */
static void vu_iflp_init(uint8_t *h, uint16_t num, uint32_t base)
{
	uint16_t i, u = (uint16_t)(base >> 16 & 0x7fff);
	uint8_t w = (uint8_t)(base >> 31);

	memset(h, 0, VU_IFLP_HDR + (size_t)num * VU_IFLP_ENT);
	for (i = 0; i < num; i++)
		vu_st16(h + VU_IFLP_HDR + (size_t)i * VU_IFLP_ENT +
				VU_IFLE_NEXT,
			(uint16_t)(i + 1));
	vu_st16(h + VU_IFLP_USED, u);
	vu_st16(h + VU_IFLP_OLD_USED, u);
	h[VU_IFLP_WRAP] = w;
	h[VU_IFLP_OLD_WRAP] = w;
	vu_st16(h + 10, num);
	vu_ifl_fence();
	vu_st16(h + 8, 1);
}

/*
 * A packed ring starts with an initialised area (vhost-user.rst "When
 * reconnecting", packed): commit or roll back an interrupted completion,
 * clear the free list's marks, and collect the chains still in flight.
 * Everything is checked before anything is written: the area comes from
 * the front-end and is not trusted. 0, or -1 (logged) when it is refused.
 * On success the ring position is the area's: used slot and wrap counter
 * from it, next avail slot = used + the slots of the chains in flight
 * (every completed chain moved the used slot by its own slot count).
 */
static int vu_iflp_recover(vu_dev *d, struct vu_ring *r, uint8_t *h)
{
	uint16_t num = r->num, ver = vu_ld16(h + 8), i, e;
	uint16_t fh, ui;
	uint8_t uw, *seen = NULL;
	uint16_t *heads = NULL, *ids = NULL;
	unsigned nheads = 0, slots = 0, k;
	uint64_t maxc = 0;
	uint32_t base, avail, aw, old_base = vscsi_vq_get_base(r->vq);
	char why[160];

	why[0] = 0;
	if (ver != 1) {
		snprintf(why, sizeof(why), "version %u (only 1 is known)", ver);
		goto refuse;
	}
	if (vu_ld16(h + 10) != num) {
		snprintf(why, sizeof(why), "%u entries, the ring has %u",
			 vu_ld16(h + 10), num);
		goto refuse;
	}
	fh = vu_ld16(h + VU_IFLP_FREE);
	ui = vu_ld16(h + VU_IFLP_USED);
	uw = h[VU_IFLP_WRAP];
	if (fh > num || vu_ld16(h + VU_IFLP_OLD_FREE) > num || ui >= num ||
	    vu_ld16(h + VU_IFLP_OLD_USED) >= num || uw > 1 ||
	    h[VU_IFLP_OLD_WRAP] > 1) {
		snprintf(why, sizeof(why), "free_head %u/%u used_idx %u/%u "
			 "wrap %u/%u out of range for %u entries", fh,
			 vu_ld16(h + VU_IFLP_OLD_FREE), ui,
			 vu_ld16(h + VU_IFLP_OLD_USED), h[VU_IFLP_WRAP],
			 h[VU_IFLP_OLD_WRAP], num);
		goto refuse;
	}
	/* 1: a completion that stopped half way: if its used descriptor
	 * reached the ring (the slot at old_used_idx no longer shows the
	 * driver's available flags for the old wrap counter), commit it;
	 * 2: otherwise roll it (and any half-recorded chain) back */
	if (ui != vu_ld16(h + VU_IFLP_OLD_USED) ||
	    uw != h[VU_IFLP_OLD_WRAP]) {
		uint16_t ou = vu_ld16(h + VU_IFLP_OLD_USED);
		unsigned ow = h[VU_IFLP_OLD_WRAP];
		uint16_t fl = vu_ld16(r->desc + (size_t)ou * 16 + 14);
		uint16_t avail_fl = (uint16_t)(ow ? VSCSI_VRING_DESC_F_AVAIL
						  : VSCSI_VRING_DESC_F_USED);

		if ((fl & (VSCSI_VRING_DESC_F_AVAIL |
			   VSCSI_VRING_DESC_F_USED)) == avail_fl) {
			fh = vu_ld16(h + VU_IFLP_OLD_FREE);
			ui = ou;
			uw = (uint8_t)ow;
		}
	} else {
		fh = vu_ld16(h + VU_IFLP_OLD_FREE);
	}
	seen = calloc(num, 1);
	heads = malloc((size_t)num * sizeof(*heads));
	ids = malloc((size_t)num * sizeof(*ids));
	if (!seen || !heads || !ids) {
		snprintf(why, sizeof(why), "out of memory");
		goto refuse;
	}
	r->ifl = h;	/* for vu_iflp_ent; NULL again if refused */
	/* 3: the free list (its entries are not in flight) */
	for (e = fh; e != num; e = vu_ld16(vu_iflp_ent(r, e) + VU_IFLE_NEXT)) {
		if (e > num || seen[e]) {
			snprintf(why, sizeof(why), "the free list %s at entry "
				 "%u", e > num ? "leaves the area" : "loops",
				 e);
			goto refuse;
		}
		seen[e] = 1;
	}
	/* 4: the chains in flight: each a list of num entries from its
	 * head to its last, disjoint from the free list and each other */
	for (i = 0; i < num; i++) {
		const uint8_t *he;
		uint16_t n, j, last;

		he = vu_iflp_ent(r, i);
		if (seen[i] == 1 || he[0] == 0)
			continue;
		if (he[0] != 1) {
			snprintf(why, sizeof(why), "entry %u: inflight %u", i,
				 he[0]);
			goto refuse;
		}
		n = vu_ld16(he + VU_IFLE_NUM);
		last = vu_ld16(he + VU_IFLE_LAST);
		if (n == 0 || n > num - slots) {
			snprintf(why, sizeof(why), "entry %u: a chain of %u "
				 "descriptors (%u slots already in flight)", i,
				 n, slots);
			goto refuse;
		}
		for (e = i, j = 0;; j++) {
			const uint8_t *ee;
			uint16_t fl;

			if (e >= num || seen[e]) {
				snprintf(why, sizeof(why), "chain at entry %u: "
					 "entry %u %s", i, e,
					 e >= num ? "out of range"
						  : "used twice");
				goto refuse;
			}
			seen[e] = 2;
			ee = vu_iflp_ent(r, e);
			fl = vu_ld16(ee + VU_IFLE_FLAGS);
			if (!!(fl & VSCSI_VRING_DESC_F_NEXT) != (j + 1 < n)) {
				snprintf(why, sizeof(why), "chain at entry %u: "
					 "descriptor %u of %u %s NEXT", i, j + 1,
					 n, j + 1 < n ? "lacks" : "has");
				goto refuse;
			}
			if (j + 1 == n)
				break;
			e = vu_ld16(ee + VU_IFLE_NEXT);
		}
		if (e != last) {
			snprintf(why, sizeof(why), "chain at entry %u ends at "
				 "%u, its last says %u", i, e, last);
			goto refuse;
		}
		slots += n;
		heads[nheads++] = i;
	}
	/* checked: now repair. The free list becomes every entry not in
	 * flight, in order (entries lost by an interrupted update come
	 * back); their marks are cleared. */
	{
		uint16_t prev = VU_IFL_NONE, first = num;

		for (i = 0; i < num; i++) {
			uint8_t *ee = h + VU_IFLP_HDR + (size_t)i * VU_IFLP_ENT;
			uint64_t c = vu_ld64(ee + VU_IFLE_COUNTER);

			if (c > maxc && seen[i] == 2)
				maxc = c;
			if (seen[i] == 2)
				continue;
			ee[0] = 0;
			if (prev == VU_IFL_NONE)
				first = i;
			else
				vu_st16(h + VU_IFLP_HDR +
						(size_t)prev * VU_IFLP_ENT +
						VU_IFLE_NEXT,
					i);
			prev = i;
		}
		if (prev != VU_IFL_NONE)
			vu_st16(h + VU_IFLP_HDR + (size_t)prev * VU_IFLP_ENT +
					VU_IFLE_NEXT,
				num);
		vu_st16(h + VU_IFLP_FREE, first);
		vu_st16(h + VU_IFLP_USED, ui);
		h[VU_IFLP_WRAP] = uw;
		vu_ifl_fence();
		vu_st16(h + VU_IFLP_OLD_FREE, first);
		vu_st16(h + VU_IFLP_OLD_USED, ui);
		h[VU_IFLP_OLD_WRAP] = uw;
	}
	free(seen);
	seen = NULL;
	r->ifl = h;
	r->ifl_counter = maxc;
	for (i = 0; i < num; i++)
		ids[i] = VU_IFL_NONE;
	for (k = 0; k < nheads; k++) {
		const uint8_t *he = vu_iflp_ent(r, heads[k]);
		uint16_t id = vu_ld16(vu_iflp_ent(r, vu_ld16(he + VU_IFLE_LAST)) +
				      VU_IFLE_ID);

		if (id < num)
			ids[id] = heads[k];
	}
	r->ifl_ids = ids;
	if (nheads) {
		r->ifl_scratch = calloc(num, VSCSI_VRING_DESC_SIZE);
		if (!r->ifl_scratch) {
			vu_dev_log(d, "vring %u: out of memory for %u inflight "
				   "chains", r->q, nheads);
			free(heads);
			return 0;
		}
		qsort_r(heads, nheads, sizeof(uint16_t), vu_cmp_counter, r);
		r->resubmit = heads;
		r->nresubmit = nheads;
	} else {
		free(heads);
	}
	avail = ui + slots;
	aw = uw;
	if (avail >= num) {
		avail -= num;
		aw ^= 1;
	}
	base = avail | aw << 15 | (uint32_t)ui << 16 | (uint32_t)uw << 31;
	vscsi_vq_set_base(r->vq, base);
	if (d->cfg.verbose && (nheads || base != old_base))
		vu_dev_log(d, "vring %u: resubmitting %u inflight chains; ring "
			   "position from the inflight area: avail %u/%u used "
			   "%u/%u (the front-end said 0x%08x)", r->q, nheads,
			   avail, aw, ui, uw, old_base);
	return 0;

refuse:
	r->ifl = NULL;
	free(seen);
	free(heads);
	free(ids);
	vu_dev_log(d, "vring %u: inflight area refused (%s): not tracked, "
		   "nothing resubmitted", r->q, why);
	return -1;
}

/* Start tracking ring r in its area of the inflight region, if any. */
static void vu_ifl_start(vu_dev *d, struct vu_ring *r)
{
	size_t qb;
	uint8_t *h;

	vu_ifl_clear(r);
	r->ifl = NULL;
	if (!d->ifl_base || r->q >= d->ifl_nq)
		return;
	if (d->ifl_qsize != r->num) {
		if (!r->ifl_warned)
			vu_dev_log(d, "vring %u: not tracked in the inflight "
				   "region (queue size %u, the region's %u)",
				   r->q, r->num, d->ifl_qsize);
		r->ifl_warned = 1;
		return;
	}
	qb = vu_ifl_qbytes(r->num, r->packed);
	if ((size_t)(r->q + 1) * qb > d->ifl_size) {
		vu_dev_log(d, "vring %u: the inflight region (%zu bytes) cannot "
			   "hold its %s area: not tracked", r->q, d->ifl_size,
			   r->packed ? "packed" : "split");
		return;
	}
	h = d->ifl_base + (size_t)r->q * qb;
	if (!r->packed) {
		vu_ifls_start(d, r, h);
		return;
	}
	if (vu_ld16(h + 8) == 0)
		vu_iflp_init(h, r->num, vscsi_vq_get_base(r->vq));
	vu_iflp_recover(d, r, h);
}

/*
 * A packed chain was popped from slot `slot`: record each of its ring
 * descriptors (vhost-user.rst, packed, "When receiving available
 * buffers"). The descriptors are read from the ring again: only the
 * ring's own chain can be there (the device owns the slots until it
 * marks them used); a driver that rewrites them meanwhile only changes
 * what would be resubmitted to itself, and that is checked again then.
 */
static void vu_iflp_record(vu_dev *d, struct vu_ring *r, uint16_t slot,
			   const vscsi_chain *c)
{
	uint8_t *h = r->ifl;
	uint16_t num = r->num, k = c->ndesc, i;
	uint16_t f = vu_ld16(h + VU_IFLP_FREE);
	uint16_t o = vu_ld16(h + VU_IFLP_OLD_FREE);
	uint8_t *eo;

	if (k == 0 || k > num || o >= num) {
		vu_ifl_drop(d, r, "no free entry for a popped chain");
		return;
	}
	eo = vu_iflp_ent(r, o);
	for (i = 0; i < k; i++) {
		const uint8_t *rd =
			r->desc + (size_t)((slot + i) % num) * 16;
		uint8_t *ef;

		if (f >= num) {
			vu_ifl_drop(d, r, "no free entry for a popped chain");
			return;
		}
		if (i == 0) {
			vu_st16(eo + VU_IFLE_NUM, 0);
			vu_st64(eo + VU_IFLE_COUNTER, ++r->ifl_counter);
			vu_ifl_fence();
			eo[0] = 1;
		}
		if (i + 1 == k)
			vu_st16(eo + VU_IFLE_LAST, f);
		vu_st16(eo + VU_IFLE_NUM,
			(uint16_t)(vu_ld16(eo + VU_IFLE_NUM) + 1));
		ef = vu_iflp_ent(r, f);
		vu_st64(ef + VU_IFLE_ADDR, vu_ld64(rd));
		vu_st32(ef + VU_IFLE_LEN, vu_ld32(rd + 8));
		vu_st16(ef + VU_IFLE_ID, vu_ld16(rd + 12));
		vu_st16(ef + VU_IFLE_FLAGS, vu_ld16(rd + 14));
		f = vu_ld16(ef + VU_IFLE_NEXT);
		vu_ifl_fence();
		vu_st16(h + VU_IFLP_FREE, f);
	}
	vu_ifl_fence();
	vu_st16(h + VU_IFLP_OLD_FREE, f);
	if (c->head < num && r->ifl_ids)
		r->ifl_ids[c->head] = o;
}

/* The head entry of the chain in flight with buffer id `id`, or -1. */
static int vu_iflp_find(const struct vu_ring *r, uint16_t id)
{
	uint16_t num = r->num, e;

	if (id < num && r->ifl_ids && r->ifl_ids[id] != VU_IFL_NONE) {
		const uint8_t *he = vu_iflp_ent(r, r->ifl_ids[id]);
		uint16_t last = vu_ld16(he + VU_IFLE_LAST);

		if (he[0] == 1 && last < num &&
		    vu_ld16(vu_iflp_ent(r, last) + VU_IFLE_ID) == id)
			return r->ifl_ids[id];
	}
	/* an id beyond the ring size (or a map the area disagrees with) */
	for (e = 0; e < num; e++) {
		const uint8_t *he = vu_iflp_ent(r, e);
		uint16_t last = vu_ld16(he + VU_IFLE_LAST);

		if (he[0] == 1 && last < num &&
		    vu_ld16(vu_iflp_ent(r, last) + VU_IFLE_ID) == id)
			return e;
	}
	return -1;
}

/* Put the entries of head entry e back on the free list (steps 2-4 of
 * "When supplying used buffers"). */
static void vu_iflp_release(struct vu_ring *r, uint16_t e)
{
	uint16_t last = vu_ld16(vu_iflp_ent(r, e) + VU_IFLE_LAST);

	vu_st16(vu_iflp_ent(r, last) + VU_IFLE_NEXT,
		vu_ld16(r->ifl + VU_IFLP_FREE));
	vu_ifl_fence();
	vu_st16(r->ifl + VU_IFLP_FREE, e);
}

/* After the used descriptor is out (or a chain given back): the batch
 * is over, "old" takes the new values. */
static void vu_iflp_commit(struct vu_ring *r)
{
	uint8_t *h = r->ifl;

	vu_ifl_fence();
	vu_st16(h + VU_IFLP_OLD_FREE, vu_ld16(h + VU_IFLP_FREE));
	vu_st16(h + VU_IFLP_OLD_USED, vu_ld16(h + VU_IFLP_USED));
	h[VU_IFLP_OLD_WRAP] = h[VU_IFLP_WRAP];
}

/*
 * Hand out a chain left in flight by a previous back-end: its saved ring
 * descriptors are laid out in a private ring (the real one may hold used
 * entries over them by now) and walked by the library's packed walker.
 * The area is read again and checked again: the front-end can write it.
 */
static int vu_iflp_walk(vu_dev *d, struct vu_ring *r, uint16_t e,
			vscsi_chain *c)
{
	uint16_t num = r->num, n, j;
	uint8_t *s = r->ifl_scratch;
	int rc;

	if (!r->ifl || !s || e >= num)
		return VSCSI_ERR_INVALID;
	n = vu_ld16(vu_iflp_ent(r, e) + VU_IFLE_NUM);
	if (n == 0 || n > num)
		return VSCSI_ERR_INVALID;
	for (j = 0; j < n; j++) {
		const uint8_t *ee;

		if (e >= num)
			return VSCSI_ERR_INVALID;
		ee = vu_iflp_ent(r, e);
		vu_st64(s + (size_t)j * 16, vu_ld64(ee + VU_IFLE_ADDR));
		vu_st32(s + (size_t)j * 16 + 8, vu_ld32(ee + VU_IFLE_LEN));
		vu_st16(s + (size_t)j * 16 + 12, vu_ld16(ee + VU_IFLE_ID));
		vu_st16(s + (size_t)j * 16 + 14,
			(uint16_t)(vu_ld16(ee + VU_IFLE_FLAGS) &
				   (j + 1 < n ? 0xffffu
					      : ~VSCSI_VRING_DESC_F_NEXT)));
		e = vu_ld16(ee + VU_IFLE_NEXT);
	}
	rc = vscsi_chain_walk_packed(s, num, 0, d->mem,
				     (vu_vq_flags(d) & VSCSI_VQ_INDIRECT)
					     ? VSCSI_WALK_INDIRECT
					     : 0,
				     c);
	if (rc == VSCSI_OK && c->ndesc != n)
		rc = VSCSI_ERR_INVALID;	/* a NEXT missing half way */
	memset(s, 0, (size_t)n * 16);
	return rc;
}

static void vu_ifl_unmap(vu_dev *d)
{
	unsigned q;

	for (q = 0; q < d->nrings; q++)
		d->rings[q].ifl = NULL;
	if (d->ifl_map)
		munmap(d->ifl_map, d->ifl_len);
	d->ifl_map = NULL;
	d->ifl_base = NULL;
	d->ifl_len = 0;
	d->ifl_size = 0;
	d->ifl_nq = 0;
	d->ifl_qsize = 0;
}

/* ------------------------------------------------------------ rings */

static int vu_ring_translate(const vu_dev *d, const struct vu_ring *r,
			     const vscsi_gmem *mem, uint8_t **desc,
			     uint8_t **avail, uint8_t **used)
{
	size_t ds, as, us;

	if (vu_has(d->features, VSCSI_F_RING_PACKED))
		vscsi_vring_packed_sizes(r->num, &ds, &as, &us);
	else
		vscsi_vring_split_sizes(r->num, &ds, &as, &us);
	*desc = vscsi_gmem_uva_ptr(mem, r->desc_uva, ds);
	*avail = vscsi_gmem_uva_ptr(mem, r->avail_uva, as);
	*used = vscsi_gmem_uva_ptr(mem, r->used_uva, us);
	return *desc && *avail && *used ? 0 : -1;
}

static unsigned vu_vq_flags(const vu_dev *d)
{
	unsigned f = 0;

	if (vu_has(d->features, VSCSI_F_RING_EVENT_IDX))
		f |= VSCSI_VQ_EVENT_IDX;
	if (vu_has(d->features, VSCSI_F_RING_INDIRECT_DESC))
		f |= VSCSI_VQ_INDIRECT;
	return f;
}

/* Attach the queue object to the translated ring (base preserved). */
static int vu_ring_attach(vu_dev *d, struct vu_ring *r)
{
	int rc;

	r->packed = vu_has(d->features, VSCSI_F_RING_PACKED);
	vscsi_vq_set_base(r->vq, r->base);
	if (r->packed)
		rc = vscsi_vq_setup_packed(r->vq, r->num, r->desc, r->avail,
					   r->used, vu_vq_flags(d));
	else
		rc = vscsi_vq_setup_split(r->vq, r->num, r->desc, r->avail,
					  r->used, vu_vq_flags(d));
	if (rc) {
		vu_dev_log(d, "vring %u: cannot set up a %s ring of %u "
			   "entries at desc 0x%llx avail 0x%llx used 0x%llx "
			   "(size or alignment)", r->q,
			   r->packed ? "packed" : "split", r->num,
			   (unsigned long long)r->desc_uva,
			   (unsigned long long)r->avail_uva,
			   (unsigned long long)r->used_uva);
		return -1;
	}
	if (vscsi_vq_broken(r->vq)) {
		vu_dev_log(d, "vring %u: base 0x%x out of range", r->q,
			   r->base);
		r->broken = 1;
		return -1;
	}
	return 0;
}

/* Stop a live ring: the device finishes its chains, the base is kept. */
static void vu_ring_stop(vu_dev *d, struct vu_ring *r)
{
	if (!r->live)
		return;
	if (d->ops.queue_stop)
		d->ops.queue_stop(d, r->q);
	vu_ring_flush(r);
	r->base = vscsi_vq_get_base(r->vq);
	r->live = 0;
	r->desc = r->avail = r->used = NULL;
	r->ifl = NULL;
	vu_ifl_clear(r);
	vu_poll_update(d);
}

/* Make the ring live or not, from its state. -1 when it should be live
 * and cannot be (logged): its addresses or size are wrong. */
static int vu_ring_update(vu_dev *d, struct vu_ring *r)
{
	int want = r->started && r->enabled && r->have_addr && r->num &&
		   !r->broken && !d->quiesced && vscsi_gmem_count(d->mem);

	if (!want) {
		vu_ring_stop(d, r);
		return 0;
	}
	if (r->live)
		return 0;
	if (vu_ring_translate(d, r, d->mem, &r->desc, &r->avail, &r->used)) {
		vu_dev_log(d, "vring %u: ring of %u entries at desc 0x%llx "
			   "avail 0x%llx used 0x%llx is not in guest memory",
			   r->q, r->num, (unsigned long long)r->desc_uva,
			   (unsigned long long)r->avail_uva,
			   (unsigned long long)r->used_uva);
		r->desc = r->avail = r->used = NULL;
		return -1;
	}
	if (vu_ring_attach(d, r)) {
		r->desc = r->avail = r->used = NULL;
		return -1;
	}
	vu_ifl_start(d, r);
	r->live = 1;
	if (d->cfg.verbose)
		vu_dev_log(d, "vring %u: started (%s, %u entries, base %u)",
			   r->q, r->packed ? "packed" : "split", r->num,
			   vscsi_vq_get_base(r->vq));
	vu_poll_update(d);
	if (d->ops.queue_start)
		d->ops.queue_start(d, r->q);
	/* what the driver added before the start */
	if (r->live && d->ops.queue_kick)
		d->ops.queue_kick(d, r->q);
	return 0;
}

static void vu_ring_reset(vu_dev *d, struct vu_ring *r)
{
	vscsi_vq *vq = vscsi_vq_new();

	vu_ring_stop(d, r);
	vu_kick_unwatch(d, r);
	vu_close(&r->call_fd);
	vu_close(&r->err_fd);
	if (vq) {
		vscsi_vq_free(r->vq);
		r->vq = vq;
	} else {
		vscsi_vq_set_base(r->vq, 0);
	}
	r->num = 0;
	r->have_addr = 0;
	r->base = 0;
	r->started = r->polled = r->enabled = r->broken = 0;
	r->ifl_warned = 0;
	r->ifl_counter = 0;
}

static void vu_kick_cb(void *arg, int fd, uint32_t events)
{
	struct vu_ring *r = arg;
	vu_dev *d = r->d;

	if (events & (EPOLLHUP | EPOLLERR)) {
		/* not an eventfd (a pipe whose writer left): it would fire
		 * for ever; the ring gets no more kicks */
		vu_dev_log(d, "vring %u: the kick fd hung up; no more kicks",
			   r->q);
		vu_kick_unwatch(d, r);
		return;
	}
	vu_eventfd_drain(fd);
	if (r->live && !r->broken && d->ops.queue_kick)
		d->ops.queue_kick(d, r->q);
}

static void vu_poll_cb(void *arg, int fd, uint32_t events)
{
	vu_dev *d = arg;
	unsigned q;

	(void)events;
	vu_timerfd_drain(fd);
	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];

		if (r->live && r->polled && !r->broken && d->ops.queue_kick)
			d->ops.queue_kick(d, q);
	}
}

void vu_dev_kick(vu_dev *d, unsigned q)
{
	if (q < d->nrings && d->rings[q].live && !d->rings[q].broken &&
	    d->ops.queue_kick)
		d->ops.queue_kick(d, q);
}

/* ------------------------------------------------------------ the data path */

void vu_dev_break(vu_dev *d, unsigned q, const char *why)
{
	struct vu_ring *r;

	if (q >= d->nrings)
		return;
	r = &d->rings[q];
	if (!r->broken)
		vu_dev_log(d, "vring %u: %s; ring marked broken", q, why);
	vu_ring_flush(r);
	r->broken = 1;
	if (r->err_fd >= 0)
		vu_eventfd_signal(r->err_fd);
}

int vu_dev_pop(vu_dev *d, unsigned q, vscsi_chain *c)
{
	struct vu_ring *r;
	char why[160];
	int rc;

	if (q >= d->nrings)
		return 0;
	r = &d->rings[q];
	if (!r->live)
		return 0;
	if (r->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (r->resubmit_pos < r->nresubmit) {
		uint16_t head = r->resubmit[r->resubmit_pos++];

		if (r->packed)
			rc = vu_iflp_walk(d, r, head, c);
		else
			rc = vscsi_chain_walk_split(
				r->desc, r->num, head, d->mem,
				(vu_vq_flags(d) & VSCSI_VQ_INDIRECT)
					? VSCSI_WALK_INDIRECT : 0,
				c);
		if (rc) {
			snprintf(why, sizeof(why),
				 "inflight chain at %s %u: %s",
				 r->packed ? "entry" : "head", head,
				 vscsi_strerror(rc));
			vu_dev_break(d, q, why);
			return rc;
		}
		if (r->resubmit_pos == r->nresubmit && r->packed) {
			free(r->ifl_scratch);
			r->ifl_scratch = NULL;
		}
		return 1;
	}
	if (r->packed && r->ifl) {
		uint16_t slot = (uint16_t)(vscsi_vq_get_base(r->vq) & 0x7fff);

		rc = vscsi_vq_pop(r->vq, d->mem, c);
		if (rc > 0)
			vu_iflp_record(d, r, slot, c);
	} else {
		rc = vscsi_vq_pop(r->vq, d->mem, c);
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "malformed chain: %s (%s)",
			 vscsi_strerror(rc), vscsi_errname(rc));
		vu_dev_break(d, q, why);
		return rc;
	}
	if (rc > 0 && r->ifl && !r->packed)
		vu_ifl_record(r, c->head);
	return rc;
}

/*
 * A packed used entry, tracked (vhost-user.rst, packed, "When supplying
 * used buffers"): the chain's entries go back on the free list, used_idx
 * and its wrap counter move by the chain's slots, the used descriptor is
 * written, the head's mark cleared, and "old" catches up. A push the
 * library refuses leaves the area as it was.
 */
static int vu_iflp_push(vu_dev *d, struct vu_ring *r, uint16_t id,
			uint16_t ndesc, uint32_t len)
{
	uint8_t *h = r->ifl;
	int e = -1, rc;

	(void)d;
	if (h && ndesc >= 1 && ndesc <= r->num)
		e = vu_iflp_find(r, id);
	if (e >= 0) {
		uint32_t b = vscsi_vq_get_base(r->vq);
		uint32_t u = (b >> 16 & 0x7fff) + ndesc;
		uint8_t w = (uint8_t)(b >> 31);

		if (u >= r->num) {
			u -= r->num;
			w ^= 1;
		}
		vu_iflp_release(r, (uint16_t)e);
		vu_st16(h + VU_IFLP_USED, (uint16_t)u);
		h[VU_IFLP_WRAP] = w;
		vu_ifl_fence();
	}
	rc = vscsi_vq_push(r->vq, id, ndesc, len);
	if (e < 0)
		return rc;
	if (rc) {
		/* roll back to the last commit */
		vu_st16(h + VU_IFLP_FREE, vu_ld16(h + VU_IFLP_OLD_FREE));
		vu_st16(h + VU_IFLP_USED, vu_ld16(h + VU_IFLP_OLD_USED));
		h[VU_IFLP_WRAP] = h[VU_IFLP_OLD_WRAP];
		return rc;
	}
	vu_iflp_ent(r, (uint16_t)e)[0] = 0;
	vu_iflp_commit(r);
	if (id < r->num && r->ifl_ids)
		r->ifl_ids[id] = VU_IFL_NONE;
	return VSCSI_OK;
}

int vu_dev_push(vu_dev *d, unsigned q, uint16_t head, uint16_t ndesc,
		uint32_t len)
{
	struct vu_ring *r;
	int rc;

	if (q >= d->nrings)
		return VSCSI_ERR_ARG;
	r = &d->rings[q];
	if (r->broken)
		return VSCSI_ERR_RING_BROKEN;
	if (!r->desc)
		return VSCSI_ERR_ARG;	/* not set up */
	if (r->packed)
		return vu_iflp_push(d, r, head, ndesc, len);
	if (r->ifl && head < r->num) {
		vu_st16(vu_ifl_ent(r, head) + 6, vu_ld16(r->ifl + 12));
		vu_st16(r->ifl + 12, head);
	}
	rc = vscsi_vq_push_lazy(r->vq, head, ndesc, len);
	if (rc < 0)
		return rc;
	vu_ifls_published(r, (unsigned)rc);
	return VSCSI_OK;
}

int vu_dev_notify(vu_dev *d, unsigned q)
{
	struct vu_ring *r;

	if (q >= d->nrings)
		return 0;
	r = &d->rings[q];
	if (!r->desc || r->broken)
		return 0;
	vu_ring_flush(r);
	if (vscsi_vq_should_notify(r->vq) != 1)
		return 0;
	if (r->call_fd >= 0)
		vu_eventfd_signal(r->call_fd);
	return 1;
}

int vu_dev_rewind(vu_dev *d, unsigned q, const uint16_t *heads, unsigned n,
		  unsigned nslots)
{
	struct vu_ring *r;
	uint32_t b;
	unsigned i;

	if (q >= d->nrings || (n && !heads))
		return VSCSI_ERR_ARG;
	r = &d->rings[q];
	if (!r->desc || n > r->num || nslots > r->num)
		return VSCSI_ERR_ARG;
	if (n == 0)
		return VSCSI_OK;
	vu_ring_flush(r);	/* setting the base drops what is held */
	b = vscsi_vq_get_base(r->vq);
	if (!r->packed) {
		b = (uint16_t)(b - n);
	} else {
		uint32_t slot = b & 0x7fff, wrap = b >> 15 & 1;

		if (slot < nslots) {
			slot = slot + r->num - nslots;
			wrap ^= 1;
		} else {
			slot -= nslots;
		}
		b = (b & 0xffff0000u) | wrap << 15 | slot;
	}
	vscsi_vq_set_base(r->vq, b);
	for (i = 0; i < n && r->ifl; i++) {
		int e;

		if (!r->packed) {
			if (heads[i] < r->num)
				vu_ifl_ent(r, heads[i])[0] = 0;
			continue;
		}
		/* back on the free list, committed before the mark is
		 * cleared: a crash in between leaves a marked entry on the
		 * free list, which recovery clears */
		e = vu_iflp_find(r, heads[i]);
		if (e < 0)
			continue;
		vu_iflp_release(r, (uint16_t)e);
		vu_iflp_commit(r);
		vu_ifl_fence();
		vu_iflp_ent(r, (uint16_t)e)[0] = 0;
		if (heads[i] < r->num && r->ifl_ids)
			r->ifl_ids[heads[i]] = VU_IFL_NONE;
	}
	return VSCSI_OK;
}

/* ------------------------------------------------------------ memory */

static void vu_region_unmap(struct vu_region *rg)
{
	if (rg->map)
		munmap(rg->map, rg->map_len);
	rg->map = NULL;
}

static void vu_regions_free(struct vu_region *rg, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		vu_region_unmap(&rg[i]);
	free(rg);
}

/* Map one region's fd at its mmap_offset; 0 or -1 (logged). */
static int vu_region_map(vu_dev *d, const char *req,
			 const struct vscsi_vu_region *in, int fd,
			 struct vu_region *out)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t aligned = in->mmap_offset & ~(pg - 1);
	uint64_t delta = in->mmap_offset - aligned;
	struct stat st;
	void *p;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		vu_dev_log(d, "%s: region without a file descriptor", req);
		return -1;
	}
	if (in->size == 0 || in->size > SIZE_MAX - delta ||
	    aligned > (uint64_t)INT64_MAX ||
	    in->gpa + (in->size - 1) < in->gpa ||
	    in->uva + (in->size - 1) < in->uva) {
		vu_dev_log(d, "%s: region gpa 0x%llx size 0x%llx offset "
			   "0x%llx is impossible", req,
			   (unsigned long long)in->gpa,
			   (unsigned long long)in->size,
			   (unsigned long long)in->mmap_offset);
		return -1;
	}
	/* a file shorter than the region would fault on access (SIGBUS) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (in->mmap_offset > (uint64_t)st.st_size ||
	     in->size > (uint64_t)st.st_size - in->mmap_offset)) {
		vu_dev_log(d, "%s: region offset 0x%llx size 0x%llx runs past "
			   "the end of its file (0x%llx bytes)", req,
			   (unsigned long long)in->mmap_offset,
			   (unsigned long long)in->size,
			   (unsigned long long)st.st_size);
		return -1;
	}
	p = mmap(NULL, (size_t)(in->size + delta), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, fd, (off_t)aligned);
	if (p == MAP_FAILED) {
		vu_dev_log(d, "%s: cannot map region gpa 0x%llx size 0x%llx: "
			   "%s", req, (unsigned long long)in->gpa,
			   (unsigned long long)in->size, strerror(errno));
		return -1;
	}
	out->gpa = in->gpa;
	out->size = in->size;
	out->uva = in->uva;
	out->map = p;
	out->map_len = (size_t)(in->size + delta);
	out->host = (uint8_t *)p + delta;
	return 0;
}

/* Why vscsi_gmem_add refused a region. */
static const char *vu_gmem_why(int rc)
{
	if (rc == VSCSI_ERR_INVALID)
		return "it overlaps another region (or wraps around)";
	if (rc == VSCSI_ERR_NOSPACE)
		return "too many regions";
	return vscsi_strerror(rc);
}

static int vu_ring_in_region(const struct vu_ring *r,
			     const struct vu_region *rg)
{
	const uint8_t *p[3];
	int i;

	p[0] = r->desc;
	p[1] = r->avail;
	p[2] = r->used;
	for (i = 0; i < 3; i++)
		if (p[i] && p[i] >= rg->host &&
		    (size_t)(p[i] - rg->host) < rg->size)
			return 1;
	return 0;
}

/* Everything in flight completes, and is published (a memory table
 * change or a stop sets the rings up again, which would lose what the
 * rings hold back). */
static void vu_drain(vu_dev *d)
{
	unsigned q;

	if (d->ops.drain)
		d->ops.drain(d);
	for (q = 0; q < d->nrings; q++)
		vu_ring_flush(&d->rings[q]);
}

/* Re-attach the live rings after the memory map changed. */
static void vu_rings_remap(vu_dev *d)
{
	unsigned q;

	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];

		if (!r->live)
			continue;
		r->base = vscsi_vq_get_base(r->vq);
		if (vu_ring_translate(d, r, d->mem, &r->desc, &r->avail,
				      &r->used) ||
		    vu_ring_attach(d, r)) {
			/* checked before the swap; cannot happen */
			r->live = 0;
			r->desc = r->avail = r->used = NULL;
			continue;
		}
	}
	vu_poll_update(d);
}

static int vu_h_set_mem_table(vu_dev *d, vu_msg *m)
{
	unsigned n = m->m.u.mem.nregions, i, q;
	struct vu_region *nr = NULL;
	vscsi_gmem *nm = vscsi_gmem_new();

	if (!nm)
		goto fail;
	if (n) {
		nr = calloc(n, sizeof(*nr));
		if (!nr)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		const struct vscsi_vu_region *in = &m->m.u.mem.regions[i];
		int rc;

		if (vu_region_map(d, "SET_MEM_TABLE", in, m->fds[i], &nr[i]))
			goto fail_maps;
		rc = vscsi_gmem_add(nm, in->gpa, in->size, in->uva,
				    nr[i].host);
		if (rc) {
			vu_dev_log(d, "SET_MEM_TABLE: region %u (gpa 0x%llx "
				   "size 0x%llx): %s", i,
				   (unsigned long long)in->gpa,
				   (unsigned long long)in->size,
				   vu_gmem_why(rc));
			i++;
			goto fail_maps;
		}
	}
	/* rings that the new table does not hold stop before the swap */
	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];
		uint8_t *a, *b, *c;

		if (r->live && vu_ring_translate(d, r, nm, &a, &b, &c)) {
			vu_dev_log(d, "SET_MEM_TABLE: vring %u is not in the "
				   "new memory table: stopped", q);
			vu_ring_stop(d, r);
		}
	}
	vu_drain(d);
	{
		vscsi_gmem *om = d->mem;
		struct vu_region *orr = d->regions;
		unsigned on = d->nregions;

		d->mem = nm;
		d->regions = nr;
		d->nregions = n;
		vu_rings_remap(d);
		vscsi_gmem_free(om);
		vu_regions_free(orr, on);
	}
	if (d->cfg.verbose)
		vu_dev_log(d, "memory table: %u regions", n);
	for (q = 0; q < d->nrings; q++)
		vu_ring_update(d, &d->rings[q]);
	return 0;

fail_maps:
	vu_regions_free(nr, i);
	vscsi_gmem_free(nm);
	return 1;
fail:
	free(nr);
	vscsi_gmem_free(nm);
	vu_dev_log(d, "SET_MEM_TABLE: out of memory");
	return 1;
}

static int vu_h_add_mem_reg(vu_dev *d, vu_msg *m)
{
	struct vu_region rg, *nr;
	unsigned q;
	int rc;

	if (m->m.payload_kind != VSCSI_VU_P_MEM_REG) {
		vu_dev_log(d, "ADD_MEM_REG: postcopy form not supported");
		return 1;
	}
	if (d->nregions >= (d->cfg.mem_slots ? d->cfg.mem_slots
					     : VU_DEV_MEM_SLOTS)) {
		vu_dev_log(d, "ADD_MEM_REG: all %u memory slots in use",
			   d->nregions);
		return 1;
	}
	if (vu_region_map(d, "ADD_MEM_REG", &m->m.u.reg, m->fds[0], &rg))
		return 1;
	rc = vscsi_gmem_add(d->mem, rg.gpa, rg.size, rg.uva, rg.host);
	if (rc) {
		vu_dev_log(d, "ADD_MEM_REG: region gpa 0x%llx size 0x%llx: %s",
			   (unsigned long long)rg.gpa,
			   (unsigned long long)rg.size, vu_gmem_why(rc));
		vu_region_unmap(&rg);
		return 1;
	}
	nr = realloc(d->regions, (d->nregions + 1) * sizeof(*nr));
	if (!nr) {
		vscsi_gmem_remove(d->mem, rg.gpa, rg.size);
		vu_region_unmap(&rg);
		vu_dev_log(d, "ADD_MEM_REG: out of memory");
		return 1;
	}
	d->regions = nr;
	d->regions[d->nregions++] = rg;
	for (q = 0; q < d->nrings; q++)
		vu_ring_update(d, &d->rings[q]);
	return 0;
}

static int vu_h_rem_mem_reg(vu_dev *d, vu_msg *m)
{
	const struct vscsi_vu_region *in = &m->m.u.reg;
	unsigned i, q;

	for (i = 0; i < d->nregions; i++)
		if (d->regions[i].gpa == in->gpa &&
		    d->regions[i].size == in->size &&
		    d->regions[i].uva == in->uva)
			break;
	if (i == d->nregions) {
		vu_dev_log(d, "REM_MEM_REG: no region gpa 0x%llx size 0x%llx "
			   "uva 0x%llx", (unsigned long long)in->gpa,
			   (unsigned long long)in->size,
			   (unsigned long long)in->uva);
		return 1;
	}
	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];

		if (r->live && vu_ring_in_region(r, &d->regions[i])) {
			vu_dev_log(d, "REM_MEM_REG: vring %u lies in the "
				   "removed region: stopped", q);
			vu_ring_stop(d, r);
		}
	}
	vu_drain(d);
	vscsi_gmem_remove(d->mem, d->regions[i].gpa, d->regions[i].size);
	vu_region_unmap(&d->regions[i]);
	d->regions[i] = d->regions[--d->nregions];
	vu_rings_remap(d);
	return 0;
}

/* ------------------------------------------------------------ handlers */

/* Handler results: 0 done (ack 0), 1 refused (ack 1; logged), < 0 the
 * connection must close (logged). */
#define VU_OK 0
#define VU_FAIL 1
#define VU_CLOSE (-1)

static int vu_reply(vu_dev *d, vscsi_vu_msg *r, const int *fds, unsigned n)
{
	int rc;

	r->hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
	r->channel = VSCSI_VU_FRONTEND;
	if (r->payload_kind == VSCSI_VU_P_INFLIGHT)
		rc = vu_send(d->fd, r, fds, n);
	else
		rc = vu_send(d->fd, r, fds, n);
	if (rc) {
		char nb[32];

		vu_dev_log(d, "%s: cannot send the reply: %s",
			   vu_req_name(r->hdr.request, nb, sizeof(nb)),
			   rc == VSCSI_ERR_IO ? strerror(errno)
					      : vscsi_strerror(rc));
		return VU_CLOSE;
	}
	return VU_OK;
}

static int vu_reply_u64v(vu_dev *d, uint32_t req, uint64_t v)
{
	vscsi_vu_msg r;

	memset(&r, 0, sizeof(r));
	r.hdr.request = req;
	r.payload_kind = VSCSI_VU_P_U64;
	r.u.u64 = v;
	return vu_reply(d, &r, NULL, 0);
}

/* The REPLY_ACK answer, built by hand: the library's builder knows the
 * requests' payload kinds and refuses a u64 for unknown ones. */
static int vu_ack(vu_dev *d, uint32_t req, uint64_t v)
{
	uint8_t b[VSCSI_VU_HDR_SIZE + 8];
	int i, rc;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(req >> (8 * i));
	b[4] = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
	b[8] = 8;
	vu_st64(b + VSCSI_VU_HDR_SIZE, v);
	rc = vu_send_raw(d->fd, b, sizeof(b), NULL, 0);
	if (rc) {
		char nb[32];

		vu_dev_log(d, "%s: cannot send the ack: %s",
			   vu_req_name(req, nb, sizeof(nb)),
			   rc == VSCSI_ERR_IO ? strerror(errno)
					      : vscsi_strerror(rc));
	}
	return rc;
}

static struct vu_ring *vu_ring_arg(vu_dev *d, const char *req, uint64_t idx)
{
	if (idx >= d->nrings) {
		vu_dev_log(d, "%s: vring index %llu out of range (%u vrings)",
			   req, (unsigned long long)idx, d->nrings);
		return NULL;
	}
	return &d->rings[idx];
}

static int vu_h_get_features(vu_dev *d, vu_msg *m)
{
	(void)m;
	return vu_reply_u64v(d, VSCSI_VU_GET_FEATURES,
			     d->cfg.features |
				     1ull << VSCSI_VU_F_PROTOCOL_FEATURES);
}

static int vu_h_set_features(vu_dev *d, vu_msg *m)
{
	uint64_t f = m->m.u.u64;
	uint64_t offered = d->cfg.features | 1ull << VSCSI_VU_F_PROTOCOL_FEATURES;
	unsigned q;

	if (f & ~offered & ((1ull << VSCSI_F_RING_PACKED) |
			    (1ull << VSCSI_VU_F_LOG_ALL)))
		vu_dev_log(d, "SET_FEATURES: 0x%llx has bits not offered "
			   "(0x%llx)", (unsigned long long)f,
			   (unsigned long long)(f & ~offered));
	d->features = f;
	/* without protocol features rings start enabled */
	if (!vu_has(f, VSCSI_VU_F_PROTOCOL_FEATURES))
		for (q = 0; q < d->nrings; q++)
			d->rings[q].enabled = 1;
	if (d->ops.features)
		d->ops.features(d, f);
	for (q = 0; q < d->nrings; q++)
		vu_ring_update(d, &d->rings[q]);
	return VU_OK;
}

static int vu_h_get_protocol_features(vu_dev *d, vu_msg *m)
{
	(void)m;
	return vu_reply_u64v(d, VSCSI_VU_GET_PROTOCOL_FEATURES, d->pf_offered);
}

static int vu_h_set_protocol_features(vu_dev *d, vu_msg *m)
{
	uint64_t f = m->m.u.u64;

	if (f & ~d->pf_offered)
		vu_dev_log(d, "SET_PROTOCOL_FEATURES: ignoring bits not "
			   "offered (0x%llx)",
			   (unsigned long long)(f & ~d->pf_offered));
	d->pf = f & d->pf_offered;
	return VU_OK;
}

static int vu_h_set_owner(vu_dev *d, vu_msg *m)
{
	(void)m;
	d->owner = 1;
	return VU_OK;
}

static void vu_reset(vu_dev *d)
{
	unsigned q;

	for (q = 0; q < d->nrings; q++)
		vu_ring_stop(d, &d->rings[q]);
	vu_drain(d);
	for (q = 0; q < d->nrings; q++)
		vu_ring_reset(d, &d->rings[q]);
	d->features = 0;
	d->status = 0;
	if (d->ops.reset)
		d->ops.reset(d);
	vu_poll_update(d);
}

static int vu_h_reset(vu_dev *d, vu_msg *m)
{
	(void)m;
	if (d->cfg.verbose)
		vu_dev_log(d, "device reset");
	vu_reset(d);
	return VU_OK;
}

static int vu_h_vring_num(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_arg(d, "SET_VRING_NUM", m->m.u.state.index);
	uint32_t num = m->m.u.state.num;

	if (!r)
		return VU_CLOSE;
	if (num == 0 || num > VSCSI_VRING_MAX_NUM) {
		vu_dev_log(d, "SET_VRING_NUM: vring %u: size %u out of range",
			   r->q, num);
		return VU_FAIL;
	}
	if (r->live && num != r->num) {
		vu_dev_log(d, "SET_VRING_NUM: vring %u is running: size %u "
			   "applies at its next start", r->q, num);
	}
	r->num = (uint16_t)num;
	return VU_OK;
}

static int vu_h_vring_addr(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_arg(d, "SET_VRING_ADDR", m->m.u.addr.index);
	uint8_t *a, *b, *c;
	int changed;

	if (!r)
		return VU_CLOSE;
	changed = !r->have_addr || r->desc_uva != m->m.u.addr.desc ||
		  r->avail_uva != m->m.u.addr.avail ||
		  r->used_uva != m->m.u.addr.used;
	if (changed && r->live)
		vu_ring_stop(d, r);
	r->desc_uva = m->m.u.addr.desc;
	r->avail_uva = m->m.u.addr.avail;
	r->used_uva = m->m.u.addr.used;
	r->have_addr = 1;
	if (r->num && vscsi_gmem_count(d->mem) &&
	    vu_ring_translate(d, r, d->mem, &a, &b, &c)) {
		vu_dev_log(d, "SET_VRING_ADDR: vring %u: ring of %u entries at "
			   "desc 0x%llx avail 0x%llx used 0x%llx is not in "
			   "guest memory", r->q, r->num,
			   (unsigned long long)r->desc_uva,
			   (unsigned long long)r->avail_uva,
			   (unsigned long long)r->used_uva);
		return VU_FAIL;
	}
	return vu_ring_update(d, r) ? VU_FAIL : VU_OK;
}

static int vu_h_vring_base(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_arg(d, "SET_VRING_BASE", m->m.u.state.index);

	if (!r)
		return VU_CLOSE;
	r->base = m->m.u.state.num;
	vscsi_vq_set_base(r->vq, r->base);
	return VU_OK;
}

static int vu_h_get_vring_base(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_arg(d, "GET_VRING_BASE", m->m.u.state.index);
	vscsi_vu_msg rep;

	if (!r)
		return VU_CLOSE;
	vu_ring_stop(d, r);
	r->started = 0;
	r->polled = 0;
	vu_kick_unwatch(d, r);
	if (d->cfg.verbose)
		vu_dev_log(d, "vring %u: stopped at base %u", r->q, r->base);
	memset(&rep, 0, sizeof(rep));
	rep.hdr.request = VSCSI_VU_GET_VRING_BASE;
	rep.payload_kind = VSCSI_VU_P_STATE;
	rep.u.state.index = r->q;
	rep.u.state.num = r->base;
	return vu_reply(d, &rep, NULL, 0);
}

/* The u64 of SET_VRING_KICK/CALL/ERR: index and no-fd bit only. */
static struct vu_ring *vu_ring_fd_arg(vu_dev *d, const char *req, uint64_t v)
{
	if (v & ~(uint64_t)(VSCSI_VU_IDX_MASK | VSCSI_VU_NOFD_MASK)) {
		vu_dev_log(d, "%s: reserved bits set in 0x%llx", req,
			   (unsigned long long)v);
		return NULL;
	}
	return vu_ring_arg(d, req, v & VSCSI_VU_IDX_MASK);
}

static int vu_h_vring_kick(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_fd_arg(d, "SET_VRING_KICK", m->m.u.u64);
	int rc;

	if (!r)
		return VU_CLOSE;
	vu_kick_unwatch(d, r);
	if (m->m.u.u64 & VSCSI_VU_NOFD_MASK) {
		r->polled = 1;
	} else {
		r->polled = 0;
		r->kick_fd = vu_take_notify_fd(m);
		if (d->loop && vu_loop_add(d->loop, r->kick_fd, EPOLLIN,
					   vu_kick_cb, r)) {
			vu_dev_log(d, "SET_VRING_KICK: vring %u: cannot watch "
				   "the kick fd: %s", r->q, strerror(errno));
			vu_close(&r->kick_fd);
			return VU_FAIL;
		}
	}
	if (!r->live)
		r->broken = 0;	/* a new start */
	r->started = 1;
	rc = vu_ring_update(d, r);
	vu_poll_update(d);
	return rc ? VU_FAIL : VU_OK;
}

static int vu_h_vring_call(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_fd_arg(d, "SET_VRING_CALL", m->m.u.u64);

	if (!r)
		return VU_CLOSE;
	vu_close(&r->call_fd);
	if (!(m->m.u.u64 & VSCSI_VU_NOFD_MASK))
		r->call_fd = vu_take_notify_fd(m);
	/* A front-end replaces the call fd of a running ring when it
	 * switches the guest's notifier (QEMU does, right after restarting
	 * the rings of a reconnected back-end): a used entry pushed just
	 * before then was signalled to the old fd, and the guest would wait
	 * for it forever. One spurious signal costs the driver a look. */
	if (r->live && r->call_fd >= 0)
		vu_eventfd_signal(r->call_fd);
	return VU_OK;
}

static int vu_h_vring_err(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_fd_arg(d, "SET_VRING_ERR", m->m.u.u64);

	if (!r)
		return VU_CLOSE;
	vu_close(&r->err_fd);
	if (!(m->m.u.u64 & VSCSI_VU_NOFD_MASK))
		r->err_fd = vu_take_notify_fd(m);
	return VU_OK;
}

static int vu_h_vring_enable(vu_dev *d, vu_msg *m)
{
	struct vu_ring *r = vu_ring_arg(d, "SET_VRING_ENABLE",
					m->m.u.state.index);

	if (!r)
		return VU_CLOSE;
	if (m->m.u.state.num > 1) {
		vu_dev_log(d, "SET_VRING_ENABLE: vring %u: value %u is not 0 "
			   "or 1", r->q, m->m.u.state.num);
		return VU_FAIL;
	}
	r->enabled = m->m.u.state.num == 1;
	return vu_ring_update(d, r) ? VU_FAIL : VU_OK;
}

static int vu_h_get_queue_num(vu_dev *d, vu_msg *m)
{
	(void)m;
	return vu_reply_u64v(d, VSCSI_VU_GET_QUEUE_NUM, d->nrings);
}

static int vu_h_get_max_mem_slots(vu_dev *d, vu_msg *m)
{
	(void)m;
	return vu_reply_u64v(d, VSCSI_VU_GET_MAX_MEM_SLOTS,
			     d->cfg.mem_slots ? d->cfg.mem_slots
					      : VU_DEV_MEM_SLOTS);
}

static int vu_h_set_status(vu_dev *d, vu_msg *m)
{
	if (m->m.u.u64 > 0xff) {
		vu_dev_log(d, "SET_STATUS: 0x%llx is not a status byte",
			   (unsigned long long)m->m.u.u64);
		return VU_FAIL;
	}
	d->status = (uint8_t)m->m.u.u64;
	if (d->ops.status)
		d->ops.status(d, d->status);
	return VU_OK;
}

static int vu_h_get_status(vu_dev *d, vu_msg *m)
{
	(void)m;
	return vu_reply_u64v(d, VSCSI_VU_GET_STATUS, d->status);
}

/* Adopt an inflight mapping; the live rings follow it. */
static void vu_ifl_adopt(vu_dev *d, void *map, size_t len, uint8_t *base,
			 size_t size, uint16_t nq, uint16_t qsize)
{
	unsigned q;

	vu_ifl_unmap(d);
	d->ifl_map = map;
	d->ifl_len = len;
	d->ifl_base = base;
	d->ifl_nq = nq;
	d->ifl_qsize = qsize;
	d->ifl_size = size;
	/* rings running now are tracked from their next start */
	for (q = 0; q < d->nrings; q++)
		d->rings[q].ifl = NULL;
}

static int vu_ifl_check(vu_dev *d, const char *req, uint64_t nq, uint64_t qs)
{
	if (nq == 0 || nq > d->nrings || qs == 0 || qs > VSCSI_VRING_MAX_NUM) {
		vu_dev_log(d, "%s: %llu queues of %llu entries: out of range "
			   "(%u vrings)", req, (unsigned long long)nq,
			   (unsigned long long)qs, d->nrings);
		return -1;
	}
	return 0;
}

static int vu_h_get_inflight_fd(vu_dev *d, vu_msg *m)
{
	uint16_t nq = m->m.u.inflight.num_queues;
	uint16_t qs = m->m.u.inflight.queue_size;
	vscsi_vu_msg rep;
	size_t len;
	void *p;
	int fd, rc, packed;

	memset(&rep, 0, sizeof(rep));
	rep.hdr.request = VSCSI_VU_GET_INFLIGHT_FD;
	rep.payload_kind = VSCSI_VU_P_INFLIGHT;
	if (vu_ifl_check(d, "GET_INFLIGHT_FD", nq, qs))
		return vu_reply(d, &rep, NULL, 0);	/* size 0: none */
	/* QEMU asks after SET_FEATURES: the layout follows the rings' */
	packed = vu_has(d->features, VSCSI_F_RING_PACKED);
	len = (size_t)nq * vu_ifl_qbytes(qs, packed);
	fd = memfd_create("vscsi-inflight", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		vu_dev_log(d, "GET_INFLIGHT_FD: cannot create the region: %s",
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return vu_reply(d, &rep, NULL, 0);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		vu_dev_log(d, "GET_INFLIGHT_FD: cannot map the region: %s",
			   strerror(errno));
		close(fd);
		return vu_reply(d, &rep, NULL, 0);
	}
	vu_ifl_adopt(d, p, len, p, len, nq, qs);
	if (!packed) {
		unsigned q;

		for (q = 0; q < nq; q++) {
			uint8_t *h = (uint8_t *)p + q * vu_ifl_qbytes(qs, 0);

			vu_st16(h + 8, 1);
			vu_st16(h + 10, qs);
		}
	}
	/* packed areas stay version 0 (uninitialised) until their ring
	 * starts: the ring position they hold is the ring's then */
	rep.u.inflight.mmap_size = len;
	rep.u.inflight.mmap_offset = 0;
	rep.u.inflight.num_queues = nq;
	rep.u.inflight.queue_size = qs;
	rc = vu_reply(d, &rep, &fd, 1);
	close(fd);
	return rc;
}

static int vu_h_set_inflight_fd(vu_dev *d, vu_msg *m)
{
	uint64_t size = m->m.u.inflight.mmap_size;
	uint64_t off = m->m.u.inflight.mmap_offset;
	uint16_t nq = m->m.u.inflight.num_queues;
	uint16_t qs = m->m.u.inflight.queue_size;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t aligned = off & ~(pg - 1), delta = off - aligned;
	struct stat st;
	void *p;

	if (vu_ifl_check(d, "SET_INFLIGHT_FD", nq, qs))
		return VU_FAIL;
	if (size < (uint64_t)nq * vu_ifl_qbytes(qs, vu_has(d->features,
						   VSCSI_F_RING_PACKED)) ||
	    size > SIZE_MAX - delta || aligned > (uint64_t)INT64_MAX) {
		vu_dev_log(d, "SET_INFLIGHT_FD: %llu bytes cannot hold %u "
			   "queues of %u entries", (unsigned long long)size,
			   nq, qs);
		return VU_FAIL;
	}
	if (fstat(m->fds[0], &st) == 0 && S_ISREG(st.st_mode) &&
	    (off > (uint64_t)st.st_size || size > (uint64_t)st.st_size - off)) {
		vu_dev_log(d, "SET_INFLIGHT_FD: region runs past the end of "
			   "its file");
		return VU_FAIL;
	}
	p = mmap(NULL, (size_t)(size + delta), PROT_READ | PROT_WRITE,
		 MAP_SHARED, m->fds[0], (off_t)aligned);
	if (p == MAP_FAILED) {
		vu_dev_log(d, "SET_INFLIGHT_FD: cannot map the region: %s",
			   strerror(errno));
		return VU_FAIL;
	}
	vu_ifl_adopt(d, p, (size_t)(size + delta), (uint8_t *)p + delta,
		     (size_t)size, nq, qs);
	if (d->cfg.verbose)
		vu_dev_log(d, "inflight region: %u queues of %u entries", nq,
			   qs);
	return VU_OK;
}

/* SET_LOG_BASE / SET_LOG_FD: dirty logging is not offered. */
static int vu_h_log(vu_dev *d, vu_msg *m)
{
	char nb[32];

	vu_dev_log(d, "%s: dirty page logging is not supported",
		   vu_req_name(m->m.hdr.request, nb, sizeof(nb)));
	return VU_FAIL;
}

/* ------------------------------------------------------------ dispatch */

typedef int (*vu_handler)(vu_dev *d, vu_msg *m);

struct vu_req {
	vu_handler h;
	int8_t reply;	/* the handler sends its own reply */
	int16_t size;	/* payload bytes of the request; -1: variable */
};

static const struct vu_req vu_reqs[VSCSI_VU_FRONTEND_MAX] = {
	[VSCSI_VU_GET_FEATURES] = { vu_h_get_features, 1, 0 },
	[VSCSI_VU_SET_FEATURES] = { vu_h_set_features, 0, 8 },
	[VSCSI_VU_SET_OWNER] = { vu_h_set_owner, 0, 0 },
	[VSCSI_VU_RESET_OWNER] = { vu_h_reset, 0, 0 },
	[VSCSI_VU_SET_MEM_TABLE] = { vu_h_set_mem_table, 0, -1 },
	[VSCSI_VU_SET_LOG_BASE] = { vu_h_log, 0, -1 },
	[VSCSI_VU_SET_LOG_FD] = { vu_h_log, 0, 0 },
	[VSCSI_VU_SET_VRING_NUM] = { vu_h_vring_num, 0, 8 },
	[VSCSI_VU_SET_VRING_ADDR] = { vu_h_vring_addr, 0, 40 },
	[VSCSI_VU_SET_VRING_BASE] = { vu_h_vring_base, 0, 8 },
	[VSCSI_VU_GET_VRING_BASE] = { vu_h_get_vring_base, 1, 8 },
	[VSCSI_VU_SET_VRING_KICK] = { vu_h_vring_kick, 0, 8 },
	[VSCSI_VU_SET_VRING_CALL] = { vu_h_vring_call, 0, 8 },
	[VSCSI_VU_SET_VRING_ERR] = { vu_h_vring_err, 0, 8 },
	[VSCSI_VU_GET_PROTOCOL_FEATURES] = { vu_h_get_protocol_features, 1, 0 },
	[VSCSI_VU_SET_PROTOCOL_FEATURES] = { vu_h_set_protocol_features, 0, 8 },
	[VSCSI_VU_GET_QUEUE_NUM] = { vu_h_get_queue_num, 1, 0 },
	[VSCSI_VU_SET_VRING_ENABLE] = { vu_h_vring_enable, 0, 8 },
	[VSCSI_VU_GET_INFLIGHT_FD] = { vu_h_get_inflight_fd, 1, 20 },
	[VSCSI_VU_SET_INFLIGHT_FD] = { vu_h_set_inflight_fd, 0, 20 },
	[VSCSI_VU_RESET_DEVICE] = { vu_h_reset, 0, 0 },
	[VSCSI_VU_GET_MAX_MEM_SLOTS] = { vu_h_get_max_mem_slots, 1, 0 },
	[VSCSI_VU_ADD_MEM_REG] = { vu_h_add_mem_reg, 0, 40 },
	[VSCSI_VU_REM_MEM_REG] = { vu_h_rem_mem_reg, 0, 40 },
	[VSCSI_VU_SET_STATUS] = { vu_h_set_status, 0, 8 },
	[VSCSI_VU_GET_STATUS] = { vu_h_get_status, 1, 0 },
};

/* A request this back-end does not implement: log it and, when the peer
 * waits for an answer of its own kind, send a failure it can parse. */
static int vu_unsupported(vu_dev *d, vu_msg *m, int *replied)
{
	static const unsigned kinds[] = { VSCSI_VU_P_U64, VSCSI_VU_P_NONE };
	char nb[32];
	unsigned i;

	vu_dev_log(d, "%s: request not supported",
		   vu_req_name(m->m.hdr.request, nb, sizeof(nb)));
	*replied = 0;
	if (vscsi_vu_expects_reply(&m->m, 0) != 1)
		return VU_FAIL;	/* acked as a failure if asked */
	*replied = 1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		uint8_t buf[64];
		vscsi_vu_msg r;

		memset(&r, 0, sizeof(r));
		r.hdr.request = m->m.hdr.request;
		r.hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
		r.channel = VSCSI_VU_FRONTEND;
		r.payload_kind = kinds[i];
		r.u.u64 = 1;
		if (vscsi_vu_msg_build(&r, buf, sizeof(buf)) > 0)
			return vu_reply(d, &r, NULL, 0);
	}
	vu_dev_log(d, "%s: cannot answer it: closing",
		   vu_req_name(m->m.hdr.request, nb, sizeof(nb)));
	return VU_CLOSE;
}

/* Log why a message could not be received. */
static void vu_log_recv_error(vu_dev *d, int rc, int saved_errno)
{
	vscsi_vu_hdr h;
	char nb[32];
	const char *name;

	if (rc == VSCSI_ERR_CLOSED) {
		vu_dev_log(d, "connection closed in the middle of a message");
		return;
	}
	if (rc == VSCSI_ERR_IO) {
		if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
			vu_dev_log(d, "timed out in the middle of a message");
		else
			vu_dev_log(d, "receive failed: %s",
				   strerror(saved_errno));
		return;
	}
	memset(&h, 0, sizeof(h));
	vscsi_vu_hdr_parse(d->msg.raw, VSCSI_VU_HDR_SIZE, &h);
	name = vu_req_name(h.request, nb, sizeof(nb));
	if (rc == VSCSI_ERR_MSG_SIZE) {
		if (h.request < VSCSI_VU_FRONTEND_MAX &&
		    vu_reqs[h.request].h && vu_reqs[h.request].size >= 0 &&
		    !(h.flags & VSCSI_VU_FLAG_REPLY))
			vu_dev_log(d, "%s: payload size %u, want %d", name,
				   h.size, vu_reqs[h.request].size);
		else if (h.request == VSCSI_VU_SET_MEM_TABLE &&
			 !(h.flags & VSCSI_VU_FLAG_REPLY))
			vu_dev_log(d, "%s: payload size %u, want 8 + 32 per "
				   "region (at most %u)", name, h.size,
				   VSCSI_VU_MAX_REGIONS);
		else
			vu_dev_log(d, "%s: payload size %u is wrong for the "
				   "request%s", name, h.size,
				   h.flags & VSCSI_VU_FLAG_REPLY
					   ? " (flagged as a reply)" : "");
		return;
	}
	if (rc == VSCSI_ERR_FDS) {
		vu_dev_log(d, "%s: wrong number of file descriptors", name);
		return;
	}
	if ((h.flags & VSCSI_VU_VERSION_MASK) != VSCSI_VU_VERSION) {
		vu_dev_log(d, "%s: protocol version %u, want %u", name,
			   h.flags & VSCSI_VU_VERSION_MASK, VSCSI_VU_VERSION);
		return;
	}
	if (h.size > VSCSI_VU_MAX_PAYLOAD) {
		vu_dev_log(d, "%s: payload size %u exceeds %u", name, h.size,
			   VSCSI_VU_MAX_PAYLOAD);
		return;
	}
	vu_dev_log(d, "%s: malformed message: %s", name, vscsi_strerror(rc));
}

int vu_dev_dispatch(vu_dev *d)
{
	vu_msg *m = &d->msg;
	const struct vu_req *row = NULL;
	uint32_t req;
	int rc, replied, saved;
	char nb[32];

	if (d->dead)
		return VSCSI_ERR_CLOSED;
	rc = vu_recv(d->fd, VSCSI_VU_FRONTEND, d->pf, m);
	saved = errno;
	if (rc == 0)
		return 0;
	if (rc < 0) {
		vu_log_recv_error(d, rc, saved);
		return rc;
	}
	req = m->m.hdr.request;
	if (d->cfg.verbose >= 2) {
		char line[512];

		vscsi_vu_msg_describe(&m->m, line, sizeof(line));
		vu_dev_log(d, "<- %s%s", line,
			   m->nfds ? " (with fds)" : "");
	}
	if (m->m.hdr.flags & VSCSI_VU_FLAG_REPLY) {
		vu_dev_log(d, "%s: a front-end request flagged as a reply",
			   vu_req_name(req, nb, sizeof(nb)));
		vu_msg_close_fds(m);
		return VSCSI_ERR_PROTO;
	}
	if (req < VSCSI_VU_FRONTEND_MAX && vu_reqs[req].h)
		row = &vu_reqs[req];
	if (row) {
		rc = row->h(d, m);
		replied = row->reply;
	} else {
		rc = vu_unsupported(d, m, &replied);
	}
	vu_msg_close_fds(m);
	if (rc < 0)
		return VSCSI_ERR_PROTO;
	if (!replied && (m->m.hdr.flags & VSCSI_VU_FLAG_NEED_REPLY) &&
	    vu_has(d->pf, VSCSI_VU_PF_REPLY_ACK)) {
		if (vu_ack(d, req, rc ? 1 : 0))
			return VSCSI_ERR_IO;
	}
	return 1;
}

/* ------------------------------------------------------------ life cycle */

void vu_dev_quiesce(vu_dev *d)
{
	unsigned q;

	if (d->quiesced)
		return;
	d->quiesced = 1;
	for (q = 0; q < d->nrings; q++)
		vu_ring_stop(d, &d->rings[q]);
	vu_drain(d);
}

static void vu_unwatch_all(vu_dev *d)
{
	unsigned q;

	if (!d->loop)
		return;
	for (q = 0; q < d->nrings; q++)
		if (d->rings[q].kick_fd >= 0)
			vu_loop_del(d->loop, d->rings[q].kick_fd);
	if (d->poll_fd >= 0)
		vu_loop_del(d->loop, d->poll_fd);
	if (d->fd >= 0)
		vu_loop_del(d->loop, d->fd);
}

static void vu_sock_cb(void *arg, int fd, uint32_t events)
{
	vu_dev *d = arg;
	int rc;

	(void)fd;
	(void)events;
	rc = vu_dev_dispatch(d);
	if (rc > 0)
		return;
	if (rc == 0 && d->cfg.verbose)
		vu_dev_log(d, "closed by the front-end");
	else if (rc < 0)
		vu_dev_log(d, "closing the connection");
	vu_dev_quiesce(d);
	vu_unwatch_all(d);
	d->dead = 1;
	if (d->ops.closed)
		d->ops.closed(d);
}

vu_dev *vu_dev_new(int fd, vu_loop *loop, const vu_dev_cfg *cfg,
		   const vu_dev_ops *ops)
{
	vu_dev *d;
	unsigned q;

	if (fd < 0 || !cfg || !cfg->nqueues || cfg->nqueues > VU_DEV_MAX_QUEUES)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->fd = -1;
	d->poll_fd = -1;
	d->cfg = *cfg;
	if (!d->cfg.prog)
		d->cfg.prog = "vhost-user";
	if (d->cfg.mem_slots > VU_DEV_MEM_SLOTS)
		d->cfg.mem_slots = VU_DEV_MEM_SLOTS;
	if (ops)
		d->ops = *ops;
	d->pf_offered = cfg->protocol_features ? cfg->protocol_features &
							 VU_DEV_PROTOCOL_FEATURES
					       : VU_DEV_PROTOCOL_FEATURES;
	d->mem = vscsi_gmem_new();
	d->nrings = cfg->nqueues;
	d->rings = calloc(d->nrings, sizeof(*d->rings));
	if (!d->mem || !d->rings)
		goto fail;
	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];

		r->d = d;
		r->q = q;
		r->kick_fd = r->call_fd = r->err_fd = -1;
		r->vq = vscsi_vq_new();
		if (!r->vq)
			goto fail;
	}
	vu_set_timeout(fd, VU_IO_TIMEOUT_MS);
	if (loop && vu_loop_add(loop, fd, EPOLLIN, vu_sock_cb, d))
		goto fail;
	d->fd = fd;
	d->loop = loop;
	return d;
fail:
	if (d->rings)
		for (q = 0; q < d->nrings; q++)
			vscsi_vq_free(d->rings[q].vq);
	free(d->rings);
	vscsi_gmem_free(d->mem);
	free(d);
	return NULL;
}

void vu_dev_free(vu_dev *d)
{
	unsigned q;

	if (!d)
		return;
	vu_dev_quiesce(d);
	if (!d->dead)
		vu_unwatch_all(d);
	d->dead = 1;
	for (q = 0; q < d->nrings; q++) {
		struct vu_ring *r = &d->rings[q];

		vu_close(&r->kick_fd);
		vu_close(&r->call_fd);
		vu_close(&r->err_fd);
		vu_ifl_clear(r);
		vscsi_vq_free(r->vq);
	}
	free(d->rings);
	vu_close(&d->poll_fd);
	vu_close(&d->fd);
	vscsi_gmem_free(d->mem);
	vu_regions_free(d->regions, d->nregions);
	if (d->ifl_map)
		munmap(d->ifl_map, d->ifl_len);
	free(d);
}
