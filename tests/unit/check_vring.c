/*
 * Virtqueues: the split and packed chain walkers (every rule and its error),
 * the device side (pop/push/notify), the driver side (add/get_used/kick),
 * index and wrap-counter wrap-around, base save/restore, broken queues, and
 * a two-thread stress of a driver and a device sharing one ring.
 *
 * Layouts are virtio 1.2 section 2.7 (split) and 2.8 (packed); the rings
 * live in plain malloc'd memory seen through a guest memory map.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/gmem.h"
#include "vscsi/vring.h"

/*
 * Guest memory for every test (gpa -> host offset):
 *   R0  [0x00000, 0x40000) -> host + 0x00000  rings, tables, data
 *   R1  [0x40000, 0x50000) -> host + 0x80000  adjacent to R0 in gpa only
 *   gap [0x50000, 0x60000)
 *   R2  [0x60000, 0x80000) -> host + 0x50000
 *   BIG [4 GiB, 16 GiB)    -> host + 0xf0000  only mapped, never touched
 *                                            (for length-overflow cases)
 */
#define HOST_SIZE 0x100000
#define GAP 0x50000ull
#define R1 0x40000ull
#define R2_END 0x80000ull
#define BIG 0x100000000ull

#define DESC_GPA 0x1000ull	/* split table / packed ring */
#define AVAIL_GPA 0x3000ull	/* split avail / packed driver event */
#define USED_GPA 0x4000ull	/* split used / packed device event */
#define TABLE_GPA 0x8000ull	/* indirect tables */
#define DATA_GPA 0x10000ull

#define NEXT VSCSI_VRING_DESC_F_NEXT
#define WR VSCSI_VRING_DESC_F_WRITE
#define IND VSCSI_VRING_DESC_F_INDIRECT
#define PAVAIL VSCSI_VRING_DESC_F_AVAIL
#define PUSED VSCSI_VRING_DESC_F_USED

static uint8_t *g_host;
static vscsi_gmem *g_mem;
static struct iovec g_iov[64];
static uint64_t g_addr[64];
static vscsi_chain g_c;

static void mem_setup(void)
{
	g_host = aligned_alloc(4096, HOST_SIZE);
	ck_assert_ptr_nonnull(g_host);
	memset(g_host, 0, HOST_SIZE);
	g_mem = vscsi_gmem_new();
	ck_assert_ptr_nonnull(g_mem);
	ck_assert_int_eq(vscsi_gmem_add(g_mem, 0, 0x40000, 0x7000000000ull, g_host), 0);
	ck_assert_int_eq(vscsi_gmem_add(g_mem, R1, 0x10000, 0x7000040000ull,
					g_host + 0x80000), 0);
	ck_assert_int_eq(vscsi_gmem_add(g_mem, 0x60000, 0x20000, 0x7000060000ull,
					g_host + 0x50000), 0);
	ck_assert_int_eq(vscsi_gmem_add(g_mem, BIG, 0x300000000ull, 0x7100000000ull,
					g_host + 0xf0000), 0);
	vscsi_chain_init(&g_c, g_iov, 64);
	vscsi_chain_set_addr(&g_c, g_addr);
}

static void mem_teardown(void)
{
	vscsi_gmem_free(g_mem);
	free(g_host);
	g_mem = NULL;
	g_host = NULL;
}

static uint8_t *H(uint64_t gpa)
{
	uint8_t *p = vscsi_gmem_ptr(g_mem, gpa, 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* Write bytes to guest memory, byte by byte (a table may span regions;
 * bytes that fall outside memory are dropped). */
static void gwrite(uint64_t gpa, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t *p = vscsi_gmem_ptr(g_mem, gpa + i, 1);

		if (p)
			*p = src[i];
	}
}

static void le16(uint8_t *p, uint16_t v) { vscsi_put_le16(p, v); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Split descriptor (2.7.5): le64 addr, le32 len, le16 flags, le16 next. */
static void sdesc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t raw[16];

	vscsi_put_le64(raw, addr);
	vscsi_put_le32(raw + 8, len);
	vscsi_put_le16(raw + 12, flags);
	vscsi_put_le16(raw + 14, next);
	gwrite(table + 16ull * i, raw, 16);
}

static void sdesc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	sdesc_at(DESC_GPA, i, addr, len, flags, next);
}

/* Packed descriptor (2.8.13): le64 addr, le32 len, le16 id, le16 flags. */
static void pdesc_at(uint64_t ring, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t id, uint16_t flags)
{
	uint8_t raw[16];

	vscsi_put_le64(raw, addr);
	vscsi_put_le32(raw + 8, len);
	vscsi_put_le16(raw + 12, id);
	vscsi_put_le16(raw + 14, flags);
	gwrite(ring + 16ull * i, raw, 16);
}

static void pdesc(unsigned i, uint64_t addr, uint32_t len, uint16_t id,
		  uint16_t flags)
{
	pdesc_at(DESC_GPA, i, addr, len, id, flags);
}

static int walk_s(uint16_t num, uint16_t head, unsigned flags)
{
	return vscsi_chain_walk_split(H(DESC_GPA), num, head, g_mem, flags, &g_c);
}

static int walk_p(uint16_t num, uint16_t slot, unsigned flags)
{
	return vscsi_chain_walk_packed(H(DESC_GPA), num, slot, g_mem, flags, &g_c);
}

/* ================================================== split walker */

START_TEST(test_split_simple)
{
	sdesc(0, DATA_GPA, 16, NEXT, 1);
	sdesc(1, DATA_GPA + 0x100, 32, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.head, 0);
	ck_assert_uint_eq(g_c.ndesc, 2);
	ck_assert_uint_eq(g_c.flags, 0);
	ck_assert_uint_eq(g_c.n_out, 1);
	ck_assert_uint_eq(g_c.n_in, 1);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 1);
	ck_assert_uint_eq(g_c.out_len, 16);
	ck_assert_uint_eq(g_c.in_len, 32);
	ck_assert_ptr_eq(g_iov[0].iov_base, H(DATA_GPA));
	ck_assert_uint_eq(g_iov[0].iov_len, 16);
	ck_assert_ptr_eq(g_iov[1].iov_base, H(DATA_GPA + 0x100));
	ck_assert_uint_eq(g_addr[1], DATA_GPA + 0x100);

	/* a chain starting in the middle of the table, linked backwards */
	sdesc(5, DATA_GPA, 4, NEXT, 2);
	sdesc(2, DATA_GPA + 8, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 5, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.head, 5);
	ck_assert_uint_eq(g_c.n_out, 2);
	ck_assert_uint_eq(g_c.n_in, 0);
	ck_assert_uint_eq(g_c.out_len, 8);
}
END_TEST

/* A buffer crossing from R0 into R1 becomes two iovecs, one per region. */
START_TEST(test_split_cross_region)
{
	sdesc(0, R1 - 0x10, 0x30, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.n_in, 2);
	ck_assert_uint_eq(g_c.desc_in, 1);
	ck_assert_uint_eq(g_c.in_len, 0x30);
	ck_assert_ptr_eq(g_iov[0].iov_base, H(R1 - 0x10));
	ck_assert_uint_eq(g_iov[0].iov_len, 0x10);
	ck_assert_ptr_eq(g_iov[1].iov_base, H(R1));
	ck_assert_uint_eq(g_iov[1].iov_len, 0x20);
	ck_assert_uint_eq(g_addr[0], R1 - 0x10);
	ck_assert_uint_eq(g_addr[1], R1);
	/* the host pointers really are apart */
	ck_assert_ptr_ne((uint8_t *)g_iov[0].iov_base + 0x10, g_iov[1].iov_base);
}
END_TEST

START_TEST(test_split_zero_len)
{
	sdesc(0, DATA_GPA, 0, NEXT, 1);
	sdesc(1, 0xdead0000000ull, 0, WR | NEXT, 2);	/* not even mapped */
	sdesc(2, DATA_GPA, 8, WR, 0);
	ck_assert_int_eq(walk_s(4, 0, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.n_out, 0);
	ck_assert_uint_eq(g_c.n_in, 1);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 2);
	ck_assert_uint_eq(g_c.in_len, 8);
	ck_assert_uint_eq(g_c.ndesc, 3);
}
END_TEST

START_TEST(test_split_head)
{
	sdesc(0, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 8, 0), VSCSI_ERR_HEAD);
	ck_assert_int_eq(walk_s(8, 0xffff, 0), VSCSI_ERR_HEAD);
	ck_assert_int_eq(walk_s(8, 7, 0), VSCSI_OK);
}
END_TEST

START_TEST(test_split_desc_index)
{
	sdesc(0, DATA_GPA, 4, NEXT, 8);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_DESC_INDEX);
	sdesc(0, DATA_GPA, 4, NEXT, 0xffff);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_DESC_INDEX);
	sdesc(0, DATA_GPA, 4, NEXT, 7);
	sdesc(7, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);
}
END_TEST

START_TEST(test_split_loop)
{
	sdesc(0, DATA_GPA, 4, NEXT, 1);
	sdesc(1, DATA_GPA, 4, NEXT, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_DESC_LOOP);
	sdesc(3, DATA_GPA, 4, NEXT, 3);
	ck_assert_int_eq(walk_s(8, 3, 0), VSCSI_ERR_DESC_LOOP);
	/* zero-length descriptors loop just the same */
	sdesc(4, DATA_GPA, 0, NEXT, 5);
	sdesc(5, DATA_GPA, 0, NEXT, 4);
	ck_assert_int_eq(walk_s(8, 4, 0), VSCSI_ERR_DESC_LOOP);
	/* a chain using the whole table once is not a loop */
	for (unsigned i = 0; i < 8; i++)
		sdesc(i, DATA_GPA, 1, i < 7 ? NEXT : 0, (uint16_t)(i + 1));
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.ndesc, 8);
}
END_TEST

START_TEST(test_split_indirect_good)
{
	/* WRITE on the descriptor that points at a table is ignored */
	sdesc(2, TABLE_GPA, 48, IND | WR, 0);
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 2);
	sdesc_at(TABLE_GPA, 2, DATA_GPA + 0x100, 8, WR | NEXT, 1);
	sdesc_at(TABLE_GPA, 1, DATA_GPA + 0x200, 512, WR, 0);
	ck_assert_int_eq(walk_s(8, 2, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.flags, VSCSI_CHAIN_INDIRECT);
	ck_assert_uint_eq(g_c.ndesc, 1);
	ck_assert_uint_eq(g_c.head, 2);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 2);
	ck_assert_uint_eq(g_c.out_len, 16);
	ck_assert_uint_eq(g_c.in_len, 520);
	ck_assert_ptr_eq(g_iov[2].iov_base, H(DATA_GPA + 0x200));

	/* zero or more direct descriptors, then one indirect (2.7.5.3.2) */
	sdesc(0, DATA_GPA, 16, NEXT, 2);
	sdesc_at(TABLE_GPA, 0, DATA_GPA + 0x100, 8, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.ndesc, 2);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 1);
}
END_TEST

/* An indirect table that starts in R0 and ends in R1 is read entry by
 * entry through the map. */
START_TEST(test_split_indirect_spanning)
{
	uint64_t t = R1 - 24;	/* entry 1 straddles the boundary */

	sdesc(0, t, 48, IND, 0);
	sdesc_at(t, 0, DATA_GPA, 16, NEXT, 1);
	sdesc_at(t, 1, DATA_GPA + 0x100, 8, WR | NEXT, 2);
	sdesc_at(t, 2, DATA_GPA + 0x200, 4, WR, 0);
	ck_assert_ptr_null(vscsi_gmem_ptr(g_mem, t, 48));
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 2);
	ck_assert_uint_eq(g_c.in_len, 12);
	ck_assert_ptr_eq(g_iov[2].iov_base, H(DATA_GPA + 0x200));
}
END_TEST

START_TEST(test_split_indirect_off)
{
	sdesc(0, TABLE_GPA, 16, IND, 0);
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_INDIRECT_OFF);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
}
END_TEST

START_TEST(test_split_indirect_nested)
{
	sdesc(0, TABLE_GPA, 32, IND | NEXT, 1);
	sdesc(1, DATA_GPA, 4, 0, 0);
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_NESTED);
	/* a table pointing at a table */
	sdesc(0, TABLE_GPA, 32, IND, 0);
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
	sdesc_at(TABLE_GPA, 1, TABLE_GPA + 0x100, 16, IND, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_NESTED);
}
END_TEST

/* Every table length from 0 to 16*(num+1): only multiples of 16 up to
 * 16*num pass (2.7.5.3: len/16 descriptors; never more than the ring). */
START_TEST(test_split_indirect_len)
{
	uint32_t len;
	unsigned i;

	for (i = 0; i < 9; i++)
		sdesc_at(TABLE_GPA, i, DATA_GPA, 1, 0, 0);
	for (len = 0; len <= 16 * 9; len++) {
		int r;

		sdesc(0, TABLE_GPA, len, IND, 0);
		r = walk_s(8, 0, VSCSI_WALK_INDIRECT);
		if (len == 0 || len % 16 || len > 16 * 8)
			ck_assert_int_eq(r, VSCSI_ERR_INDIRECT_LEN);
		else
			ck_assert_int_eq(r, VSCSI_OK);
	}
}
END_TEST

START_TEST(test_split_indirect_inner_errors)
{
	sdesc(0, TABLE_GPA, 32, IND, 0);
	/* next beyond the table (not beyond the ring) */
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 2);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_DESC_INDEX);
	/* a loop inside the table */
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, NEXT, 1);
	sdesc_at(TABLE_GPA, 1, DATA_GPA, 16, NEXT, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_DESC_LOOP);
	/* order inside the table */
	sdesc_at(TABLE_GPA, 0, DATA_GPA, 16, WR | NEXT, 1);
	sdesc_at(TABLE_GPA, 1, DATA_GPA, 16, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_DESC_ORDER);
	/* a buffer outside memory inside the table */
	sdesc_at(TABLE_GPA, 0, GAP, 16, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_ADDR);
}
END_TEST

/* An indirect table whose last bytes run off the end of memory, cut at
 * every offset: ADDR until the whole table fits. */
START_TEST(test_split_indirect_table_cut)
{
	unsigned cut;

	for (cut = 1; cut <= 48; cut++) {
		uint64_t t = R2_END - cut;
		int r;

		sdesc(0, t, 48, IND, 0);
		sdesc_at(t, 0, DATA_GPA, 16, NEXT, 1);
		sdesc_at(t, 1, DATA_GPA, 16, NEXT, 2);
		sdesc_at(t, 2, DATA_GPA, 16, 0, 0);
		r = walk_s(8, 0, VSCSI_WALK_INDIRECT);
		ck_assert_int_eq(r, cut < 48 ? VSCSI_ERR_ADDR : VSCSI_OK);
	}
	/* a table in the gap, and one running from R1 into the gap */
	sdesc(0, GAP + 0x100, 16, IND, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_ADDR);
	sdesc(0, GAP - 16, 32, IND, 0);
	ck_assert_int_eq(walk_s(8, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_ADDR);
}
END_TEST

START_TEST(test_split_addr)
{
	sdesc(0, GAP, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_ADDR);
	sdesc(0, GAP - 4, 5, 0, 0);		/* the last byte is out */
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_ADDR);
	sdesc(0, GAP - 4, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);
	sdesc(0, UINT64_MAX - 1, 4, 0, 0);	/* wraps past 2^64 */
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_ADDR);
	/* the second buffer is the bad one */
	sdesc(0, DATA_GPA, 4, NEXT, 1);
	sdesc(1, 0x90000, 4, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_ADDR);
}
END_TEST

START_TEST(test_split_order)
{
	sdesc(0, DATA_GPA, 4, WR | NEXT, 1);
	sdesc(1, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_DESC_ORDER);
	/* a zero-length readable after a writable is still out of order */
	sdesc(1, DATA_GPA, 0, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_DESC_ORDER);
}
END_TEST

/* Direct descriptors plus an indirect table, together more than num. */
START_TEST(test_split_chain_long)
{
	unsigned i;

	sdesc(0, DATA_GPA, 4, NEXT, 1);
	sdesc(1, DATA_GPA, 4, NEXT, 2);
	sdesc(2, TABLE_GPA, 64, IND, 0);
	for (i = 0; i < 4; i++)
		sdesc_at(TABLE_GPA, i, DATA_GPA, 4, (uint16_t)(WR | (i < 3 ? NEXT : 0)),
			 (uint16_t)(i + 1));
	ck_assert_int_eq(walk_s(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_CHAIN_LONG);
	/* 1 direct + 3 in the table = 4 = num: fine */
	sdesc(0, DATA_GPA, 4, NEXT, 2);
	sdesc(2, TABLE_GPA, 48, IND, 0);
	sdesc_at(TABLE_GPA, 2, DATA_GPA, 4, WR, 0);
	ck_assert_int_eq(walk_s(4, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.desc_out + g_c.desc_in, 4);
}
END_TEST

START_TEST(test_split_iov_full)
{
	vscsi_chain c;
	struct iovec iov[2];

	sdesc(0, DATA_GPA, 4, NEXT, 1);
	sdesc(1, DATA_GPA, 4, WR, 0);
	vscsi_chain_init(&c, iov, 1);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 0, g_mem, 0, &c),
			 VSCSI_ERR_IOV_FULL);
	vscsi_chain_init(&c, iov, 2);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 0, g_mem, 0, &c),
			 VSCSI_OK);
	/* one descriptor that crosses regions needs two */
	sdesc(2, R1 - 2, 4, 0, 0);
	vscsi_chain_init(&c, iov, 1);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 2, g_mem, 0, &c),
			 VSCSI_ERR_IOV_FULL);
	vscsi_chain_init(&c, NULL, 0);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 2, g_mem, 0, &c),
			 VSCSI_ERR_IOV_FULL);
	/* zero-length buffers need no iovec at all */
	sdesc(3, DATA_GPA, 0, 0, 0);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 3, g_mem, 0, &c),
			 VSCSI_OK);
}
END_TEST

/* Each direction is capped at UINT32_MAX bytes and the chain at 2^32
 * (2.7.5: "longer than 2^32 bytes in total"). BIG is mapped, not touched. */
START_TEST(test_split_len_overflow)
{
	sdesc(0, BIG, UINT32_MAX, NEXT, 1);
	sdesc(1, BIG, 1, 0, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_INVALID);
	sdesc(1, BIG, 1, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_OK);	/* exactly 2^32 */
	ck_assert_uint_eq(g_c.out_len, UINT32_MAX);
	ck_assert_uint_eq(g_c.in_len, 1);
	sdesc(1, BIG, 2, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_INVALID);
	sdesc(0, BIG, 0x80000000u, WR | NEXT, 1);
	sdesc(1, BIG, 0x80000000u, WR, 0);
	ck_assert_int_eq(walk_s(8, 0, 0), VSCSI_ERR_INVALID);
}
END_TEST

/* Two walks of one chain gave the same answer and the same chain. */
static void same_walk(int ra, const vscsi_chain *a, const uint64_t *aa,
		      int rb, const vscsi_chain *b, const uint64_t *ba)
{
	unsigned k;

	ck_assert_int_eq(ra, rb);
	if (ra != VSCSI_OK)
		return;
	ck_assert_uint_eq(a->head, b->head);
	ck_assert_uint_eq(a->ndesc, b->ndesc);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->n_out, b->n_out);
	ck_assert_uint_eq(a->n_in, b->n_in);
	ck_assert_uint_eq(a->desc_out, b->desc_out);
	ck_assert_uint_eq(a->desc_in, b->desc_in);
	ck_assert_uint_eq(a->out_len, b->out_len);
	ck_assert_uint_eq(a->in_len, b->in_len);
	for (k = 0; k < a->n_out + a->n_in; k++) {
		ck_assert_ptr_eq(a->iov[k].iov_base, b->iov[k].iov_base);
		ck_assert_uint_eq(a->iov[k].iov_len, b->iov[k].iov_len);
		ck_assert_uint_eq(aa[k], ba[k]);
	}
}

/* The short path for split chains (VRING_FAST_MAX direct descriptors in
 * one region) against the general walker, on random tables: the same
 * answer and the same chain for every head, whatever the table holds. */
START_TEST(test_split_fast_same)
{
	static const uint64_t addrs[] = {DATA_GPA, DATA_GPA + 0x100, R1 - 8,
					 R1, GAP, BIG, 0x60000, 0x7fff0};
	static const uint32_t lens[] = {0, 1, 16, 51, 108, 4096, 0x20000,
					UINT32_MAX};
	struct iovec ia[16], ib[16];
	uint64_t aa[16], ba[16], rng = 0x243f6a8885a308d3ull;
	vscsi_chain a, b;
	unsigned t, i, ok = 0, multi = 0, bad = 0, ind = 0;

	for (t = 0; t < 3000; t++) {
		uint16_t num = (uint16_t)(4u << (t % 3));
		unsigned cap = t % 5 == 0 ? 2 : 16;

		for (i = 0; i < num; i++) {
			uint16_t fl = 0;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			if (rng & 0x3)
				fl |= NEXT;
			if (rng >> 2 & 0x1)
				fl |= WR;
			if ((rng >> 3 & 0xf) == 0)
				fl |= IND;
			sdesc(i, addrs[rng >> 8 & 7] + (rng >> 11 & 1 ? 0 : 4),
			      lens[rng >> 12 & 7] & (rng >> 15 & 1 ? ~0u : 0xffu),
			      fl, (uint16_t)((rng >> 16) % (num + 1u)));
			if (t % 4 != 3 || i > 3)
				continue;
			/* half the time: descriptor 0 is an indirect table
			 * of four, built of the same random entries */
			sdesc_at(TABLE_GPA, i, addrs[rng >> 8 & 7],
				 lens[rng >> 12 & 7] & 0xffu, (uint16_t)(fl & ~IND),
				 (uint16_t)((rng >> 16) % 5u));
			if (i == 3 && (rng >> 20 & 1))
				sdesc(0, TABLE_GPA, 64, IND, 0);
		}
		for (i = 0; i < num; i++) {
			unsigned wf = t & 1 ? VSCSI_WALK_INDIRECT : 0;
			int ra, rb;

			vscsi_chain_init(&a, ia, cap);
			vscsi_chain_set_addr(&a, aa);
			vscsi_chain_init(&b, ib, cap);
			vscsi_chain_set_addr(&b, ba);
			ra = vscsi_chain_walk_split(H(DESC_GPA), num, (uint16_t)i,
						    g_mem, wf, &a);
			rb = vscsi_chain_walk_split(H(DESC_GPA), num, (uint16_t)i,
						    g_mem, wf | VSCSI_WALK_GENERAL,
						    &b);
			same_walk(ra, &a, aa, rb, &b, ba);
			if (ra == VSCSI_OK) {
				ok++;
				multi += a.ndesc > 2 || a.desc_out + a.desc_in > 2;
				ind += (a.flags & VSCSI_CHAIN_INDIRECT) &&
				       a.desc_out + a.desc_in > 1;
			} else {
				bad++;
			}
		}
	}
	/* both kinds of outcome, and chains of several descriptors */
	ck_assert_uint_gt(ok, 1000);
	ck_assert_uint_gt(multi, 100);
	ck_assert_uint_gt(bad, 1000);
	ck_assert_uint_gt(ind, 30);
}
END_TEST

START_TEST(test_walk_args)
{
	vscsi_chain c;
	struct iovec iov[1];

	vscsi_chain_init(&c, iov, 1);
	ck_assert_int_eq(vscsi_chain_walk_split(NULL, 8, 0, g_mem, 0, &c), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 0, 0, g_mem, 0, &c),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_chain_walk_split(H(DESC_GPA), 8, 0, NULL, 0, &c),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_chain_walk_packed(H(DESC_GPA), 8, 0, g_mem, 0, NULL),
			 VSCSI_ERR_ARG);
	c.iov = NULL;
	c.cap = 4;
	ck_assert_int_eq(vscsi_chain_walk_packed(H(DESC_GPA), 8, 0, g_mem, 0, &c),
			 VSCSI_ERR_ARG);
}
END_TEST

/* ================================================== packed walker */

START_TEST(test_packed_simple)
{
	/* the buffer id is the last descriptor's (2.8.6) */
	pdesc(0, DATA_GPA, 16, 7, NEXT | PAVAIL);
	pdesc(1, DATA_GPA + 0x100, 32, 9, WR | PAVAIL);
	ck_assert_int_eq(walk_p(8, 0, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.head, 9);
	ck_assert_uint_eq(g_c.ndesc, 2);
	ck_assert_uint_eq(g_c.flags, VSCSI_CHAIN_PACKED);
	ck_assert_uint_eq(g_c.n_out, 1);
	ck_assert_uint_eq(g_c.n_in, 1);
	ck_assert_uint_eq(g_c.out_len, 16);
	ck_assert_uint_eq(g_c.in_len, 32);
	ck_assert_ptr_eq(g_iov[1].iov_base, H(DATA_GPA + 0x100));
	/* a chain over the end of the ring continues at slot 0 */
	pdesc(3, DATA_GPA, 4, 1, NEXT);
	pdesc(0, DATA_GPA, 4, 2, WR);
	ck_assert_int_eq(walk_p(4, 3, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.ndesc, 2);
	ck_assert_uint_eq(g_c.head, 2);
	/* zero-length and region-crossing buffers */
	pdesc(1, DATA_GPA, 0, 1, NEXT);
	pdesc(2, R1 - 8, 16, 5, WR);
	ck_assert_int_eq(walk_p(4, 1, 0), VSCSI_OK);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.n_out, 0);
	ck_assert_uint_eq(g_c.n_in, 2);
	ck_assert_uint_eq(g_addr[1], R1);
}
END_TEST

START_TEST(test_packed_errors)
{
	unsigned i;

	pdesc(0, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_p(4, 4, 0), VSCSI_ERR_HEAD);
	/* every slot says NEXT: longer than the ring */
	for (i = 0; i < 4; i++)
		pdesc(i, DATA_GPA, 4, 0, NEXT);
	ck_assert_int_eq(walk_p(4, 2, 0), VSCSI_ERR_CHAIN_LONG);
	/* order, address */
	pdesc(0, DATA_GPA, 4, 0, WR | NEXT);
	pdesc(1, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_p(4, 0, 0), VSCSI_ERR_DESC_ORDER);
	pdesc(0, GAP, 4, 0, 0);
	ck_assert_int_eq(walk_p(4, 0, 0), VSCSI_ERR_ADDR);
	/* iovecs */
	{
		vscsi_chain c;
		struct iovec iov[1];

		pdesc(0, R1 - 8, 16, 0, 0);
		vscsi_chain_init(&c, iov, 1);
		ck_assert_int_eq(vscsi_chain_walk_packed(H(DESC_GPA), 4, 0, g_mem, 0, &c),
				 VSCSI_ERR_IOV_FULL);
	}
	/* lengths */
	pdesc(0, BIG, UINT32_MAX, 0, NEXT);
	pdesc(1, BIG, 1, 0, 0);
	ck_assert_int_eq(walk_p(4, 0, 0), VSCSI_ERR_INVALID);
}
END_TEST

START_TEST(test_packed_indirect)
{
	/* table entries: ids and NEXT are ignored, entries are consecutive */
	pdesc(0, TABLE_GPA, 48, 3, IND | WR | PAVAIL);
	pdesc_at(TABLE_GPA, 0, DATA_GPA, 16, 77, 0);
	pdesc_at(TABLE_GPA, 1, DATA_GPA + 0x100, 8, 78, WR | NEXT);
	pdesc_at(TABLE_GPA, 2, DATA_GPA + 0x200, 8, 79, WR);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.head, 3);
	ck_assert_uint_eq(g_c.ndesc, 1);
	ck_assert_uint_eq(g_c.flags, VSCSI_CHAIN_PACKED | VSCSI_CHAIN_INDIRECT);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 2);
	ck_assert_uint_eq(g_c.in_len, 16);

	ck_assert_int_eq(walk_p(4, 0, 0), VSCSI_ERR_INDIRECT_OFF);
	/* INDIRECT inside a table */
	pdesc_at(TABLE_GPA, 1, TABLE_GPA, 16, 0, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_NESTED);
	pdesc_at(TABLE_GPA, 1, DATA_GPA, 8, 0, WR);
	/* INDIRECT with NEXT, and INDIRECT inside a NEXT-linked list (2.8.19) */
	pdesc(0, TABLE_GPA, 48, 3, IND | NEXT);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_NESTED);
	pdesc(0, DATA_GPA, 4, 3, NEXT);
	pdesc(1, TABLE_GPA, 48, 3, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_NESTED);
	/* lengths and addresses */
	pdesc(0, TABLE_GPA, 40, 3, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_LEN);
	pdesc(0, TABLE_GPA, 0, 3, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_LEN);
	pdesc(0, TABLE_GPA, 80, 3, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_INDIRECT_LEN);
	pdesc(0, GAP, 16, 3, IND);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_ADDR);
	/* a table spanning R0 and R1 */
	pdesc(0, R1 - 8, 32, 3, IND);
	pdesc_at(R1 - 8, 0, DATA_GPA, 4, 0, 0);
	pdesc_at(R1 - 8, 1, DATA_GPA, 4, 0, WR);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_OK);
	ck_assert_uint_eq(g_c.desc_out, 1);
	ck_assert_uint_eq(g_c.desc_in, 1);
	/* order inside a table */
	pdesc_at(R1 - 8, 0, DATA_GPA, 4, 0, WR);
	pdesc_at(R1 - 8, 1, DATA_GPA, 4, 0, 0);
	ck_assert_int_eq(walk_p(4, 0, VSCSI_WALK_INDIRECT), VSCSI_ERR_DESC_ORDER);
}
END_TEST

/* ================================================== queues: helpers */

static vscsi_vq *g_drv, *g_dev;

static void pair_split(uint16_t num, unsigned flags)
{
	g_drv = vscsi_vq_new();
	g_dev = vscsi_vq_new();
	ck_assert_ptr_nonnull(g_drv);
	ck_assert_ptr_nonnull(g_dev);
	ck_assert_int_eq(vscsi_vq_drv_setup_split(g_drv, num, H(DESC_GPA),
						  H(AVAIL_GPA), H(USED_GPA),
						  flags), VSCSI_OK);
	ck_assert_int_eq(vscsi_vq_setup_split(g_dev, num, H(DESC_GPA), H(AVAIL_GPA),
					      H(USED_GPA), flags), VSCSI_OK);
}

static void pair_packed(uint16_t num, unsigned flags)
{
	g_drv = vscsi_vq_new();
	g_dev = vscsi_vq_new();
	ck_assert_int_eq(vscsi_vq_drv_setup_packed(g_drv, num, H(DESC_GPA),
						   H(AVAIL_GPA), H(USED_GPA),
						   flags), VSCSI_OK);
	ck_assert_int_eq(vscsi_vq_setup_packed(g_dev, num, H(DESC_GPA),
					       H(AVAIL_GPA), H(USED_GPA),
					       flags), VSCSI_OK);
}

static void pair_free(void)
{
	vscsi_vq_free(g_drv);
	vscsi_vq_free(g_dev);
	g_drv = g_dev = NULL;
}

/* Add a chain of n buffers (1 readable, n-1 writable) tagged with `tag` in
 * the first byte of its readable buffer. Buffers per tag live apart. */
static int drv_add_tagged(unsigned n, uint8_t tag, uint16_t *id)
{
	struct vscsi_desc d[4];
	uint64_t base = DATA_GPA + (uint64_t)tag * 0x100;
	unsigned i;

	for (i = 0; i < n; i++) {
		d[i].addr = base + i * 0x20;
		d[i].len = 0x10;
		d[i].flags = i ? WR : 0;
	}
	H(base)[0] = tag;
	return vscsi_vq_drv_add(g_drv, d, n, id);
}

static uint8_t chain_tag(const vscsi_chain *c)
{
	ck_assert_uint_ge(c->n_out, 1);
	return ((const uint8_t *)c->iov[0].iov_base)[0];
}

/* ================================================== round trips */

/* Fill the ring with chains of 1..3 descriptors, complete them in reverse
 * order, and check every id and length on the driver side. */
static void round_trip_many(int packed)
{
	uint16_t ids[64], id;
	uint8_t tags[64];
	unsigned n = 0, i, rounds;
	uint32_t len;

	if (packed)
		pair_packed(16, 0);
	else
		pair_split(16, 0);
	for (rounds = 0; rounds < 3; rounds++) {
		uint16_t heads[64], ndescs[64];

		n = 0;
		for (;;) {
			unsigned k = n % 3 + 1;
			int r = drv_add_tagged(k, (uint8_t)(n + 1), &ids[n]);

			if (r == VSCSI_ERR_NOSPACE)
				break;
			ck_assert_int_eq(r, VSCSI_OK);
			tags[n] = (uint8_t)(n + 1);
			n++;
		}
		/* 16 descriptors: 1+2+3+1+2+3+1+2 = 15, then a 3 does not fit */
		ck_assert_uint_eq(n, 8);
		ck_assert_uint_eq(vscsi_vq_inflight(g_drv), 8);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
			ck_assert_uint_eq(chain_tag(&g_c), tags[i]);
			ck_assert_uint_eq(g_c.desc_out, 1);
			ck_assert_uint_eq(g_c.desc_in, i % 3);
			ck_assert_uint_eq(g_c.head, ids[i]);
			ck_assert_uint_eq(g_c.ndesc, i % 3 + 1);
			heads[i] = g_c.head;
			ndescs[i] = g_c.ndesc;
		}
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
		ck_assert_uint_eq(vscsi_vq_inflight(g_dev), 8);
		for (i = n; i-- > 0;)
			ck_assert_int_eq(vscsi_vq_push(g_dev, heads[i], ndescs[i],
						       1000u + i), VSCSI_OK);
		ck_assert_uint_eq(vscsi_vq_inflight(g_dev), 0);
		for (i = n; i-- > 0;) {
			ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
			ck_assert_uint_eq(id, ids[i]);
			ck_assert_uint_eq(len, 1000u + i);
		}
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
		ck_assert_uint_eq(vscsi_vq_inflight(g_drv), 0);
	}
	pair_free();
}

START_TEST(test_split_round_trip_many)
{
	round_trip_many(0);
}
END_TEST

START_TEST(test_packed_round_trip_many)
{
	round_trip_many(1);
}
END_TEST

/* 70000 chains through a 4-entry split ring: the 16-bit avail and used
 * indices wrap; a few chains stay in flight the whole time. */
START_TEST(test_split_index_wrap)
{
	unsigned i;
	uint16_t id, inflight[2];
	uint32_t len;

	pair_split(4, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, &inflight[0]), 0);
	ck_assert_int_eq(drv_add_tagged(1, 2, &inflight[1]), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	for (i = 0; i < 70000; i++) {
		uint8_t tag = (uint8_t)(3 + i % 200);

		ck_assert_int_eq(drv_add_tagged(i % 2 + 1, tag, NULL), 0);
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(chain_tag(&g_c), tag);
		ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, i), 0);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
		ck_assert_uint_eq(len, i);
	}
	/* the avail index went around: 2 + 70000 mod 65536 */
	ck_assert_uint_eq(vscsi_vq_get_base(g_dev), (2 + 70000) % 65536);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 70000 % 65536);
	ck_assert_uint_eq(vscsi_vq_inflight(g_dev), 2);
	ck_assert_int_eq(vscsi_vq_push(g_dev, inflight[1], 1, 7), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_uint_eq(id, inflight[1]);
	ck_assert_uint_eq(vscsi_vq_inflight(g_drv), 1);
	pair_free();
}
END_TEST

/* A 5-entry packed ring (not a power of two) with chains of 1..3 slots,
 * completed out of order: both wrap counters flip many times. */
START_TEST(test_packed_wrap)
{
	unsigned i, flips = 0;
	uint32_t base, last_wrap;

	pair_packed(5, 0);
	last_wrap = vscsi_vq_get_base(g_dev) >> 15 & 1;
	ck_assert_uint_eq(vscsi_vq_get_base(g_dev), 0x80008000u);
	for (i = 0; i < 3000; i++) {
		uint16_t a, b, id;
		uint16_t ha, na, hb, nb;
		uint32_t len;
		unsigned ka = i % 3 + 1, kb = (i + 1) % 2 + 1;

		ck_assert_int_eq(drv_add_tagged(ka, 10, &a), 0);
		ck_assert_int_eq(drv_add_tagged(kb, 20, &b), 0);
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(chain_tag(&g_c), 10);
		ck_assert_uint_eq(g_c.ndesc, ka);
		ha = g_c.head;
		na = g_c.ndesc;
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(chain_tag(&g_c), 20);
		hb = g_c.head;
		nb = g_c.ndesc;
		ck_assert_uint_eq(ha, a);
		ck_assert_uint_eq(hb, b);
		/* b completes first */
		ck_assert_int_eq(vscsi_vq_push(g_dev, hb, nb, 2), 0);
		ck_assert_int_eq(vscsi_vq_push(g_dev, ha, na, 1), 0);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
		ck_assert_uint_eq(id, b);
		ck_assert_uint_eq(len, 2);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
		ck_assert_uint_eq(id, a);
		ck_assert_uint_eq(len, 1);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
		base = vscsi_vq_get_base(g_dev);
		if ((base >> 15 & 1) != last_wrap)
			flips++;
		last_wrap = base >> 15 & 1;
		/* avail and used positions agree when nothing is in flight */
		ck_assert_uint_eq(base & 0xffff, base >> 16);
	}
	ck_assert_uint_gt(flips, 1000);
	pair_free();
}
END_TEST

START_TEST(test_indirect_round_trip)
{
	int packed;

	for (packed = 0; packed < 2; packed++) {
		struct vscsi_desc d[3] = {
			{ DATA_GPA, 16, 0 },
			{ DATA_GPA + 0x100, 96, WR },
			{ DATA_GPA + 0x200, 4096, WR },
		};
		uint16_t id, got;
		uint32_t len;

		if (packed)
			pair_packed(8, VSCSI_VQ_INDIRECT);
		else
			pair_split(8, VSCSI_VQ_INDIRECT);
		ck_assert_int_eq(vscsi_vq_drv_add_indirect(g_drv, d, 3, H(TABLE_GPA),
							   TABLE_GPA, &id), 0);
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(g_c.flags & VSCSI_CHAIN_INDIRECT, VSCSI_CHAIN_INDIRECT);
		ck_assert_uint_eq(g_c.ndesc, 1);
		ck_assert_uint_eq(g_c.head, id);
		ck_assert_uint_eq(g_c.desc_out, 1);
		ck_assert_uint_eq(g_c.desc_in, 2);
		ck_assert_uint_eq(g_c.in_len, 4192);
		ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 100), 0);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &got, &len), 1);
		ck_assert_uint_eq(got, id);
		ck_assert_uint_eq(len, 100);
		pair_free();

		/* without the feature: the driver refuses, the device breaks */
		if (packed)
			pair_packed(8, 0);
		else
			pair_split(8, 0);
		ck_assert_int_eq(vscsi_vq_drv_add_indirect(g_drv, d, 3, H(TABLE_GPA),
							   TABLE_GPA, &id),
				 VSCSI_ERR_UNSUPPORTED);
		pair_free();
		if (packed) {
			pair_packed(8, 0);
			pdesc(0, TABLE_GPA, 48, 0, IND | PAVAIL);
		} else {
			pair_split(8, 0);
			sdesc(0, TABLE_GPA, 48, IND, 0);
			le16(H(AVAIL_GPA) + 2, 1);
		}
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_INDIRECT_OFF);
		ck_assert_int_eq(vscsi_vq_broken(g_dev), 1);
		pair_free();
	}
}
END_TEST

START_TEST(test_push_batch)
{
	int packed;

	for (packed = 0; packed < 2; packed++) {
		vscsi_used_elem e[3];
		uint16_t ids[3], id;
		uint32_t len;
		unsigned i;

		if (packed)
			pair_packed(8, 0);
		else
			pair_split(8, 0);
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(drv_add_tagged(i + 1, (uint8_t)i, &ids[i]), 0);
			ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
			e[2 - i].head = g_c.head;
			e[2 - i].ndesc = g_c.ndesc;
			e[2 - i].len = 10 + i;
		}
		ck_assert_int_eq(vscsi_vq_push_batch(g_dev, e, 3), 0);
		for (i = 3; i-- > 0;) {
			ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
			ck_assert_uint_eq(id, ids[i]);
			ck_assert_uint_eq(len, 10 + i);
		}
		ck_assert_int_eq(vscsi_vq_push_batch(g_dev, e, 0), 0);
		ck_assert_int_eq(vscsi_vq_push_batch(g_dev, NULL, 1), VSCSI_ERR_ARG);
		/* a bad element anywhere: nothing is written */
		e[1].head = 8;
		e[1].ndesc = 0;
		ck_assert_int_eq(vscsi_vq_push_batch(g_dev, e, 3), VSCSI_ERR_ARG);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
		pair_free();
	}
}
END_TEST

/* Packed used descriptors (2.8.1, 2.8.3): AVAIL = USED = the device wrap
 * counter, WRITE when bytes were written, id and len in place. */
/*
 * vscsi_vq_push_lazy: a split ring holds used entries back, one per four
 * chains the driver has waiting, and publishes them all with one idx
 * store; a lone request is answered at once; flush, push and push_batch
 * publish what is held, in order; set_base and setup drop it; a packed
 * ring publishes every entry at once.
 */
START_TEST(test_push_lazy)
{
	uint16_t ids[16], id;
	uint32_t len;
	unsigned i;

	/* one request waiting: no holding */
	pair_split(32, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, &ids[0]), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 5), 1);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_uint_eq(id, ids[0]);
	ck_assert_uint_eq(len, 5);
	pair_free();

	/* 16 waiting: held until four are answered */
	pair_split(32, 0);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(drv_add_tagged(1, (uint8_t)i, &ids[i]), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, i), 0);
		ck_assert_uint_eq(vscsi_vq_held(g_dev), i + 1);
		ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 0);
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	}
	/* nothing held is announced to the driver */
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 3), 4);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 4);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
		ck_assert_uint_eq(id, ids[i]);
		ck_assert_uint_eq(len, i);
	}
	/* held, then flushed; flushing nothing publishes nothing */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 4), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	ck_assert_int_eq(vscsi_vq_flush(g_dev), 1);
	ck_assert_int_eq(vscsi_vq_flush(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_uint_eq(id, ids[4]);
	/* held entries go out before a plain push's, with it */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 5), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 6), 0);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	for (i = 5; i < 7; i++) {
		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
		ck_assert_uint_eq(id, ids[i]);
		ck_assert_uint_eq(len, i);
	}
	/* a bad head is refused and holds nothing */
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, 32, 1, 0), VSCSI_ERR_ARG);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	/* a broken ring refuses pushes but publishes what it held */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 7), 0);
	{
		/* the next chain links past the table */
		uint8_t *d = H(DESC_GPA) + 16 * rd16(H(AVAIL_GPA) + 4 + 2 * 8);

		le16(d + 12, (uint16_t)(rd16(d + 12) | 1));
		le16(d + 14, 40);
	}
	ck_assert_int_lt(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, 0, 1, 0), VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_flush(g_dev), 1);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 8);
	/* set_base starts over from the ring: held entries are dropped */
	ck_assert_int_eq(vscsi_vq_setup_split(g_dev, 32, H(DESC_GPA), H(AVAIL_GPA),
					      H(USED_GPA), 0), 0);
	le16(H(AVAIL_GPA) + 2, 16);
	vscsi_vq_set_base(g_dev, 9);	/* past the broken chain */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, 1, 8), 0);
	vscsi_vq_set_base(g_dev, 10);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_flush(g_dev), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 8);
	pair_free();

	/* packed: every entry at once; nothing to flush */
	pair_packed(32, 0);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(drv_add_tagged(1, (uint8_t)i, &ids[i]), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push_lazy(g_dev, g_c.head, g_c.ndesc, 1), 1);
	ck_assert_uint_eq(vscsi_vq_held(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_flush(g_dev), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_uint_eq(id, ids[0]);
	pair_free();
	ck_assert_int_eq(vscsi_vq_push_lazy(NULL, 0, 1, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_flush(NULL), 0);
	ck_assert_uint_eq(vscsi_vq_held(NULL), 0);
}
END_TEST

START_TEST(test_packed_used_layout)
{
	uint8_t *d;

	pair_packed(4, 0);
	ck_assert_int_eq(drv_add_tagged(2, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 0x1234), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, NULL, NULL), 1);
	d = H(DESC_GPA);
	ck_assert_uint_eq(rd16(d + 14), PAVAIL | PUSED | WR);
	ck_assert_uint_eq(rd16(d + 12), g_c.head);
	ck_assert_uint_eq(rd32(d + 8), 0x1234);
	/* the next used entry goes to slot 2 (the chain took 2 slots) */
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 0), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, NULL, NULL), 1);
	ck_assert_uint_eq(rd16(d + 32 + 14), PAVAIL | PUSED);
	/* wrap: slot 3 then slot 0 in the next lap, written with counter 0 */
	ck_assert_int_eq(drv_add_tagged(2, 3, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 1), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, NULL, NULL), 1);
	ck_assert_uint_eq(rd16(d + 48 + 14), PAVAIL | PUSED | WR);
	ck_assert_int_eq(drv_add_tagged(1, 4, NULL), 0);
	/* the driver's descriptor in the new lap: AVAIL 0, USED 1 */
	ck_assert_uint_eq(rd16(d + 16 + 14) & (PAVAIL | PUSED), PUSED);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 1), 0);
	ck_assert_uint_eq(rd16(d + 16 + 14), WR);
	ck_assert_uint_eq(vscsi_vq_get_base(g_dev), 2u | 2u << 16);
	/* wrap counter 1 again? no: 0. A descriptor with AVAIL = USED = 1
	 * is used (by the last lap), not available */
	pdesc(2, DATA_GPA, 4, 0, PAVAIL | PUSED);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	pair_free();

	/* a used descriptor without WRITE: its len is reserved, read as 0
	 * (2.8.4) */
	pair_packed(4, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	vscsi_put_le32(H(DESC_GPA) + 8, 999);
	{
		uint32_t len = 5;

		ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, NULL, &len), 1);
		ck_assert_uint_eq(len, 0);
	}
	/* and a device at wrap 1 does not take an AVAIL|USED slot */
	pdesc(1, DATA_GPA, 4, 0, PAVAIL | PUSED);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	pair_free();
}
END_TEST

/* ================================================== broken queues */

START_TEST(test_split_avail_idx_broken)
{
	uint16_t id;
	uint32_t len;

	pair_split(8, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	le16(H(AVAIL_GPA) + 2, 9);	/* 9 ahead of 0 in an 8-entry ring */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_AVAIL_IDX);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 1);
	/* stays broken, even when the ring looks fine again */
	le16(H(AVAIL_GPA) + 2, 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_push(g_dev, 0, 1, 0), VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), VSCSI_ERR_RING_BROKEN);
	vscsi_vq_notify_enable(g_dev, 0);
	ck_assert_uint_eq(rd16(H(USED_GPA)), 0);	/* not touched */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_RING_BROKEN);
	/* exactly num ahead is fine */
	ck_assert_int_eq(vscsi_vq_setup_split(g_dev, 8, H(DESC_GPA), H(AVAIL_GPA),
					      H(USED_GPA), 0), 0);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 0);
	le16(H(AVAIL_GPA) + 2, 8);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	/* a head outside the table */
	pair_free();
	pair_split(8, 0);
	le16(H(AVAIL_GPA) + 4, 8);
	le16(H(AVAIL_GPA) + 2, 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_HEAD);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_RING_BROKEN);
	/* a device returning an id not in flight breaks the driver side */
	ck_assert_int_eq(drv_add_tagged(1, 1, &id), 0);
	vscsi_put_le32(H(USED_GPA) + 4, (uint32_t)id + 1);
	le16(H(USED_GPA) + 2, 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len),
			 VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_drv_add(g_drv, NULL, 1, NULL), VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), VSCSI_ERR_RING_BROKEN);
	pair_free();
	/* used idx running ahead, and an id >= num */
	pair_split(8, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, &id), 0);
	le16(H(USED_GPA) + 2, 9);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), VSCSI_ERR_INVALID);
	pair_free();
	pair_split(8, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, &id), 0);
	vscsi_put_le32(H(USED_GPA) + 4, 0x10000);
	le16(H(USED_GPA) + 2, 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), VSCSI_ERR_INVALID);
	pair_free();
}
END_TEST

START_TEST(test_packed_broken)
{
	vscsi_chain c;
	struct iovec iov[1];
	uint16_t id;
	uint32_t len;

	/* a walker error breaks the queue; IOV_FULL does too */
	pair_packed(4, 0);
	ck_assert_int_eq(drv_add_tagged(2, 1, NULL), 0);
	vscsi_chain_init(&c, iov, 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &c), VSCSI_ERR_IOV_FULL);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vscsi_vq_push(g_dev, 0, 1, 0), VSCSI_ERR_RING_BROKEN);
	pair_free();
	/* the device returns an id that is not in flight */
	pair_packed(4, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, &id), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, (uint16_t)(id + 1), 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_vq_broken(g_drv), 1);
	pair_free();
	/* a base whose slots are outside the ring */
	pair_packed(4, 0);
	vscsi_vq_set_base(g_dev, 4);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), VSCSI_ERR_RING_BROKEN);
	vscsi_vq_set_base(g_dev, 3u << 16);
	ck_assert_int_eq(vscsi_vq_setup_packed(g_dev, 4, H(DESC_GPA), H(AVAIL_GPA),
					       H(USED_GPA), 0), 0);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 0);
	vscsi_vq_set_base(g_dev, 4u << 16);
	ck_assert_int_eq(vscsi_vq_broken(g_dev), 1);
	pair_free();
}
END_TEST

/* ================================================== base */

START_TEST(test_split_base)
{
	vscsi_vq *vq = vscsi_vq_new();

	/* SET_VRING_BASE before the ring addresses */
	vscsi_vq_set_base(vq, 5);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 5);
	le16(H(USED_GPA) + 2, 3);	/* the back-end that ran before used 3 */
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, H(DESC_GPA), H(AVAIL_GPA),
					      H(USED_GPA), 0), 0);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 5);
	ck_assert_uint_eq(vscsi_vq_inflight(vq), 2);
	ck_assert_uint_eq(vscsi_vq_num(vq), 8);
	/* the next chain is the one at avail ring[5] */
	sdesc(6, DATA_GPA, 4, 0, 0);
	le16(H(AVAIL_GPA) + 4 + 2 * 5, 6);
	le16(H(AVAIL_GPA) + 2, 6);
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 1);
	ck_assert_uint_eq(g_c.head, 6);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 6);
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 0);
	/* the used entry goes to used ring[3] */
	ck_assert_int_eq(vscsi_vq_push(vq, 6, 1, 9), 0);
	ck_assert_uint_eq(rd32(H(USED_GPA) + 4 + 8 * 3), 6);
	ck_assert_uint_eq(rd32(H(USED_GPA) + 4 + 8 * 3 + 4), 9);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), 4);
	/* after setup; the reserved high bits are ignored */
	vscsi_vq_set_base(vq, 0xabcd0002u);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 2);
	vscsi_vq_free(vq);
	ck_assert_uint_eq(vscsi_vq_get_base(NULL), 0);
}
END_TEST

/* More chains published at once than the device copies the heads of when
 * it reads avail idx (64): every one pops in order, and after a rewind
 * (SET_VRING_BASE) the chains from the new base pop again. */
START_TEST(test_split_many_avail)
{
	uint16_t ids[200];
	unsigned i;

	pair_split(256, 0);
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(drv_add_tagged(1, (uint8_t)i, &ids[i]),
				 VSCSI_OK);
	for (i = 0; i < 150; i++) {
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(g_c.head, ids[i]);
		ck_assert_uint_eq(chain_tag(&g_c), (uint8_t)i);
	}
	vscsi_vq_set_base(g_dev, 10);
	for (i = 10; i < 200; i++) {
		ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
		ck_assert_uint_eq(g_c.head, ids[i]);
		ck_assert_uint_eq(chain_tag(&g_c), (uint8_t)i);
	}
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	pair_free();
}
END_TEST

/* Packed base (vhost-user.rst): bits 0-14 avail slot, 15 avail wrap,
 * 16-30 used slot, 31 used wrap. */
START_TEST(test_packed_base)
{
	vscsi_vq *vq = vscsi_vq_new();
	uint32_t base = 3u | 0u << 15 | 2u << 16 | 0u << 31;
	uint8_t *d = H(DESC_GPA);

	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 4, H(DESC_GPA), H(AVAIL_GPA),
					       H(USED_GPA), 0), 0);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 0x80008000u);
	vscsi_vq_set_base(vq, base);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), base);
	/* wrap counter 0: a descriptor is available with AVAIL 0, USED 1 */
	pdesc(3, DATA_GPA, 8, 42, PAVAIL);
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 0);
	/* AVAIL == USED == 0: a used descriptor, not an available one */
	pdesc(3, DATA_GPA, 8, 42, 0);
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 0);
	pdesc(3, DATA_GPA, 8, 42, PUSED);
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 1);
	ck_assert_uint_eq(g_c.head, 42);
	/* slot 3 was the last: the avail wrap counter flips to 1 */
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 0u | 1u << 15 | 2u << 16);
	ck_assert_int_eq(vscsi_vq_push(vq, 42, 1, 0), 0);
	ck_assert_uint_eq(rd16(d + 2 * 16 + 14), 0);	/* used with counter 0 */
	ck_assert_uint_eq(rd16(d + 2 * 16 + 12), 42);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), 1u << 15 | 3u << 16);
	/* base kept across a new setup */
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 4, H(DESC_GPA), H(AVAIL_GPA),
					       H(USED_GPA), 0), 0);
	ck_assert_uint_eq(vscsi_vq_get_base(vq), base);
	vscsi_vq_free(vq);
}
END_TEST

/* ================================================== notifications */

/*
 * A split device whose used index starts at p: one chain pushed and
 * notified (so the old index is known), then k more, then the driver's
 * used_event set to e. Returns should_notify.
 */
static int split_notify_case(uint16_t p, unsigned k, uint16_t e)
{
	vscsi_vq *vq = vscsi_vq_new();
	uint16_t idx = p;
	unsigned i;
	int r;

	memset(H(DESC_GPA), 0, 0x4000);
	sdesc(0, DATA_GPA, 4, 0, 0);
	le16(H(USED_GPA) + 2, p);
	vscsi_vq_set_base(vq, p);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, H(DESC_GPA), H(AVAIL_GPA),
					      H(USED_GPA), VSCSI_VQ_EVENT_IDX), 0);
	for (i = 0; i < 1 + k; i++) {
		le16(H(AVAIL_GPA) + 4 + 2 * (idx & 7), 0);
		idx++;
		le16(H(AVAIL_GPA) + 2, idx);
		ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 1);
		ck_assert_int_eq(vscsi_vq_push(vq, 0, 1, 0), 0);
		if (i == 0) {
			le16(H(AVAIL_GPA) + 4 + 2 * 8, (uint16_t)(p + 100));
			ck_assert_int_eq(vscsi_vq_should_notify(vq), 1); /* first */
			ck_assert_int_eq(vscsi_vq_should_notify(vq), 0); /* nothing new */
		}
	}
	le16(H(AVAIL_GPA) + 4 + 2 * 8, e);	/* used_event */
	r = vscsi_vq_should_notify(vq);
	ck_assert_int_eq(vscsi_vq_should_notify(vq), 0);
	vscsi_vq_free(vq);
	return r;
}

/* vring_need_event (2.7.7): notify when used_event is in [old, new). */
START_TEST(test_split_event_idx_notify)
{
	/* old 1, new 3 */
	ck_assert_int_eq(split_notify_case(0, 2, 0), 0);
	ck_assert_int_eq(split_notify_case(0, 2, 1), 1);
	ck_assert_int_eq(split_notify_case(0, 2, 2), 1);
	ck_assert_int_eq(split_notify_case(0, 2, 3), 0);
	ck_assert_int_eq(split_notify_case(0, 2, 0xffff), 0);
	/* old 65534, new 0: across the 16-bit wrap */
	ck_assert_int_eq(split_notify_case(65533, 2, 65533), 0);
	ck_assert_int_eq(split_notify_case(65533, 2, 65534), 1);
	ck_assert_int_eq(split_notify_case(65533, 2, 65535), 1);
	ck_assert_int_eq(split_notify_case(65533, 2, 0), 0);
	ck_assert_int_eq(split_notify_case(65533, 2, 1), 0);
	/* one entry: only used_event == old */
	ck_assert_int_eq(split_notify_case(10, 1, 11), 1);
	ck_assert_int_eq(split_notify_case(10, 1, 12), 0);
	ck_assert_int_eq(split_notify_case(10, 1, 10), 0);
	/* 65536 entries between two decisions: new == old, yet it went all
	 * the way round, so it signals */
	ck_assert_int_eq(split_notify_case(10, 65536, 5), 1);
	ck_assert_int_eq(split_notify_case(10, 65535, 10), 0);
}
END_TEST

START_TEST(test_split_no_interrupt)
{
	pair_split(8, 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);	/* nothing pushed */
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);
	/* the driver asks for no interrupts */
	vscsi_vq_drv_notify_enable(g_drv, 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA)), VSCSI_VRING_AVAIL_F_NO_INTERRUPT);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);
	vscsi_vq_drv_notify_enable(g_drv, 1);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA)), 0);
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);
	pair_free();
}
END_TEST

/* Kicks, split: the device's NO_NOTIFY flag, and avail_event. */
START_TEST(test_split_kicks)
{
	pair_split(8, 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);	/* nothing added */
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	vscsi_vq_notify_enable(g_dev, 0);
	ck_assert_uint_eq(rd16(H(USED_GPA)), VSCSI_VRING_USED_F_NO_NOTIFY);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);
	vscsi_vq_notify_enable(g_dev, 1);
	ck_assert_uint_eq(rd16(H(USED_GPA)), 0);
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	pair_free();

	/* EVENT_IDX: avail_event sits at the end of the used ring */
	pair_split(8, VSCSI_VQ_EVENT_IDX);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);	/* first */
	/* the device pops until empty: avail_event = 1 is published */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 4 + 8 * 8), 1);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);	/* idx 1 -> 2 */
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);	/* 2 -> 3 */
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);	/* no new pop */
	/* the device turns kicks off: pop no longer moves avail_event */
	vscsi_vq_notify_enable(g_dev, 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 4 + 8 * 8), 1);
	ck_assert_uint_eq(rd16(H(USED_GPA)), 0);	/* flags stay 0 */
	ck_assert_int_eq(drv_add_tagged(1, 4, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);
	/* turning them on publishes the next index at once; the device
	 * then looks again and finds the chain whose kick it suppressed */
	vscsi_vq_notify_enable(g_dev, 1);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 4 + 8 * 8), 3);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_uint_eq(chain_tag(&g_c), 4);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 4 + 8 * 8), 4);
	ck_assert_int_eq(drv_add_tagged(1, 5, NULL), 0);	/* 4 -> 5 */
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);	/* 4 in [4, 5) */
	pair_free();
}
END_TEST

/* Interrupts with EVENT_IDX from the driver side: get_used publishes
 * used_event when it finds the ring empty. */
START_TEST(test_split_used_event_from_driver)
{
	uint16_t id;
	uint32_t len;

	pair_split(8, VSCSI_VQ_EVENT_IDX);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);	/* first */
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 4 + 2 * 8), 1);	/* used_event */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);
	/* the driver did not read it: a further push is not signalled */
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);
	/* interrupts off: get_used leaves used_event alone */
	vscsi_vq_drv_notify_enable(g_drv, 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 4 + 2 * 8), 1);
	vscsi_vq_drv_notify_enable(g_drv, 1);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 4 + 2 * 8), 3);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA)), 0);	/* flags stay 0 */
	pair_free();
}
END_TEST

/*
 * A packed device with both positions at `slot` (wrap counters w): one
 * chain pushed and notified, then k more, then the driver event area set
 * to (flags, off_wrap). Returns should_notify.
 */
static int packed_notify_case(uint16_t slot, unsigned w, unsigned k,
			      uint16_t flags, uint16_t off_wrap, unsigned vqf)
{
	vscsi_vq *vq = vscsi_vq_new();
	uint16_t s = slot;
	unsigned i, wrap = w;
	int r;

	memset(H(DESC_GPA), 0, 0x4000);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 8, H(DESC_GPA), H(AVAIL_GPA),
					       H(USED_GPA), vqf), 0);
	vscsi_vq_set_base(vq, (uint32_t)slot | w << 15 | (uint32_t)slot << 16 |
				      w << 31);
	for (i = 0; i < 1 + k; i++) {
		pdesc(s, DATA_GPA, 4, (uint16_t)i, wrap ? PAVAIL : PUSED);
		if (++s == 8) {
			s = 0;
			wrap ^= 1;
		}
		ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), 1);
		ck_assert_int_eq(vscsi_vq_push(vq, g_c.head, 1, 0), 0);
		if (i == 0) {
			le16(H(AVAIL_GPA), 0x7fff);
			le16(H(AVAIL_GPA) + 2, VSCSI_VRING_EVENT_DESC);
			/* first call: 1 (EVENT_IDX) or DESC not trusted: 1 */
			ck_assert_int_eq(vscsi_vq_should_notify(vq), 1);
			ck_assert_int_eq(vscsi_vq_should_notify(vq), 0);
		}
	}
	le16(H(AVAIL_GPA), off_wrap);
	le16(H(AVAIL_GPA) + 2, flags);
	r = vscsi_vq_should_notify(vq);
	vscsi_vq_free(vq);
	return r;
}

/* Packed driver event suppression (2.8.10): ENABLE, DISABLE, DESC with
 * offset and wrap counter. */
START_TEST(test_packed_event_notify)
{
	const unsigned E = VSCSI_VQ_EVENT_IDX;
	const uint16_t DESC = VSCSI_VRING_EVENT_DESC;

	ck_assert_int_eq(packed_notify_case(0, 1, 2, VSCSI_VRING_EVENT_ENABLE, 0, E), 1);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, VSCSI_VRING_EVENT_DISABLE, 0, E), 0);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, VSCSI_VRING_EVENT_DISABLE, 0, 0), 0);
	/* old (1, w1), new (3, w1) */
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 0x8000 | 0, E), 0);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 0x8000 | 1, E), 1);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 0x8000 | 2, E), 1);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 0x8000 | 3, E), 0);
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 1, E), 0); /* other lap */
	/* old (7, w1), new (1, w0): across the end of the ring */
	ck_assert_int_eq(packed_notify_case(6, 1, 2, DESC, 0x8000 | 6, E), 0);
	ck_assert_int_eq(packed_notify_case(6, 1, 2, DESC, 0x8000 | 7, E), 1);
	ck_assert_int_eq(packed_notify_case(6, 1, 2, DESC, 0, E), 1);
	ck_assert_int_eq(packed_notify_case(6, 1, 2, DESC, 1, E), 0);
	ck_assert_int_eq(packed_notify_case(6, 1, 2, DESC, 7, E), 0);
	/* and from the wrap-0 lap back to wrap 1: old (7, w0), new (1, w1) */
	ck_assert_int_eq(packed_notify_case(6, 0, 2, DESC, 7, E), 1);
	ck_assert_int_eq(packed_notify_case(6, 0, 2, DESC, 0x8000 | 0, E), 1);
	ck_assert_int_eq(packed_notify_case(6, 0, 2, DESC, 0x8000 | 1, E), 0);
	/* DESC without EVENT_IDX negotiated is not trusted: signal */
	ck_assert_int_eq(packed_notify_case(0, 1, 2, DESC, 0x8000 | 3, 0), 1);
	/* 16 slots (2 * num) pushed between two decisions: the positions
	 * cannot tell how far the device went, so it signals */
	ck_assert_int_eq(packed_notify_case(0, 1, 16, DESC, 0x8000 | 5, E), 1);
	ck_assert_int_eq(packed_notify_case(0, 1, 15, DESC, 0x8000 | 0, E), 0);
	/* a reserved flags value: signal */
	ck_assert_int_eq(packed_notify_case(0, 1, 2, 3, 0, E), 1);
}
END_TEST

/* Packed kicks: the device event area written by notify_enable and by pop
 * with EVENT_IDX, read by drv_should_kick. */
START_TEST(test_packed_kicks)
{
	pair_packed(4, 0);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	vscsi_vq_notify_enable(g_dev, 0);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), VSCSI_VRING_EVENT_DISABLE);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);
	vscsi_vq_notify_enable(g_dev, 1);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), VSCSI_VRING_EVENT_ENABLE);
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	pair_free();

	pair_packed(4, VSCSI_VQ_EVENT_IDX);
	ck_assert_int_eq(drv_add_tagged(2, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);	/* first */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	/* the device wants a kick at slot 2, lap 1 */
	ck_assert_uint_eq(rd16(H(USED_GPA)), 0x8000 | 2);
	ck_assert_uint_eq(rd16(H(USED_GPA) + 2), VSCSI_VRING_EVENT_DESC);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);	/* slot 2 */
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 0), 0);
	ck_assert_int_eq(drv_add_tagged(1, 3, NULL), 0);	/* slot 3 */
	ck_assert_int_eq(vscsi_vq_drv_should_kick(g_drv), 0);
	/* the device catches up and wants slot 0 of lap 0 */
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 0);
	ck_assert_uint_eq(rd16(H(USED_GPA)), 0);
	pair_free();
}
END_TEST

/* Packed interrupts from the driver side. */
START_TEST(test_packed_driver_event)
{
	uint16_t id;
	uint32_t len;

	pair_packed(4, 0);
	vscsi_vq_drv_notify_enable(g_drv, 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 2), VSCSI_VRING_EVENT_DISABLE);
	ck_assert_int_eq(drv_add_tagged(1, 1, NULL), 0);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, 1, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);
	vscsi_vq_drv_notify_enable(g_drv, 1);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 2), VSCSI_VRING_EVENT_ENABLE);
	pair_free();

	pair_packed(4, VSCSI_VQ_EVENT_IDX);
	ck_assert_int_eq(drv_add_tagged(3, 1, NULL), 0);
	ck_assert_int_eq(drv_add_tagged(1, 2, NULL), 0);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA)), 0x8000);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA) + 2), VSCSI_VRING_EVENT_DESC);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 1);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, g_mem, &g_c), 1);
	ck_assert_int_eq(vscsi_vq_push(g_dev, g_c.head, g_c.ndesc, 0), 0);
	ck_assert_int_eq(vscsi_vq_should_notify(g_dev), 0);	/* wants slot 0 */
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 1);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_drv, &id, &len), 0);
	ck_assert_uint_eq(rd16(H(AVAIL_GPA)), 0);	/* slot 0, lap 0 */
	pair_free();
}
END_TEST

/* ================================================== arguments */

START_TEST(test_setup_args)
{
	vscsi_vq *vq = vscsi_vq_new();
	uint8_t *d = H(DESC_GPA), *a = H(AVAIL_GPA), *u = H(USED_GPA);
	size_t ds, as, us;

	ck_assert_int_eq(vscsi_vq_setup_split(vq, 0, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 3, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 65535, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 32768, d, a, u, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 1, d, a, u, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, d + 8, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, d, a + 1, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, d, a, u + 2, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, d, a, NULL, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(vq, 8, d, a, u, 0x80), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 0, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 32769, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 3, d, a, u, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 3, d, a + 2, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_packed(vq, 3, d + 4, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_setup_split(vq, 6, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_setup_packed(vq, 0, d, a, u, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_setup_split(NULL, 8, d, a, u, 0), VSCSI_ERR_ARG);
	vscsi_vq_free(vq);
	vscsi_vq_free(NULL);

	/* sizes, 2.7 and 2.8 alignment tables */
	vscsi_vring_split_sizes(256, &ds, &as, &us);
	ck_assert_uint_eq(ds, 4096);
	ck_assert_uint_eq(as, 6 + 2 * 256);
	ck_assert_uint_eq(us, 6 + 8 * 256);
	vscsi_vring_packed_sizes(300, &ds, &as, &us);
	ck_assert_uint_eq(ds, 4800);
	ck_assert_uint_eq(as, 4);
	ck_assert_uint_eq(us, 4);
	vscsi_vring_split_sizes(1, NULL, NULL, &us);
	ck_assert_uint_eq(us, 14);
}
END_TEST

START_TEST(test_mode_args)
{
	vscsi_vq *vq = vscsi_vq_new();
	struct vscsi_desc d = { DATA_GPA, 4, 0 };
	uint16_t id;
	uint32_t len;

	/* nothing set up */
	ck_assert_int_eq(vscsi_vq_pop(vq, g_mem, &g_c), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_push(vq, 0, 1, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_add(vq, &d, 1, &id), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_should_notify(vq), VSCSI_ERR_ARG);
	ck_assert_uint_eq(vscsi_vq_num(vq), 0);
	vscsi_vq_free(vq);

	pair_split(8, 0);
	/* each side's calls on the other side's object */
	ck_assert_int_eq(vscsi_vq_pop(g_drv, g_mem, &g_c), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_add(g_dev, &d, 1, &id), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_get_used(g_dev, &id, &len), VSCSI_ERR_ARG);
	/* add: n 0, n > num, NULL */
	ck_assert_int_eq(vscsi_vq_drv_add(g_drv, &d, 0, &id), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_add(g_drv, &d, 9, &id), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_drv_add(g_drv, NULL, 1, &id), VSCSI_ERR_ARG);
	/* push: split head >= num */
	ck_assert_int_eq(vscsi_vq_push(g_dev, 8, 1, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_pop(g_dev, NULL, &g_c), VSCSI_ERR_ARG);
	pair_free();
	pair_packed(8, 0);
	ck_assert_int_eq(vscsi_vq_push(g_dev, 100, 0, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vq_push(g_dev, 100, 9, 0), VSCSI_ERR_ARG);
	pair_free();
}
END_TEST

/* ================================================== two threads */

#define STRESS_N 200000u

struct stress {
	int packed;
	volatile int stop;
	unsigned bad_dev;
};

static void *stress_device(void *p)
{
	struct stress *s = p;
	struct iovec iov[8];
	vscsi_chain c;

	vscsi_chain_init(&c, iov, 8);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		int r = vscsi_vq_pop(g_dev, g_mem, &c);
		uint32_t seq;

		if (r == 0) {
			sched_yield();
			continue;
		}
		if (r < 0 || c.n_out != 1 || c.iov[0].iov_len != 4) {
			s->bad_dev++;
			break;
		}
		memcpy(&seq, c.iov[0].iov_base, 4);
		if (vscsi_vq_push(g_dev, c.head, c.ndesc, seq ^ 0x5a5a5a5au))
			s->bad_dev++;
	}
	return NULL;
}

/* A driver thread and a device thread on one ring: every completion
 * carries what the device read from the buffer, so a descriptor or payload
 * seen before it was published shows up as a wrong length. */
static void stress(int packed)
{
	struct stress s;
	pthread_t t;
	uint32_t seq_of[64];
	unsigned sent = 0, done = 0, bad = 0;

	if (packed)
		pair_packed(13, 0);
	else
		pair_split(16, 0);
	memset(&s, 0, sizeof(s));
	s.packed = packed;
	ck_assert_int_eq(pthread_create(&t, NULL, stress_device, &s), 0);
	while (done < STRESS_N && !s.bad_dev) {
		uint16_t id;
		uint32_t len;
		int r;

		while (sent < STRESS_N) {
			struct vscsi_desc d[2];
			uint64_t buf = DATA_GPA + (uint64_t)(sent % 64) * 0x40;

			/* each id's buffer: take the slot the free id picks */
			d[0].addr = buf;
			d[0].len = 4;
			d[0].flags = 0;
			d[1].addr = buf + 0x20;
			d[1].len = 8;
			d[1].flags = WR;
			if (vscsi_vq_inflight(g_drv) >= 6)
				break;
			memcpy(H(buf), &sent, 4);
			r = vscsi_vq_drv_add(g_drv, d, 1 + sent % 2, &id);
			if (r == VSCSI_ERR_NOSPACE)
				break;
			ck_assert_int_eq(r, 0);
			ck_assert_uint_lt(id, 64);
			seq_of[id] = sent;
			sent++;
		}
		r = vscsi_vq_drv_get_used(g_drv, &id, &len);
		ck_assert_int_ge(r, 0);
		if (r == 0) {
			sched_yield();
			continue;
		}
		if (len != (seq_of[id] ^ 0x5a5a5a5au))
			bad++;
		done++;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	ck_assert_uint_eq(s.bad_dev, 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(done, STRESS_N);
	pair_free();
}

/* The buffers are reused in sent % 64 order while at most 6 are in flight,
 * so no buffer is rewritten before its chain came back. */
START_TEST(test_stress_split)
{
	stress(0);
}
END_TEST

START_TEST(test_stress_packed)
{
	stress(1);
}
END_TEST

static Suite *vring_suite(void)
{
	Suite *s = suite_create("vring");
	TCase *w = tcase_create("walk");
	TCase *q = tcase_create("queue");
	TCase *t = tcase_create("threads");

	tcase_add_checked_fixture(w, mem_setup, mem_teardown);
	tcase_add_test(w, test_split_simple);
	tcase_add_test(w, test_split_cross_region);
	tcase_add_test(w, test_split_zero_len);
	tcase_add_test(w, test_split_head);
	tcase_add_test(w, test_split_desc_index);
	tcase_add_test(w, test_split_loop);
	tcase_add_test(w, test_split_indirect_good);
	tcase_add_test(w, test_split_indirect_spanning);
	tcase_add_test(w, test_split_indirect_off);
	tcase_add_test(w, test_split_indirect_nested);
	tcase_add_test(w, test_split_indirect_len);
	tcase_add_test(w, test_split_indirect_inner_errors);
	tcase_add_test(w, test_split_indirect_table_cut);
	tcase_add_test(w, test_split_addr);
	tcase_add_test(w, test_split_order);
	tcase_add_test(w, test_split_chain_long);
	tcase_add_test(w, test_split_iov_full);
	tcase_add_test(w, test_split_len_overflow);
	tcase_add_test(w, test_walk_args);
	tcase_add_test(w, test_packed_simple);
	tcase_add_test(w, test_packed_errors);
	tcase_add_test(w, test_packed_indirect);
	suite_add_tcase(s, w);

	tcase_add_checked_fixture(q, mem_setup, mem_teardown);
	tcase_set_timeout(q, 60);
	tcase_add_test(q, test_split_round_trip_many);
	tcase_add_test(q, test_packed_round_trip_many);
	tcase_add_test(q, test_split_index_wrap);
	tcase_add_test(q, test_packed_wrap);
	tcase_add_test(q, test_indirect_round_trip);
	tcase_add_test(q, test_push_batch);
	tcase_add_test(q, test_push_lazy);
	tcase_add_test(q, test_packed_used_layout);
	tcase_add_test(q, test_split_avail_idx_broken);
	tcase_add_test(q, test_packed_broken);
	tcase_add_test(q, test_split_base);
	tcase_add_test(q, test_split_many_avail);
	tcase_add_test(q, test_split_fast_same);
	tcase_add_test(q, test_packed_base);
	tcase_add_test(q, test_split_event_idx_notify);
	tcase_add_test(q, test_split_no_interrupt);
	tcase_add_test(q, test_split_kicks);
	tcase_add_test(q, test_split_used_event_from_driver);
	tcase_add_test(q, test_packed_event_notify);
	tcase_add_test(q, test_packed_kicks);
	tcase_add_test(q, test_packed_driver_event);
	tcase_add_test(q, test_setup_args);
	tcase_add_test(q, test_mode_args);
	suite_add_tcase(s, q);

	tcase_add_checked_fixture(t, mem_setup, mem_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_stress_split);
	tcase_add_test(t, test_stress_packed);
	suite_add_tcase(s, t);
	return s;
}

VSCSI_TEST_MAIN(vring_suite)
