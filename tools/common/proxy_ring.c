/*
 * The capture proxy's data path: guest rings on one side, shadow rings in
 * the proxy's memory on the other (proxy.h, proxy_int.h).
 *
 * Kick: pop each new chain from the guest ring (the library walks and
 * validates it, reading every descriptor once), write its buffers as
 * descriptors of our own into the shadow ring (directly, or in an indirect
 * table in our memory when the guest used one), record the request, then
 * kick the back-end if its ring asks for kicks.
 * Call: take each used entry from the shadow ring, record the completion
 * from guest memory, then publish the entries to the guest's used ring in
 * one batch and signal the guest if its ring asks for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proxy_int.h"
#include "vscsi/virtio_scsi.h"

static int px_has(uint64_t bits, unsigned bit)
{
	return (bits >> bit) & 1;
}

static unsigned px_vq_flags(const px_conn *c)
{
	unsigned f = 0;

	if (px_has(c->features, VSCSI_F_RING_EVENT_IDX))
		f |= VSCSI_VQ_EVENT_IDX;
	if (px_has(c->features, VSCSI_F_RING_INDIRECT_DESC))
		f |= VSCSI_VQ_INDIRECT;
	return f;
}

static void px_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void px_ring_call_cb(void *arg, int fd, uint32_t events);

struct px_ring *px_ring_get(px_conn *c, unsigned q)
{
	struct px_ring *r;

	if (q >= PX_MAX_VRINGS)
		return NULL;
	if (c->ring[q])
		return c->ring[q];
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->c = c;
	r->q = q;
	r->gkick = r->gcall = r->gerr = -1;
	r->gvq = vscsi_vq_new();
	r->svq = vscsi_vq_new();
	r->skick = vu_eventfd();
	r->scall = vu_eventfd();
	if (!r->gvq || !r->svq || r->skick < 0 || r->scall < 0) {
		px_log(c, "vring %u: out of resources: %s", q, strerror(errno));
		px_ring_free(c, r);
		return NULL;
	}
	/* rings start enabled unless VHOST_USER_F_PROTOCOL_FEATURES was
	 * negotiated (then SET_VRING_ENABLE decides) */
	r->enabled = c->features &&
		     !px_has(c->features, VSCSI_F_PROTOCOL_FEATURES);
	c->ring[q] = r;
	return r;
}

static void px_slots_free(struct px_ring *r)
{
	unsigned i;

	if (r->slots)
		for (i = 0; i < r->nslots; i++)
			free(r->slots[i].w);
	r->nslots = 0;
	free(r->slots);
	free(r->s2g);
	free(r->tfree);
	free(r->ubatch);
	r->slots = NULL;
	r->s2g = NULL;
	r->tfree = NULL;
	r->ubatch = NULL;
}

void px_ring_free(px_conn *c, struct px_ring *r)
{
	vu_loop *l = c->p->loop;

	if (!r)
		return;
	if (r->gkick >= 0)
		vu_loop_del(l, r->gkick);
	if (r->scall_watched)
		vu_loop_del(l, r->scall);
	px_close_fd(&r->gkick);
	px_close_fd(&r->gcall);
	px_close_fd(&r->gerr);
	px_close_fd(&r->skick);
	px_close_fd(&r->scall);
	px_slots_free(r);
	vscsi_vq_free(r->gvq);
	vscsi_vq_free(r->svq);
	if (r->q < PX_MAX_VRINGS && c->ring[r->q] == r)
		c->ring[r->q] = NULL;
	free(r);
}

int px_ring_watch_call(px_conn *c, struct px_ring *r)
{
	if (r->scall_watched)
		return 0;
	if (vu_loop_add(c->p->loop, r->scall, EPOLLIN, px_ring_call_cb, r)) {
		px_log(c, "vring %u: cannot watch the back-end's calls: %s",
		       r->q, strerror(errno));
		return -1;
	}
	r->scall_watched = 1;
	return 0;
}

/* ------------------------------------------------------------ shadow */

static uint8_t *px_tbl(const struct px_ring *r, unsigned t)
{
	return r->sbase + PX_TBL_OFF + (size_t)t * PX_TBL_SIZE;
}

static uint64_t px_gpa(const px_conn *c, const uint8_t *host)
{
	return PX_SHADOW_BASE + (uint64_t)(host - c->smap);
}

/* Lay out (again) the shadow ring for r->num entries: empty, indices 0. */
int px_ring_shadow_init(px_conn *c, struct px_ring *r)
{
	unsigned i;
	int rc;

	r->shadow_ok = 0;
	if (!c->smap || r->q >= c->snvr || !r->num)
		return -1;
	r->sbase = c->smap + (size_t)r->q * PX_RING_STRIDE;
	px_slots_free(r);
	r->slots = calloc(r->num, sizeof(*r->slots));
	r->s2g = calloc(r->num, sizeof(*r->s2g));
	r->tfree = calloc(r->num, sizeof(*r->tfree));
	r->ubatch = calloc(r->num, sizeof(*r->ubatch));
	if (!r->slots || !r->s2g || !r->tfree || !r->ubatch) {
		px_log(c, "vring %u: out of memory", r->q);
		px_slots_free(r);
		return -1;
	}
	r->nslots = r->num;
	for (i = 0; i < r->num; i++)
		r->tfree[i] = (uint16_t)(r->num - 1 - i);
	r->ntfree = r->num;
	rc = vscsi_vq_drv_setup_split(r->svq, r->num, r->sbase + PX_DESC_OFF,
				      r->sbase + PX_AVAIL_OFF,
				      r->sbase + PX_USED_OFF, px_vq_flags(c));
	if (rc) {
		px_log(c, "vring %u: cannot set up the shadow ring: %s", r->q,
		       vscsi_strerror(rc));
		px_slots_free(r);
		return -1;
	}
	r->sav = 0;
	/* chains the back-end still held are forgotten with the old ring */
	c->p->st.inflight -= r->inflight;
	r->inflight = 0;
	r->stall = 0;
	r->shadow_ok = 1;
	return 0;
}

/* ------------------------------------------------------------ life */

/* The guest ring's areas: split desc, avail, used; packed desc, driver
 * and device event suppression (SET_VRING_ADDR's three addresses). */
static int px_ring_translate(px_conn *c, struct px_ring *r, uint8_t **d,
			     uint8_t **a, uint8_t **u)
{
	size_t ds, as, us;

	if (r->packed)
		vscsi_vring_packed_sizes(r->num, &ds, &as, &us);
	else
		vscsi_vring_split_sizes(r->num, &ds, &as, &us);
	*d = vscsi_gmem_uva_ptr(c->mem, r->desc_uva, ds);
	*a = vscsi_gmem_uva_ptr(c->mem, r->avail_uva, as);
	*u = vscsi_gmem_uva_ptr(c->mem, r->used_uva, us);
	return *d && *a && *u ? 0 : -1;
}

int px_ring_in_region(const struct px_ring *r, const struct px_region *rg)
{
	uint64_t u[3];
	int i;

	u[0] = r->desc_uva;
	u[1] = r->avail_uva;
	u[2] = r->used_uva;
	for (i = 0; i < 3; i++)
		if (u[i] >= rg->uva && u[i] - rg->uva < rg->size)
			return 1;
	return 0;
}

void px_ring_stop(px_conn *c, struct px_ring *r)
{
	(void)c;
	if (!r->live)
		return;
	r->gbase = vscsi_vq_get_base(r->gvq);
	r->live = 0;
	r->gavail = NULL;
	px_poll_update(c->p);
}

int px_ring_update(px_conn *c, struct px_ring *r)
{
	uint8_t *d, *a, *u;
	int want = r->started && r->enabled && r->have_addr && r->num &&
		   !r->broken && vscsi_gmem_count(c->mem);
	int rc;

	if (!want) {
		px_ring_stop(c, r);
		return 0;
	}
	if (r->live)
		return 0;
	if (!r->shadow_ok && px_ring_shadow_init(c, r))
		return -1;
	r->packed = px_has(c->features, VSCSI_F_RING_PACKED);
	if (px_ring_translate(c, r, &d, &a, &u)) {
		px_log(c, "vring %u: ring of %u entries at desc 0x%llx avail "
		       "0x%llx used 0x%llx is not in guest memory", r->q,
		       r->num, (unsigned long long)r->desc_uva,
		       (unsigned long long)r->avail_uva,
		       (unsigned long long)r->used_uva);
		return -1;
	}
	vscsi_vq_set_base(r->gvq, r->gbase);
	rc = r->packed ? vscsi_vq_setup_packed(r->gvq, r->num, d, a, u,
					       px_vq_flags(c))
		       : vscsi_vq_setup_split(r->gvq, r->num, d, a, u,
					      px_vq_flags(c));
	if (!rc && vscsi_vq_broken(r->gvq))
		rc = VSCSI_ERR_INVALID;	/* a packed base beyond the ring */
	if (rc) {
		px_log(c, "vring %u: cannot use the guest ring (%s, %u "
		       "entries, alignment, base 0x%x): %s", r->q,
		       r->packed ? "packed" : "split", r->num, r->gbase,
		       vscsi_strerror(rc));
		return -1;
	}
	r->gavail = r->packed ? NULL : a;
	r->live = 1;
	r->stopping = 0;
	if (c->p->o.verbose)
		px_log(c, "vring %u: started (%u entries, base %u)", r->q,
		       r->num, r->gbase);
	px_poll_update(c->p);
	/* what the guest made available before the start, and what the
	 * back-end completed while the ring was stopped */
	px_ring_used(c, r);
	px_ring_avail(c, r);
	return 0;
}

/* Forget everything about the ring (device reset): the back-end forgets
 * it too. */
void px_ring_reset(px_conn *c, struct px_ring *r)
{
	vscsi_vq *vq = vscsi_vq_new();

	px_ring_stop(c, r);
	if (r->gkick >= 0)
		vu_loop_del(c->p->loop, r->gkick);
	px_close_fd(&r->gkick);
	px_close_fd(&r->gcall);
	px_close_fd(&r->gerr);
	if (vq) {
		vscsi_vq_free(r->gvq);
		r->gvq = vq;
	}
	px_slots_free(r);
	r->num = 0;
	r->have_addr = 0;
	r->gbase = 0;
	r->polled = r->started = r->broken = r->stopping = r->stall = 0;
	r->enabled = 0;
	r->shadow_ok = 0;
	r->inflight = 0;
	r->sav = 0;
	px_poll_update(c->p);
}

/* ------------------------------------------------------------ requests */

static uint32_t px_req_vs(const px_conn *c, unsigned q, uint64_t readable)
{
	vscsi_vs_cfg cfg;

	if (q >= VSCSI_VQ_REQUEST0) {
		vscsi_vs_cfg_default(&cfg);
		cfg.features = c->features;
		return vscsi_vs_cmd_req_size(&cfg);
	}
	/* control requests and event buffers are all header */
	return readable > UINT32_MAX ? UINT32_MAX : (uint32_t)readable;
}

static uint32_t px_resp_vs(const px_conn *c, unsigned q, uint64_t writable)
{
	vscsi_vs_cfg cfg;

	if (q >= VSCSI_VQ_REQUEST0) {
		vscsi_vs_cfg_default(&cfg);
		cfg.features = c->features;
		return vscsi_vs_cmd_resp_size(&cfg);
	}
	return writable > UINT32_MAX ? UINT32_MAX : (uint32_t)writable;
}

/* Is gpa the first byte of a region that follows another one (the walker
 * cuts buffers there)? Told by the map, not by host addresses: two regions
 * may be mapped side by side here, and their pieces are still two iovecs. */
static int px_region_start(const px_conn *c, uint64_t gpa)
{
	if (gpa == 0)
		return 0;
	return vscsi_gmem_ptr(c->mem, gpa - 1, 1) &&
	       vscsi_gmem_ptr(c->mem, gpa, 1) &&
	       !vscsi_gmem_ptr(c->mem, gpa - 1, 2);
}

/*
 * The chain's buffers as shadow descriptors in c->sd: one per iovec, except
 * that pieces of one buffer the walker cut at a region boundary are joined
 * again. A chain of zero-length descriptors only becomes one zero-length
 * descriptor. Returns the count.
 */
static unsigned px_descs(px_conn *c, const vscsi_chain *ch)
{
	struct vscsi_desc *sd = c->sd;
	unsigned i, k = 0, n = ch->n_out + ch->n_in;

	for (i = 0; i < n; i++) {
		uint16_t fl = i >= ch->n_out ? VSCSI_VRING_DESC_F_WRITE : 0;
		uint64_t a = ch->addr[i];
		uint64_t l = ch->iov[i].iov_len;

		if (k && sd[k - 1].flags == fl &&
		    sd[k - 1].addr + sd[k - 1].len == a &&
		    (uint64_t)sd[k - 1].len + l <= UINT32_MAX &&
		    px_region_start(c, a)) {
			sd[k - 1].len += (uint32_t)l;
			continue;
		}
		sd[k].addr = a;
		sd[k].len = (uint32_t)l;
		sd[k].flags = fl;
		k++;
	}
	if (k == 0) {
		sd[0].addr = PX_SHADOW_BASE;
		sd[0].len = 0;
		sd[0].flags = ch->desc_in ? VSCSI_VRING_DESC_F_WRITE : 0;
		k = 1;
	}
	return k;
}

/* Add c->sd[0..k) to the shadow ring: as the guest did (direct or
 * indirect), or the other way when that has no room. *tbl: the indirect
 * table slot used, or -1. */
static int px_shadow_add(px_conn *c, struct px_ring *r,
			 const vscsi_chain *ch, unsigned k, uint16_t *id,
			 int *tbl)
{
	unsigned cap = r->num < PX_TBL_ENTRIES ? r->num : PX_TBL_ENTRIES;
	int ind_ok = px_has(c->features, VSCSI_F_RING_INDIRECT_DESC) &&
		     k <= cap && r->ntfree > 0;
	unsigned t;
	int rc;

	*tbl = -1;
	if (!ind_ok || !(ch->flags & VSCSI_CHAIN_INDIRECT)) {
		rc = vscsi_vq_drv_add(r->svq, c->sd, k, id);
		if (rc != VSCSI_ERR_NOSPACE || !ind_ok)
			return rc;
	}
	t = r->tfree[--r->ntfree];
	rc = vscsi_vq_drv_add_indirect(r->svq, c->sd, k, px_tbl(r, t),
				       px_gpa(c, px_tbl(r, t)), id);
	if (rc) {
		r->tfree[r->ntfree++] = (uint16_t)t;
		return rc;
	}
	*tbl = (int)t;
	return VSCSI_OK;
}

static void px_ring_malformed(px_conn *c, struct px_ring *r, int err)
{
	uint16_t idx = (uint16_t)vscsi_vq_get_base(r->gvq);
	vscsi_cap_chain sh;

	memset(&sh, 0, sizeof(sh));
	sh.conn = c->id;
	sh.vq = (uint16_t)r->q;
	if (r->gavail) {
		const uint8_t *p = r->gavail + 4 + 2u * (idx % r->num);

		sh.head = (uint32_t)(p[0] | p[1] << 8);
	}
	r->broken = 1;
	c->p->st.malformed++;
	px_log(c, "vring %u: malformed chain at avail index %u (head %u): "
	       "%s (%s); ring marked broken, error fd signalled, as a "
	       "vhost-user back-end does", r->q, idx, sh.head,
	       vscsi_strerror(err), vscsi_errname(err));
	if (c->p->o.rec) {
		px_session(c);
		px_rec_malformed(c->p->o.rec, &sh, px_next_seq(c), err,
				 px_rec_now());
	}
	if (r->gerr >= 0)
		vu_eventfd_signal(r->gerr);
}

unsigned px_ring_avail(px_conn *c, struct px_ring *r)
{
	proxy *p = c->p;
	vscsi_chain ch;
	unsigned added = 0;
	uint64_t now = 0;

	if (!r->live || r->broken || r->stall || r->stopping ||
	    !r->shadow_ok)
		return 0;
	for (;;) {
		struct px_slot *s;
		uint32_t gidx = vscsi_vq_get_base(r->gvq);
		uint16_t id;
		unsigned k, i;
		int rc, tbl;

		vscsi_chain_init(&ch, c->iov, PX_IOV_MAX);
		vscsi_chain_set_addr(&ch, c->addr);
		rc = vscsi_vq_pop(r->gvq, c->mem, &ch);
		if (rc == 0)
			break;
		if (rc < 0) {
			px_ring_malformed(c, r, rc);
			break;
		}
		k = px_descs(c, &ch);
		rc = px_shadow_add(c, r, &ch, k, &id, &tbl);
		if (rc == VSCSI_ERR_NOSPACE) {
			/* give the chain back; completions make room */
			vscsi_vq_set_base(r->gvq, gidx);
			r->stall = 1;
			break;
		}
		if (rc) {
			px_log(c, "vring %u: cannot copy a chain of %u "
			       "buffers to the shadow ring: %s", r->q, k,
			       vscsi_strerror(rc));
			vscsi_vq_set_base(r->gvq, gidx);
			r->broken = 1;
			break;
		}
		s = &r->slots[id];
		s->busy = 1;
		s->has_tbl = tbl >= 0;
		s->tbl = (uint16_t)(tbl >= 0 ? tbl : 0);
		s->ghead = ch.head;
		s->gndesc = ch.ndesc;
		/* one clock read for the chains of one kick */
		if (!now)
			now = px_rec_now();
		s->ts = now;
		s->shape.conn = c->id;
		s->shape.vq = (uint16_t)r->q;
		s->shape.flags = (ch.flags & VSCSI_CHAIN_INDIRECT ?
				  VSCSI_RECF_INDIRECT : 0) |
				 (r->packed ? VSCSI_RECF_PACKED : 0);
		s->shape.head = ch.head;
		s->shape.n_readable = (uint16_t)ch.desc_out;
		s->shape.n_writable = (uint16_t)ch.desc_in;
		s->shape.readable_bytes = (uint32_t)ch.out_len;
		s->shape.writable_bytes = (uint32_t)ch.in_len;
		s->nw = 0;
		for (i = 0; i < k; i++) {
			if (!(c->sd[i].flags & VSCSI_VRING_DESC_F_WRITE))
				continue;
			if (s->nw == s->wcap) {
				uint32_t nc = s->wcap ? 2 * s->wcap : 4;
				struct vscsi_desc *nwp =
					realloc(s->w, nc * sizeof(*nwp));

				if (!nwp)
					break;	/* recorded short */
				s->w = nwp;
				s->wcap = nc;
			}
			s->w[s->nw++] = c->sd[i];
		}
		r->s2g[r->sav % r->num] = gidx;
		r->sav++;
		r->inflight++;
		p->st.requests++;
		p->st.inflight++;
		p->st.bytes_out += ch.out_len;
		if (p->o.rec) {
			px_session(c);
			px_rec_request(p->o.rec, &s->shape, &c->seq,
				       ch.iov, ch.n_out,
				       px_req_vs(c, r->q, ch.out_len), s->ts);
		}
		added++;
	}
	if (added && vscsi_vq_drv_should_kick(r->svq) == 1) {
		vu_eventfd_signal(r->skick);
		p->st.kicks++;
	}
	return added;
}

/* ------------------------------------------------------------ completions */

/* The device-writable bytes of slot s up to len, as iovecs in c->iov. */
static unsigned px_wr_iov(px_conn *c, const struct px_slot *s, uint32_t len)
{
	uint64_t left = len;
	unsigned n = 0, i;

	for (i = 0; i < s->nw && left; i++) {
		uint64_t l = s->w[i].len < left ? s->w[i].len : left;
		unsigned got = 0;

		if (vscsi_gmem_map(c->mem, s->w[i].addr, l, c->iov + n,
				   PX_IOV_MAX - n, &got))
			break;	/* memory went away: record what is left */
		n += got;
		left -= l;
	}
	return n;
}

static void px_ring_flush_used(px_conn *c, struct px_ring *r, unsigned n)
{
	proxy *p = c->p;
	int rc;

	if (!n)
		return;
	rc = vscsi_vq_push_batch(r->gvq, r->ubatch, n);
	if (rc) {
		px_log(c, "vring %u: cannot publish %u used entries: %s",
		       r->q, n, vscsi_strerror(rc));
		return;
	}
	if (vscsi_vq_should_notify(r->gvq) == 1 && r->gcall >= 0) {
		vu_eventfd_signal(r->gcall);
		p->st.calls++;
		if (p->o.rec && p->o.notify)
			px_rec_notify(p->o.rec, c->id, px_next_seq(c),
				      (uint16_t)r->q, VSCSI_NOTIFY_CALL,
				      px_rec_now());
	}
}

unsigned px_ring_used(px_conn *c, struct px_ring *r)
{
	proxy *p = c->p;
	unsigned n = 0, freed = 0;
	uint64_t now = 0;

	if (!r->live || !r->shadow_ok || r->broken)
		return 0;
	for (;;) {
		struct px_slot *s;
		uint16_t id;
		uint32_t len;
		int rc = vscsi_vq_drv_get_used(r->svq, &id, &len);

		if (rc == 0)
			break;
		if (rc < 0 || id >= r->num || !r->slots[id].busy) {
			px_log(c, "vring %u: the back-end published a used "
			       "entry that no chain owns (%s); ring stopped",
			       r->q, rc < 0 ? vscsi_strerror(rc) : "free id");
			r->broken = 1;
			break;
		}
		s = &r->slots[id];
		if (p->o.rec) {
			unsigned k = px_wr_iov(c, s, len);

			if (!now)
				now = px_rec_now();
			px_session(c);
			px_rec_completion(p->o.rec, &s->shape, &c->seq,
					  len, c->iov, k,
					  px_resp_vs(c, r->q, len), now);
		}
		r->ubatch[n].head = s->ghead;
		r->ubatch[n].ndesc = s->gndesc ? s->gndesc : 1;
		r->ubatch[n].len = len;
		n++;
		if (s->has_tbl)
			r->tfree[r->ntfree++] = s->tbl;
		s->busy = 0;
		r->inflight--;
		p->st.inflight--;
		p->st.completions++;
		p->st.bytes_in += len;
		freed++;
		if (n == r->num) {
			px_ring_flush_used(c, r, n);
			n = 0;
		}
	}
	px_ring_flush_used(c, r, n);
	if (r->stall && freed) {
		r->stall = 0;
		px_ring_avail(c, r);
	}
	return freed;
}

/*
 * The guest's avail index the back-end's GET_VRING_BASE answer (sbase, a
 * shadow index) stands for: the first chain it did not take, or where the
 * guest side stopped when it took them all.
 */
uint32_t px_ring_guest_base(px_conn *c, struct px_ring *r, uint32_t sbase)
{
	uint16_t left = (uint16_t)(r->sav - (uint16_t)sbase);
	uint32_t now = r->live ? vscsi_vq_get_base(r->gvq) : r->gbase;
	uint32_t b;

	(void)c;
	if (!r->shadow_ok || left == 0 || left > r->num)
		return now;
	b = r->s2g[(uint16_t)sbase % r->num];
	/* packed: the available side from before that chain, the used side
	 * as it is now (every completion was copied back) */
	return r->packed ? (b & 0xffffu) | (now & 0xffff0000u) : b;
}

/* Requests of r still in flight (event buffers aside), as text. */
unsigned px_ring_inflight_note(px_conn *c, struct px_ring *r, char *buf,
			       size_t len, uint64_t *oldest)
{
	unsigned i, n = 0;
	size_t at = strlen(buf);

	(void)c;
	if (!r->slots || r->q == VSCSI_VQ_EVENT)
		return 0;
	for (i = 0; i < r->nslots; i++) {
		const struct px_slot *s = &r->slots[i];

		if (!s->busy)
			continue;
		n++;
		if (!*oldest || s->ts < *oldest)
			*oldest = s->ts;
		if (at + 32 < len) {
			int k = snprintf(buf + at, len - at, "%svq %u head %u",
					 at ? ", " : "", r->q, s->ghead);

			if (k > 0)
				at += (size_t)k;
		}
	}
	return n;
}

/* ------------------------------------------------------------ callbacks */

void px_ring_kick_cb(void *arg, int fd, uint32_t events)
{
	struct px_ring *r = arg;
	px_conn *c = r->c;

	if (events & (EPOLLHUP | EPOLLERR)) {
		px_log(c, "vring %u: the kick fd hung up; no more kicks",
		       r->q);
		vu_loop_del(c->p->loop, r->gkick);
		px_close_fd(&r->gkick);
		return;
	}
	vu_eventfd_drain(fd);
	if (c->p->o.rec && c->p->o.notify)
		px_rec_notify(c->p->o.rec, c->id, px_next_seq(c),
			      (uint16_t)r->q, VSCSI_NOTIFY_KICK, px_rec_now());
	if (px_ring_avail(c, r) && c->p->o.poll_us)
		px_spin(c->p);
	px_conn_reap(c);
}

static void px_ring_call_cb(void *arg, int fd, uint32_t events)
{
	struct px_ring *r = arg;
	px_conn *c = r->c;

	(void)events;
	vu_eventfd_drain(fd);
	if (px_ring_used(c, r) && c->p->o.poll_us)
		px_spin(c->p);
	px_conn_reap(c);
}

/* ------------------------------------------------------------ polling */

static uint64_t px_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Notifications of every live ring on (1) or off (0): the guest's kicks,
 * the back-end's calls. */
static void px_spin_notify(proxy *p, int on)
{
	px_conn *c;
	unsigned q;

	for (c = p->conns; c; c = c->next)
		for (q = 0; q < PX_MAX_VRINGS; q++) {
			struct px_ring *r = c->ring[q];

			if (!r || !r->live || !r->shadow_ok || r->broken)
				continue;
			vscsi_vq_notify_enable(r->gvq, on);
			vscsi_vq_drv_notify_enable(r->svq, on);
		}
}

static unsigned px_spin_round(proxy *p)
{
	px_conn *c;
	unsigned q, n = 0;

	for (c = p->conns; c; c = c->next)
		for (q = 0; q < PX_MAX_VRINGS; q++) {
			struct px_ring *r = c->ring[q];

			if (r && r->live) {
				n += px_ring_used(c, r);
				n += px_ring_avail(c, r);
			}
		}
	return n;
}

/*
 * After a busy round, poll every live ring for a while (opts.poll_us after
 * the last work) with the guest's kicks and the back-end's calls turned
 * off: neither side then needs to wake this thread while requests flow.
 * Notifications go back on, and the rings are looked at once more, before
 * the thread sleeps; the loop gets control back at least every 2 ms (the
 * sockets wait there). Polling also stops while the writer thread is
 * behind (px_rec_backlogged): sleeping gives it the CPU, spinning would
 * make the queue overflow and drop records.
 */
void px_spin(proxy *p)
{
	uint64_t start = px_now_ns(), end = start + p->o.poll_us * 1000ull;

	px_spin_notify(p, 0);
	for (;;) {
		unsigned n = px_spin_round(p);
		uint64_t now = px_now_ns();

		if (now - start >= 2000000u)
			break;
		if (p->o.rec && px_rec_backlogged(p->o.rec)) {
			p->st.poll_yields++;
			break;
		}
		if (n)
			end = now + p->o.poll_us * 1000ull;
		else if (now >= end)
			break;
	}
	px_spin_notify(p, 1);
	px_spin_round(p);
}
