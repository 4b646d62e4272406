/* The guest memory map: adding and removing regions, translation across
 * region boundaries and gaps, the lookup hint, concurrent readers. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/gmem.h"

static uint8_t host[0x40000];

/*
 * The map most tests use (gpa -> host offset):
 *   A  [0x10000, 0x14000) -> host + 0x00000
 *   B  [0x14000, 0x16000) -> host + 0x20000   adjacent to A in gpa only
 *   gap [0x16000, 0x20000)
 *   C  [0x20000, 0x21000) -> host + 0x08000
 */
static vscsi_gmem *map3(void)
{
	vscsi_gmem *m = vscsi_gmem_new();

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x20000, 0x1000, 0x7f0000020000ull,
					host + 0x08000), VSCSI_OK);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x10000, 0x4000, 0x7f0000010000ull,
					host), VSCSI_OK);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x14000, 0x2000, 0x7f0000014000ull,
					host + 0x20000), VSCSI_OK);
	return m;
}

START_TEST(test_add_sorted)
{
	vscsi_gmem *m = map3();
	vscsi_gmem_region r;

	ck_assert_uint_eq(vscsi_gmem_count(m), 3);
	ck_assert_int_eq(vscsi_gmem_region_at(m, 0, &r), VSCSI_OK);
	ck_assert_uint_eq(r.gpa, 0x10000);
	ck_assert_uint_eq(r.size, 0x4000);
	ck_assert_ptr_eq(r.host, host);
	ck_assert_int_eq(vscsi_gmem_region_at(m, 1, &r), VSCSI_OK);
	ck_assert_uint_eq(r.gpa, 0x14000);
	ck_assert_uint_eq(r.uva, 0x7f0000014000ull);
	ck_assert_int_eq(vscsi_gmem_region_at(m, 2, &r), VSCSI_OK);
	ck_assert_uint_eq(r.gpa, 0x20000);
	ck_assert_int_eq(vscsi_gmem_region_at(m, 3, &r), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_gmem_region_at(m, 0, NULL), VSCSI_ERR_ARG);
	ck_assert_uint_eq(vscsi_gmem_count(NULL), 0);
	vscsi_gmem_free(m);
	vscsi_gmem_free(NULL);
}
END_TEST

START_TEST(test_add_errors)
{
	vscsi_gmem *m = map3();

	/* size 0 */
	ck_assert_int_eq(vscsi_gmem_add(m, 0x30000, 0, 0, host), VSCSI_ERR_INVALID);
	/* gpa + size past 2^64 */
	ck_assert_int_eq(vscsi_gmem_add(m, UINT64_MAX - 0xff, 0x101, 0, host),
			 VSCSI_ERR_INVALID);
	/* uva + size past 2^64 */
	ck_assert_int_eq(vscsi_gmem_add(m, 0x30000, 0x1000, UINT64_MAX - 0xffe,
					host), VSCSI_ERR_INVALID);
	/* overlaps: same start, inside, straddling either end, covering */
	ck_assert_int_eq(vscsi_gmem_add(m, 0x10000, 0x10, 0, host), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x11000, 0x10, 0, host), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_gmem_add(m, 0xff00, 0x101, 0, host), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x15fff, 0x2, 0, host), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x1fff0, 0x20, 0, host), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x0, 0x100000, 0, host), VSCSI_ERR_INVALID);
	/* NULL arguments */
	ck_assert_int_eq(vscsi_gmem_add(m, 0x30000, 0x10, 0, NULL), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_gmem_add(NULL, 0x30000, 0x10, 0, host), VSCSI_ERR_ARG);
	ck_assert_uint_eq(vscsi_gmem_count(m), 3);
	/* adjacent on both sides fills the gap exactly */
	ck_assert_int_eq(vscsi_gmem_add(m, 0x16000, 0xa000, 0, host), VSCSI_OK);
	/* a region may end exactly at 2^64 */
	ck_assert_int_eq(vscsi_gmem_add(m, UINT64_MAX - 0xfff, 0x1000, 0, host),
			 VSCSI_OK);
	ck_assert_uint_eq(vscsi_gmem_count(m), 5);
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_add_nospace)
{
	vscsi_gmem *m = vscsi_gmem_new();
	unsigned i;

	for (i = 0; i < VSCSI_GMEM_MAX_REGIONS; i++)
		ck_assert_int_eq(vscsi_gmem_add(m, (uint64_t)i * 0x100, 0x100, 0,
						host), VSCSI_OK);
	ck_assert_int_eq(vscsi_gmem_add(m, 0x1000000, 0x100, 0, host),
			 VSCSI_ERR_NOSPACE);
	/* an overlap is INVALID even when full */
	ck_assert_int_eq(vscsi_gmem_add(m, 0, 0x100, 0, host), VSCSI_ERR_INVALID);
	ck_assert_uint_eq(vscsi_gmem_count(m), VSCSI_GMEM_MAX_REGIONS);
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_remove_clear)
{
	vscsi_gmem *m = map3();

	ck_assert_int_eq(vscsi_gmem_remove(m, 0x14000, 0x1000), VSCSI_ERR_EMPTY);
	ck_assert_int_eq(vscsi_gmem_remove(m, 0x14001, 0x2000), VSCSI_ERR_EMPTY);
	ck_assert_int_eq(vscsi_gmem_remove(m, 0x30000, 0x1000), VSCSI_ERR_EMPTY);
	ck_assert_int_eq(vscsi_gmem_remove(m, 0, 0x1000), VSCSI_ERR_EMPTY);
	/* look B up so the hint points at it, then remove it */
	ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x14010, 1), host + 0x20010);
	ck_assert_int_eq(vscsi_gmem_remove(m, 0x14000, 0x2000), VSCSI_OK);
	ck_assert_uint_eq(vscsi_gmem_count(m), 2);
	ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x14010, 1));
	ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x20010, 1), host + 0x08010);
	ck_assert_int_eq(vscsi_gmem_remove(m, 0x14000, 0x2000), VSCSI_ERR_EMPTY);
	vscsi_gmem_clear(m);
	ck_assert_uint_eq(vscsi_gmem_count(m), 0);
	ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x10000, 1));
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_map_one_and_split)
{
	vscsi_gmem *m = map3();
	struct iovec iov[4];
	unsigned n = 99;

	ck_assert_int_eq(vscsi_gmem_map(m, 0x10100, 0x200, iov, 4, &n), VSCSI_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(iov[0].iov_base, host + 0x100);
	ck_assert_uint_eq(iov[0].iov_len, 0x200);

	/* crossing A -> B: two iovecs, clamped at A's end */
	ck_assert_int_eq(vscsi_gmem_map(m, 0x13ff0, 0x30, iov, 4, &n), VSCSI_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_eq(iov[0].iov_base, host + 0x3ff0);
	ck_assert_uint_eq(iov[0].iov_len, 0x10);
	ck_assert_ptr_eq(iov[1].iov_base, host + 0x20000);
	ck_assert_uint_eq(iov[1].iov_len, 0x20);

	/* the whole of A and B exactly */
	ck_assert_int_eq(vscsi_gmem_map(m, 0x10000, 0x6000, iov, 4, &n), VSCSI_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(iov[0].iov_len, 0x4000);
	ck_assert_uint_eq(iov[1].iov_len, 0x2000);

	/* more pieces than max */
	ck_assert_int_eq(vscsi_gmem_map(m, 0x13ff0, 0x30, iov, 1, &n),
			 VSCSI_ERR_IOV_FULL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vscsi_gmem_map(m, 0x10000, 1, iov, 0, &n),
			 VSCSI_ERR_IOV_FULL);

	/* counting only */
	ck_assert_int_eq(vscsi_gmem_map(m, 0x13ff0, 0x30, NULL, 0, &n), VSCSI_OK);
	ck_assert_uint_eq(n, 2);

	/* len 0 */
	n = 7;
	ck_assert_int_eq(vscsi_gmem_map(m, 0x99999999, 0, iov, 4, &n), VSCSI_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vscsi_gmem_map(m, 0x10000, 1, iov, 4, NULL), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_gmem_map(NULL, 0x10000, 1, iov, 4, &n), VSCSI_ERR_ARG);
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_map_outside)
{
	vscsi_gmem *m = map3();
	struct iovec iov[4];
	unsigned n = 5;

	/* before every region, in the gap, after every region */
	ck_assert_int_eq(vscsi_gmem_map(m, 0xfff0, 0x10, iov, 4, &n), VSCSI_ERR_ADDR);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vscsi_gmem_map(m, 0x17000, 1, iov, 4, &n), VSCSI_ERR_ADDR);
	ck_assert_int_eq(vscsi_gmem_map(m, 0x21000, 1, iov, 4, &n), VSCSI_ERR_ADDR);
	/* starts inside, runs into the gap / off the front */
	ck_assert_int_eq(vscsi_gmem_map(m, 0x15ff0, 0x11, iov, 4, &n), VSCSI_ERR_ADDR);
	ck_assert_int_eq(vscsi_gmem_map(m, 0xffff, 2, iov, 4, &n), VSCSI_ERR_ADDR);
	/* past 2^64 */
	ck_assert_int_eq(vscsi_gmem_map(m, UINT64_MAX, 2, iov, 4, &n), VSCSI_ERR_ADDR);
	ck_assert_int_eq(vscsi_gmem_map(m, 0x10000, UINT64_MAX, iov, 4, &n),
			 VSCSI_ERR_ADDR);
	vscsi_gmem_free(m);
}
END_TEST

/* A buffer ending at every offset around the end of C: inside is one
 * iovec, one byte more is ADDR. */
START_TEST(test_map_every_end_offset)
{
	vscsi_gmem *m = map3();
	struct iovec iov[2];
	unsigned n;
	uint64_t len;

	for (len = 1; len <= 0x40; len++) {
		uint64_t start = 0x21000 - 0x20;
		int r = vscsi_gmem_map(m, start, len, iov, 2, &n);

		if (len <= 0x20) {
			ck_assert_int_eq(r, VSCSI_OK);
			ck_assert_uint_eq(n, 1);
			ck_assert_uint_eq(iov[0].iov_len, len);
			ck_assert_ptr_nonnull(vscsi_gmem_ptr(m, start, len));
		} else {
			ck_assert_int_eq(r, VSCSI_ERR_ADDR);
			ck_assert_ptr_null(vscsi_gmem_ptr(m, start, len));
		}
	}
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_region_at_top)
{
	vscsi_gmem *m = vscsi_gmem_new();
	struct iovec iov[2];
	unsigned n;

	ck_assert_int_eq(vscsi_gmem_add(m, UINT64_MAX - 0xfff, 0x1000, 0, host),
			 VSCSI_OK);
	ck_assert_int_eq(vscsi_gmem_map(m, UINT64_MAX - 0xf, 0x10, iov, 2, &n),
			 VSCSI_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(iov[0].iov_base, host + 0xff0);
	ck_assert_int_eq(vscsi_gmem_map(m, UINT64_MAX - 0xf, 0x11, iov, 2, &n),
			 VSCSI_ERR_ADDR);
	ck_assert_ptr_eq(vscsi_gmem_ptr(m, UINT64_MAX, 1), host + 0xfff);
	ck_assert_ptr_null(vscsi_gmem_ptr(m, UINT64_MAX, 2));
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_ptr)
{
	vscsi_gmem *m = map3();

	ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x10000, 0x4000), host);
	ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x10000, 0x4001));	/* crosses */
	ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x14000, 0), host + 0x20000);
	ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x20fff, 1), host + 0x8fff);
	ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x16000, 0));		/* gap */
	ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x16000, 1));
	ck_assert_ptr_null(vscsi_gmem_ptr(NULL, 0x10000, 1));
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_uva_ptr)
{
	vscsi_gmem *m = map3();

	ck_assert_ptr_eq(vscsi_gmem_uva_ptr(m, 0x7f0000010010ull, 0x10), host + 0x10);
	ck_assert_ptr_eq(vscsi_gmem_uva_ptr(m, 0x7f0000014000ull, 0x2000),
			 host + 0x20000);
	/* crossing uva regions is not one pointer */
	ck_assert_ptr_null(vscsi_gmem_uva_ptr(m, 0x7f0000013ff0ull, 0x20));
	ck_assert_ptr_null(vscsi_gmem_uva_ptr(m, 0x7f0000016000ull, 1));
	ck_assert_ptr_null(vscsi_gmem_uva_ptr(m, 0x10000, 1)); /* a gpa, not uva */
	ck_assert_ptr_null(vscsi_gmem_uva_ptr(NULL, 0x7f0000010010ull, 1));
	vscsi_gmem_free(m);
}
END_TEST

START_TEST(test_read)
{
	vscsi_gmem *m = map3();
	uint8_t out[0x30];
	unsigned i;

	for (i = 0; i < 0x10; i++)
		host[0x3ff0 + i] = (uint8_t)i;
	for (i = 0; i < 0x20; i++)
		host[0x20000 + i] = (uint8_t)(0x10 + i);
	ck_assert_int_eq(vscsi_gmem_read(m, 0x13ff0, out, sizeof(out)), VSCSI_OK);
	for (i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], i);
	ck_assert_int_eq(vscsi_gmem_read(m, 0x15ff0, out, 0x11), VSCSI_ERR_ADDR);
	ck_assert_int_eq(vscsi_gmem_read(m, 0x15ff0, out, 0), VSCSI_OK);
	ck_assert_int_eq(vscsi_gmem_read(m, 0x15ff0, NULL, 1), VSCSI_ERR_ARG);
	vscsi_gmem_free(m);
}
END_TEST

/* Lookups alternating between regions: the hint must never answer for a
 * region that does not hold the address. */
START_TEST(test_hint_alternating)
{
	vscsi_gmem *m = map3();
	unsigned i;

	for (i = 0; i < 1000; i++) {
		uint64_t off = i % 0x1000;

		ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x10000 + off, 1), host + off);
		ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x20000 + off, 1),
				 host + 0x8000 + off);
		ck_assert_ptr_null(vscsi_gmem_ptr(m, 0x16000 + off, 1));
		ck_assert_ptr_eq(vscsi_gmem_ptr(m, 0x14000 + off, 1),
				 host + 0x20000 + off);
		ck_assert_ptr_null(vscsi_gmem_ptr(m, 0xf000 + off, 1));
	}
	vscsi_gmem_free(m);
}
END_TEST

/* 512 regions added in a scrambled order; every one is found by binary
 * search, and the gaps between them are not. */
START_TEST(test_many_regions)
{
	vscsi_gmem *m = vscsi_gmem_new();
	vscsi_gmem_region r;
	unsigned i;

	for (i = 0; i < VSCSI_GMEM_MAX_REGIONS; i++) {
		unsigned k = (i * 197u) % VSCSI_GMEM_MAX_REGIONS; /* 197 odd: a permutation */

		ck_assert_int_eq(vscsi_gmem_add(m, (uint64_t)k * 0x1000, 0x800,
						0x100000000ull + (uint64_t)k * 0x1000,
						host + (size_t)k * 0x10), VSCSI_OK);
	}
	for (i = 0; i < VSCSI_GMEM_MAX_REGIONS; i++) {
		ck_assert_int_eq(vscsi_gmem_region_at(m, i, &r), VSCSI_OK);
		ck_assert_uint_eq(r.gpa, (uint64_t)i * 0x1000);
		ck_assert_ptr_eq(vscsi_gmem_ptr(m, (uint64_t)i * 0x1000 + 0x7ff, 1),
				 host + (size_t)i * 0x10 + 0x7ff);
		ck_assert_ptr_null(vscsi_gmem_ptr(m, (uint64_t)i * 0x1000 + 0x800, 1));
		ck_assert_ptr_eq(vscsi_gmem_uva_ptr(m, 0x100000000ull +
						    (uint64_t)i * 0x1000 + 4, 4),
				 host + (size_t)i * 0x10 + 4);
	}
	vscsi_gmem_free(m);
}
END_TEST

struct reader_arg {
	vscsi_gmem *m;
	unsigned seed;
	int bad;
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;
	unsigned i, s = a->seed;

	for (i = 0; i < 200000; i++) {
		uint64_t off;
		struct iovec iov[2];
		unsigned n;

		s = s * 1103515245u + 12345u;
		off = (s >> 8) % 0x1000;
		switch ((s >> 20) % 3) {
		case 0:
			if (vscsi_gmem_ptr(a->m, 0x10000 + off, 1) != host + off)
				a->bad++;
			break;
		case 1:
			if (vscsi_gmem_ptr(a->m, 0x20000 + off, 1) != host + 0x8000 + off)
				a->bad++;
			break;
		default:
			if (vscsi_gmem_map(a->m, 0x13000 + off, 0x1000, iov, 2, &n) ||
			    n != (off ? 2u : 1u) || iov[0].iov_base != host + 0x3000 + off)
				a->bad++;
			break;
		}
	}
	return NULL;
}

/* Readers share the hint: four threads looking up different regions. */
START_TEST(test_concurrent_readers)
{
	vscsi_gmem *m = map3();
	pthread_t t[4];
	struct reader_arg a[4];
	unsigned i;

	for (i = 0; i < 4; i++) {
		a[i].m = m;
		a[i].seed = i * 7919u + 1;
		a[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader_thread, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(a[i].bad, 0);
	}
	vscsi_gmem_free(m);
}
END_TEST

static Suite *gmem_suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_add_sorted);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_add_nospace);
	tcase_add_test(tc, test_remove_clear);
	tcase_add_test(tc, test_map_one_and_split);
	tcase_add_test(tc, test_map_outside);
	tcase_add_test(tc, test_map_every_end_offset);
	tcase_add_test(tc, test_region_at_top);
	tcase_add_test(tc, test_ptr);
	tcase_add_test(tc, test_uva_ptr);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_hint_alternating);
	tcase_add_test(tc, test_many_regions);
	tcase_add_test(tc, test_concurrent_readers);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(gmem_suite)
