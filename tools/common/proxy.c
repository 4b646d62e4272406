/*
 * The capture proxy's connections: accepting the front-end, connecting to
 * the back-end, relaying every vhost-user message both ways (proxy.h says
 * which ones change on the way), the front-end's memory, the shadow region.
 * The data path is in proxy_ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy_int.h"
#include "vscsi/reader.h"
#include "vscsi/virtio_scsi.h"

#define PX_CLOSE (-1)
#define PX_OK 0

static uint64_t px_bit(unsigned b)
{
	return 1ull << b;
}

/* ------------------------------------------------------------ logging */

void px_log(const px_conn *c, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: connection %u: %s\n",
		c->p->o.prog ? c->p->o.prog : "vscsi-capture", c->id, line);
}

static const char *px_req_name(uint32_t req, char *buf, size_t len)
{
	const char *n = vscsi_vu_request_name(req, VSCSI_VU_FRONTEND);

	if (n)
		return n;
	snprintf(buf, len, "UNKNOWN(%u)", req);
	return buf;
}

uint64_t px_next_seq(px_conn *c)
{
	return c->seq++;
}

/* Session metadata, when something it holds changed since the last one. */
void px_session(px_conn *c)
{
	uint16_t sizes[PX_MAX_VRINGS];
	vscsi_cap_session s;
	unsigned q, nq = 0;

	if (!c->sess_dirty || !c->p->o.rec)
		return;
	for (q = 0; q < PX_MAX_VRINGS; q++)
		if (c->ring[q] && c->ring[q]->num)
			nq = q + 1;
	for (q = 0; q < nq; q++)
		sizes[q] = c->ring[q] ? c->ring[q]->num : 0;
	memset(&s, 0, sizeof(s));
	s.features = c->features;
	s.protocol_features = c->pf;
	/* QEMU's vhost-user-scsi keeps the config space (cdb_size 32,
	 * sense_size 96, what Linux writes) and never tells the back-end */
	s.cdb_size = VSCSI_CDB_DEFAULT;
	s.sense_size = VSCSI_SENSE_DEFAULT;
	s.snaplen = px_rec_snaplen(c->p->o.rec);
	s.num_queues = (uint16_t)nq;
	s.queue_sizes = sizes;
	s.flags = c->features & px_bit(VSCSI_F_VERSION_1) ?
		  0 : VSCSI_SESSF_LEGACY;
	s.tool = "vscsi-capture";
	s.tool_version = VSCSI_VERSION_STRING;
	px_rec_session(c->p->o.rec, c->id, px_next_seq(c), &s, px_rec_now());
	c->sess_dirty = 0;
	c->sess_written = 1;
}

static void px_record_msg(px_conn *c, unsigned dir, const uint8_t *raw,
			  size_t len, unsigned nfds)
{
	c->p->st.messages++;
	if (c->p->o.rec)
		px_rec_vhost_user(c->p->o.rec, c->id, px_next_seq(c), dir,
				  VSCSI_VU_CHAN_MAIN, raw, len, nfds,
				  px_rec_now());
}

/* ------------------------------------------------------------ polling */

#define PX_POLL_FAST_MS 1	/* a ring started without a kick fd */
#define PX_POLL_SLOW_MS 50	/* completions nobody signalled */

/*
 * The poll timer: every millisecond the rings without a kick fd are looked
 * at; and, at a slower pace while any ring runs, every shadow used ring, for
 * completions the back-end did not signal (it may have no call fd: after a
 * device reset it gets one only with the next SET_VRING_CALL, and a guest
 * that polls its ring, as firmware does, still sees the completion in time).
 */
static void px_poll_cb(void *arg, int fd, uint32_t events)
{
	proxy *p = arg;
	px_conn *c, *next;
	unsigned q;
	int slow;

	(void)events;
	vu_timerfd_drain(fd);
	slow = ++p->poll_ticks >= p->poll_slow_every;
	if (slow)
		p->poll_ticks = 0;
	for (c = p->conns; c; c = next) {
		next = c->next;
		for (q = 0; q < PX_MAX_VRINGS; q++) {
			struct px_ring *r = c->ring[q];

			if (!r || !r->live)
				continue;
			if (r->polled)
				px_ring_avail(c, r);
			if (slow && r->inflight)
				px_ring_used(c, r);
		}
	}
}

void px_poll_update(proxy *p)
{
	px_conn *c;
	unsigned q, ms = 0;

	for (c = p->conns; c && ms != PX_POLL_FAST_MS; c = c->next)
		for (q = 0; q < PX_MAX_VRINGS; q++) {
			struct px_ring *r = c->ring[q];

			if (r && r->live)
				ms = r->polled ? PX_POLL_FAST_MS
					       : (ms ? ms : PX_POLL_SLOW_MS);
		}
	if (ms == p->poll_ms)
		return;
	if (p->poll_fd < 0 && ms) {
		p->poll_fd = vu_timerfd(ms, ms);
		if (p->poll_fd >= 0 &&
		    vu_loop_add(p->loop, p->poll_fd, EPOLLIN, px_poll_cb, p)) {
			close(p->poll_fd);
			p->poll_fd = -1;
		}
	} else if (p->poll_fd >= 0 && ms) {
		vu_timerfd_set(p->poll_fd, ms, ms);
	} else if (p->poll_fd >= 0) {
		vu_loop_del(p->loop, p->poll_fd);
		close(p->poll_fd);
		p->poll_fd = -1;
	}
	p->poll_ms = p->poll_fd >= 0 ? ms : 0;
	p->poll_slow_every = ms ? PX_POLL_SLOW_MS / ms : 1;
	p->poll_ticks = 0;
}

/* ------------------------------------------------------------ sending */

static int px_to_be(px_conn *c, const void *buf, size_t len, const int *fds,
		    unsigned nfds)
{
	int rc = vu_send_raw(c->be, buf, len, fds, nfds);

	if (rc) {
		px_log(c, "cannot send to the back-end: %s",
		       rc == VSCSI_ERR_IO ? strerror(errno)
					  : vscsi_strerror(rc));
		return PX_CLOSE;
	}
	return PX_OK;
}

static int px_to_fe(px_conn *c, const uint8_t *buf, size_t len,
		    const int *fds, unsigned nfds)
{
	int rc = vu_send_raw(c->fe, buf, len, fds, nfds);

	if (rc) {
		px_log(c, "cannot send to the front-end: %s",
		       rc == VSCSI_ERR_IO ? strerror(errno)
					  : vscsi_strerror(rc));
		return PX_CLOSE;
	}
	px_record_msg(c, VSCSI_VU_TO_FRONTEND, buf, len, nfds);
	return PX_OK;
}

static int px_pend(px_conn *c, uint32_t req, unsigned kind, unsigned ring)
{
	struct px_pend *e;

	if (c->npend == PX_PEND_MAX) {
		px_log(c, "more than %u replies outstanding", PX_PEND_MAX);
		return PX_CLOSE;
	}
	e = &c->pend[(c->pend_head + c->npend) % PX_PEND_MAX];
	e->req = req;
	e->kind = (uint8_t)kind;
	e->ring = (uint16_t)ring;
	c->npend++;
	return PX_OK;
}

static int px_expects_reply(const px_conn *c, const vu_msg *m)
{
	return vscsi_vu_expects_reply(&m->m, c->pf) == 1;
}

/* Send bytes (the message as received or rewritten) with fds, and wait for
 * its reply if it has one (kind says what to do with it). */
static int px_relay(px_conn *c, const vu_msg *m, const void *buf,
		    size_t len, const int *fds, unsigned nfds, unsigned kind,
		    unsigned ring)
{
	if (px_to_be(c, buf, len, fds, nfds))
		return PX_CLOSE;
	if (px_expects_reply(c, m))
		return px_pend(c, m->m.hdr.request, kind, ring);
	return PX_OK;
}

static int px_forward(px_conn *c, vu_msg *m, unsigned kind)
{
	return px_relay(c, m, m->raw, m->raw_len, m->fds, m->nfds, kind, 0);
}

/* A REPLY_ACK answer of the proxy's own (a request it refuses). */
static int px_local_ack(px_conn *c, const vu_msg *m, uint64_t v)
{
	uint8_t b[VSCSI_VU_HDR_SIZE + 8];

	if (!(m->m.hdr.flags & VSCSI_VU_FLAG_NEED_REPLY) ||
	    !(c->pf & px_bit(VSCSI_VU_PF_REPLY_ACK)))
		return PX_CLOSE;	/* no way to say no */
	memset(b, 0, sizeof(b));
	vscsi_put_le32(b, m->m.hdr.request);
	vscsi_put_le32(b + 4, VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY);
	vscsi_put_le32(b + 8, 8);
	vscsi_put_le64(b + VSCSI_VU_HDR_SIZE, v);
	return px_to_fe(c, b, sizeof(b), NULL, 0);
}

/* Rewrite the message's u64 payload and send it with one fd. */
static int px_relay_u64(px_conn *c, vu_msg *m, uint64_t v, int fd)
{
	memcpy(c->out, m->raw, m->raw_len);
	vscsi_put_le64(c->out + VSCSI_VU_HDR_SIZE, v);
	return px_relay(c, m, c->out, m->raw_len, &fd, fd >= 0 ? 1 : 0,
			PX_PEND_PASS, 0);
}

/* ------------------------------------------------------------ memory */

static void px_region_unmap(struct px_region *rg)
{
	if (rg->map)
		munmap(rg->map, rg->map_len);
	rg->map = NULL;
}

static int px_region_map(px_conn *c, const char *req,
			 const struct vscsi_vu_region *in, int fd,
			 struct px_region *out)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t aligned = in->mmap_offset & ~(pg - 1);
	uint64_t delta = in->mmap_offset - aligned;
	struct stat st;
	void *p;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		px_log(c, "%s: region without a file descriptor", req);
		return -1;
	}
	if (in->size == 0 || in->size > SIZE_MAX - delta ||
	    aligned > (uint64_t)INT64_MAX ||
	    in->gpa + (in->size - 1) < in->gpa ||
	    in->uva + (in->size - 1) < in->uva ||
	    in->gpa + (in->size - 1) >= PX_SHADOW_BASE ||
	    in->uva + (in->size - 1) >= PX_SHADOW_BASE) {
		/* the shadow region's addresses are the proxy's alone: a
		 * region there would let the back-end find guest memory
		 * where it looks for the shadow rings */
		px_log(c, "%s: region gpa 0x%llx uva 0x%llx size 0x%llx "
		       "offset 0x%llx is impossible", req,
		       (unsigned long long)in->gpa,
		       (unsigned long long)in->uva,
		       (unsigned long long)in->size,
		       (unsigned long long)in->mmap_offset);
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (in->mmap_offset > (uint64_t)st.st_size ||
	     in->size > (uint64_t)st.st_size - in->mmap_offset)) {
		px_log(c, "%s: region runs past the end of its file", req);
		return -1;
	}
	p = mmap(NULL, (size_t)(in->size + delta), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, fd, (off_t)aligned);
	if (p == MAP_FAILED) {
		px_log(c, "%s: cannot map region gpa 0x%llx size 0x%llx: %s",
		       req, (unsigned long long)in->gpa,
		       (unsigned long long)in->size, strerror(errno));
		return -1;
	}
	out->gpa = in->gpa;
	out->size = in->size;
	out->uva = in->uva;
	out->off = in->mmap_offset;
	out->map = p;
	out->map_len = (size_t)(in->size + delta);
	out->host = (uint8_t *)p + delta;
	return 0;
}

/* The shadow region, made at the first memory message. */
static int px_shadow_create(px_conn *c)
{
	void *p;

	if (c->smap)
		return 0;
	c->snvr = c->be_nvr ? (c->be_nvr < PX_MAX_VRINGS ? (unsigned)c->be_nvr
							: PX_MAX_VRINGS)
			    : PX_DEFAULT_VRINGS;
	c->slen = (c->snvr * PX_RING_STRIDE + PX_REGION_ALIGN - 1) &
		  ~(PX_REGION_ALIGN - 1);
	c->sfd = memfd_create("vscsi-capture-shadow", MFD_CLOEXEC);
	if (c->sfd < 0 || ftruncate(c->sfd, (off_t)c->slen)) {
		px_log(c, "cannot create the shadow ring region: %s",
		       strerror(errno));
		return -1;
	}
	p = mmap(NULL, (size_t)c->slen, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE, c->sfd, 0);
	if (p == MAP_FAILED) {
		px_log(c, "cannot map the shadow ring region: %s",
		       strerror(errno));
		return -1;
	}
	c->smap = p;
	if (c->p->o.verbose)
		px_log(c, "shadow rings: %u vrings, %llu MiB of address space",
		       c->snvr, (unsigned long long)(c->slen >> 20));
	return 0;
}

static void px_shadow_region(const px_conn *c, struct vscsi_vu_region *rg)
{
	rg->gpa = PX_SHADOW_BASE;
	rg->size = c->slen;
	rg->uva = PX_SHADOW_BASE;
	rg->mmap_offset = 0;
}

/* Our own ADD_MEM_REG for the shadow region (its ack is ours). */
static int px_inject_shadow(px_conn *c)
{
	vscsi_vu_msg m;
	uint8_t b[VSCSI_VU_HDR_SIZE + 64];
	int n, ack = (c->pf & px_bit(VSCSI_VU_PF_REPLY_ACK)) != 0;

	if (!(c->pf & px_bit(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS))) {
		px_log(c, "the memory table is full and the back-end has no "
		       "CONFIGURE_MEM_SLOTS: no room for the shadow rings");
		return PX_CLOSE;
	}
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_ADD_MEM_REG;
	m.hdr.flags = VSCSI_VU_VERSION | (ack ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = VSCSI_VU_P_MEM_REG;
	px_shadow_region(c, &m.u.reg);
	n = vscsi_vu_msg_build(&m, b, sizeof(b));
	if (n < 0 || px_to_be(c, b, (size_t)n, &c->sfd, 1))
		return PX_CLOSE;
	c->s_in_be = 1;
	return ack ? px_pend(c, VSCSI_VU_ADD_MEM_REG, PX_PEND_SWALLOW, 0)
		   : PX_OK;
}

/* Restart the rings after the memory map changed (their guest rings may
 * have moved in our address space). */
static void px_rings_remap(px_conn *c)
{
	unsigned q;

	for (q = 0; q < PX_MAX_VRINGS; q++) {
		struct px_ring *r = c->ring[q];

		if (!r)
			continue;
		px_ring_stop(c, r);
		if (px_ring_update(c, r))
			px_log(c, "vring %u: not in the new memory map", q);
	}
}

static void px_regions_free(struct px_region *rg, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		px_region_unmap(&rg[i]);
	free(rg);
}

static int px_h_mem_table(px_conn *c, vu_msg *m)
{
	unsigned n = m->m.u.mem.nregions, i, q;
	struct px_region *nr = calloc(n ? n : 1, sizeof(*nr));
	vscsi_gmem *nm = vscsi_gmem_new();
	vscsi_vu_msg out;
	int fds[VSCSI_VU_MAX_REGIONS + 1];
	int len, rc;

	if (!nr || !nm) {
		free(nr);
		vscsi_gmem_free(nm);
		px_log(c, "SET_MEM_TABLE: out of memory");
		return PX_CLOSE;
	}
	for (i = 0; i < n; i++) {
		const struct vscsi_vu_region *in = &m->m.u.mem.regions[i];

		if (px_region_map(c, "SET_MEM_TABLE", in, m->fds[i], &nr[i]) ||
		    vscsi_gmem_add(nm, in->gpa, in->size, in->uva,
				   nr[i].host)) {
			if (nr[i].map)
				i++;
			px_log(c, "SET_MEM_TABLE: region %u cannot be used", i);
			px_regions_free(nr, i);
			vscsi_gmem_free(nm);
			return px_local_ack(c, m, 1);
		}
	}
	if (px_shadow_create(c)) {
		px_regions_free(nr, n);
		vscsi_gmem_free(nm);
		return PX_CLOSE;
	}
	for (q = 0; q < PX_MAX_VRINGS; q++)
		if (c->ring[q])
			px_ring_stop(c, c->ring[q]);
	{
		vscsi_gmem *om = c->mem;
		struct px_region *orr = c->reg;
		unsigned on = c->nreg;

		c->mem = nm;
		c->reg = nr;
		c->nreg = n;
		c->capreg = n ? n : 1;
		vscsi_gmem_free(om);
		px_regions_free(orr, on);
	}
	if (c->p->o.verbose)
		px_log(c, "memory table: %u regions", n);
	/* the back-end gets our region too */
	if (n < VSCSI_VU_MAX_REGIONS) {
		out = m->m;
		px_shadow_region(c, &out.u.mem.regions[n]);
		out.u.mem.nregions = n + 1;
		len = vscsi_vu_msg_build(&out, c->out, sizeof(c->out));
		if (len < 0) {
			px_log(c, "SET_MEM_TABLE: cannot rewrite: %s",
			       vscsi_strerror(len));
			return PX_CLOSE;
		}
		memcpy(fds, m->fds, n * sizeof(int));
		fds[n] = c->sfd;
		rc = px_relay(c, m, c->out, (size_t)len, fds, n + 1,
			      PX_PEND_PASS, 0);
		c->s_in_be = 1;
	} else {
		c->s_in_be = 0;
		rc = px_forward(c, m, PX_PEND_PASS);
		if (!rc)
			rc = px_inject_shadow(c);
	}
	px_rings_remap(c);
	return rc;
}

static int px_h_add_mem_reg(px_conn *c, vu_msg *m)
{
	struct px_region rg, *nr;
	unsigned q;
	int rc;

	if (m->m.payload_kind != VSCSI_VU_P_MEM_REG)
		return px_forward(c, m, PX_PEND_PASS);	/* postcopy form */
	if (px_region_map(c, "ADD_MEM_REG", &m->m.u.reg, m->fds[0], &rg))
		return px_local_ack(c, m, 1);
	rc = vscsi_gmem_add(c->mem, rg.gpa, rg.size, rg.uva, rg.host);
	if (!rc && c->nreg == c->capreg) {
		unsigned nc = c->capreg ? 2 * c->capreg : 8;

		nr = realloc(c->reg, nc * sizeof(*nr));
		if (!nr) {
			vscsi_gmem_remove(c->mem, rg.gpa, rg.size);
			rc = VSCSI_ERR_NOMEM;
		} else {
			c->reg = nr;
			c->capreg = nc;
		}
	}
	if (rc) {
		px_log(c, "ADD_MEM_REG: region gpa 0x%llx size 0x%llx cannot "
		       "be used: %s", (unsigned long long)rg.gpa,
		       (unsigned long long)rg.size, vscsi_strerror(rc));
		px_region_unmap(&rg);
		return px_local_ack(c, m, 1);
	}
	c->reg[c->nreg++] = rg;
	if (px_shadow_create(c))
		return PX_CLOSE;
	rc = px_forward(c, m, PX_PEND_PASS);
	if (!rc && !c->s_in_be)
		rc = px_inject_shadow(c);
	for (q = 0; q < PX_MAX_VRINGS && !rc; q++)
		if (c->ring[q])
			px_ring_update(c, c->ring[q]);
	return rc;
}

static int px_h_rem_mem_reg(px_conn *c, vu_msg *m)
{
	const struct vscsi_vu_region *in = &m->m.u.reg;
	unsigned i, q;

	for (i = 0; i < c->nreg; i++)
		if (c->reg[i].gpa == in->gpa && c->reg[i].size == in->size &&
		    c->reg[i].uva == in->uva)
			break;
	if (i < c->nreg) {
		for (q = 0; q < PX_MAX_VRINGS; q++) {
			struct px_ring *r = c->ring[q];

			if (r && r->live && px_ring_in_region(r, &c->reg[i])) {
				px_log(c, "REM_MEM_REG: vring %u lies in the "
				       "removed region: stopped", q);
				px_ring_stop(c, r);
			}
		}
		vscsi_gmem_remove(c->mem, c->reg[i].gpa, c->reg[i].size);
		px_region_unmap(&c->reg[i]);
		c->reg[i] = c->reg[--c->nreg];
		px_rings_remap(c);
	} else {
		px_log(c, "REM_MEM_REG: no region gpa 0x%llx size 0x%llx; "
		       "passed on", (unsigned long long)in->gpa,
		       (unsigned long long)in->size);
	}
	return px_forward(c, m, PX_PEND_PASS);
}

/* ------------------------------------------------------------ vrings */

static struct px_ring *px_ring_of(px_conn *c, const char *req, uint64_t idx)
{
	struct px_ring *r;

	if (idx >= PX_MAX_VRINGS || (c->smap && idx >= c->snvr)) {
		px_log(c, "%s: vring %llu is beyond the %u vrings the proxy "
		       "takes", req, (unsigned long long)idx,
		       c->smap ? c->snvr : PX_MAX_VRINGS);
		return NULL;
	}
	r = px_ring_get(c, (unsigned)idx);
	return r;
}

static void px_patch_u64(vu_msg *m, uint64_t v);

static int px_h_features(px_conn *c, vu_msg *m)
{
	unsigned q;

	c->features = m->m.u.u64;
	c->sess_dirty = 1;
	for (q = 0; q < PX_MAX_VRINGS; q++) {
		struct px_ring *r = c->ring[q];

		if (!r)
			continue;
		if (!(c->features & px_bit(VSCSI_F_PROTOCOL_FEATURES)))
			r->enabled = 1;
	}
	if (c->features & ~(uint64_t)(PX_FEATURES | PX_FEATURES_OWN))
		px_log(c, "SET_FEATURES 0x%llx: bits 0x%llx were not offered",
		       (unsigned long long)c->features,
		       (unsigned long long)(c->features &
					    ~(PX_FEATURES | PX_FEATURES_OWN)));
	/* the back-end's rings are the proxy's shadow rings: split */
	if (m->m.payload_kind == VSCSI_VU_P_U64)
		px_patch_u64(m, c->features & ~PX_FEATURES_OWN);
	return px_forward(c, m, PX_PEND_PASS);
}

static int px_h_protocol_features(px_conn *c, vu_msg *m)
{
	c->pf = m->m.u.u64;
	c->sess_dirty = 1;
	return px_forward(c, m, PX_PEND_PASS);
}

static void px_reset(px_conn *c)
{
	unsigned q;

	for (q = 0; q < PX_MAX_VRINGS; q++)
		if (c->ring[q]) {
			c->p->st.inflight -= c->ring[q]->inflight;
			px_ring_reset(c, c->ring[q]);
		}
	c->features = 0;
	c->sess_dirty = 1;
}

static int px_h_reset(px_conn *c, vu_msg *m)
{
	if (c->p->o.verbose)
		px_log(c, "device reset");
	px_reset(c);
	return px_forward(c, m, PX_PEND_PASS);
}

static int px_h_vring_num(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_of(c, "SET_VRING_NUM", m->m.u.state.index);
	uint32_t num = m->m.u.state.num;

	if (!r)
		return PX_CLOSE;
	if (num == 0 || num > PX_MAX_NUM || (num & (num - 1))) {
		px_log(c, "SET_VRING_NUM: vring %u: %u entries: the proxy "
		       "takes rings of a power of two up to %u entries (its "
		       "shadow rings are split)", r->q, num, PX_MAX_NUM);
		return px_local_ack(c, m, 1);
	}
	if (r->live) {
		if (num != r->num)
			px_log(c, "SET_VRING_NUM: vring %u is running: %u "
			       "entries kept", r->q, r->num);
	} else if (num != r->num) {
		r->num = (uint16_t)num;
		r->shadow_ok = 0;
		c->sess_dirty = 1;
	}
	return px_forward(c, m, PX_PEND_PASS);
}

static int px_h_vring_addr(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_of(c, "SET_VRING_ADDR", m->m.u.addr.index);
	vscsi_vu_msg out;
	uint64_t base;
	int len, changed, rc;

	if (!r)
		return PX_CLOSE;
	changed = !r->have_addr || r->desc_uva != m->m.u.addr.desc ||
		  r->avail_uva != m->m.u.addr.avail ||
		  r->used_uva != m->m.u.addr.used;
	if (changed)
		px_ring_stop(c, r);
	r->desc_uva = m->m.u.addr.desc;
	r->avail_uva = m->m.u.addr.avail;
	r->used_uva = m->m.u.addr.used;
	r->have_addr = 1;
	if (!r->live && !r->shadow_ok && c->smap && r->num)
		px_ring_shadow_init(c, r);
	base = PX_SHADOW_BASE + (uint64_t)r->q * PX_RING_STRIDE;
	out = m->m;
	out.u.addr.flags = 0;	/* no dirty logging */
	out.u.addr.desc = base + PX_DESC_OFF;
	out.u.addr.avail = base + PX_AVAIL_OFF;
	out.u.addr.used = base + PX_USED_OFF;
	out.u.addr.log = 0;
	len = vscsi_vu_msg_build(&out, c->out, sizeof(c->out));
	if (len < 0)
		return PX_CLOSE;
	rc = px_relay(c, m, c->out, (size_t)len, NULL, 0, PX_PEND_PASS, 0);
	if (!rc && px_ring_update(c, r))
		px_log(c, "vring %u: cannot start it", r->q);
	return rc;
}

static int px_h_vring_base(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_of(c, "SET_VRING_BASE", m->m.u.state.index);
	uint32_t shadow = 0;

	if (!r)
		return PX_CLOSE;
	if (r->live) {
		px_log(c, "SET_VRING_BASE: vring %u is running; base %u "
		       "applied to the guest ring only", r->q,
		       m->m.u.state.num);
		vscsi_vq_set_base(r->gvq, m->m.u.state.num);
		shadow = r->sav;
	} else {
		r->gbase = m->m.u.state.num;
		/* the shadow ring starts over, empty, at 0 */
		if (c->smap && r->num)
			px_ring_shadow_init(c, r);
		else
			r->shadow_ok = 0;
	}
	memcpy(c->out, m->raw, m->raw_len);
	vscsi_put_le32(c->out + VSCSI_VU_HDR_SIZE + 4, shadow);
	return px_relay(c, m, c->out, m->raw_len, NULL, 0, PX_PEND_PASS, 0);
}

static int px_h_get_vring_base(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_of(c, "GET_VRING_BASE", m->m.u.state.index);

	if (!r)
		return PX_CLOSE;
	/* no more chains go to the back-end; its answer tells which of
	 * those it has it took */
	r->stopping = 1;
	return px_relay(c, m, m->raw, m->raw_len, NULL, 0, PX_PEND_FIX, r->q);
}

static struct px_ring *px_ring_fd_of(px_conn *c, const char *req, uint64_t v)
{
	if (v & ~(uint64_t)(VSCSI_VU_IDX_MASK | VSCSI_VU_NOFD_MASK)) {
		px_log(c, "%s: reserved bits set in 0x%llx", req,
		       (unsigned long long)v);
		return NULL;
	}
	return px_ring_of(c, req, v & VSCSI_VU_IDX_MASK);
}

/* Take fd 0 of a message, nonblocking. */
static int px_take_fd(vu_msg *m)
{
	int fd, fl;

	if (m->nfds < 1)
		return -1;
	fd = m->fds[0];
	m->fds[0] = -1;
	if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}

static int px_h_vring_kick(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_fd_of(c, "SET_VRING_KICK", m->m.u.u64);
	int rc;

	if (!r)
		return PX_CLOSE;
	if (r->gkick >= 0) {
		vu_loop_del(c->p->loop, r->gkick);
		close(r->gkick);
		r->gkick = -1;
	}
	if (m->m.u.u64 & VSCSI_VU_NOFD_MASK) {
		r->polled = 1;
	} else {
		r->polled = 0;
		r->gkick = px_take_fd(m);
		if (vu_loop_add(c->p->loop, r->gkick, EPOLLIN, px_ring_kick_cb,
				r)) {
			px_log(c, "SET_VRING_KICK: vring %u: cannot watch the "
			       "kick fd: %s", r->q, strerror(errno));
			close(r->gkick);
			r->gkick = -1;
			return PX_CLOSE;
		}
	}
	if (px_ring_watch_call(c, r))
		return PX_CLOSE;
	if (!r->live)
		r->broken = 0;	/* a new start */
	r->started = 1;
	r->stopping = 0;
	/* the back-end always gets a kick fd of ours */
	rc = px_relay_u64(c, m, r->q, r->skick);
	if (!rc && px_ring_update(c, r))
		px_log(c, "vring %u: cannot start it", r->q);
	px_poll_update(c->p);
	return rc;
}

static int px_h_vring_call(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_fd_of(c, "SET_VRING_CALL", m->m.u.u64);

	if (!r)
		return PX_CLOSE;
	if (r->gcall >= 0)
		close(r->gcall);
	r->gcall = (m->m.u.u64 & VSCSI_VU_NOFD_MASK) ? -1 : px_take_fd(m);
	if (px_ring_watch_call(c, r))
		return PX_CLOSE;
	if (px_relay_u64(c, m, r->q, r->scall))
		return PX_CLOSE;
	/* what the back-end completed while it had no call fd of ours */
	px_ring_used(c, r);
	/* a new call fd on a running ring (QEMU switches the guest's
	 * notifier right after restarting the rings of a reconnection):
	 * what was signalled to the old one may never reach the guest */
	if (r->live && r->gcall >= 0)
		vu_eventfd_signal(r->gcall);
	return PX_OK;
}

static int px_h_vring_err(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_fd_of(c, "SET_VRING_ERR", m->m.u.u64);

	if (!r)
		return PX_CLOSE;
	if (r->gerr >= 0)
		close(r->gerr);
	r->gerr = -1;
	/* the back-end signals the front-end's fd itself; we keep a copy
	 * for the chains we refuse */
	if (!(m->m.u.u64 & VSCSI_VU_NOFD_MASK) && m->nfds == 1) {
		r->gerr = fcntl(m->fds[0], F_DUPFD_CLOEXEC, 3);
		if (r->gerr >= 0)
			fcntl(r->gerr, F_SETFL,
			      fcntl(r->gerr, F_GETFL) | O_NONBLOCK);
	}
	return px_forward(c, m, PX_PEND_PASS);
}

static int px_h_vring_enable(px_conn *c, vu_msg *m)
{
	struct px_ring *r = px_ring_of(c, "SET_VRING_ENABLE",
				       m->m.u.state.index);
	int rc;

	if (!r)
		return PX_CLOSE;
	rc = px_forward(c, m, PX_PEND_PASS);
	if (m->m.u.state.num <= 1) {
		r->enabled = m->m.u.state.num == 1;
		if (!rc && px_ring_update(c, r))
			px_log(c, "vring %u: cannot start it", r->q);
	}
	return rc;
}

static void px_log_recv(px_conn *c, const char *who, int rc, int err)
{
	if (rc == VSCSI_ERR_IO)
		px_log(c, "receiving from the %s: %s", who,
		       err == EAGAIN ? "timed out in a message"
				     : strerror(err));
	else
		px_log(c, "receiving from the %s: %s", who,
		       vscsi_strerror(rc));
}

/* ------------------------------------------------------------ the
 * back-end request channel
 *
 * SET_BACKEND_REQ_FD gives the back-end a socket of the proxy's instead of
 * the front-end's, and the proxy relays between the two: the back-end's
 * requests go to the front-end unchanged, and the front-end's replies back,
 * both recorded (channel 1).
 */

static void px_chan_close(px_conn *c)
{
	if (c->bfe >= 0) {
		vu_loop_del(c->p->loop, c->bfe);
		close(c->bfe);
	}
	if (c->bbe >= 0) {
		vu_loop_del(c->p->loop, c->bbe);
		close(c->bbe);
	}
	c->bfe = c->bbe = -1;
}

/* One message on the channel, from (from) to (to): recorded, relayed. */
static void px_chan_relay(px_conn *c, int from, int to, unsigned dir)
{
	vu_msg *m = &c->cin;
	int rc = vu_recv(from, VSCSI_VU_BACKEND, c->pf, m), err = errno;

	if (rc <= 0) {
		if (rc < 0)
			px_log_recv(c, "back-end request channel", rc, err);
		else if (c->p->o.verbose)
			px_log(c, "the back-end request channel was closed");
		px_chan_close(c);
		return;
	}
	c->p->st.messages++;
	if (c->p->o.rec)
		px_rec_vhost_user(c->p->o.rec, c->id, px_next_seq(c), dir,
				  VSCSI_VU_CHAN_BACKEND, m->raw, m->raw_len,
				  m->nfds, px_rec_now());
	if (vu_send_raw(to, m->raw, m->raw_len, m->fds, m->nfds)) {
		px_log(c, "the back-end request channel: cannot relay: %s",
		       strerror(errno));
		px_chan_close(c);
	}
	vu_msg_close_fds(m);
}

static void px_chan_be_cb(void *arg, int fd, uint32_t events)
{
	px_conn *c = arg;

	(void)events;
	px_chan_relay(c, fd, c->bfe, VSCSI_VU_TO_FRONTEND);
}

static void px_chan_fe_cb(void *arg, int fd, uint32_t events)
{
	px_conn *c = arg;

	(void)events;
	px_chan_relay(c, fd, c->bbe, VSCSI_VU_TO_BACKEND);
}

static int px_h_backend_req_fd(px_conn *c, vu_msg *m)
{
	int sv[2];

	px_chan_close(c);
	if (m->nfds != 1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		px_log(c, "SET_BACKEND_REQ_FD: cannot relay the channel: %s",
		       m->nfds != 1 ? "no fd" : strerror(errno));
		return px_forward(c, m, PX_PEND_PASS);
	}
	c->bfe = m->fds[0];
	m->fds[0] = -1;
	c->bbe = sv[0];
	vu_set_timeout(c->bfe, VU_IO_TIMEOUT_MS);
	vu_set_timeout(c->bbe, VU_IO_TIMEOUT_MS);
	if (vu_loop_add(c->p->loop, c->bbe, EPOLLIN, px_chan_be_cb, c) ||
	    vu_loop_add(c->p->loop, c->bfe, EPOLLIN, px_chan_fe_cb, c)) {
		px_log(c, "SET_BACKEND_REQ_FD: cannot watch the channel: %s",
		       strerror(errno));
		close(sv[1]);
		px_chan_close(c);
		return PX_CLOSE;
	}
	{
		int rc = px_relay(c, m, m->raw, m->raw_len, &sv[1], 1,
				  PX_PEND_PASS, 0);

		close(sv[1]);	/* the back-end has its copy */
		return rc;
	}
}

static int px_h_fix(px_conn *c, vu_msg *m)
{
	return px_forward(c, m, PX_PEND_FIX);
}

static int px_h_pass(px_conn *c, vu_msg *m)
{
	return px_forward(c, m, PX_PEND_PASS);
}

typedef int (*px_handler)(px_conn *c, vu_msg *m);

static const px_handler px_handlers[VSCSI_VU_FRONTEND_MAX] = {
	[VSCSI_VU_GET_FEATURES] = px_h_fix,
	[VSCSI_VU_SET_FEATURES] = px_h_features,
	[VSCSI_VU_GET_PROTOCOL_FEATURES] = px_h_fix,
	[VSCSI_VU_SET_PROTOCOL_FEATURES] = px_h_protocol_features,
	[VSCSI_VU_RESET_OWNER] = px_h_reset,
	[VSCSI_VU_RESET_DEVICE] = px_h_reset,
	[VSCSI_VU_SET_MEM_TABLE] = px_h_mem_table,
	[VSCSI_VU_ADD_MEM_REG] = px_h_add_mem_reg,
	[VSCSI_VU_REM_MEM_REG] = px_h_rem_mem_reg,
	[VSCSI_VU_GET_MAX_MEM_SLOTS] = px_h_fix,
	[VSCSI_VU_GET_QUEUE_NUM] = px_h_fix,
	[VSCSI_VU_SET_VRING_NUM] = px_h_vring_num,
	[VSCSI_VU_SET_VRING_ADDR] = px_h_vring_addr,
	[VSCSI_VU_SET_VRING_BASE] = px_h_vring_base,
	[VSCSI_VU_GET_VRING_BASE] = px_h_get_vring_base,
	[VSCSI_VU_SET_VRING_KICK] = px_h_vring_kick,
	[VSCSI_VU_SET_VRING_CALL] = px_h_vring_call,
	[VSCSI_VU_SET_VRING_ERR] = px_h_vring_err,
	[VSCSI_VU_SET_VRING_ENABLE] = px_h_vring_enable,
	[VSCSI_VU_SET_BACKEND_REQ_FD] = px_h_backend_req_fd,
};

/* ------------------------------------------------------------ replies */

static void px_patch_u64(vu_msg *m, uint64_t v)
{
	vscsi_put_le64(m->raw + VSCSI_VU_HDR_SIZE, v);
}

/* Adjust a reply the proxy has a say in. PX_CLOSE on nonsense. */
static int px_fix_reply(px_conn *c, const struct px_pend *e, vu_msg *m)
{
	uint64_t v = m->m.u.u64;

	switch (e->req) {
	case VSCSI_VU_GET_FEATURES:
		/* packed rings are the proxy's to offer (VIRTIO 1.x only) */
		if (m->m.payload_kind == VSCSI_VU_P_U64)
			px_patch_u64(m, (v & PX_FEATURES) |
				     (px_bit(VSCSI_F_VERSION_1) & v ?
				      PX_FEATURES_OWN : 0));
		break;
	case VSCSI_VU_GET_PROTOCOL_FEATURES:
		if (m->m.payload_kind == VSCSI_VU_P_U64)
			px_patch_u64(m, v & PX_PROTOCOL_FEATURES);
		break;
	case VSCSI_VU_GET_QUEUE_NUM:
		if (m->m.payload_kind == VSCSI_VU_P_U64) {
			c->be_nvr = v;
			if (v > PX_MAX_VRINGS)
				px_patch_u64(m, PX_MAX_VRINGS);
			if (c->smap && v > c->snvr)
				px_patch_u64(m, c->snvr);
		}
		break;
	case VSCSI_VU_GET_MAX_MEM_SLOTS:
		if (m->m.payload_kind == VSCSI_VU_P_U64)
			px_patch_u64(m, v > 1 ? v - 1 : 0);
		break;
	case VSCSI_VU_GET_VRING_BASE: {
		struct px_ring *r = c->ring[e->ring];
		uint32_t gb;

		if (!r || m->m.payload_kind != VSCSI_VU_P_STATE)
			break;
		/* completions the back-end pushed while stopping reach the
		 * guest before the front-end hears the ring stopped */
		px_ring_used(c, r);
		gb = px_ring_guest_base(c, r, m->m.u.state.num);
		px_ring_stop(c, r);
		r->started = 0;
		r->stopping = 0;
		if (r->gkick >= 0) {
			vu_loop_del(c->p->loop, r->gkick);
			close(r->gkick);
			r->gkick = -1;
		}
		r->polled = 0;
		px_poll_update(c->p);
		if (c->p->o.verbose)
			px_log(c, "vring %u: stopped, back-end base %u, guest "
			       "base %u", r->q, m->m.u.state.num, gb);
		vscsi_put_le32(m->raw + VSCSI_VU_HDR_SIZE + 4, gb);
		break;
	}
	default:
		break;
	}
	return PX_OK;
}

static void px_be_cb(void *arg, int fd, uint32_t events);
static void px_fe_cb(void *arg, int fd, uint32_t events);

static int px_on_reply(px_conn *c, vu_msg *m)
{
	struct px_pend e;
	char nb[32];
	unsigned skip = 0;

	/* the oldest outstanding request of this kind; requests before it
	 * whose replies never came (a back-end that does not ack) go */
	while (skip < c->npend &&
	       c->pend[(c->pend_head + skip) % PX_PEND_MAX].req !=
		       m->m.hdr.request)
		skip++;
	if (skip == c->npend) {
		px_log(c, "%s: a reply nobody asked for; passed on",
		       px_req_name(m->m.hdr.request, nb, sizeof(nb)));
		return px_to_fe(c, m->raw, m->raw_len, m->fds, m->nfds);
	}
	if (skip && c->p->o.verbose)
		px_log(c, "%u requests got no reply", skip);
	c->pend_head = (c->pend_head + skip) % PX_PEND_MAX;
	c->npend -= skip;
	e = c->pend[c->pend_head];
	c->pend_head = (c->pend_head + 1) % PX_PEND_MAX;
	c->npend--;
	if (e.kind == PX_PEND_SWALLOW) {
		if (m->m.payload_kind == VSCSI_VU_P_U64 && m->m.u.u64 != 0) {
			px_log(c, "the back-end refused the shadow ring region "
			       "(%s answered %llu)",
			       px_req_name(e.req, nb, sizeof(nb)),
			       (unsigned long long)m->m.u.u64);
			return PX_CLOSE;
		}
		return PX_OK;
	}
	if (e.kind == PX_PEND_FIX && px_fix_reply(c, &e, m))
		return PX_CLOSE;
	return px_to_fe(c, m->raw, m->raw_len, m->fds, m->nfds);
}

static void px_be_cb(void *arg, int fd, uint32_t events)
{
	px_conn *c = arg;
	vu_msg *m = &c->bin;
	int rc, err;

	(void)fd;
	(void)events;
	rc = vu_recv(c->be, VSCSI_VU_FRONTEND, c->pf, m);
	err = errno;
	if (rc == 0) {
		px_conn_close(c, "the back-end closed the connection");
	} else if (rc < 0) {
		px_log_recv(c, "back-end", rc, err);
		px_conn_close(c, "the back-end broke the protocol");
	} else if (!(m->m.hdr.flags & VSCSI_VU_FLAG_REPLY)) {
		char nb[32];

		px_log(c, "%s: the back-end sent a request on the main socket",
		       px_req_name(m->m.hdr.request, nb, sizeof(nb)));
		vu_msg_close_fds(m);
		px_conn_close(c, "the back-end broke the protocol");
	} else {
		if (c->p->o.verbose >= 2) {
			char line[512];

			vscsi_vu_msg_describe(&m->m, line, sizeof(line));
			px_log(c, "<- back-end %s", line);
		}
		rc = px_on_reply(c, m);
		vu_msg_close_fds(m);
		if (rc)
			px_conn_close(c, "relaying a reply failed");
	}
	px_conn_reap(c);
}

static void px_fe_cb(void *arg, int fd, uint32_t events)
{
	px_conn *c = arg;
	vu_msg *m = &c->in;
	uint32_t req;
	int rc, err;

	(void)fd;
	(void)events;
	rc = vu_recv(c->fe, VSCSI_VU_FRONTEND, c->pf, m);
	err = errno;
	if (rc == 0) {
		px_conn_close(c, "closed by the front-end");
		px_conn_reap(c);
		return;
	}
	if (rc < 0) {
		px_log_recv(c, "front-end", rc, err);
		px_conn_close(c, "the front-end broke the protocol");
		px_conn_reap(c);
		return;
	}
	req = m->m.hdr.request;
	px_record_msg(c, VSCSI_VU_TO_BACKEND, m->raw, m->raw_len, m->nfds);
	if (c->p->o.verbose >= 2) {
		char line[512];

		vscsi_vu_msg_describe(&m->m, line, sizeof(line));
		px_log(c, "-> %s%s", line, m->nfds ? " (with fds)" : "");
	}
	if (m->m.hdr.flags & VSCSI_VU_FLAG_REPLY) {
		char nb[32];

		px_log(c, "%s: a front-end request flagged as a reply",
		       px_req_name(req, nb, sizeof(nb)));
		rc = PX_CLOSE;
	} else if (req < VSCSI_VU_FRONTEND_MAX && px_handlers[req]) {
		rc = px_handlers[req](c, m);
	} else {
		/* anything else passes through as it came */
		rc = px_h_pass(c, m);
	}
	vu_msg_close_fds(m);
	if (rc)
		px_conn_close(c, "relaying a request failed");
	px_conn_reap(c);
}

/* ------------------------------------------------------------ life */

void px_conn_close(px_conn *c, const char *why)
{
	proxy *p = c->p;
	px_conn **pp;
	char text[1024] = "";
	uint64_t oldest = 0;
	unsigned q, n = 0;

	if (c->dead)
		return;
	c->dead = 1;
	for (q = 0; q < PX_MAX_VRINGS; q++)
		if (c->ring[q])
			n += px_ring_inflight_note(c, c->ring[q], text,
						   sizeof(text), &oldest);
	if (p->o.verbose || n)
		px_log(c, "%s%s", why, n ? "; requests in flight were lost"
					  : "");
	if (p->o.rec) {
		if (n) {
			char note[1200];

			snprintf(note, sizeof(note), "%u request%s in flight "
				 "when the connection ended: %s%s", n,
				 n == 1 ? "" : "s", text,
				 strlen(text) + 40 >= sizeof(text) ? ", ..."
								   : "");
			px_rec_loss(p->o.rec, c->id, px_next_seq(c), n,
				    VSCSI_LOSS_SHUTDOWN, oldest, note,
				    px_rec_now());
		}
		/* a connection that negotiated something says so even
		 * without I/O (a probe that only connected does not) */
		if (!c->sess_written && c->features)
			px_session(c);
		px_rec_control(p->o.rec, PXQ_CONN_END, c->id);
		px_rec_control(p->o.rec, PXQ_FLUSH, 0);
	}
	for (q = 0; q < PX_MAX_VRINGS; q++)
		if (c->ring[q]) {
			p->st.inflight -= c->ring[q]->inflight;
			px_ring_free(c, c->ring[q]);
		}
	if (c->fe >= 0) {
		vu_loop_del(p->loop, c->fe);
		close(c->fe);
		c->fe = -1;
	}
	if (c->be >= 0) {
		vu_loop_del(p->loop, c->be);
		close(c->be);
		c->be = -1;
	}
	px_chan_close(c);
	px_regions_free(c->reg, c->nreg);
	c->reg = NULL;
	c->nreg = 0;
	vscsi_gmem_free(c->mem);
	c->mem = NULL;
	if (c->smap)
		munmap(c->smap, (size_t)c->slen);
	c->smap = NULL;
	if (c->sfd >= 0)
		close(c->sfd);
	c->sfd = -1;
	for (pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	p->st.open--;
	px_poll_update(p);
	if (p->o.closed)
		p->o.closed(p->o.arg, c->id);
}

void px_conn_reap(px_conn *c)
{
	if (!c->dead)
		return;
	free(c->iov);
	free(c->addr);
	free(c->sd);
	free(c);
}

proxy *proxy_new(vu_loop *loop, const px_opts *o)
{
	proxy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->loop = loop;
	p->o = *o;
	p->poll_fd = -1;
	return p;
}

int proxy_add(proxy *p, int fd)
{
	int be = vu_connect(p->o.backend);

	if (be < 0) {
		fprintf(stderr, "%s: cannot connect to the back-end %s: %s; "
			"closing the front-end's connection\n",
			p->o.prog ? p->o.prog : "vscsi-capture",
			p->o.backend, strerror(errno));
		close(fd);
		return -1;
	}
	return proxy_add_conn(p, fd, be);
}

int proxy_add_conn(proxy *p, int fd, int be)
{
	px_conn *c = calloc(1, sizeof(*c));

	if (c) {
		c->iov = calloc(PX_IOV_MAX, sizeof(*c->iov));
		c->addr = calloc(PX_IOV_MAX, sizeof(*c->addr));
		c->sd = calloc(PX_IOV_MAX, sizeof(*c->sd));
		c->mem = vscsi_gmem_new();
	}
	if (!c || !c->iov || !c->addr || !c->sd || !c->mem) {
		if (c) {
			free(c->iov);
			free(c->addr);
			free(c->sd);
			vscsi_gmem_free(c->mem);
			free(c);
		}
		fprintf(stderr, "%s: out of memory for a connection\n",
			p->o.prog ? p->o.prog : "vscsi-capture");
		close(fd);
		close(be);
		return -1;
	}
	c->p = p;
	c->id = ++p->next_id;
	c->fe = fd;
	c->be = be;
	c->sfd = -1;
	c->bfe = c->bbe = -1;
	c->sess_dirty = 1;
	vu_set_timeout(fd, VU_IO_TIMEOUT_MS);
	if (vu_loop_add(p->loop, fd, EPOLLIN, px_fe_cb, c) ||
	    vu_loop_add(p->loop, be, EPOLLIN, px_be_cb, c)) {
		vu_loop_del(p->loop, fd);
		close(fd);
		close(be);
		vscsi_gmem_free(c->mem);
		free(c->iov);
		free(c->addr);
		free(c->sd);
		free(c);
		return -1;
	}
	c->next = p->conns;
	p->conns = c;
	p->st.conns++;
	p->st.open++;
	if (p->o.verbose)
		px_log(c, "front-end connected; back-end %s",
		       p->o.backend ? p->o.backend : "(given)");
	return (int)c->id;
}

void proxy_free(proxy *p)
{
	if (!p)
		return;
	while (p->conns) {
		px_conn *c = p->conns;

		px_conn_close(c, "the proxy is stopping");
		px_conn_reap(c);
	}
	if (p->poll_fd >= 0) {
		vu_loop_del(p->loop, p->poll_fd);
		close(p->poll_fd);
	}
	free(p);
}

void proxy_get_stats(const proxy *p, px_stats *st)
{
	*st = p->st;
}
