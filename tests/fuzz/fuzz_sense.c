/*
 * Fuzz the sense data decoder, its describers and the builders.
 *
 * Input, all of it used twice:
 *   1. as sense data: decoded, then described as text and JSON into a
 *      large buffer and into a small one (size from the last byte); the
 *      small results must be prefixes with the same returned length.
 *      Every prefix length the harness picks (from byte 0) decodes too.
 *   2. as builder fields (the first 32 bytes, zero-padded): sense is built
 *      in the format they choose and decoded again; key, ASC and ASCQ and
 *      every field the format can carry must survive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"
#include "vscsi/sense.h"

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void describe_both(const vscsi_sense_info *si, size_t small)
{
	static char full[2048], part[2048];
	size_t n, m;

	n = vscsi_sense_describe(si, full, sizeof(full));
	CHECK(n < sizeof(full) && strlen(full) == n);
	m = vscsi_sense_describe(si, part, small);
	CHECK(m == n);
	if (small) {
		CHECK(strlen(part) == (small - 1 < n ? small - 1 : n));
		CHECK(strncmp(part, full, small - 1) == 0);
	}

	n = vscsi_sense_describe_json(si, full, sizeof(full));
	CHECK(n < sizeof(full) && strlen(full) == n);
	m = vscsi_sense_describe_json(si, part, small);
	CHECK(m == n);
	if (small) {
		CHECK(strlen(part) == (small - 1 < n ? small - 1 : n));
		CHECK(strncmp(part, full, small - 1) == 0);
	}
}

static void decode_bytes(const uint8_t *data, size_t size)
{
	vscsi_sense_info si, cut;
	size_t small = size ? data[size - 1] : 0;
	size_t k;
	int rc;

	rc = vscsi_sense_decode(data, size, &si);
	CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED ||
	      rc == VSCSI_ERR_INVALID || rc == VSCSI_ERR_EMPTY);
	CHECK((rc == VSCSI_ERR_EMPTY) == (size == 0));
	CHECK(si.key < 16 && si.sense_len <= size);
	CHECK(si.incomplete == (rc == VSCSI_ERR_TRUNCATED));
	describe_both(&si, small);

	/* A prefix never contradicts the whole on the leading fields. */
	if (size) {
		k = data[0] % (size + 1);
		rc = vscsi_sense_decode(data, k, &cut);
		CHECK(cut.response_code == (k ? si.response_code : 0));
		if (k && !cut.incomplete) {
			CHECK(cut.key == si.key && cut.asc == si.asc &&
			      cut.ascq == si.ascq);
		}
		describe_both(&cut, small);
	}
}

static uint64_t get64(const uint8_t *p)
{
	return vscsi_get_be(p, 8);
}

static void build_fields(const uint8_t *data, size_t size)
{
	uint8_t f[32] = { 0 };
	uint8_t buf[VSCSI_SENSE_BUILD_MAX];
	vscsi_sense_info in, out;
	int n, rc;

	memcpy(f, data, size < sizeof(f) ? size : sizeof(f));
	vscsi_sense_init(&in, f[0] & 1, f[1] & 15, f[2], f[3]);
	in.deferred = (f[0] >> 1) & 1;
	in.has_info = (f[0] >> 2) & 1;
	in.has_csi = (f[0] >> 3) & 1;
	in.filemark = (f[0] >> 4) & 1;
	in.eom = (f[0] >> 5) & 1;
	in.ili = (f[0] >> 6) & 1;
	in.sks_valid = (f[0] >> 7) & 1;
	in.information = get64(f + 4);
	in.csi = get64(f + 12);
	if (!in.descriptor && (f[1] & 0x10))
		in.csi &= UINT32_MAX;
	in.fru = f[20];
	in.sks_kind = f[21] % 6;
	in.fp_cd = f[22] & 1;
	in.fp_bpv = (f[22] >> 1) & 1;
	in.fp_bit = (f[22] >> 2) & 7;
	in.seg_sd = (f[22] >> 5) & 1;
	in.ua_overflow = (f[22] >> 6) & 1;
	in.fp_field = (uint16_t)(f[23] << 8 | f[24]);
	in.progress = (uint16_t)(f[25] << 8 | f[26]);
	in.retry_count = (uint16_t)(f[27] << 8 | f[28]);
	memcpy(in.sks, f + 29, 3);

	n = vscsi_sense_build(&in, buf, (size_t)(f[1] >> 5) * 8);
	CHECK(n == VSCSI_ERR_NOSPACE || n == VSCSI_ERR_ARG || n > 0);
	n = vscsi_sense_build(&in, buf, sizeof(buf));
	if (!in.descriptor && in.has_csi && in.csi > UINT32_MAX) {
		CHECK(n == VSCSI_ERR_ARG);
		return;
	}
	CHECK(n >= 8 && (size_t)n <= sizeof(buf));
	CHECK(in.descriptor || n == VSCSI_SENSE_FIXED_LEN);

	rc = vscsi_sense_decode(buf, (size_t)n, &out);
	CHECK(rc == VSCSI_OK);
	CHECK(!out.truncated && out.sense_len == (uint16_t)n);
	CHECK(out.key == in.key && out.asc == in.asc && out.ascq == in.ascq);
	CHECK(out.descriptor == in.descriptor && out.deferred == in.deferred);
	CHECK(out.filemark == in.filemark && out.eom == in.eom &&
	      out.ili == in.ili);
	CHECK(out.fru == in.fru);
	CHECK(out.sks_valid == in.sks_valid);
	if (in.has_info && (in.descriptor || in.information <= UINT32_MAX))
		CHECK(out.has_info && out.information == in.information);
	else
		CHECK(!out.has_info);
	CHECK(out.csi == (in.has_csi ? in.csi : 0));
	if (in.sks_valid && in.sks_kind == VSCSI_SKS_FIELD_POINTER &&
	    out.sks_kind == VSCSI_SKS_FIELD_POINTER)
		CHECK(out.fp_cd == in.fp_cd && out.fp_bpv == in.fp_bpv &&
		      out.fp_bit == in.fp_bit && out.fp_field == in.fp_field);
	if (in.sks_valid && in.sks_kind == VSCSI_SKS_PROGRESS &&
	    out.sks_kind == VSCSI_SKS_PROGRESS)
		CHECK(out.progress == in.progress);
	describe_both(&out, f[31]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_bytes(data, size);
	build_fields(data, size);
	return 0;
}
