/*
 * The vhost-user back-end core (tools/common/vu_dev.c) and its event loop
 * (vu_loop.c), driven over a socketpair by a hand-made front-end
 * (check_serve_util.h) with memfd guest memory. The device behind it is a
 * toy: it answers each chain by filling its writable bytes with 0xA5 and
 * pushing the whole writable length, or holds chains when told to.
 * References: QEMU docs/interop/vhost-user.rst (sections named per test).
 */
#include "check_serve_util.h"

#define T_HOLD_MAX 64

static struct {
	unsigned starts[T_MAXQ], stops[T_MAXQ], kicks[T_MAXQ];
	unsigned drains, resets, closed;
	uint64_t features;
	int hold;		/* keep popped chains instead of pushing */
	unsigned nheld;
	uint16_t held_head[T_HOLD_MAX], held_ndesc[T_HOLD_MAX];
	uint64_t held_out[T_HOLD_MAX], held_in[T_HOLD_MAX];
	uint64_t held_gpa[T_HOLD_MAX];	/* the first buffer's address */
	unsigned held_q[T_HOLD_MAX];
	uint16_t last_head;
	int last_pop;
	unsigned pushed;
	struct iovec iov[512];
	uint64_t addr[512];
} R;

static void t_complete_held(vu_dev *d, int only_q)
{
	unsigned i, k = 0;

	for (i = 0; i < R.nheld; i++) {
		if (only_q >= 0 && R.held_q[i] != (unsigned)only_q) {
			R.held_head[k] = R.held_head[i];
			R.held_ndesc[k] = R.held_ndesc[i];
			R.held_q[k++] = R.held_q[i];
			continue;
		}
		ck_assert_int_eq(vu_dev_push(d, R.held_q[i], R.held_head[i],
					     R.held_ndesc[i], 0), 0);
		vu_dev_notify(d, R.held_q[i]);
		R.pushed++;
	}
	R.nheld = k;
}

static void t_op_start(vu_dev *d, unsigned q)
{
	(void)d;
	R.starts[q]++;
}

static void t_op_stop(vu_dev *d, unsigned q)
{
	R.stops[q]++;
	t_complete_held(d, (int)q);
}

static void t_op_kick(vu_dev *d, unsigned q)
{
	static const uint8_t pat[64] = {
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
		0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
	};
	vscsi_chain c;

	R.kicks[q]++;
	vscsi_chain_init(&c, R.iov, ARRAY_LEN(R.iov));
	vscsi_chain_set_addr(&c, R.addr);
	for (;;) {
		int rc = vu_dev_pop(d, q, &c);

		R.last_pop = rc;
		if (rc <= 0)
			break;
		R.last_head = c.head;
		if (R.hold) {
			ck_assert_uint_lt(R.nheld, T_HOLD_MAX);
			R.held_head[R.nheld] = c.head;
			R.held_ndesc[R.nheld] = c.ndesc;
			R.held_out[R.nheld] = c.out_len;
			R.held_in[R.nheld] = c.in_len;
			R.held_gpa[R.nheld] = c.n_out + c.n_in ? R.addr[0] : 0;
			R.held_q[R.nheld++] = q;
			continue;
		}
		{
			uint64_t off;

			for (off = 0; off < c.in_len; off += 16)
				vscsi_iov_scatter(c.iov + c.n_out, c.n_in,
						  (size_t)off, pat,
						  c.in_len - off < 16
							  ? (size_t)(c.in_len - off)
							  : 16);
		}
		ck_assert_int_eq(vu_dev_push(d, q, c.head, c.ndesc,
					     (uint32_t)c.in_len), 0);
		R.pushed++;
	}
	vu_dev_notify(d, q);
}

static void t_op_drain(vu_dev *d)
{
	R.drains++;
	t_complete_held(d, -1);
}

static void t_op_features(vu_dev *d, uint64_t f)
{
	(void)d;
	R.features = f;
}

static void t_op_reset(vu_dev *d)
{
	(void)d;
	R.resets++;
}

static void t_op_closed(vu_dev *d)
{
	(void)d;
	R.closed++;
}

static const vu_dev_ops t_ops = {
	.queue_start = t_op_start,
	.queue_stop = t_op_stop,
	.queue_kick = t_op_kick,
	.drain = t_op_drain,
	.features = t_op_features,
	.reset = t_op_reset,
	.closed = t_op_closed,
};

#define T_DEV_FEATURES                                                    \
	(1ull << VSCSI_F_VERSION_1 | 1ull << VSCSI_F_RING_INDIRECT_DESC |    \
	 1ull << VSCSI_F_RING_EVENT_IDX | 1ull << VSCSI_F_RING_PACKED)
#define T_SPLIT (T_DEV_FEATURES & ~(1ull << VSCSI_F_RING_PACKED))

static vu_dev *t_dev(t_fe *f, vu_loop *loop, unsigned nq)
{
	vu_dev_cfg cfg;

	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.prog = "check_vu_dev";
	cfg.id = 1;
	cfg.features = T_DEV_FEATURES;
	cfg.nqueues = nq;
	f->d = vu_dev_new(f->dev_sock, loop, &cfg, &t_ops);
	ck_assert_ptr_nonnull(f->d);
	return f->d;
}

/* A chain of one readable and one writable buffer; returns its id. */
static uint16_t t_post(t_fe *f, unsigned q, uint32_t out_len, uint32_t in_len,
		       uint64_t *in_gpa)
{
	struct vscsi_desc d[2];
	uint16_t id;
	unsigned n = 0;

	if (out_len) {
		d[n].addr = t_alloc(f, out_len, 8);
		d[n].len = out_len;
		d[n++].flags = 0;
	}
	if (in_len) {
		d[n].addr = t_alloc(f, in_len, 8);
		if (in_gpa)
			*in_gpa = d[n].addr;
		d[n].len = in_len;
		d[n++].flags = VSCSI_VRING_DESC_F_WRITE;
	}
	ck_assert_int_eq(vscsi_vq_drv_add(f->r[q].vq, d, n, &id), 0);
	return id;
}

static int t_used(t_fe *f, unsigned q, uint16_t *id, uint32_t *len)
{
	return vscsi_vq_drv_get_used(f->r[q].vq, id, len);
}

/* ------------------------------------------------------------ negotiation */

/* vhost-user.rst "Feature negotiation", "Protocol features". */
START_TEST(features_and_protocol_features)
{
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 4);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_FEATURES),
			  T_DEV_FEATURES | 1ull << VSCSI_VU_F_PROTOCOL_FEATURES);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_PROTOCOL_FEATURES),
			  VU_DEV_PROTOCOL_FEATURES);
	/* CONFIG (9) and LOG_SHMFD (1) are not offered */
	ck_assert(!(VU_DEV_PROTOCOL_FEATURES >> VSCSI_VU_PF_CONFIG & 1));
	ck_assert(!(VU_DEV_PROTOCOL_FEATURES >> VSCSI_VU_PF_LOG_SHMFD & 1));
	/* bits not offered are dropped */
	t_set_u64(&f, VSCSI_VU_SET_PROTOCOL_FEATURES,
		  1ull << VSCSI_VU_PF_REPLY_ACK | 1ull << VSCSI_VU_PF_CONFIG,
		  NULL, 0);
	ck_assert_uint_eq(vu_dev_protocol_features(d),
			  1ull << VSCSI_VU_PF_REPLY_ACK);
	f.pf = vu_dev_protocol_features(d);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_FEATURES,
				    1ull << VSCSI_F_VERSION_1, NULL, 0), 0);
	ck_assert_uint_eq(R.features, 1ull << VSCSI_F_VERSION_1);
	ck_assert_uint_eq(vu_dev_features(d), 1ull << VSCSI_F_VERSION_1);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_QUEUE_NUM), 4);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_MAX_MEM_SLOTS),
			  VU_DEV_MEM_SLOTS);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_STATUS, 0x0f, NULL, 0), 0);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_STATUS), 0x0f);
	ck_assert_uint_eq(vu_dev_status(d), 0x0f);
	/* a status is one byte */
	ck_assert_uint_ne(t_set_u64(&f, VSCSI_VU_SET_STATUS, 0x100, NULL, 0),
			  0);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* "REPLY_ACK": an ack for NEED_REPLY only when negotiated; 0 success,
 * nonzero failure. */
START_TEST(reply_ack)
{
	vscsi_vu_msg m;
	vu_msg r;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 4);
	/* not negotiated yet: NEED_REPLY is ignored */
	t_msg(&m, VSCSI_VU_SET_OWNER, VSCSI_VU_P_NONE,
	      VSCSI_VU_FLAG_NEED_REPLY);
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	ck_assert(!t_pending(&f));
	t_set_u64(&f, VSCSI_VU_SET_PROTOCOL_FEATURES,
		  1ull << VSCSI_VU_PF_REPLY_ACK, NULL, 0);
	ck_assert(!t_pending(&f));
	f.pf = 1ull << VSCSI_VU_PF_REPLY_ACK;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.hdr.request, VSCSI_VU_SET_OWNER);
	ck_assert_uint_eq(r.m.u.u64, 0);
	/* a refusal: ring size 0 */
	ck_assert_uint_ne(t_set_state(&f, VSCSI_VU_SET_VRING_NUM, 0, 0), 0);
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_NUM, 0, 64), 0);
	/* no NEED_REPLY: no answer */
	t_msg(&m, VSCSI_VU_SET_VRING_NUM, VSCSI_VU_P_STATE, 0);
	m.u.state.num = 64;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	ck_assert(!t_pending(&f));
	/* a request with its own reply answers once, not twice */
	t_msg(&m, VSCSI_VU_GET_FEATURES, VSCSI_VU_P_NONE,
	      VSCSI_VU_FLAG_NEED_REPLY);
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert(!t_pending(&f));
	/* unknown request: a failure ack, and the connection goes on */
	t_msg(&m, 99, VSCSI_VU_P_NONE, VSCSI_VU_FLAG_NEED_REPLY);
	{
		uint8_t raw[12] = { 99, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0 };

		ck_assert_int_eq(vu_send_raw(f.sock, raw, sizeof(raw), NULL, 0),
				 0);
		ck_assert_int_eq(vu_dev_dispatch(d), 1);
	}
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.hdr.request, 99);
	ck_assert_uint_ne(r.m.u.u64, 0);
	/* dirty logging is refused cleanly (fd closed, failure ack) */
	{
		int efd = vu_eventfd();
		int before = t_fd_count();

		t_msg(&m, VSCSI_VU_SET_LOG_FD, VSCSI_VU_P_NONE,
		      VSCSI_VU_FLAG_NEED_REPLY);
		ck_assert_int_eq(t_call(&f, &m, &efd, 1), 1);
		t_reply(&f, &r);
		ck_assert_uint_ne(r.m.u.u64, 0);
		ck_assert_int_eq(t_fd_count(), before);
		close(efd);
	}
	/* GET_CONFIG (CONFIG not offered) gets an empty reply, not silence */
	t_msg(&m, VSCSI_VU_GET_CONFIG, VSCSI_VU_P_CONFIG, 0);
	m.u.config.size = 36;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.hdr.request, VSCSI_VU_GET_CONFIG);
	ck_assert_uint_eq(r.m.hdr.size, 0);
	ck_assert_uint_eq(t_get_u64(&f, VSCSI_VU_GET_QUEUE_NUM), 4);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* ------------------------------------------------------------ data path */

/* A full set-up as QEMU does it, then chains on two rings. */
START_TEST(setup_and_chains)
{
	uint64_t in_gpa;
	uint16_t id, got;
	uint32_t len;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 4);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, T_NUM, 0);
	ck_assert_uint_eq(R.starts[2], 1);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert(!vu_dev_queue_live(d, 3));
	id = t_post(&f, 2, 32, 100, &in_gpa);
	vu_dev_kick(d, 2);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert_uint_eq(got, id);
	ck_assert_uint_eq(len, 100);
	ck_assert_uint_eq(((uint8_t *)t_ptr(&f, in_gpa))[0], 0xa5);
	ck_assert_uint_eq(((uint8_t *)t_ptr(&f, in_gpa))[99], 0xa5);
	ck_assert_uint_eq(((uint8_t *)t_ptr(&f, in_gpa))[100], 0);
	/* EVENT_IDX: the first completion interrupts */
	ck_assert(t_signalled(f.r[2].call));
	/* the second ring */
	t_ring_setup(&f, 3, 16, 0);
	id = t_post(&f, 3, 0, 8, NULL);
	vu_dev_kick(d, 3);
	ck_assert_int_eq(t_used(&f, 3, &got, &len), 1);
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(got, id);
	ck_assert_int_eq(t_used(&f, 3, &got, &len), 0);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* A call fd replaced on a running ring is signalled once (a completion
 * signalled to the old fd while the front-end switched notifiers, as QEMU
 * does after a reconnection, would otherwise never reach the guest); one
 * given before the ring starts is not. */
START_TEST(new_call_fd_signalled)
{
	vscsi_vu_msg m;
	int efd;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 4);
	t_negotiate(&f, T_SPLIT, 0);
	/* before the start: t_ring_setup gives ring 2 its call fd */
	t_ring_setup(&f, 2, T_NUM, 0);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert(!t_signalled(f.r[2].call));
	efd = vu_eventfd();
	ck_assert_int_ge(efd, 0);
	t_msg(&m, VSCSI_VU_SET_VRING_CALL, VSCSI_VU_P_U64, 0);
	m.u.u64 = 2;
	ck_assert_int_eq(t_call(&f, &m, &efd, 1), 1);
	ck_assert(t_signalled(efd));
	ck_assert(!t_signalled(efd));	/* once */
	/* a ring not started: nothing */
	t_msg(&m, VSCSI_VU_SET_VRING_CALL, VSCSI_VU_P_U64, 0);
	m.u.u64 = 3;
	ck_assert_int_eq(t_call(&f, &m, &efd, 1), 1);
	ck_assert(!t_signalled(efd));
	close(efd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

START_TEST(packed_ring)
{
	uint16_t id, got;
	uint32_t len;
	t_fe f;
	vu_dev *d;
	int i;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_DEV_FEATURES, 0);
	ck_assert(vu_dev_features(d) >> VSCSI_F_RING_PACKED & 1);
	t_ring_setup(&f, 2, 8, 1);
	for (i = 0; i < 20; i++) {	/* wraps the ring twice */
		id = t_post(&f, 2, 16, 24, NULL);
		vu_dev_kick(d, 2);
		ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
		ck_assert_uint_eq(got, id);
		ck_assert_uint_eq(len, 24);
	}
	/* the packed base: next avail slot 40 % 8 = 0, wrap flipped 5 times
	 * (1 -> 0), and the same for used */
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 0);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* "Ring states": GET_VRING_BASE stops the ring; in-flight chains are
 * completed first; the base is the next avail index; a new kick fd
 * starts the ring again from SET_VRING_BASE. */
START_TEST(get_vring_base_stops)
{
	uint16_t got;
	uint32_t len;
	t_fe f;
	vu_dev *d;
	unsigned i;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, T_NUM, 0);
	R.hold = 1;
	for (i = 0; i < 3; i++)
		t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 3);
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 3);
	ck_assert_uint_eq(R.stops[2], 1);
	/* the held chains were completed before the reply */
	ck_assert_uint_eq(R.nheld, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert(!vu_dev_queue_live(d, 2));
	/* stopped: a kick does nothing */
	R.hold = 0;
	t_post(&f, 2, 8, 8, NULL);
	i = R.kicks[2];
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.kicks[2], i);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 0);
	/* restart at base 3: the chain posted meanwhile is served */
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_BASE, 2, 3), 0);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_VRING_KICK, 2,
				    &f.r[2].kick, 1), 0);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 4);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* With PROTOCOL_FEATURES rings start disabled; without, enabled. */
START_TEST(vring_enable)
{
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, T_NUM, 0);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_ENABLE, 2, 0), 0);
	ck_assert(!vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(R.stops[2], 1);
	ck_assert_uint_ne(t_set_state(&f, VSCSI_VU_SET_VRING_ENABLE, 2, 7), 0);
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_ENABLE, 2, 1), 0);
	ck_assert(vu_dev_queue_live(d, 2));
	/* without PROTOCOL_FEATURES: enabled by SET_FEATURES itself */
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_ENABLE, 2, 0), 0);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_FEATURES,
				    1ull << VSCSI_F_VERSION_1, NULL, 0), 0);
	ck_assert(vu_dev_queue_live(d, 2));
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* A ring that cannot start is refused by the message that would start
 * it: a split ring whose size is not a power of two, addresses outside
 * guest memory (vhost-user.rst: ring addresses are front-end virtual
 * addresses; virtio 1.2 2.7: Queue Size is a power of 2). */
START_TEST(bad_ring_refused)
{
	vscsi_vu_msg m;
	vu_msg r;
	t_fe f;
	vu_dev *d;
	int efd;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 0);
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_NUM, 2, 12), 0);
	efd = vu_eventfd();
	ck_assert_uint_ne(t_set_u64(&f, VSCSI_VU_SET_VRING_KICK, 2, &efd, 1),
			  0);
	ck_assert(!vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_NUM, 2, 16), 0);
	ck_assert_uint_eq(t_set_state(&f, VSCSI_VU_SET_VRING_ENABLE, 2, 1), 0);
	ck_assert(vu_dev_queue_live(d, 2));
	/* the used ring 8 bytes past the end of memory */
	t_msg(&m, VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_P_ADDR,
	      VSCSI_VU_FLAG_NEED_REPLY);
	m.u.addr.index = 2;
	m.u.addr.desc = T_UVA + f.r[2].desc;
	m.u.addr.avail = T_UVA + f.r[2].avail;
	m.u.addr.used = T_UVA + T_MEM - 8;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert_uint_ne(r.m.u.u64, 0);
	ck_assert(!vu_dev_queue_live(d, 2));
	close(efd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* A looping chain breaks its ring only (error fd signalled); the other
 * ring goes on. */
START_TEST(malformed_chain_breaks_one_ring)
{
	uint16_t got, id;
	uint32_t len;
	uint8_t *desc;
	uint16_t *avail;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 4);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	t_ring_setup(&f, 3, 16, 0);
	/* by hand: descriptor 0 -> 0 (a loop), published at avail[0] */
	desc = t_ptr(&f, f.r[2].desc);
	memset(desc, 0, 16);
	desc[8] = 16;			/* len */
	desc[12] = VSCSI_VRING_DESC_F_NEXT;
	desc[14] = 0;			/* next: itself */
	*(uint64_t *)(void *)desc = t_alloc(&f, 16, 8);
	avail = t_ptr(&f, f.r[2].avail);
	avail[2] = 0;			/* ring[0] = head 0 */
	__atomic_store_n(&avail[1], 1, __ATOMIC_RELEASE);
	vu_dev_kick(d, 2);
	ck_assert_int_eq(R.last_pop, VSCSI_ERR_DESC_LOOP);
	ck_assert(vu_dev_queue_broken(d, 2));
	ck_assert(t_signalled(f.r[2].err));
	ck_assert(!vu_dev_queue_broken(d, 3));
	id = t_post(&f, 3, 4, 4, NULL);
	vu_dev_kick(d, 3);
	ck_assert_int_eq(t_used(&f, 3, &got, &len), 1);
	ck_assert_uint_eq(got, id);
	/* later pops on the broken ring are refused */
	ck_assert_int_eq(vu_dev_pop(d, 2, &(vscsi_chain){ 0 }),
			 VSCSI_ERR_RING_BROKEN);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* ------------------------------------------------------------ memory */

/* SET_MEM_TABLE replaced while a ring runs: the device is drained first,
 * the ring follows the new mapping; a table without the ring stops it. */
START_TEST(mem_table_replace)
{
	unsigned drains;
	uint16_t got;
	uint32_t len;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	R.hold = 1;
	t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 1);
	/* the same memory again (a second mapping of the memfd) */
	drains = R.drains;
	ck_assert_uint_eq(t_mem_table(&f, 0, T_UVA, T_MEM, 0), 0);
	ck_assert_uint_eq(R.drains, drains + 1);
	ck_assert_uint_eq(R.nheld, 0);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert(vu_dev_queue_live(d, 2));
	R.hold = 0;
	t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	/* only the first page: the rings are not in it */
	ck_assert_uint_eq(t_mem_table(&f, 0, T_UVA, 4096, 0), 0);
	ck_assert(!vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(R.stops[2], 1);
	/* back */
	ck_assert_uint_eq(t_mem_table(&f, 0, T_UVA, T_MEM, 0), 0);
	ck_assert(vu_dev_queue_live(d, 2));
	/* a region that runs past its file is refused; the map stays */
	ck_assert_uint_ne(t_mem_table(&f, 0, T_UVA, T_MEM * 2, 0), 0);
	ck_assert_uint_eq(vscsi_gmem_count(vu_dev_mem(d)), 1);
	ck_assert(vu_dev_queue_live(d, 2));
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* CONFIGURE_MEM_SLOTS: ADD_MEM_REG / REM_MEM_REG / GET_MAX_MEM_SLOTS. */
START_TEST(add_rem_mem_reg)
{
	vscsi_vu_msg m;
	vu_msg r;
	t_fe f;
	vu_dev *d;
	int before;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_set_u64(&f, VSCSI_VU_SET_PROTOCOL_FEATURES,
		  VU_DEV_PROTOCOL_FEATURES, NULL, 0);
	f.pf = VU_DEV_PROTOCOL_FEATURES;
	before = t_fd_count();
	/* two regions from one memfd: [0, 1M) and [2M, 3M) of the file */
	t_msg(&m, VSCSI_VU_ADD_MEM_REG, VSCSI_VU_P_MEM_REG,
	      VSCSI_VU_FLAG_NEED_REPLY);
	m.u.reg.gpa = 0;
	m.u.reg.size = 1u << 20;
	m.u.reg.uva = T_UVA;
	m.u.reg.mmap_offset = 0;
	ck_assert_int_eq(t_call(&f, &m, &f.memfd, 1), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.u.u64, 0);
	m.u.reg.gpa = 1u << 20;
	m.u.reg.uva = T_UVA + (2u << 20);
	m.u.reg.mmap_offset = 2u << 20;
	ck_assert_int_eq(t_call(&f, &m, &f.memfd, 1), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.u.u64, 0);
	ck_assert_uint_eq(vscsi_gmem_count(vu_dev_mem(d)), 2);
	/* gpa 1M + 5 is file offset 2M + 5 */
	f.mem[(2u << 20) + 5] = 0x5c;
	ck_assert_uint_eq(*(uint8_t *)vscsi_gmem_ptr(vu_dev_mem(d),
						     (1u << 20) + 5, 1), 0x5c);
	/* overlapping: refused */
	m.u.reg.gpa = 4096;
	ck_assert_int_eq(t_call(&f, &m, &f.memfd, 1), 1);
	t_reply(&f, &r);
	ck_assert_uint_ne(r.m.u.u64, 0);
	/* remove the second; an unknown one is refused */
	m.hdr.request = VSCSI_VU_REM_MEM_REG;
	m.u.reg.gpa = 1u << 20;
	m.u.reg.uva = T_UVA + (9u << 20);
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert_uint_ne(r.m.u.u64, 0);	/* the uva differs */
	m.u.reg.uva = T_UVA + (2u << 20);
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.u.u64, 0);
	ck_assert_uint_eq(vscsi_gmem_count(vu_dev_mem(d)), 1);
	/* REM_MEM_REG with the (historical) fd: accepted and closed */
	m.u.reg.gpa = 0;
	m.u.reg.uva = T_UVA;
	m.u.reg.mmap_offset = 0;
	ck_assert_int_eq(t_call(&f, &m, &f.memfd, 1), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.u.u64, 0);
	ck_assert_uint_eq(vscsi_gmem_count(vu_dev_mem(d)), 0);
	ck_assert_int_eq(t_fd_count(), before);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* ------------------------------------------------------------ errors */

struct t_bad {
	uint32_t req;
	uint32_t size;
	unsigned nfds;
};

/* Wrong sizes for each fixed-size request (one more, one less, or 0), and
 * wrong fd counts: every one closes the connection, nothing leaks. */
static const struct t_bad t_bads[] = {
	{ VSCSI_VU_SET_FEATURES, 4, 0 },
	{ VSCSI_VU_SET_FEATURES, 9, 0 },
	{ VSCSI_VU_GET_FEATURES, 8, 0 },
	{ VSCSI_VU_SET_OWNER, 1, 0 },
	{ VSCSI_VU_SET_VRING_NUM, 4, 0 },
	{ VSCSI_VU_SET_VRING_ADDR, 12, 0 },
	{ VSCSI_VU_SET_VRING_ADDR, 41, 0 },
	{ VSCSI_VU_SET_VRING_BASE, 0, 0 },
	{ VSCSI_VU_GET_VRING_BASE, 16, 0 },
	{ VSCSI_VU_SET_VRING_KICK, 4, 1 },
	{ VSCSI_VU_SET_VRING_KICK, 8, 2 },	/* two fds */
	{ VSCSI_VU_SET_VRING_KICK, 8, 0 },	/* no fd, no NOFD bit */
	{ VSCSI_VU_SET_VRING_CALL, 7, 1 },
	{ VSCSI_VU_SET_VRING_ERR, 16, 1 },
	{ VSCSI_VU_SET_PROTOCOL_FEATURES, 2, 0 },
	{ VSCSI_VU_SET_VRING_ENABLE, 9, 0 },
	{ VSCSI_VU_SET_MEM_TABLE, 7, 0 },
	{ VSCSI_VU_SET_MEM_TABLE, 40, 0 },	/* 1 region, no fd */
	{ VSCSI_VU_SET_MEM_TABLE, 72, 1 },	/* 2 regions, 1 fd */
	{ VSCSI_VU_SET_MEM_TABLE, 40, 3 },
	{ VSCSI_VU_ADD_MEM_REG, 39, 1 },
	{ VSCSI_VU_ADD_MEM_REG, 40, 0 },
	{ VSCSI_VU_REM_MEM_REG, 41, 0 },
	{ VSCSI_VU_REM_MEM_REG, 40, 2 },
	{ VSCSI_VU_SET_INFLIGHT_FD, 20, 0 },
	{ VSCSI_VU_SET_INFLIGHT_FD, 16, 1 },
	{ VSCSI_VU_GET_INFLIGHT_FD, 8, 0 },
	{ VSCSI_VU_SET_STATUS, 4, 0 },
	{ VSCSI_VU_GET_STATUS, 8, 0 },
	{ VSCSI_VU_GET_QUEUE_NUM, 1, 0 },
	{ VSCSI_VU_SET_FEATURES, 5000, 0 },	/* over the maximum */
};

START_TEST(bad_message_closes)
{
	const struct t_bad *b = &t_bads[_i];
	uint8_t buf[VU_MAX_MSG];
	int fds[4], before, i;
	t_fe f;
	vu_dev *d;

	before = t_fd_count();
	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	memset(buf, 0, sizeof(buf));
	buf[0] = (uint8_t)b->req;
	buf[4] = VSCSI_VU_VERSION;
	memcpy(buf + 8, &b->size, 4);
	/* a plausible body: a memory table's count says what the size
	 * says, a vring u64 names ring 0 */
	if (b->req == VSCSI_VU_SET_MEM_TABLE && b->size >= 8)
		buf[12] = (uint8_t)((b->size - 8) / 32);
	for (i = 0; i < (int)b->nfds; i++)
		fds[i] = vu_eventfd();
	ck_assert_int_eq(vu_send_raw(f.sock, buf,
				     12 + (b->size > 4096 ? 0 : b->size), fds,
				     b->nfds),
			 0);
	for (i = 0; i < (int)b->nfds; i++)
		close(fds[i]);
	ck_assert_int_lt(vu_dev_dispatch(d), 0);
	vu_dev_free(d);
	t_fe_fini(&f);
	ck_assert_int_eq(t_fd_count(), before);
}
END_TEST

/* Other garbage: a bad version, a reply flag, a ring index out of range,
 * reserved bits in a vring fd message, a peer gone mid-message. */
START_TEST(garbage_closes)
{
	static const uint8_t bad_version[12] = { 1, 0, 0, 0, 2, 0, 0, 0 };
	static const uint8_t reply_flag[12] = { 1, 0, 0, 0, 5, 0, 0, 0 };
	vscsi_vu_msg m;
	int before = t_fd_count(), efd;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	vu_send_raw(f.sock, bad_version, 12, NULL, 0);
	ck_assert_int_lt(vu_dev_dispatch(d), 0);
	vu_dev_free(d);
	t_fe_fini(&f);

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	vu_send_raw(f.sock, reply_flag, 12, NULL, 0);
	ck_assert_int_lt(vu_dev_dispatch(d), 0);
	vu_dev_free(d);
	t_fe_fini(&f);

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_msg(&m, VSCSI_VU_SET_VRING_NUM, VSCSI_VU_P_STATE, 0);
	m.u.state.index = 3;
	m.u.state.num = 64;
	ck_assert_int_lt(t_call(&f, &m, NULL, 0), 0);
	vu_dev_free(d);
	t_fe_fini(&f);

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	efd = vu_eventfd();
	t_msg(&m, VSCSI_VU_SET_VRING_CALL, VSCSI_VU_P_U64, 0);
	m.u.u64 = 0x10001;
	ck_assert_int_lt(t_call(&f, &m, &efd, 1), 0);
	close(efd);
	vu_dev_free(d);
	t_fe_fini(&f);

	/* half a header, then the peer goes away */
	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	vu_send_raw(f.sock, bad_version, 6, NULL, 0);
	shutdown(f.sock, SHUT_WR);
	ck_assert_int_lt(vu_dev_dispatch(d), 0);
	vu_dev_free(d);
	t_fe_fini(&f);

	/* a clean close between messages is 0 */
	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	shutdown(f.sock, SHUT_WR);
	ck_assert_int_eq(vu_dev_dispatch(d), 0);
	vu_dev_free(d);
	t_fe_fini(&f);
	ck_assert_int_eq(t_fd_count(), before);
}
END_TEST

/* One connection's error does not disturb another. */
START_TEST(other_connection_unaffected)
{
	static const uint8_t junk[12] = { 5, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0 };
	t_fe a, b;
	vu_dev *da, *db;
	uint16_t got;
	uint32_t len;

	t_fe_init(&a);
	t_fe_init(&b);
	da = t_dev(&a, NULL, 3);
	{
		vu_dev_cfg cfg;

		memset(&cfg, 0, sizeof(cfg));
		cfg.features = T_DEV_FEATURES;
		cfg.nqueues = 3;
		db = vu_dev_new(b.dev_sock, NULL, &cfg, &t_ops);
		b.d = db;
	}
	t_negotiate(&b, T_SPLIT, 0);
	t_ring_setup(&b, 2, 16, 0);
	vu_send_raw(a.sock, junk, sizeof(junk), NULL, 0);
	ck_assert_int_lt(vu_dev_dispatch(da), 0);
	vu_dev_free(da);
	t_post(&b, 2, 4, 4, NULL);
	vu_dev_kick(db, 2);
	ck_assert_int_eq(t_used(&b, 2, &got, &len), 1);
	vu_dev_free(db);
	t_fe_fini(&a);
	t_fe_fini(&b);
}
END_TEST

/* ------------------------------------------------------------ inflight */

/* A new back-end on a new socket after the old one died, as QEMU starts
 * it: the features, the inflight region (SET_INFLIGHT_FD, 3 queues of num
 * entries, qbytes each), then ring 2 of num entries from base, live. */
static vu_dev *t_ifl_restart(t_fe *f, int ifd, uint64_t features,
			     size_t qbytes, uint16_t num, uint32_t base)
{
	vscsi_vu_msg m;
	vu_dev *d;
	int sv[2];

	close(f->sock);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->sock = sv[0];
	f->dev_sock = sv[1];
	d = t_dev(f, NULL, 3);
	f->pf = 0;
	t_negotiate(f, features, 0);
	t_msg(&m, VSCSI_VU_SET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.mmap_size = 3 * qbytes;
	m.u.inflight.num_queues = 3;
	m.u.inflight.queue_size = num;
	ck_assert_int_eq(t_call(f, &m, &ifd, 1), 1);
	R.hold = 1;
	ck_assert_uint_eq(t_set_state(f, VSCSI_VU_SET_VRING_NUM, 2, num), 0);
	ck_assert_uint_eq(t_set_state(f, VSCSI_VU_SET_VRING_BASE, 2, base), 0);
	t_msg(&m, VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_P_ADDR, 0);
	m.u.addr.index = 2;
	m.u.addr.desc = T_UVA + f->r[2].desc;
	m.u.addr.avail = T_UVA + f->r[2].avail;
	m.u.addr.used = T_UVA + f->r[2].used;
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	t_set_u64(f, VSCSI_VU_SET_VRING_CALL, 2, &f->r[2].call, 1);
	t_set_u64(f, VSCSI_VU_SET_VRING_KICK, 2, &f->r[2].kick, 1);
	t_set_state(f, VSCSI_VU_SET_VRING_ENABLE, 2, 1);
	return d;
}

/* "Inflight I/O tracking": GET_INFLIGHT_FD creates the region (QEMU's
 * 24-byte form); a popped head is marked with a counter and cleared at
 * completion; a new back-end that adopts the region (SET_INFLIGHT_FD)
 * hands the unfinished chains out again, oldest first. */
START_TEST(inflight_tracking)
{
	uint8_t raw[12 + 24];
	vu_msg r;
	uint8_t *ifl, *q2;
	uint16_t id[3], got;
	uint32_t len;
	size_t qbytes = (16 + 16 * 16 + 63) & ~(size_t)63;
	int ifd;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	/* GET_INFLIGHT_FD as QEMU sends it: 24 bytes, 3 queues of 16 */
	memset(raw, 0, sizeof(raw));
	raw[0] = VSCSI_VU_GET_INFLIGHT_FD;
	raw[4] = VSCSI_VU_VERSION;
	raw[8] = 24;
	raw[12 + 16] = 3;
	raw[12 + 18] = 16;
	ck_assert_int_eq(vu_send_raw(f.sock, raw, sizeof(raw), NULL, 0), 0);
	ck_assert_int_eq(vu_dev_dispatch(d), 1);
	t_reply(&f, &r);
	ck_assert_uint_eq(r.m.hdr.size, 24);	/* what QEMU checks */
	ck_assert_uint_eq(r.nfds, 1);
	ck_assert_uint_eq(r.m.u.inflight.num_queues, 3);
	ck_assert_uint_eq(r.m.u.inflight.queue_size, 16);
	ck_assert_uint_eq(r.m.u.inflight.mmap_size, 3 * qbytes);
	ifd = r.fds[0];
	ifl = mmap(NULL, 3 * qbytes, PROT_READ | PROT_WRITE, MAP_SHARED, ifd,
		   0);
	ck_assert_ptr_ne(ifl, MAP_FAILED);
	q2 = ifl + 2 * qbytes;
	ck_assert_uint_eq(q2[8], 1);		/* version */
	ck_assert_uint_eq(q2[10], 16);		/* desc_num */
	t_ring_setup(&f, 2, 16, 0);
	R.hold = 1;
	id[0] = t_post(&f, 2, 8, 8, NULL);
	id[1] = t_post(&f, 2, 8, 8, NULL);
	id[2] = t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 3);
	ck_assert_uint_eq(q2[16 + 16 * id[0]], 1);
	ck_assert_uint_eq(q2[16 + 16 * id[1]], 1);
	ck_assert_uint_eq(q2[16 + 16 * id[2]], 1);
	ck_assert_uint_lt(q2[16 + 16 * id[0] + 8], q2[16 + 16 * id[1] + 8]);
	/* complete the middle one */
	ck_assert_int_eq(vu_dev_push(d, 2, id[1], 1, 0), 0);
	ck_assert_uint_eq(q2[16 + 16 * id[1]], 0);
	ck_assert_uint_eq(q2[12], id[1]);	/* last_batch_head */
	ck_assert_uint_eq(q2[14], 1);		/* used_idx */
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert_uint_eq(got, id[1]);
	/* the back-end dies with id[0] and id[2] popped */
	R.nheld = 0;
	vu_dev_free(d);
	/* QEMU restarts the ring at the used index (1) */
	d = t_ifl_restart(&f, ifd, T_SPLIT, qbytes, 16, 1);
	/* the start kicked once: both unfinished chains, oldest first */
	ck_assert_uint_eq(R.nheld, 2);
	ck_assert_uint_eq(R.held_head[0], id[0]);
	ck_assert_uint_eq(R.held_head[1], id[2]);
	/* and the next index is used (1) + 2 */
	t_complete_held(d, -1);
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 3);
	ck_assert_uint_eq(q2[16 + 16 * id[0]], 0);
	ck_assert_uint_eq(q2[16 + 16 * id[2]], 0);
	munmap(ifl, 3 * qbytes);
	close(ifd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* A crash between publishing a used entry and clearing its mark: the
 * last batch is repaired from used_idx. */
START_TEST(inflight_last_batch)
{
	vscsi_vu_msg m;
	vu_msg r;
	uint8_t *q2;
	size_t qbytes = (16 + 16 * 16 + 63) & ~(size_t)63;
	uint16_t id;
	uint16_t *used;
	int ifd;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_msg(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.num_queues = 3;
	m.u.inflight.queue_size = 16;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ifd = r.fds[0];
	q2 = mmap(NULL, 3 * qbytes, PROT_READ | PROT_WRITE, MAP_SHARED, ifd,
		  0);
	ck_assert_ptr_ne(q2, MAP_FAILED);
	q2 += 2 * qbytes;
	t_ring_setup(&f, 2, 16, 0);
	R.hold = 1;
	id = t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(q2[16 + 16 * id], 1);
	/* fake the crash: the used entry is published (idx 1), the
	 * region still says in flight, last_batch_head = id */
	used = t_ptr(&f, f.r[2].used);
	*(uint32_t *)(void *)&used[2] = id;
	used[1] = 1;
	q2[12] = (uint8_t)id;
	R.nheld = 0;
	vu_dev_free(d);
	d = t_ifl_restart(&f, ifd, T_SPLIT, qbytes, 16, 1);
	/* nothing to resubmit: the chain was answered */
	ck_assert_uint_eq(R.nheld, 0);
	ck_assert_uint_eq(q2[16 + 16 * id], 0);
	ck_assert_uint_eq(q2[14], 1);
	munmap(q2 - 2 * qbytes, 3 * qbytes);
	close(ifd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* Answers a split ring holds back (vscsi_vq_push_lazy) keep their inflight
 * marks until the used idx that publishes them is stored; the batch is
 * then cleared through the last-batch links. A back-end that dies between
 * the two leaves the area's used idx behind the ring's: the next one
 * clears the whole batch and resubmits only the unanswered chains. */
START_TEST(inflight_held_batch)
{
	vscsi_vu_msg m;
	vu_msg r;
	uint8_t *q2;
	size_t qbytes = (16 + 16 * 32 + 63) & ~(size_t)63;
	uint16_t id[16], got;
	uint16_t *used;
	uint32_t len;
	unsigned i;
	int ifd;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_msg(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.num_queues = 3;
	m.u.inflight.queue_size = 32;
	ck_assert_int_eq(t_call(&f, &m, NULL, 0), 1);
	t_reply(&f, &r);
	ifd = r.fds[0];
	q2 = mmap(NULL, 3 * qbytes, PROT_READ | PROT_WRITE, MAP_SHARED, ifd,
		  0);
	ck_assert_ptr_ne(q2, MAP_FAILED);
	q2 += 2 * qbytes;
	t_ring_setup(&f, 2, 32, 0);
	R.hold = 1;
	for (i = 0; i < 16; i++)
		id[i] = t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 16);
	used = t_ptr(&f, f.r[2].used);
	/* 16 waiting: the first three answers are held, marks kept */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(vu_dev_push(d, 2, R.held_head[i], 1, 0), 0);
		ck_assert_uint_eq(used[1], 0);
		ck_assert_uint_eq(q2[16 + 16 * R.held_head[i]], 1);
		ck_assert_uint_eq(q2[12], R.held_head[i]);
	}
	ck_assert_uint_eq(q2[14], 0);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 0);
	/* the fourth publishes all four and clears their marks */
	ck_assert_int_eq(vu_dev_push(d, 2, R.held_head[3], 1, 0), 0);
	ck_assert_uint_eq(used[1], 4);
	ck_assert_uint_eq(q2[14], 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(q2[16 + 16 * R.held_head[i]], 0);
		ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
		ck_assert_uint_eq(got, R.held_head[i]);
	}
	ck_assert_uint_eq(q2[16 + 16 * R.held_head[4]], 1);
	/* one held, then notify publishes it */
	ck_assert_int_eq(vu_dev_push(d, 2, R.held_head[4], 1, 0), 0);
	ck_assert_uint_eq(used[1], 4);
	vu_dev_notify(d, 2);
	ck_assert_uint_eq(used[1], 5);
	ck_assert_uint_eq(q2[14], 5);
	ck_assert_uint_eq(q2[16 + 16 * R.held_head[4]], 0);
	/* one more held; the back-end stops (it is published) */
	ck_assert_int_eq(vu_dev_push(d, 2, R.held_head[5], 1, 0), 0);
	ck_assert_uint_eq(used[1], 5);
	for (i = 0; i < 16; i++)
		id[i] = R.held_head[i];
	R.nheld = 0;
	vu_dev_free(d);
	ck_assert_uint_eq(used[1], 6);
	ck_assert_uint_eq(q2[14], 6);
	ck_assert_uint_eq(q2[16 + 16 * id[5]], 0);
	/* ... and fake a death between storing the used idx of a batch of
	 * two and clearing their marks */
	q2[16 + 16 * id[4]] = 1;
	q2[16 + 16 * id[5]] = 1;
	q2[14] = 4;
	d = t_ifl_restart(&f, ifd, T_SPLIT, qbytes, 32, 6);
	/* the ten unanswered chains come back, oldest first */
	ck_assert_uint_eq(q2[14], 6);
	ck_assert_uint_eq(q2[16 + 16 * id[4]], 0);
	ck_assert_uint_eq(q2[16 + 16 * id[5]], 0);
	ck_assert_uint_eq(R.nheld, 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(R.held_head[i], id[6 + i]);
	t_complete_held(d, -1);
	ck_assert_uint_eq(used[1], 16);
	munmap(q2 - 2 * qbytes, 3 * qbytes);
	close(ifd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* ------------------------------------------------------------ packed */

/* QueueRegionPacked (vhost-user.rst "Inflight I/O tracking"): a 32-byte
 * header, then 32-byte DescStatePacked entries, the area 64-aligned. */
#define TP_NUM 8
#define TP_QBYTES ((32 + 32 * TP_NUM + 63) & ~(size_t)63)
#define TP_FREE 12
#define TP_OLD_FREE 14
#define TP_USED 16
#define TP_OLD_USED 18
#define TP_WRAP 20
#define TP_OLD_WRAP 21

static uint16_t tp_ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void tp_st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint8_t *tp_ent(uint8_t *h, unsigned i)
{
	return h + 32 + 32 * (size_t)i;
}

/* The head entry whose chain ends with buffer id `id`, or -1. */
static int tp_head_of(uint8_t *h, uint16_t id)
{
	unsigned i;

	for (i = 0; i < TP_NUM; i++)
		if (tp_ent(h, i)[0] == 1 &&
		    tp_ld16(tp_ent(h, tp_ld16(tp_ent(h, i) + 4)) + 16) == id)
			return (int)i;
	return -1;
}

static unsigned tp_marked(uint8_t *h)
{
	unsigned i, n = 0;

	for (i = 0; i < TP_NUM; i++)
		n += tp_ent(h, i)[0] == 1;
	return n;
}

/* Entries on the free list (walked with a bound). */
static unsigned tp_free_len(uint8_t *h)
{
	unsigned n = 0, e = tp_ld16(h + TP_FREE);

	while (e < TP_NUM && n <= TP_NUM) {
		n++;
		e = tp_ld16(tp_ent(h, e) + 2);
	}
	return n;
}

/*
 * The state a killed back-end leaves: packed ring 2 of 8 slots ran 6
 * chains of 2 (used slot 4, wrap 0), then popped A (2 descriptors), B
 * (2), C (1) and D (1, an indirect table) and completed only B, whose used
 * descriptor now covers A's first slot. Returns the region (3 areas,
 * mapped) and its fd; ids[] = A B C D.
 */
static uint8_t *tp_crashed(t_fe *f, int *ifd, uint16_t ids[4])
{
	vscsi_vu_msg m;
	vu_msg r;
	uint8_t *ifl, *h;
	uint16_t got;
	uint32_t len;
	struct vscsi_desc dd[2];
	vu_dev *d;
	int i;

	t_fe_init(f);
	d = t_dev(f, NULL, 3);
	t_negotiate(f, T_DEV_FEATURES, 0);
	t_msg(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.num_queues = 3;
	m.u.inflight.queue_size = TP_NUM;
	ck_assert_int_eq(t_call(f, &m, NULL, 0), 1);
	t_reply(f, &r);
	ck_assert_uint_eq(r.nfds, 1);
	/* sized for packed entries (32 bytes), not split ones (16) */
	ck_assert_uint_eq(r.m.u.inflight.mmap_size, 3 * TP_QBYTES);
	*ifd = r.fds[0];
	ifl = mmap(NULL, 3 * TP_QBYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		   *ifd, 0);
	ck_assert_ptr_ne(ifl, MAP_FAILED);
	h = ifl + 2 * TP_QBYTES;
	ck_assert_uint_eq(tp_ld16(h + 8), 0);	/* uninitialised until start */
	t_ring_setup(f, 2, TP_NUM, 1);
	ck_assert_uint_eq(tp_ld16(h + 8), 1);	/* version */
	ck_assert_uint_eq(tp_ld16(h + 10), TP_NUM);	/* desc_num */
	ck_assert_uint_eq(tp_free_len(h), TP_NUM);
	for (i = 0; i < 6; i++) {
		t_post(f, 2, 16, 16, NULL);
		vu_dev_kick(d, 2);
		ck_assert_int_eq(t_used(f, 2, &got, &len), 1);
	}
	ck_assert_uint_eq(tp_ld16(h + TP_USED), 4);
	ck_assert_uint_eq(h[TP_WRAP], 0);
	ck_assert_uint_eq(tp_ld16(h + TP_OLD_USED), 4);
	ck_assert_uint_eq(h[TP_OLD_WRAP], 0);
	ck_assert_uint_eq(tp_marked(h), 0);
	ck_assert_uint_eq(tp_free_len(h), TP_NUM);
	R.hold = 1;
	ids[0] = t_post(f, 2, 16, 24, NULL);
	ids[1] = t_post(f, 2, 32, 8, NULL);
	ids[2] = t_post(f, 2, 40, 0, NULL);
	dd[0].addr = t_alloc(f, 8, 8);
	dd[0].len = 8;
	dd[0].flags = 0;
	dd[1].addr = t_alloc(f, 56, 8);
	dd[1].len = 56;
	dd[1].flags = VSCSI_VRING_DESC_F_WRITE;
	{
		uint64_t tgpa = t_alloc(f, 32, 16);

		ck_assert_int_eq(vscsi_vq_drv_add_indirect(f->r[2].vq, dd, 2,
					t_ptr(f, tgpa), tgpa, &ids[3]), 0);
	}
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 4);
	/* "When receiving available buffers": each head marked, counters
	 * in pop order, num = the chain's ring descriptors, free list
	 * shorter by 6 */
	ck_assert_uint_eq(tp_marked(h), 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_ge(tp_head_of(h, ids[i]), 0);
	ck_assert_uint_eq(tp_ld16(tp_ent(h, (unsigned)tp_head_of(h, ids[0])) + 6),
			  2);
	ck_assert_uint_eq(tp_ld16(tp_ent(h, (unsigned)tp_head_of(h, ids[2])) + 6),
			  1);
	ck_assert_uint_lt(*(uint64_t *)(void *)(tp_ent(h,
			(unsigned)tp_head_of(h, ids[0])) + 8),
			  *(uint64_t *)(void *)(tp_ent(h,
			(unsigned)tp_head_of(h, ids[3])) + 8));
	ck_assert_uint_eq(tp_free_len(h), TP_NUM - 6);
	ck_assert_uint_eq(tp_ld16(h + TP_FREE), tp_ld16(h + TP_OLD_FREE));
	/* complete B: "When supplying used buffers" */
	ck_assert_int_eq(vu_dev_push(d, 2, R.held_head[1], R.held_ndesc[1], 8),
			 0);
	ck_assert_int_eq(t_used(f, 2, &got, &len), 1);
	ck_assert_uint_eq(got, ids[1]);
	ck_assert_int_lt(tp_head_of(h, ids[1]), 0);
	ck_assert_uint_eq(tp_marked(h), 3);
	ck_assert_uint_eq(tp_ld16(h + TP_USED), 6);
	ck_assert_uint_eq(tp_ld16(h + TP_OLD_USED), 6);
	ck_assert_uint_eq(tp_free_len(h), TP_NUM - 4);
	/* the back-end dies with A, C and D popped */
	R.nheld = 0;
	vu_dev_free(d);
	return ifl;
}

/* A new back-end, given the region (SET_INFLIGHT_FD), starts ring 2 from
 * the base QEMU still has for a packed ring after a crash (its initial
 * one: QEMU cannot read a packed position back from guest memory). */
static vu_dev *tp_restart(t_fe *f, int ifd)
{
	return t_ifl_restart(f, ifd, T_DEV_FEATURES, TP_QBYTES, TP_NUM,
			     0x80008000u);
}

/* "When reconnecting" (packed): the chains in flight come back in counter
 * order, rebuilt from the saved descriptors (A's first slot in the ring
 * holds B's used entry by now), the ring position is the region's, and
 * the ring goes on. */
START_TEST(inflight_packed)
{
	uint16_t ids[4], got, e;
	uint32_t len;
	uint8_t *ifl, *h;
	int ifd, i;
	t_fe f;
	vu_dev *d;

	ifl = tp_crashed(&f, &ifd, ids);
	h = ifl + 2 * TP_QBYTES;
	d = tp_restart(&f, ifd);
	ck_assert_uint_eq(R.nheld, 3);
	ck_assert_uint_eq(R.held_head[0], ids[0]);
	ck_assert_uint_eq(R.held_head[1], ids[2]);
	ck_assert_uint_eq(R.held_head[2], ids[3]);
	ck_assert_uint_eq(R.held_ndesc[0], 2);
	ck_assert_uint_eq(R.held_ndesc[1], 1);
	ck_assert_uint_eq(R.held_ndesc[2], 1);	/* the indirect one */
	ck_assert_uint_eq(R.held_out[0], 16);
	ck_assert_uint_eq(R.held_in[0], 24);
	ck_assert_uint_eq(R.held_out[1], 40);
	ck_assert_uint_eq(R.held_in[1], 0);
	ck_assert_uint_eq(R.held_out[2], 8);
	ck_assert_uint_eq(R.held_in[2], 56);
	ck_assert_uint_ne(R.held_gpa[0], 0);
	/* nothing more: the region's avail position (used 6 + 4 slots =
	 * slot 2, wrap 1) is where the driver's next chain will be */
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 3);
	/* the same entries are still marked; completions clear them */
	ck_assert_uint_eq(tp_marked(h), 3);
	t_complete_held(d, -1);
	ck_assert_uint_eq(tp_marked(h), 0);
	ck_assert_uint_eq(tp_free_len(h), TP_NUM);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
		ck_assert_uint_eq(got, ids[i == 0 ? 0 : i + 1]);
	}
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 0);
	/* the ring continues */
	R.hold = 0;
	e = t_post(&f, 2, 16, 16, NULL);
	vu_dev_kick(d, 2);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	ck_assert_uint_eq(got, e);
	ck_assert_uint_eq(len, 16);
	ck_assert_uint_eq(tp_marked(h), 0);
	/* avail = used = slot 4, wrap 1 */
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 0x80048004u);
	ck_assert_uint_eq(tp_ld16(h + TP_USED), 4);
	ck_assert_uint_eq(h[TP_WRAP], 1);
	munmap(ifl, 3 * TP_QBYTES);
	close(ifd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/*
 * Killed half way through completing A: the region has A's entries back
 * on the free list and used_idx moved (6 + 2 = slot 0, wrap 1), old_*
 * not yet. _i 0: the used descriptor never reached the ring: rolled
 * back, A resubmitted. _i 1: it did (slot 6 shows used for wrap 0):
 * committed, only C and D come back.
 */
START_TEST(inflight_packed_interrupted)
{
	uint16_t ids[4], got;
	uint32_t len;
	uint8_t *ifl, *h, *ea;
	int ifd, a;
	t_fe f;
	vu_dev *d;

	ifl = tp_crashed(&f, &ifd, ids);
	h = ifl + 2 * TP_QBYTES;
	a = tp_head_of(h, ids[0]);
	ck_assert_int_ge(a, 0);
	ea = tp_ent(h, (unsigned)a);
	tp_st16(tp_ent(h, tp_ld16(ea + 4)) + 2, tp_ld16(h + TP_FREE));
	tp_st16(h + TP_FREE, (uint16_t)a);
	tp_st16(h + TP_USED, 0);
	h[TP_WRAP] = 1;
	if (_i == 1) {
		uint8_t *slot6 = (uint8_t *)t_ptr(&f, f.r[2].desc) + 6 * 16;

		tp_st16(slot6 + 12, ids[0]);
		tp_st16(slot6 + 14, 0);	/* AVAIL = USED = 0: used, wrap 0 */
	}
	d = tp_restart(&f, ifd);
	if (_i == 0) {
		ck_assert_uint_eq(R.nheld, 3);
		ck_assert_uint_eq(R.held_head[0], ids[0]);
		ck_assert_uint_eq(tp_ld16(h + TP_USED), 6);
		ck_assert_uint_eq(h[TP_WRAP], 0);
	} else {
		ck_assert_uint_eq(R.nheld, 2);
		ck_assert_uint_eq(R.held_head[0], ids[2]);
		ck_assert_uint_eq(R.held_head[1], ids[3]);
		ck_assert_uint_eq(tp_ld16(h + TP_USED), 0);
		ck_assert_uint_eq(h[TP_WRAP], 1);
		ck_assert_uint_eq(tp_ld16(h + TP_OLD_USED), 0);
		/* A's mark was cleared with the free list */
		ck_assert_uint_eq(ea[0], 0);
	}
	ck_assert_uint_eq(tp_marked(h), R.nheld);
	t_complete_held(d, -1);
	ck_assert_uint_eq(tp_marked(h), 0);
	ck_assert_uint_eq(tp_free_len(h), TP_NUM);
	/* every slot accounted for: the next chain goes through */
	R.hold = 0;
	if (_i == 1)
		ck_assert_int_eq(t_used(&f, 2, &got, &len), 1); /* the faked A */
	while (t_used(&f, 2, &got, &len) == 1)
		;
	got = t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	{
		uint16_t g2;

		ck_assert_int_eq(t_used(&f, 2, &g2, &len), 1);
		ck_assert_uint_eq(g2, got);
	}
	ck_assert_uint_eq(t_get_vring_base(&f, 2), 0x80048004u);
	munmap(ifl, 3 * TP_QBYTES);
	close(ifd);
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* Ways a region can be wrong; each must be refused (nothing resubmitted,
 * the ring runs from SET_VRING_BASE, the area not written). */
static const struct {
	const char *what;
	unsigned off;		/* from the area's start; 0xffff: special */
	unsigned len;
	uint16_t val;
} t_pk_bads[] = {
	{ "version 2", 8, 2, 2 },
	{ "desc_num 16", 10, 2, 16 },
	{ "free_head past the end", TP_FREE, 2, TP_NUM + 1 },
	{ "old_free_head past the end", TP_OLD_FREE, 2, 200 },
	{ "used_idx out of range", TP_USED, 2, TP_NUM },
	{ "old_used_idx out of range", TP_OLD_USED, 2, 0xffff },
	{ "wrap counter 2", TP_WRAP, 1, 2 },
	{ "old wrap counter 7", TP_OLD_WRAP, 1, 7 },
	{ "free list loop", 0xffff, 0, 0 },
	{ "chain num 0", 0xfffe, 0, 0 },
	{ "chain num past the ring", 0xfffd, 0, 0 },
	{ "chain next out of range", 0xfffc, 0, 0 },
	{ "chain last wrong", 0xfffb, 0, 0 },
	{ "chain without NEXT", 0xfffa, 0, 0 },
	{ "inflight 5", 0xfff9, 0, 0 },
};

START_TEST(inflight_packed_refused)
{
	uint16_t ids[4], got;
	uint32_t len;
	uint8_t *ifl, *h, *ea, before[TP_QBYTES];
	int ifd, a;
	t_fe f;
	vu_dev *d;

	ifl = tp_crashed(&f, &ifd, ids);
	h = ifl + 2 * TP_QBYTES;
	a = tp_head_of(h, ids[0]);
	ck_assert_int_ge(a, 0);
	ea = tp_ent(h, (unsigned)a);
	switch (t_pk_bads[_i].off) {
	case 0xffff: {	/* the last free entry points back at the first */
		unsigned e = tp_ld16(h + TP_FREE), n = 0;

		while (tp_ld16(tp_ent(h, e) + 2) < TP_NUM && n++ < TP_NUM)
			e = tp_ld16(tp_ent(h, e) + 2);
		tp_st16(tp_ent(h, e) + 2, tp_ld16(h + TP_FREE));
		break;
	}
	case 0xfffe:
		tp_st16(ea + 6, 0);
		break;
	case 0xfffd:
		tp_st16(ea + 6, TP_NUM);	/* 3 + 8 slots > 8 */
		break;
	case 0xfffc:
		tp_st16(ea + 2, 0x4000);
		break;
	case 0xfffb:
		tp_st16(ea + 4, (uint16_t)a);
		break;
	case 0xfffa:
		tp_st16(ea + 18, (uint16_t)(tp_ld16(ea + 18) &
					    ~VSCSI_VRING_DESC_F_NEXT));
		break;
	case 0xfff9:
		ea[0] = 5;
		break;
	default:
		if (t_pk_bads[_i].len == 1)
			h[t_pk_bads[_i].off] = (uint8_t)t_pk_bads[_i].val;
		else
			tp_st16(h + t_pk_bads[_i].off, t_pk_bads[_i].val);
	}
	memcpy(before, h, sizeof(before));
	d = tp_restart(&f, ifd);
	/* the ring runs from the front-end's (stale) base, slot 0 wrap 1:
	 * C and D are seen again in the ring itself; A, which only the
	 * region knows about, is not handed out */
	ck_assert_msg(R.nheld == 2, "%s: %u chains", t_pk_bads[_i].what,
		      R.nheld);
	ck_assert_uint_eq(R.held_head[0], ids[2]);
	ck_assert_uint_eq(R.held_head[1], ids[3]);
	/* not tracked: a chain popped now leaves the area alone */
	t_post(&f, 2, 8, 8, NULL);
	vu_dev_kick(d, 2);
	ck_assert_uint_eq(R.nheld, 3);
	ck_assert_msg(memcmp(before, h, sizeof(before)) == 0,
		      "%s: the refused area was written", t_pk_bads[_i].what);
	t_complete_held(d, -1);
	ck_assert_msg(memcmp(before, h, sizeof(before)) == 0,
		      "%s: the refused area was written", t_pk_bads[_i].what);
	/* (the used entries went to slot 0 where the front-end's base
	 * said, not where the driver waits: what a refused region costs) */
	(void)got;
	(void)len;
	munmap(ifl, 3 * TP_QBYTES);
	close(ifd);
	R.nheld = 0;
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* RESET_DEVICE stops every ring and calls the device's reset. */
START_TEST(reset_device)
{
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, NULL, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	ck_assert(vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_RESET_DEVICE, 0, NULL, 0), 0);
	ck_assert(!vu_dev_queue_live(d, 2));
	ck_assert_uint_eq(R.resets, 1);
	ck_assert_uint_eq(R.stops[2], 1);
	ck_assert_uint_eq(vu_dev_features(d), 0);
	/* memory stays; the ring can be set up again */
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_FEATURES, f.features,
				    NULL, 0), 0);
	t_ring_setup(&f, 2, 16, 0);
	ck_assert(vu_dev_queue_live(d, 2));
	vu_dev_free(d);
	t_fe_fini(&f);
}
END_TEST

/* ------------------------------------------------------------ with a loop */

/* The loop watches the socket and the kick fds; the no-fd kick polls;
 * a peer that closes makes ops->closed run. */
START_TEST(loop_kicks_poll_and_close)
{
	int i, before = t_fd_count();
	vu_loop *loop = vu_loop_new();
	uint16_t got;
	uint32_t len;
	vscsi_vu_msg m;
	t_fe f;
	vu_dev *d;

	ck_assert_ptr_nonnull(loop);
	t_fe_init(&f);
	d = t_dev(&f, loop, 4);
	/* messages through the loop: send, run once, read the reply */
	t_msg(&m, VSCSI_VU_GET_QUEUE_NUM, VSCSI_VU_P_NONE, 0);
	t_send(&f, &m, NULL, 0);
	ck_assert_int_eq(vu_loop_run_once(loop, 1000), 1);
	{
		vu_msg r;

		t_reply(&f, &r);
		ck_assert_uint_eq(r.m.u.u64, 4);
	}
	/* the rest of the set-up by direct dispatch */
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	t_post(&f, 2, 4, 4, NULL);
	vu_eventfd_signal(f.r[2].kick);
	ck_assert_int_ge(vu_loop_run_once(loop, 1000), 1);
	ck_assert_int_eq(t_used(&f, 2, &got, &len), 1);
	/* ring 3 in polling mode: no kick fd at all */
	t_ring_setup(&f, 3, 16, 0);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_VRING_KICK,
				    3 | VSCSI_VU_NOFD_MASK, NULL, 0), 0);
	ck_assert(vu_dev_queue_live(d, 3));
	t_post(&f, 3, 4, 4, NULL);
	for (i = 0; i < 100 && t_used(&f, 3, &got, &len) == 0; i++)
		vu_loop_run_once(loop, 10);
	ck_assert_int_lt(i, 100);
	/* the peer goes away: closed is called once */
	close(f.sock);
	f.sock = -1;
	for (i = 0; i < 10 && !R.closed; i++)
		vu_loop_run_once(loop, 100);
	ck_assert_uint_eq(R.closed, 1);
	vu_dev_free(d);
	f.sock = open("/dev/null", O_RDONLY);
	t_fe_fini(&f);
	vu_loop_free(loop);
	ck_assert_int_eq(t_fd_count(), before);
}
END_TEST

/* A kick fd that is a pipe whose writer left fires EPOLLHUP for ever: it
 * is dropped (once), and the loop goes quiet. */
START_TEST(kick_fd_hangup)
{
	vu_loop *loop = vu_loop_new();
	int p[2], i, n = 0;
	t_fe f;
	vu_dev *d;

	t_fe_init(&f);
	d = t_dev(&f, loop, 3);
	t_negotiate(&f, T_SPLIT, 0);
	t_ring_setup(&f, 2, 16, 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_uint_eq(t_set_u64(&f, VSCSI_VU_SET_VRING_KICK, 2, &p[0], 1),
			  0);
	close(p[0]);
	close(p[1]);
	for (i = 0; i < 5; i++)
		n += vu_loop_run_once(loop, 20);
	ck_assert_int_eq(n, 1);
	ck_assert(vu_dev_queue_live(d, 2));
	vu_dev_free(d);
	t_fe_fini(&f);
	vu_loop_free(loop);
}
END_TEST

static unsigned t_loop_calls[4];
static vu_loop *t_loop_l;
static int t_loop_fds[2];

static void t_loop_cb(void *arg, int fd, uint32_t ev)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	(void)ev;
	t_loop_calls[i]++;
	vu_eventfd_drain(fd);
	/* the first removes the second, whose event is pending too */
	if (i == 0)
		vu_loop_del(t_loop_l, t_loop_fds[1]);
	else if (i == 1)
		vu_loop_del(t_loop_l, t_loop_fds[0]);
}

START_TEST(loop_delete_in_callback)
{
	int t;

	t_loop_l = vu_loop_new();
	t_loop_fds[0] = vu_eventfd();
	t_loop_fds[1] = vu_eventfd();
	memset(t_loop_calls, 0, sizeof(t_loop_calls));
	ck_assert_int_eq(vu_loop_add(t_loop_l, t_loop_fds[0], EPOLLIN,
				     t_loop_cb, (void *)0), 0);
	ck_assert_int_eq(vu_loop_add(t_loop_l, t_loop_fds[1], EPOLLIN,
				     t_loop_cb, (void *)1), 0);
	ck_assert_int_ne(vu_loop_add(t_loop_l, t_loop_fds[1], EPOLLIN,
				     t_loop_cb, (void *)1), 0);
	vu_eventfd_signal(t_loop_fds[0]);
	vu_eventfd_signal(t_loop_fds[1]);
	ck_assert_int_eq(vu_loop_run_once(t_loop_l, 1000), 1);
	ck_assert_uint_eq(t_loop_calls[0] + t_loop_calls[1], 1);
	/* a timer */
	t = vu_timerfd(5, 0);
	ck_assert_int_ge(t, 0);
	ck_assert_int_eq(vu_loop_add(t_loop_l, t, EPOLLIN, t_loop_cb,
				     (void *)2), 0);
	ck_assert_int_eq(vu_loop_run_once(t_loop_l, 1000), 1);
	ck_assert_uint_eq(t_loop_calls[2], 1);
	vu_loop_stop(t_loop_l);
	ck_assert(vu_loop_stopped(t_loop_l));
	ck_assert_int_eq(vu_loop_run(t_loop_l), 0);
	vu_loop_free(t_loop_l);
	close(t);
	close(t_loop_fds[0]);
	close(t_loop_fds[1]);
}
END_TEST

static Suite *vu_dev_suite(void)
{
	Suite *s = suite_create("vu_dev");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, features_and_protocol_features);
	tcase_add_test(tc, reply_ack);
	tcase_add_test(tc, setup_and_chains);
	tcase_add_test(tc, new_call_fd_signalled);
	tcase_add_test(tc, packed_ring);
	tcase_add_test(tc, get_vring_base_stops);
	tcase_add_test(tc, vring_enable);
	tcase_add_test(tc, bad_ring_refused);
	tcase_add_test(tc, malformed_chain_breaks_one_ring);
	tcase_add_test(tc, mem_table_replace);
	tcase_add_test(tc, add_rem_mem_reg);
	tcase_add_loop_test(tc, bad_message_closes, 0, (int)ARRAY_LEN(t_bads));
	tcase_add_test(tc, garbage_closes);
	tcase_add_test(tc, other_connection_unaffected);
	tcase_add_test(tc, inflight_tracking);
	tcase_add_test(tc, inflight_last_batch);
	tcase_add_test(tc, inflight_held_batch);
	tcase_add_test(tc, inflight_packed);
	tcase_add_loop_test(tc, inflight_packed_interrupted, 0, 2);
	tcase_add_loop_test(tc, inflight_packed_refused, 0,
			    (int)ARRAY_LEN(t_pk_bads));
	tcase_add_test(tc, reset_device);
	tcase_add_test(tc, loop_kicks_poll_and_close);
	tcase_add_test(tc, loop_delete_in_callback);
	tcase_add_test(tc, kick_fd_hangup);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(vu_dev_suite)
