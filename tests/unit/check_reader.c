/* The bounds-checked reader: every accessor at every truncation point. */
#include <string.h>

#include "testutil.h"
#include "vscsi.h"

static const uint8_t bytes[16] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

START_TEST(test_endian)
{
	vscsi_rd r;

	vscsi_rd_init(&r, bytes, sizeof(bytes));
	ck_assert_uint_eq(vscsi_rd_u8(&r), 0x01);
	ck_assert_uint_eq(vscsi_rd_le16(&r), 0x0302);
	ck_assert_uint_eq(vscsi_rd_be16(&r), 0x0405);
	ck_assert_uint_eq(vscsi_rd_be24(&r), 0x060708);
	ck_assert_uint_eq(vscsi_rd_le32(&r), 0x0c0b0a09);
	ck_assert_uint_eq(vscsi_rd_be32(&r), 0x0d0e0f10);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_OK);
	ck_assert_uint_eq(vscsi_rd_left(&r), 0);

	vscsi_rd_init(&r, bytes, sizeof(bytes));
	ck_assert_uint_eq(vscsi_rd_le64(&r), 0x0807060504030201ull);
	ck_assert_uint_eq(vscsi_rd_be64(&r), 0x090a0b0c0d0e0f10ull);
	vscsi_rd_init(&r, bytes, sizeof(bytes));
	ck_assert_uint_eq(vscsi_rd_e32(&r, 1), 0x01020304);
	ck_assert_uint_eq(vscsi_rd_e32(&r, 0), 0x08070605);
}
END_TEST

/* Reading n bytes from a buffer of every length below n truncates, sticks,
 * and reads zero afterwards. */
START_TEST(test_truncation_every_offset)
{
	size_t len;

	for (len = 0; len < 8; len++) {
		vscsi_rd r;
		uint64_t v;

		vscsi_rd_init(&r, bytes, len);
		v = vscsi_rd_le64(&r);
		ck_assert_uint_eq(v, 0);
		ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(vscsi_rd_left(&r), 0);
		/* sticky: a read that would fit now still fails */
		ck_assert_uint_eq(vscsi_rd_u8(&r), 0);
		ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_TRUNCATED);
		ck_assert_ptr_null(vscsi_rd_ptr(&r, 0));
	}
}
END_TEST

START_TEST(test_invalid_is_distinct)
{
	vscsi_rd r;

	vscsi_rd_init(&r, bytes, sizeof(bytes));
	vscsi_rd_skip(&r, 3);
	vscsi_rd_invalid(&r);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_INVALID);
	ck_assert_uint_eq(vscsi_rd_error_pos(&r), 3);
	/* a later truncation does not hide the first error */
	vscsi_rd_skip(&r, 100);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_INVALID);

	vscsi_rd_init(&r, bytes, 2);
	vscsi_rd_skip(&r, 3);
	vscsi_rd_invalid(&r);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_sub_and_bytes)
{
	vscsi_rd r, sub;
	uint8_t out[4];

	vscsi_rd_init(&r, bytes, sizeof(bytes));
	vscsi_rd_sub(&r, 4, &sub);
	ck_assert_uint_eq(vscsi_rd_pos(&r), 4);
	ck_assert_uint_eq(vscsi_rd_be32(&sub), 0x01020304);
	ck_assert_uint_eq(vscsi_rd_u8(&sub), 0);
	ck_assert_int_eq(vscsi_rd_error(&sub), VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_OK);

	ck_assert_int_eq(vscsi_rd_bytes(&r, out, 4), VSCSI_OK);
	ck_assert_mem_eq(out, bytes + 4, 4);
	vscsi_rd_sub(&r, 100, &sub);
	ck_assert_int_eq(vscsi_rd_error(&sub), VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_rd_bytes(&r, out, 4), VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(out[0], 0);
}
END_TEST

/* A huge length must not wrap the bounds check. */
START_TEST(test_huge_length)
{
	vscsi_rd r;

	vscsi_rd_init(&r, bytes, sizeof(bytes));
	vscsi_rd_skip(&r, 1);
	vscsi_rd_skip(&r, SIZE_MAX);
	ck_assert_int_eq(vscsi_rd_error(&r), VSCSI_ERR_TRUNCATED);
	vscsi_rd_init(&r, NULL, 100);
	ck_assert_uint_eq(vscsi_rd_left(&r), 0);
}
END_TEST

START_TEST(test_put)
{
	uint8_t b[8];

	vscsi_put_le32(b, 0x11223344);
	ck_assert_uint_eq(b[0], 0x44);
	vscsi_put_be64(b, 0x0102030405060708ull);
	ck_assert_uint_eq(vscsi_get_be(b, 8), 0x0102030405060708ull);
	ck_assert_uint_eq(vscsi_get_be(b + 5, 3), 0x060708);
}
END_TEST

START_TEST(test_errors_and_version)
{
	ck_assert_str_eq(vscsi_strerror(VSCSI_ERR_TRUNCATED), "input truncated");
	ck_assert_str_eq(vscsi_errname(VSCSI_ERR_DESC_LOOP), "DESC_LOOP");
	ck_assert_str_eq(vscsi_strerror(12345), "unknown error");
	ck_assert_str_eq(vscsi_version(), VSCSI_VERSION_STRING);
	ck_assert_uint_eq(vscsi_version_number(), VSCSI_VERSION_NUMBER);
}
END_TEST

static Suite *reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_endian);
	tcase_add_test(tc, test_truncation_every_offset);
	tcase_add_test(tc, test_invalid_is_distinct);
	tcase_add_test(tc, test_sub_and_bytes);
	tcase_add_test(tc, test_huge_length);
	tcase_add_test(tc, test_put);
	tcase_add_test(tc, test_errors_and_version);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(reader_suite)
