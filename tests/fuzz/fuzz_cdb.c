/*
 * Fuzz the CDB decoder, its describers, name lookup and the UNMAP
 * parameter list decoder.
 *
 * Input: byte 0 picks the device type (bit 0: MMC) and the size of the
 * small describe buffer (bits 7:1); the rest is used
 *   1. as a CDB, decoded whole and at every shorter length (up to 40): the
 *      record must be self-consistent, a shorter CDB must give no field the
 *      whole one lacks, and text and JSON into a large and a small buffer
 *      must agree (same length returned, small is a prefix);
 *   2. as an UNMAP parameter list;
 *   3. as a name for vscsi_cdb_lookup() (the first 80 bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"
#include "vscsi/cdb.h"

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef size_t (*describe_fn)(const vscsi_cdb_info *, char *, size_t);

static void describe_both(describe_fn fn, const vscsi_cdb_info *ci,
			  size_t small)
{
	static char full[4096], part[256];
	size_t n, m, i;

	n = fn(ci, full, sizeof(full));
	CHECK(n < sizeof(full) && strlen(full) == n);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)full[i] >= 0x20 &&
		      (unsigned char)full[i] < 0x7f);
	m = fn(ci, part, small);
	CHECK(m == n);
	if (small) {
		CHECK(strlen(part) == (small - 1 < n ? small - 1 : n));
		CHECK(strncmp(part, full, small - 1) == 0);
	}
	CHECK(fn(ci, NULL, 0) == n);
}

static void check_record(const vscsi_cdb_info *ci, int rc, size_t len)
{
	CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED ||
	      rc == VSCSI_ERR_INVALID);
	CHECK(ci->name != NULL);
	CHECK(ci->have <= ci->cdb_len && ci->have <= len);
	CHECK(ci->truncated == (len < ci->cdb_len || len == 0));
	if (rc == VSCSI_ERR_TRUNCATED)
		CHECK(ci->truncated);
	CHECK(ci->op_class <= VSCSI_OPC_UNMAP);
	CHECK(ci->cmdset <= VSCSI_CMDSET_UNKNOWN);
	CHECK(ci->data_dir <= VSCSI_DIR_UNKNOWN);
	if (ci->known) {
		CHECK(ci->desc != NULL);
		CHECK(ci->desc->opcode == ci->opcode);
		CHECK(ci->desc->has_sa == ci->has_sa);
		CHECK(!ci->has_sa || ci->desc->sa == ci->service_action);
		CHECK(strcmp(ci->desc->name, ci->name) == 0);
	} else {
		CHECK(ci->desc == NULL);
	}
	if (ci->fields & VSCSI_CDB_HAS_XFER)
		CHECK(ci->xfer_unit == VSCSI_XFER_BLOCKS ||
		      ci->xfer_unit == VSCSI_XFER_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vscsi_cdb_info full, part;
	vscsi_unmap_desc d[8];
	unsigned ptype, n, total;
	size_t small, len, k;
	char name[81];
	int rc;

	if (size < 1)
		return 0;
	ptype = (data[0] & 1) ? VSCSI_PTYPE_MMC : VSCSI_PTYPE_DISK;
	small = data[0] >> 1;
	data++;
	size--;

	/* 1. the CDB */
	rc = vscsi_cdb_decode_type(data, size, ptype, &full);
	check_record(&full, rc, size);
	describe_both(vscsi_cdb_describe, &full, small);
	describe_both(vscsi_cdb_describe_json, &full, small);
	len = size < 40 ? size : 40;
	for (k = 0; k < len; k++) {
		rc = vscsi_cdb_decode_type(data, k, ptype, &part);
		check_record(&part, rc, k);
		CHECK(part.opcode == (k ? data[0] : 0));
		CHECK((part.fields & ~full.fields) == 0);
		CHECK((part.flags & ~full.flags) == 0);
		CHECK((part.xflags & ~full.xflags) == 0);
		if (part.fields & VSCSI_CDB_HAS_LBA)
			CHECK(part.lba == full.lba);
		if (part.fields & VSCSI_CDB_HAS_ALLOC)
			CHECK(part.alloc_len == full.alloc_len);
		if (part.known)
			CHECK(part.desc == full.desc);
		describe_both(vscsi_cdb_describe, &part, small);
		describe_both(vscsi_cdb_describe_json, &part, small);
	}
	if (full.known) {
		int idx = vscsi_cdb_table_find(full.opcode,
					       full.service_action,
					       full.has_sa, ptype);

		CHECK(idx >= 0);
		CHECK(vscsi_cdb_table_entry((unsigned)idx) == full.desc);
	}
	CHECK(vscsi_cdb_name_type(full.opcode, full.service_action,
				  full.has_sa, ptype) != NULL);

	/* 2. an UNMAP parameter list */
	rc = vscsi_unmap_param_decode(data, size, d, small & 7, &n, &total);
	CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED ||
	      rc == VSCSI_ERR_INVALID);
	if (rc == VSCSI_OK) {
		CHECK(n <= (small & 7) && n <= total);
		CHECK(8 + (size_t)total * 16 <= size);
	} else {
		CHECK(n == 0 && total == 0);
	}

	/* 3. a name */
	len = size < 80 ? size : 80;
	memcpy(name, data, len);
	name[len] = '\0';
	{
		uint8_t op;
		uint16_t sa;
		int has_sa;

		if (vscsi_cdb_lookup(name, &op, &sa, &has_sa) == VSCSI_OK)
			CHECK(vscsi_cdb_name(op, sa, has_sa) != NULL);
	}
	return 0;
}
