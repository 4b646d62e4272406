/*
 * SCSI CDB decoding: vectors for every command family, truncation at every
 * length, text and JSON, lookup, the command table and UNMAP lists.
 *
 * Vectors cite the standard's CDB figure for the command. Where a table
 * number is given it is the one in Seagate's "SCSI Commands Reference
 * Manual" rev J ("Seagate table N"), which reprints the SPC-5/SBC-4 CDB
 * tables; T10 drafts number their tables differently from one revision to
 * the next.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/cdb.h"
#include "../../libvscsi-decode/src/cdb_table.h"

#define CDB(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

static vscsi_cdb_info dec_t(unsigned ptype, const uint8_t *c, size_t n)
{
	vscsi_cdb_info ci;

	ck_assert_int_eq(vscsi_cdb_decode_type(c, n, ptype, &ci), VSCSI_OK);
	ck_assert_uint_eq(ci.truncated, 0);
	ck_assert_uint_eq(ci.have, ci.cdb_len);
	return ci;
}

static vscsi_cdb_info dec(const uint8_t *c, size_t n)
{
	return dec_t(VSCSI_PTYPE_DISK, c, n);
}

static void text_is(const vscsi_cdb_info *ci, const char *want)
{
	char buf[512];
	size_t n = vscsi_cdb_describe(ci, buf, sizeof(buf));

	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
}

static void json_is(const vscsi_cdb_info *ci, const char *want)
{
	char buf[2048];
	size_t n = vscsi_cdb_describe_json(ci, buf, sizeof(buf));

	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
}

static void known_is(const vscsi_cdb_info *ci, const char *name,
		     unsigned cmdset, unsigned op_class, unsigned cdb_len)
{
	ck_assert_uint_eq(ci->known, 1);
	ck_assert_ptr_nonnull(ci->desc);
	ck_assert_str_eq(ci->name, name);
	ck_assert_str_eq(ci->desc->name, name);
	ck_assert_uint_eq(ci->cmdset, cmdset);
	ck_assert_uint_eq(ci->op_class, op_class);
	ck_assert_uint_eq(ci->cdb_len, cdb_len);
	ck_assert(ci->fields & VSCSI_CDB_HAS_CONTROL);
}

/* ------------------------------------------------------------ SBC reads */

START_TEST(test_read6)
{
	vscsi_cdb_info ci;

	/* SBC-4 READ(6): LBA in byte 1 bits 4:0 and bytes 2-3 (21 bits);
	 * TRANSFER LENGTH 0 means 256 blocks. */
	ci = dec(CDB(0x08, 0x1f, 0xff, 0xff, 0x00, 0x00));
	known_is(&ci, "READ(6)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 6);
	ck_assert_uint_eq(ci.lba, 0x1fffff);
	ck_assert_uint_eq(ci.xfer_len, 256);
	ck_assert_uint_eq(ci.xfer_unit, VSCSI_XFER_BLOCKS);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_IN);
	text_is(&ci, "READ(6) lba=2097151 len=256");

	/* the old LUN bits 7:5 of byte 1 are not LBA */
	ci = dec(CDB(0x08, 0xe1, 0x02, 0x03, 0x01, 0x00));
	ck_assert_uint_eq(ci.lba, 0x010203);
	ck_assert_uint_eq(ci.xfer_len, 1);

	/* SBC-4 WRITE(6): same layout */
	ci = dec(CDB(0x0a, 0x00, 0x00, 0x08, 0x00, 0x00));
	known_is(&ci, "WRITE(6)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 6);
	ck_assert_uint_eq(ci.lba, 8);
	ck_assert_uint_eq(ci.xfer_len, 256);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
}
END_TEST

START_TEST(test_read10_12)
{
	vscsi_cdb_info ci;

	/* SBC-4 READ(10), Seagate table 97: RDPROTECT(7:5) DPO(4) FUA(3)
	 * RARC(2), LBA 2-5, GROUP NUMBER 6, TRANSFER LENGTH 7-8 */
	ci = dec(CDB(0x28, 0x08, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08,
		     0x00));
	known_is(&ci, "READ(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 10);
	ck_assert_uint_eq(ci.lba, 2048);
	ck_assert_uint_eq(ci.xfer_len, 8);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_FUA);
	text_is(&ci, "READ(10) lba=2048 len=8 fua");
	json_is(&ci, "\"op\":\"READ(10)\",\"opcode\":40,\"class\":\"read\","
		"\"cmdset\":\"sbc\",\"dir\":\"in\",\"cdb_len\":10,\"lba\":2048,"
		"\"xfer\":8,\"xfer_unit\":\"blocks\",\"group\":0,\"protect\":0,"
		"\"control\":0,\"fua\":true");

	ci = dec(CDB(0x28, 0xf4, 0xff, 0xff, 0xff, 0xfe, 0x25, 0xff, 0xff,
		     0x00));
	ck_assert_uint_eq(ci.protect, 7);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DPO | VSCSI_CDBF_RARC);
	ck_assert_uint_eq(ci.lba, 0xfffffffe);
	ck_assert_uint_eq(ci.group, 0x25);
	ck_assert_uint_eq(ci.xfer_len, 0xffff);
	text_is(&ci, "READ(10) lba=4294967294 len=65535 group=37 protect=7 dpo"
		" rarc");

	/* SBC-4 READ(12), Seagate table 99: LBA 2-5, TRANSFER LENGTH 6-9,
	 * byte 10 bit 7 is MMC's Streaming */
	ci = dec(CDB(0xa8, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
		     0x00, 0x80, 0x00));
	known_is(&ci, "READ(12)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 12);
	ck_assert_uint_eq(ci.lba, 16);
	ck_assert_uint_eq(ci.xfer_len, 65536);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_STREAMING);
	/* MMC-6 READ(12) is the same command on a CD-ROM */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0xa8, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x20,
					0, 0));
	ck_assert_str_eq(ci.name, "READ(12)");
	ck_assert_uint_eq(ci.op_class, VSCSI_OPC_READ);
	ck_assert_uint_eq(ci.xfer_len, 32);
}
END_TEST

START_TEST(test_read16_32)
{
	vscsi_cdb_info ci;

	/* SBC-4 READ(16): 64-bit LBA 2-9, TRANSFER LENGTH 10-13, DLD2 in
	 * byte 1 bit 0, DLD1:0 in byte 14 bits 7:6 (Seagate table 219 shows
	 * the same for WRITE(16)) */
	ci = dec(CDB(0x88, 0x01, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
		     0xf0, 0x00, 0x00, 0x01, 0x00, 0x81, 0x00));
	known_is(&ci, "READ(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 16);
	ck_assert_uint_eq(ci.lba, 0x123456789abcdef0ull);
	ck_assert_uint_eq(ci.xfer_len, 256);
	ck_assert_uint_eq(ci.dld, 6);
	ck_assert_uint_eq(ci.group, 1);
	ck_assert_uint_eq(ci.flags, 0);
	ci = dec(CDB(0x88, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0, 0));
	ck_assert_uint_eq(ci.lba, UINT64_MAX);
	ck_assert_uint_eq(ci.xfer_len, UINT32_MAX);

	/* SBC-4 READ(32), Seagate table 102: 7Fh, CONTROL in byte 1, GROUP
	 * 6, ADDITIONAL CDB LENGTH 18h, SA 0009h, RDPROTECT DPO FUA RARC 10,
	 * LBA 12-19, EILBRT 20-23, ELBAT 24-25, LBATM 26-27, length 28-31 */
	ci = dec(CDB(0x7f, 0x00, 0, 0, 0, 0, 0x03, 0x18, 0x00, 0x09, 0x78,
		     0x00, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0x11, 0x22, 0x33,
		     0x44, 0xab, 0xcd, 0xff, 0xff, 0, 0, 0, 0x08));
	known_is(&ci, "READ(32)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 32);
	ck_assert_uint_eq(ci.has_sa, 1);
	ck_assert_uint_eq(ci.service_action, 0x0009);
	ck_assert_uint_eq(ci.lba, 0x1000);
	ck_assert_uint_eq(ci.xfer_len, 8);
	ck_assert_uint_eq(ci.group, 3);
	ck_assert_uint_eq(ci.protect, 3);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DPO | VSCSI_CDBF_FUA);
	ck_assert_uint_eq(ci.ref_tag, 0x11223344);
	ck_assert_uint_eq(ci.app_tag, 0xabcd);
	ck_assert_uint_eq(ci.app_tag_mask, 0xffff);
	text_is(&ci, "READ(32) lba=4096 len=8 group=3 protect=3 "
		"ref_tag=0x11223344 app_tag=0xabcd app_mask=0xffff fua dpo");
}
END_TEST

/* ------------------------------------------------------------ SBC writes */

START_TEST(test_writes)
{
	vscsi_cdb_info ci;

	/* SBC-4 WRITE(10): WRPROTECT DPO FUA, FUA_NV (obsolete) bit 1 */
	ci = dec(CDB(0x2a, 0x1a, 0, 0, 0x10, 0, 0, 0, 0x80, 0));
	known_is(&ci, "WRITE(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 10);
	ck_assert_uint_eq(ci.lba, 4096);
	ck_assert_uint_eq(ci.xfer_len, 128);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DPO | VSCSI_CDBF_FUA |
				    VSCSI_CDBF_FUA_NV);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	/* SBC-4 WRITE(12) */
	ci = dec(CDB(0xaa, 0x08, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0));
	known_is(&ci, "WRITE(12)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 12);
	ck_assert_uint_eq(ci.lba, 1);
	ck_assert_uint_eq(ci.xfer_len, 2);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_FUA);
	/* SBC-4 WRITE(16), Seagate table 219 */
	ci = dec(CDB(0x8a, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0));
	known_is(&ci, "WRITE(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 16);
	ck_assert_uint_eq(ci.lba, 1ull << 32);
	ck_assert_uint_eq(ci.xfer_len, 8);
	/* SBC-4 WRITE(32): service action 000Bh */
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x0b, 0x08, 0, 0, 0,
		     0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		     0x01));
	known_is(&ci, "WRITE(32)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 32);
	ck_assert_uint_eq(ci.lba, 0x20);
	ck_assert_uint_eq(ci.xfer_len, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_FUA);
	/* SBC-4 ORWRITE(16), WRITE ATOMIC(16), WRITE STREAM(16) */
	ci = dec(CDB(0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0));
	known_is(&ci, "ORWRITE(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 16);
	ck_assert_uint_eq(ci.lba, 5);
	ci = dec(CDB(0x9c, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 0x80, 0x00,
		     0x10, 0, 0));
	known_is(&ci, "WRITE ATOMIC(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE,
		 16);
	ck_assert_uint_eq(ci.lba, 0x40);
	ck_assert_uint_eq(ci.xfer_len, 16);
	ck_assert_str_eq(ci.number_name, "boundary");
	ck_assert_uint_eq(ci.number, 0x80);
	ci = dec(CDB(0x9a, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0x00, 0x03, 0, 4, 0, 0));
	known_is(&ci, "WRITE STREAM(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE,
		 16);
	ck_assert_str_eq(ci.number_name, "stream");
	ck_assert_uint_eq(ci.number, 3);
	ck_assert_uint_eq(ci.xfer_len, 4);

	/* SBC-4 COMPARE AND WRITE: NUMBER OF LOGICAL BLOCKS in byte 13 */
	ci = dec(CDB(0x89, 0x08, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0x01,
		     0, 0));
	known_is(&ci, "COMPARE AND WRITE", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE,
		 16);
	ck_assert_uint_eq(ci.lba, 0x1234);
	ck_assert_uint_eq(ci.xfer_len, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_FUA);
}
END_TEST

START_TEST(test_verify)
{
	vscsi_cdb_info ci;

	/* SBC-4 VERIFY(10), Seagate table 207: VRPROTECT DPO BYTCHK(2:1) */
	ci = dec(CDB(0x2f, 0x00, 0, 0, 0, 0x64, 0, 0, 0x10, 0));
	known_is(&ci, "VERIFY(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 10);
	ck_assert_uint_eq(ci.lba, 100);
	ck_assert_uint_eq(ci.xfer_len, 16);
	ck_assert_uint_eq(ci.bytchk, 0);
	ck_assert(ci.fields & VSCSI_CDB_HAS_BYTCHK);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	ci = dec(CDB(0x2f, 0x12, 0, 0, 0, 0x64, 0, 0, 0x10, 0));
	ck_assert_uint_eq(ci.bytchk, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DPO);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	text_is(&ci, "VERIFY(10) lba=100 len=16 bytchk=1 dpo");
	/* SBC-4 VERIFY(12), Seagate table 212 */
	ci = dec(CDB(0xaf, 0x06, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0));
	known_is(&ci, "VERIFY(12)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 12);
	ck_assert_uint_eq(ci.bytchk, 3);
	ck_assert_uint_eq(ci.xfer_len, 2);
	/* SBC-4 VERIFY(16), Seagate table 213 */
	ci = dec(CDB(0x8f, 0xe0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0));
	known_is(&ci, "VERIFY(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 16);
	ck_assert_uint_eq(ci.protect, 7);
	ck_assert_uint_eq(ci.lba, 7);
	ck_assert_uint_eq(ci.xfer_len, 3);
	/* SBC-4 VERIFY(32): service action 000Ah */
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x0a, 0x02, 0, 0, 0,
		     0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
	known_is(&ci, "VERIFY(32)", VSCSI_CMDSET_SBC, VSCSI_OPC_READ, 32);
	ck_assert_uint_eq(ci.bytchk, 1);
	ck_assert_uint_eq(ci.lba, 9);

	/* SBC-4 WRITE AND VERIFY(10), Seagate table 221 */
	ci = dec(CDB(0x2e, 0x02, 0, 0, 0, 8, 0, 0, 1, 0));
	known_is(&ci, "WRITE AND VERIFY(10)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_WRITE, 10);
	ck_assert_uint_eq(ci.bytchk, 1);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	ci = dec(CDB(0xae, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0));
	known_is(&ci, "WRITE AND VERIFY(12)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_WRITE, 12);
	ci = dec(CDB(0x8e, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0));
	known_is(&ci, "WRITE AND VERIFY(16)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_WRITE, 16);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x0c, 0, 0, 0, 0, 0,
		     0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
	known_is(&ci, "WRITE AND VERIFY(32)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_WRITE, 32);
}
END_TEST

START_TEST(test_write_same_unmap)
{
	vscsi_cdb_info ci;

	/* SBC-4 WRITE SAME(10), Seagate table 236: WRPROTECT ANCHOR(4)
	 * UNMAP(3), NUMBER OF BLOCKS 7-8 */
	ci = dec(CDB(0x41, 0x00, 0, 0, 0x10, 0, 0, 0, 0x08, 0));
	known_is(&ci, "WRITE SAME(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 10);
	ck_assert_uint_eq(ci.xfer_len, 8);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	ci = dec(CDB(0x41, 0x18, 0, 0, 0x10, 0, 0, 0, 0x08, 0));
	ck_assert_uint_eq(ci.op_class, VSCSI_OPC_UNMAP);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_UNMAP | VSCSI_CDBF_ANCHOR);
	/* SBC-4 WRITE SAME(16), Seagate table 238: NDOB bit 0 */
	ci = dec(CDB(0x93, 0x01, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0,
		     0));
	known_is(&ci, "WRITE SAME(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_WRITE, 16);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_NDOB);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	ck_assert_uint_eq(ci.lba, 4096);
	ck_assert_uint_eq(ci.xfer_len, 4096);
	/* what Linux sends for BLKDISCARD with provisioning_mode=writesame_16 */
	ci = dec(CDB(0x93, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0,
		     0));
	ck_assert_uint_eq(ci.op_class, VSCSI_OPC_UNMAP);
	text_is(&ci, "WRITE SAME(16) lba=4096 len=4096 unmap");
	/* SBC-4 WRITE SAME(32), Seagate table 239: service action 000Dh */
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x0d, 0x09, 0, 0, 0,
		     0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4));
	known_is(&ci, "WRITE SAME(32)", VSCSI_CMDSET_SBC, VSCSI_OPC_UNMAP, 32);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_UNMAP | VSCSI_CDBF_NDOB);
	ck_assert_uint_eq(ci.lba, 2);
	ck_assert_uint_eq(ci.xfer_len, 4);

	/* SBC-4 UNMAP: ANCHOR(0), GROUP 6, PARAMETER LIST LENGTH 7-8 */
	ci = dec(CDB(0x42, 0x01, 0, 0, 0, 0, 0x05, 0, 0x18, 0));
	known_is(&ci, "UNMAP", VSCSI_CMDSET_SBC, VSCSI_OPC_UNMAP, 10);
	ck_assert_uint_eq(ci.alloc_len, 24);
	ck_assert_uint_eq(ci.group, 5);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_ANCHOR);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	text_is(&ci, "UNMAP plen=24 group=5 anchor");
}
END_TEST

START_TEST(test_cache_prefetch)
{
	vscsi_cdb_info ci;

	/* SBC-4 SYNCHRONIZE CACHE(10): SYNC_NV(2) IMMED(1), LBA 2-5, NUMBER
	 * OF BLOCKS 7-8 */
	ci = dec(CDB(0x35, 0x00, 0, 0, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "SYNCHRONIZE CACHE(10)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_FLUSH, 10);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	text_is(&ci, "SYNCHRONIZE CACHE(10) lba=0 len=0");
	ci = dec(CDB(0x35, 0x06, 0, 0, 1, 0, 0, 0, 2, 0));
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED | VSCSI_CDBF_SYNC_NV);
	ck_assert_uint_eq(ci.lba, 256);
	ck_assert_uint_eq(ci.xfer_len, 2);
	/* SBC-4 SYNCHRONIZE CACHE(16) */
	ci = dec(CDB(0x91, 0x02, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0));
	known_is(&ci, "SYNCHRONIZE CACHE(16)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_FLUSH, 16);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED);
	ck_assert_uint_eq(ci.xfer_len, 9);
	/* SBC-4 PRE-FETCH(10) and (16) */
	ci = dec(CDB(0x34, 0x02, 0, 0, 0, 0x20, 0, 0, 0x40, 0));
	known_is(&ci, "PRE-FETCH(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.lba, 0x20);
	ck_assert_uint_eq(ci.xfer_len, 0x40);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED);
	ci = dec(CDB(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0x40, 0, 0));
	known_is(&ci, "PRE-FETCH(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.xfer_len, 0x40);
}
END_TEST

/* ------------------------------------------------------------ 9Eh / 9Fh */

START_TEST(test_service_action_in16)
{
	vscsi_cdb_info ci;

	/* SBC-4 READ CAPACITY(16): 9Eh/10h, ALLOCATION LENGTH 10-13, PMI 14 */
	ci = dec(CDB(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0));
	known_is(&ci, "READ CAPACITY(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.has_sa, 1);
	ck_assert_uint_eq(ci.service_action, 0x10);
	ck_assert_uint_eq(ci.alloc_len, 32);
	text_is(&ci, "READ CAPACITY(16) alloc=32");
	json_is(&ci, "\"op\":\"READ CAPACITY(16)\",\"opcode\":158,\"sa\":16,"
		"\"class\":\"other\",\"cmdset\":\"sbc\",\"dir\":\"in\","
		"\"cdb_len\":16,\"lba\":0,\"alloc\":32,\"control\":0");
	/* the service action is byte 1 bits 4:0 only */
	ci = dec(CDB(0x9e, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01,
		     0));
	ck_assert_str_eq(ci.name, "READ CAPACITY(16)");
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_PMI);
	/* SBC-4 READ CAPACITY(10): 25h, PMI byte 8 */
	ci = dec(CDB(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "READ CAPACITY(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 10);
	text_is(&ci, "READ CAPACITY(10)");

	/* SBC-4 GET LBA STATUS(16), Seagate table 51: 9Eh/12h, STARTING LBA
	 * 2-9, ALLOCATION LENGTH 10-13 */
	ci = dec(CDB(0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0,
		     0));
	known_is(&ci, "GET LBA STATUS(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.lba, 0x1000);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	/* SBC-4 REPORT REFERRALS: 9Eh/13h, ONE_SEG byte 14 bit 0 */
	ci = dec(CDB(0x9e, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0));
	known_is(&ci, "REPORT REFERRALS", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_ONE_SEG);
	/* SBC-4 READ LONG(16): byte transfer length 12-13 */
	ci = dec(CDB(0x9e, 0x11, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x02, 0x08,
		     0x02, 0));
	known_is(&ci, "READ LONG(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.xfer_len, 520);
	ck_assert_uint_eq(ci.xfer_unit, VSCSI_XFER_BYTES);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_PBLOCK);
	text_is(&ci, "READ LONG(16) lba=4 len=520B pblock");
	/* SBC-4 GET PHYSICAL ELEMENT STATUS, GET STREAM STATUS */
	ci = dec(CDB(0x9e, 0x17, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x40, 0x41,
		     0));
	known_is(&ci, "GET PHYSICAL ELEMENT STATUS", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_str_eq(ci.format_name, "report_type");
	ck_assert_uint_eq(ci.format, 1);
	ci = dec(CDB(0x9e, 0x16, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0));
	known_is(&ci, "GET STREAM STATUS", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.number, 2);

	/* an unassigned service action: the opcode's own name */
	ci = dec(CDB(0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_ptr_null(ci.desc);
	ck_assert_uint_eq(ci.has_sa, 1);
	ck_assert_uint_eq(ci.service_action, 0x1f);
	ck_assert_str_eq(ci.name, "SERVICE ACTION IN(16)");
	ck_assert_uint_eq(ci.cdb_len, 16);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_UNKNOWN);
	text_is(&ci, "SERVICE ACTION IN(16) sa=0x1f");

	/* SBC-4 WRITE LONG(16): 9Fh/11h, COR_DIS WR_UNCOR PBLOCK in 7:5 */
	ci = dec(CDB(0x9f, 0x51, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "WRITE LONG(16)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_WR_UNCOR);
	ck_assert_uint_eq(ci.lba, 9);
	/* SBC-4 READ LONG(10) / WRITE LONG(10) */
	ci = dec(CDB(0x3e, 0x02, 0, 0, 0, 1, 0, 0x02, 0x00, 0));
	known_is(&ci, "READ LONG(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.xfer_len, 512);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_CORRCT);
	ci = dec(CDB(0x3f, 0xc0, 0, 0, 0, 1, 0, 0, 0, 0));
	known_is(&ci, "WRITE LONG(10)", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_COR_DIS | VSCSI_CDBX_WR_UNCOR);
}
END_TEST

/* ------------------------------------------------------------ SPC */

START_TEST(test_spc_basic)
{
	vscsi_cdb_info ci;

	/* SPC-5 TEST UNIT READY */
	ci = dec(CDB(0x00, 0, 0, 0, 0, 0));
	known_is(&ci, "TEST UNIT READY", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	text_is(&ci, "TEST UNIT READY");
	/* SPC-5 REQUEST SENSE: DESC(0), ALLOCATION LENGTH 4 */
	ci = dec(CDB(0x03, 0x01, 0, 0, 0x60, 0));
	known_is(&ci, "REQUEST SENSE", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.alloc_len, 96);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DESC);
	/* SPC-5 INQUIRY: EVPD(0), PAGE CODE 2, ALLOCATION LENGTH 3-4 */
	ci = dec(CDB(0x12, 0x01, 0x83, 0x00, 0xff, 0x00));
	known_is(&ci, "INQUIRY", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_EVPD);
	ck_assert_uint_eq(ci.page, 0x83);
	ck_assert_uint_eq(ci.alloc_len, 255);
	text_is(&ci, "INQUIRY evpd page=0x83 alloc=255");
	json_is(&ci, "\"op\":\"INQUIRY\",\"opcode\":18,\"class\":\"other\","
		"\"cmdset\":\"spc\",\"dir\":\"in\",\"cdb_len\":6,\"page\":131,"
		"\"alloc\":255,\"control\":0,\"evpd\":true");
	ci = dec(CDB(0x12, 0x00, 0x00, 0x01, 0x00, 0x00));
	ck_assert_uint_eq(ci.alloc_len, 256);
	text_is(&ci, "INQUIRY alloc=256");
	/* SPC-5 REPORT LUNS: SELECT REPORT 2, ALLOCATION LENGTH 6-9 */
	ci = dec(CDB(0xa0, 0, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
	known_is(&ci, "REPORT LUNS", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	ck_assert_str_eq(ci.format_name, "select");
	ck_assert_uint_eq(ci.format, 2);
	text_is(&ci, "REPORT LUNS alloc=4096 select=2");
}
END_TEST

START_TEST(test_mode_log)
{
	vscsi_cdb_info ci;

	/* SPC-5 MODE SENSE(6): DBD(3), PC(7:6) PAGE(5:0), SUBPAGE, ALLOC */
	ci = dec(CDB(0x1a, 0x08, 0x48, 0x00, 0xc0, 0x00));
	known_is(&ci, "MODE SENSE(6)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.page, 0x08);
	ck_assert_uint_eq(ci.pc, 1);
	ck_assert_uint_eq(ci.alloc_len, 192);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_DBD);
	text_is(&ci, "MODE SENSE(6) page=0x08 pc=changeable alloc=192 dbd");
	/* SPC-5 MODE SENSE(10): LLBAA(4) DBD(3), ALLOCATION LENGTH 7-8 */
	ci = dec(CDB(0x5a, 0x10, 0x3f, 0xff, 0, 0, 0, 0x0f, 0xfc, 0));
	known_is(&ci, "MODE SENSE(10)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.page, 0x3f);
	ck_assert_uint_eq(ci.subpage, 0xff);
	ck_assert_uint_eq(ci.pc, 0);
	ck_assert_uint_eq(ci.alloc_len, 4092);
	text_is(&ci, "MODE SENSE(10) page=0x3f subpage=0xff pc=current "
		"alloc=4092 llbaa");
	/* SPC-5 MODE SELECT(6)/(10): PF(4) SP(0), parameter list length */
	ci = dec(CDB(0x15, 0x11, 0, 0, 0x18, 0));
	known_is(&ci, "MODE SELECT(6)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_PF | VSCSI_CDBF_SP);
	ck_assert_uint_eq(ci.alloc_len, 24);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	text_is(&ci, "MODE SELECT(6) plen=24 sp pf");
	ci = dec(CDB(0x55, 0x10, 0, 0, 0, 0, 0, 0, 0x1c, 0));
	known_is(&ci, "MODE SELECT(10)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.alloc_len, 28);

	/* SPC-5 LOG SENSE: SP(0), PC PAGE, SUBPAGE, PARAMETER POINTER 5-6,
	 * ALLOCATION LENGTH 7-8 */
	ci = dec(CDB(0x4d, 0x00, 0x4d, 0x00, 0, 0x00, 0x02, 0x00, 0x40, 0));
	known_is(&ci, "LOG SENSE", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.page, 0x0d);
	ck_assert_uint_eq(ci.pc, 1);
	ck_assert_uint_eq(ci.number, 2);
	ck_assert_str_eq(ci.number_name, "param_ptr");
	text_is(&ci, "LOG SENSE page=0x0d pc=cumulative alloc=64 param_ptr=2");
	/* SPC-5 LOG SELECT: PCR(1) SP(0) */
	ci = dec(CDB(0x4c, 0x02, 0xc0, 0, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "LOG SELECT", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_PCR);
	ck_assert_uint_eq(ci.pc, 3);
}
END_TEST

START_TEST(test_maintenance)
{
	vscsi_cdb_info ci;

	/* SPC-5 REPORT SUPPORTED OPERATION CODES: A3h/0Ch, RCTD(7) REPORTING
	 * OPTIONS(2:0) byte 2, REQUESTED OPERATION CODE 3, REQUESTED SERVICE
	 * ACTION 4-5, ALLOCATION LENGTH 6-9 */
	ci = dec(CDB(0xa3, 0x0c, 0x82, 0x9e, 0x00, 0x10, 0, 0, 0x02, 0x00, 0,
		     0));
	known_is(&ci, "REPORT SUPPORTED OPERATION CODES", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.service_action, 0x0c);
	ck_assert_uint_eq(ci.format, 2);
	ck_assert_uint_eq(ci.req_opcode, 0x9e);
	ck_assert_uint_eq(ci.req_sa, 0x10);
	ck_assert_uint_eq(ci.alloc_len, 512);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_RCTD);
	text_is(&ci, "REPORT SUPPORTED OPERATION CODES alloc=512 options=2 "
		"req_op=0x9e req_sa=0x10 rctd");
	/* SPC-5 REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS: A3h/0Dh */
	ci = dec(CDB(0xa3, 0x0d, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 0, 0));
	known_is(&ci, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
		 VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_REPD);
	ck_assert_uint_eq(ci.alloc_len, 16);
	/* SPC-5 REPORT TARGET PORT GROUPS: A3h/0Ah, PARAMETER DATA FORMAT */
	ci = dec(CDB(0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0));
	known_is(&ci, "REPORT TARGET PORT GROUPS", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.format, 1);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	/* SPC-5 REPORT TIMESTAMP (A3h/0Fh), REPORT IDENTIFYING INFORMATION
	 * (A3h/05h) */
	ci = dec(CDB(0xa3, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0));
	known_is(&ci, "REPORT TIMESTAMP", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER,
		 12);
	ck_assert_uint_eq(ci.alloc_len, 12);
	ci = dec(CDB(0xa3, 0x05, 0, 0, 0, 0, 0, 0, 1, 0, 0x02, 0));
	known_is(&ci, "REPORT IDENTIFYING INFORMATION", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.format, 1);
	/* unassigned MAINTENANCE IN service action */
	ci = dec(CDB(0xa3, 0x1b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_str_eq(ci.name, "MAINTENANCE IN");
	ck_assert_uint_eq(ci.cdb_len, 12);

	/* SPC-5 MAINTENANCE OUT: SET TARGET PORT GROUPS A4h/0Ah, SET
	 * TIMESTAMP A4h/0Fh, parameter list length 6-9 */
	ci = dec(CDB(0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0));
	known_is(&ci, "SET TARGET PORT GROUPS", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.alloc_len, 12);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	ci = dec(CDB(0xa4, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0));
	known_is(&ci, "SET TIMESTAMP", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 12);
	/* SPC-5 READ MEDIA SERIAL NUMBER: ABh/01h */
	ci = dec(CDB(0xab, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0));
	known_is(&ci, "READ MEDIA SERIAL NUMBER", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.alloc_len, 64);
}
END_TEST

START_TEST(test_start_stop_pr)
{
	vscsi_cdb_info ci;

	/* SBC-4 START STOP UNIT: IMMED(0) byte 1, POWER CONDITION MODIFIER
	 * byte 3, POWER CONDITION(7:4) NO_FLUSH(2) LOEJ(1) START(0) byte 4 */
	ci = dec(CDB(0x1b, 0x01, 0, 0x01, 0x23, 0));
	known_is(&ci, "START STOP UNIT", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.power_cond, 2);
	ck_assert_uint_eq(ci.power_mod, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED | VSCSI_CDBF_LOEJ |
				    VSCSI_CDBF_START);
	text_is(&ci, "START STOP UNIT power=idle power_mod=1 immed start loej");
	ci = dec(CDB(0x1b, 0, 0, 0, 0x04, 0));
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_NO_FLUSH);
	text_is(&ci, "START STOP UNIT no_flush");
	/* SBC-4 PREVENT ALLOW MEDIUM REMOVAL: PREVENT(1:0) byte 4 */
	ci = dec(CDB(0x1e, 0, 0, 0, 0x03, 0));
	known_is(&ci, "PREVENT ALLOW MEDIUM REMOVAL", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_PREVENT);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_PERSISTENT);

	/* SPC-5 PERSISTENT RESERVE IN: SERVICE ACTION byte 1, ALLOCATION
	 * LENGTH 7-8 */
	ci = dec(CDB(0x5e, 0x00, 0, 0, 0, 0, 0, 0x10, 0x00, 0));
	known_is(&ci, "PERSISTENT RESERVE IN READ KEYS", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	ci = dec(CDB(0x5e, 0x03, 0, 0, 0, 0, 0, 0x10, 0x00, 0));
	ck_assert_str_eq(ci.name, "PERSISTENT RESERVE IN READ FULL STATUS");
	ci = dec(CDB(0x5e, 0x07, 0, 0, 0, 0, 0, 0x10, 0x00, 0));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_str_eq(ci.name, "PERSISTENT RESERVE IN");
	/* SPC-5 PERSISTENT RESERVE OUT: SCOPE(7:4) TYPE(3:0) byte 2,
	 * PARAMETER LIST LENGTH 5-8 */
	ci = dec(CDB(0x5f, 0x01, 0x03, 0, 0, 0, 0, 0, 0x18, 0));
	known_is(&ci, "PERSISTENT RESERVE OUT RESERVE", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.pr_scope, 0);
	ck_assert_uint_eq(ci.pr_type, 3);
	ck_assert_uint_eq(ci.alloc_len, 24);
	text_is(&ci, "PERSISTENT RESERVE OUT RESERVE plen=24 scope=0 "
		"type=ex_ac");
	ci = dec(CDB(0x5f, 0x06, 0, 0, 0, 0, 0, 0, 0x18, 0));
	ck_assert_str_eq(ci.name,
			 "PERSISTENT RESERVE OUT REGISTER AND IGNORE EXISTING KEY");
	ci = dec(CDB(0x5f, 0x08, 0, 0, 0, 0, 0, 0, 0x18, 0));
	ck_assert_str_eq(ci.name,
			 "PERSISTENT RESERVE OUT REPLACE LOST RESERVATION");

	/* SPC-2 RESERVE(6)/RELEASE(6), RESERVE(10)/RELEASE(10) */
	ci = dec(CDB(0x16, 0, 0, 0, 0, 0));
	known_is(&ci, "RESERVE(6)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ci = dec(CDB(0x17, 0, 0, 0, 0, 0));
	known_is(&ci, "RELEASE(6)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ci = dec(CDB(0x56, 0x12, 0, 0x05, 0, 0, 0, 0, 0x08, 0));
	known_is(&ci, "RESERVE(10)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_THIRDPTY | VSCSI_CDBX_LONGID);
	ck_assert_uint_eq(ci.number, 5);
	ci = dec(CDB(0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "RELEASE(10)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
}
END_TEST

START_TEST(test_diag_buffer_security)
{
	vscsi_cdb_info ci;

	/* SPC-5 SEND DIAGNOSTIC: SELF-TEST CODE(7:5) PF(4) SELFTEST(2)
	 * DEVOFFL(1) UNITOFFL(0), PARAMETER LIST LENGTH 3-4 */
	ci = dec(CDB(0x1d, 0x24, 0, 0, 0, 0));
	known_is(&ci, "SEND DIAGNOSTIC", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.self_test, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_SELFTEST);
	ci = dec(CDB(0x1d, 0x13, 0, 0, 0x10, 0));
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_PF);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_DEVOFFL | VSCSI_CDBX_UNITOFFL);
	ck_assert_uint_eq(ci.alloc_len, 16);
	/* SPC-5 RECEIVE DIAGNOSTIC RESULTS: PCV(0), PAGE CODE, ALLOC 3-4 */
	ci = dec(CDB(0x1c, 0x01, 0x00, 0x10, 0x00, 0));
	known_is(&ci, "RECEIVE DIAGNOSTIC RESULTS", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	text_is(&ci, "RECEIVE DIAGNOSTIC RESULTS page=0x00 alloc=4096 pcv");

	/* SPC-5 WRITE BUFFER: MODE(4:0) 1, BUFFER ID 2, BUFFER OFFSET 3-5,
	 * PARAMETER LIST LENGTH 6-8 */
	ci = dec(CDB(0x3b, 0x07, 0x01, 0x00, 0x10, 0x00, 0x00, 0x80, 0x00, 0));
	known_is(&ci, "WRITE BUFFER", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.buf_mode, 7);
	ck_assert_uint_eq(ci.buf_id, 1);
	ck_assert_uint_eq(ci.buf_offset, 0x1000);
	ck_assert_uint_eq(ci.alloc_len, 0x8000);
	text_is(&ci, "WRITE BUFFER plen=32768 mode=0x07 id=1 offset=4096");
	/* SPC-5 READ BUFFER(10) (Seagate table 103) and READ BUFFER(16)
	 * (Seagate table 118: offset 2-9, alloc 10-13, id 14) */
	ci = dec(CDB(0x3c, 0x1c, 0, 0, 0, 0, 0, 0x01, 0, 0));
	known_is(&ci, "READ BUFFER(10)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.buf_mode, 0x1c);
	ck_assert_uint_eq(ci.alloc_len, 256);
	ci = dec(CDB(0x9b, 0x02, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 3, 0));
	known_is(&ci, "READ BUFFER(16)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.buf_offset, 1ull << 24);
	ck_assert_uint_eq(ci.alloc_len, 512);
	ck_assert_uint_eq(ci.buf_id, 3);

	/* SPC-5 SECURITY PROTOCOL IN/OUT: protocol 1, specific 2-3, INC_512
	 * 4, length 6-9 */
	ci = dec(CDB(0xa2, 0xef, 0x00, 0x01, 0x80, 0, 0, 0, 0, 1, 0, 0));
	known_is(&ci, "SECURITY PROTOCOL IN", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.sec_protocol, 0xef);
	ck_assert_uint_eq(ci.sec_specific, 1);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_INC_512);
	ck_assert_uint_eq(ci.alloc_len, 1);
	ci = dec(CDB(0xb5, 0x01, 0x00, 0x05, 0, 0, 0, 0, 2, 0, 0, 0));
	known_is(&ci, "SECURITY PROTOCOL OUT", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	text_is(&ci, "SECURITY PROTOCOL OUT plen=512 protocol=0x01 "
		"specific=0x0005");
}
END_TEST

START_TEST(test_format_sanitize_defects)
{
	vscsi_cdb_info ci;

	/* SBC-4 FORMAT UNIT, Seagate table 35: FMTPINFO(7:6) LONGLIST(5)
	 * FMTDATA(4) CMPLST(3) DEFECT LIST FORMAT(2:0), FFMT(1:0) byte 4 */
	ci = dec(CDB(0x04, 0x00, 0, 0, 0, 0));
	known_is(&ci, "FORMAT UNIT", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	ci = dec(CDB(0x04, 0xb8, 0, 0, 0x01, 0));
	ck_assert_uint_eq(ci.protect, 2);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_FMTDATA | VSCSI_CDBF_CMPLST);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_LONGLIST);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);

	/* SBC-4 SANITIZE, Seagate tables 169 and 170: IMMED(7) ZNR(6) AUSE(5)
	 * SERVICE ACTION(4:0), PARAMETER LIST LENGTH 7-8 */
	ci = dec(CDB(0x48, 0x81, 0, 0, 0, 0, 0, 0, 0x0c, 0));
	known_is(&ci, "SANITIZE OVERWRITE", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 10);
	ck_assert_uint_eq(ci.service_action, 1);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED);
	ck_assert_uint_eq(ci.alloc_len, 12);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	ci = dec(CDB(0x48, 0x22, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_str_eq(ci.name, "SANITIZE BLOCK ERASE");
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_AUSE);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	ci = dec(CDB(0x48, 0x03, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_str_eq(ci.name, "SANITIZE CRYPTOGRAPHIC ERASE");
	ci = dec(CDB(0x48, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_str_eq(ci.name, "SANITIZE EXIT FAILURE MODE");

	/* SBC-4 READ DEFECT DATA(10): REQ_PLIST(4) REQ_GLIST(3) FORMAT(2:0)
	 * in byte 2; (12): in byte 1, ADDRESS DESCRIPTOR INDEX 2-5 */
	ci = dec(CDB(0x37, 0, 0x0d, 0, 0, 0, 0, 0x02, 0, 0));
	known_is(&ci, "READ DEFECT DATA(10)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_REQ_GLIST);
	ck_assert_uint_eq(ci.format, 5);
	ck_assert_uint_eq(ci.alloc_len, 512);
	ci = dec(CDB(0xb7, 0x14, 0, 0, 0, 7, 0, 0, 1, 0, 0, 0));
	known_is(&ci, "READ DEFECT DATA(12)", VSCSI_CMDSET_SBC,
		 VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_REQ_PLIST);
	ck_assert_uint_eq(ci.format, 4);
	ck_assert_uint_eq(ci.number, 7);
	ck_assert_uint_eq(ci.alloc_len, 256);
	/* SBC-4 REASSIGN BLOCKS */
	ci = dec(CDB(0x07, 0x03, 0, 0, 0, 0));
	known_is(&ci, "REASSIGN BLOCKS", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 6);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_LONGLBA | VSCSI_CDBX_LONGLIST);
}
END_TEST

START_TEST(test_copy_attributes_zones)
{
	vscsi_cdb_info ci;

	/* SPC-4 EXTENDED COPY(LID1): 83h/00h, PARAMETER LIST LENGTH 10-13 */
	ci = dec(CDB(0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0));
	known_is(&ci, "EXTENDED COPY(LID1)", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.alloc_len, 64);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	/* SBC-4 POPULATE TOKEN: 83h/10h, LIST IDENTIFIER 6-9 */
	ci = dec(CDB(0x83, 0x10, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 2, 0, 0, 0));
	known_is(&ci, "POPULATE TOKEN", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.number, 7);
	ck_assert_str_eq(ci.number_name, "list_id");
	ck_assert_uint_eq(ci.alloc_len, 512);
	/* SPC-4 RECEIVE COPY STATUS(LID1): 84h/00h, LIST IDENTIFIER byte 2;
	 * RECEIVE COPY OPERATING PARAMETERS 84h/03h; (LID4) 84h/05h */
	ci = dec(CDB(0x84, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0,
		     0));
	known_is(&ci, "RECEIVE COPY STATUS(LID1)", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.number, 9);
	ck_assert_uint_eq(ci.alloc_len, 32);
	ci = dec(CDB(0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0));
	known_is(&ci, "RECEIVE COPY OPERATING PARAMETERS", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.alloc_len, 256);
	ci = dec(CDB(0x84, 0x05, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0));
	known_is(&ci, "RECEIVE COPY STATUS(LID4)", VSCSI_CMDSET_SPC,
		 VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.number, 0x100);

	/* SPC-5 READ ATTRIBUTE: SA(4:0) 1, FIRST ATTRIBUTE IDENTIFIER 8-9,
	 * ALLOCATION LENGTH 10-13, CACHE(0) 14 */
	ci = dec(CDB(0x8c, 0x00, 0, 0, 0, 0, 0, 0, 0x04, 0x01, 0, 0, 0x10, 0,
		     0x01, 0));
	known_is(&ci, "READ ATTRIBUTE", VSCSI_CMDSET_SPC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.number, 0x0401);
	ck_assert_uint_eq(ci.alloc_len, 4096);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_CACHE);

	/* ZBC REPORT ZONES: 95h/00h, ZONE START LBA 2-9, ALLOCATION LENGTH
	 * 10-13, PARTIAL(7) REPORTING OPTIONS(5:0) */
	ci = dec(CDB(0x95, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0x81,
		     0));
	known_is(&ci, "REPORT ZONES", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER, 16);
	ck_assert_uint_eq(ci.alloc_len, 65536);
	ck_assert_uint_eq(ci.format, 1);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_PARTIAL);
	/* ZBC RESET WRITE POINTER: 94h/04h, ALL(0) byte 14 */
	ci = dec(CDB(0x94, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0));
	known_is(&ci, "RESET WRITE POINTER", VSCSI_CMDSET_SBC, VSCSI_OPC_OTHER,
		 16);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_ALL);
}
END_TEST

/* ------------------------------------------------------------ SAT */

START_TEST(test_ata_pass_through)
{
	vscsi_cdb_info ci;

	/* SAT-4 ATA PASS-THROUGH(16) IDENTIFY DEVICE as hdparm and smartctl
	 * send it: PROTOCOL 4 (PIO data-in), T_DIR 1, BYT_BLOK 1, T_LENGTH 2
	 * (COUNT), COUNT 1, COMMAND ECh */
	ci = dec(CDB(0x85, 0x08, 0x0e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
		     0x00, 0x00, 0x00, 0x00, 0x40, 0xec, 0x00));
	known_is(&ci, "ATA PASS-THROUGH(16)", VSCSI_CMDSET_ATA, VSCSI_OPC_OTHER,
		 16);
	ck_assert(ci.fields & VSCSI_CDB_HAS_ATA);
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_LBA));
	ck_assert_uint_eq(ci.ata.protocol, 4);
	ck_assert_uint_eq(ci.ata.command, 0xec);
	ck_assert_uint_eq(ci.ata.count, 1);
	ck_assert_uint_eq(ci.ata.device, 0x40);
	ck_assert_uint_eq(ci.ata.t_dir, 1);
	ck_assert_uint_eq(ci.ata.byt_blok, 1);
	ck_assert_uint_eq(ci.ata.t_length, 2);
	ck_assert_uint_eq(ci.xfer_len, 1);
	ck_assert_uint_eq(ci.xfer_unit, VSCSI_XFER_BLOCKS);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_IN);
	text_is(&ci, "ATA PASS-THROUGH(16) len=1 ata_cmd=0xec proto=4 "
		"features=0x0 count=1 ata_lba=0x0 device=0x40 t_length=2 "
		"t_dir=in byt_blok");
	/* 48-bit: EXTEND(0) brings in the high bytes 3, 5, 7, 9, 11 */
	ci = dec(CDB(0x85, 0x0d, 0x26, 0x01, 0x02, 0x03, 0x04, 0x40, 0x10,
		     0x50, 0x20, 0x60, 0x30, 0x40, 0x25, 0x00));
	ck_assert_uint_eq(ci.ata.extend, 1);
	ck_assert_uint_eq(ci.ata.protocol, 6);
	ck_assert_uint_eq(ci.ata.features, 0x0102);
	ck_assert_uint_eq(ci.ata.count, 0x0304);
	ck_assert_uint_eq(ci.ata.lba, 0x605040302010ull);
	ck_assert_uint_eq(ci.ata.ck_cond, 1);
	ck_assert_uint_eq(ci.ata.t_dir, 0);
	ck_assert_uint_eq(ci.xfer_len, 0x0304);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	/* the same bytes without EXTEND: 28-bit registers only */
	ci = dec(CDB(0x85, 0x0c, 0x26, 0x01, 0x02, 0x03, 0x04, 0x40, 0x10,
		     0x50, 0x20, 0x60, 0x30, 0x40, 0x25, 0x00));
	ck_assert_uint_eq(ci.ata.features, 0x02);
	ck_assert_uint_eq(ci.ata.count, 0x04);
	ck_assert_uint_eq(ci.ata.lba, 0x302010);
	/* non-data: T_LENGTH 0 */
	ci = dec(CDB(0x85, 0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe5,
		     0));
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_NONE);
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_XFER));

	/* SAT-4 ATA PASS-THROUGH(12): SMART READ DATA (B0h/D0h) with the
	 * C24Fh signature in LBA mid/high */
	ci = dec(CDB(0xa1, 0x08, 0x0e, 0xd0, 0x01, 0x00, 0x4f, 0xc2, 0x00,
		     0xb0, 0x00, 0x00));
	known_is(&ci, "ATA PASS-THROUGH(12)", VSCSI_CMDSET_ATA, VSCSI_OPC_OTHER,
		 12);
	ck_assert_uint_eq(ci.ata.command, 0xb0);
	ck_assert_uint_eq(ci.ata.features, 0xd0);
	ck_assert_uint_eq(ci.ata.lba, 0xc24f00);
	ck_assert_uint_eq(ci.xfer_len, 1);

	/* SAT-4 ATA PASS-THROUGH(32): 7Fh/1FF0h, protocol byte 10, flags 11,
	 * LBA 14-19, FEATURES 20-21, COUNT 22-23, DEVICE 24, COMMAND 25,
	 * AUXILIARY 28-31 */
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x1f, 0xf0, 0x0d, 0x0e,
		     0, 0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		     0x00, 0x08, 0x40, 0x25, 0, 0, 0, 0, 0, 0x01));
	known_is(&ci, "ATA PASS-THROUGH(32)", VSCSI_CMDSET_ATA, VSCSI_OPC_OTHER,
		 32);
	ck_assert_uint_eq(ci.service_action, 0x1ff0);
	ck_assert_uint_eq(ci.ata.protocol, 6);
	ck_assert_uint_eq(ci.ata.extend, 1);
	ck_assert_uint_eq(ci.ata.lba, 0x100);
	ck_assert_uint_eq(ci.ata.count, 8);
	ck_assert_uint_eq(ci.ata.command, 0x25);
	ck_assert_uint_eq(ci.ata.auxiliary, 1);
	ck_assert_uint_eq(ci.xfer_len, 8);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_IN);
}
END_TEST

/* ------------------------------------------------------------ MMC */

START_TEST(test_mmc_linux_cdrom)
{
	vscsi_cdb_info ci;

	/* MMC-6 READ TOC/PMA/ATIP: MSF(1) byte 1, FORMAT(3:0) byte 2,
	 * TRACK/SESSION NUMBER 6, ALLOCATION LENGTH 7-8 */
	ci = dec(CDB(0x43, 0x02, 0x00, 0, 0, 0, 0x01, 0x00, 0x0c, 0x00));
	known_is(&ci, "READ TOC/PMA/ATIP", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 10);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_MSF);
	ck_assert_uint_eq(ci.format, 0);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_uint_eq(ci.alloc_len, 12);
	text_is(&ci, "READ TOC/PMA/ATIP alloc=12 format=0 track=1 msf");
	/* the SFF-8020 form Linux sr_vendor.c sends: format 1 in CONTROL 7:6 */
	ci = dec(CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x40));
	ck_assert_uint_eq(ci.format, 1);
	/* MMC-6 GET CONFIGURATION: RT(1:0), STARTING FEATURE 2-3, ALLOC 7-8 */
	ci = dec(CDB(0x46, 0x02, 0x00, 0x1e, 0, 0, 0, 0x00, 0x10, 0));
	known_is(&ci, "GET CONFIGURATION", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 10);
	ck_assert_str_eq(ci.format_name, "rt");
	ck_assert_uint_eq(ci.format, 2);
	ck_assert_str_eq(ci.number_name, "feature");
	ck_assert_uint_eq(ci.number, 0x1e);
	text_is(&ci, "GET CONFIGURATION alloc=16 rt=2 feature=30");
	/* MMC-6 GET EVENT STATUS NOTIFICATION: POLLED(0), NOTIFICATION CLASS
	 * REQUEST 4, ALLOCATION LENGTH 7-8 */
	ci = dec(CDB(0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 0x08, 0));
	known_is(&ci, "GET EVENT STATUS NOTIFICATION", VSCSI_CMDSET_MMC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_POLLED);
	ck_assert_str_eq(ci.format_name, "notify_class");
	ck_assert_uint_eq(ci.format, 0x10);
	json_is(&ci, "\"op\":\"GET EVENT STATUS NOTIFICATION\",\"opcode\":74,"
		"\"class\":\"other\",\"cmdset\":\"mmc\",\"dir\":\"in\","
		"\"cdb_len\":10,\"alloc\":8,\"notify_class\":16,"
		"\"control\":0,\"polled\":true");
	text_is(&ci, "GET EVENT STATUS NOTIFICATION alloc=8 notify_class=16 "
		"polled");
	/* MMC-6 READ DISC INFORMATION: DATA TYPE(2:0), ALLOC 7-8 */
	ci = dec(CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0));
	known_is(&ci, "READ DISC INFORMATION", VSCSI_CMDSET_MMC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.alloc_len, 34);
	/* MMC-6 READ TRACK INFORMATION: ADDRESS/NUMBER TYPE(1:0), 2-5 */
	ci = dec(CDB(0x52, 0x01, 0, 0, 0, 0x01, 0, 0, 0x1c, 0));
	known_is(&ci, "READ TRACK INFORMATION", VSCSI_CMDSET_MMC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.format, 1);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_uint_eq(ci.alloc_len, 28);
	/* MMC-6 MECHANISM STATUS: ALLOCATION LENGTH 8-9 */
	ci = dec(CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x08, 0, 0));
	known_is(&ci, "MECHANISM STATUS", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 12);
	ck_assert_uint_eq(ci.alloc_len, 8);
	/* MMC-6 READ FORMAT CAPACITIES */
	ci = dec(CDB(0x23, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0));
	known_is(&ci, "READ FORMAT CAPACITIES", VSCSI_CMDSET_MMC,
		 VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.alloc_len, 252);
	/* SPC-5 MODE SENSE(10) for the MMC capabilities page 2Ah */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 0x80,
					0));
	ck_assert_str_eq(ci.name, "MODE SENSE(10)");
	ck_assert_uint_eq(ci.page, 0x2a);
	/* SBC-4 / MMC-6 START STOP UNIT eject: LOEJ 1, START 0 */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0x1b, 0, 0, 0, 0x02, 0));
	ck_assert_str_eq(ci.name, "START STOP UNIT");
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_LOEJ);
}
END_TEST

START_TEST(test_mmc_read_audio)
{
	vscsi_cdb_info ci;

	/* MMC-6 READ CD: EXPECTED SECTOR TYPE(4:2), LBA 2-5, TRANSFER LENGTH
	 * 6-8, byte 9 flags, SUB-CHANNEL 10 */
	ci = dec(CDB(0xbe, 0x04, 0, 0, 0, 0x10, 0x00, 0x00, 0x02, 0xf8, 0x01,
		     0));
	known_is(&ci, "READ CD", VSCSI_CMDSET_MMC, VSCSI_OPC_READ, 12);
	ck_assert_uint_eq(ci.lba, 16);
	ck_assert_uint_eq(ci.xfer_len, 2);
	ck_assert_uint_eq(ci.sector_type, 1);
	ck_assert_uint_eq(ci.sector_flags, 0xf8);
	ck_assert_uint_eq(ci.subchannel, 1);
	/* MMC-6 READ CD MSF: 00:02:00 up to 00:02:10 is 10 frames */
	ci = dec(CDB(0xb9, 0, 0, 0, 2, 0, 0, 2, 10, 0x10, 0, 0));
	known_is(&ci, "READ CD MSF", VSCSI_CMDSET_MMC, VSCSI_OPC_READ, 12);
	ck_assert_uint_eq(ci.msf_start, 0x000200);
	ck_assert_uint_eq(ci.msf_end, 0x00020a);
	ck_assert_uint_eq(ci.xfer_len, 10);
	text_is(&ci, "READ CD MSF len=10 start=00:02:00 end=00:02:10 "
		"sector_type=0 sector_flags=0x10 subchannel=0");
	/* end before start: no length */
	ci = dec(CDB(0xb9, 0, 0, 1, 0, 0, 0, 2, 10, 0x10, 0, 0));
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_XFER));
	/* MMC-6 SET CD SPEED: READ SPEED 2-3, WRITE SPEED 4-5 */
	ci = dec(CDB(0xbb, 0, 0xff, 0xff, 0x02, 0xc2, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "SET CD SPEED", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.read_speed, 0xffff);
	ck_assert_uint_eq(ci.write_speed, 706);
	/* MMC-6 READ SUB-CHANNEL (0x42 on a CD-ROM) */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0x42, 0x02, 0x40, 0x01, 0, 0, 0x01, 0,
					0x10, 0));
	known_is(&ci, "READ SUB-CHANNEL", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 10);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_MSF);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_SUBQ);
	ck_assert_uint_eq(ci.format, 1);
	ck_assert_uint_eq(ci.number, 1);
	/* MMC-6 GET PERFORMANCE: STARTING LBA 2-5, MAXIMUM NUMBER OF
	 * DESCRIPTORS 8-9, TYPE 10 */
	ci = dec(CDB(0xac, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x03, 0));
	known_is(&ci, "GET PERFORMANCE", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 12);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_uint_eq(ci.format, 3);
	/* MMC-6 READ DISC STRUCTURE: LAYER 6, FORMAT 7, ALLOC 8-9 */
	ci = dec(CDB(0xad, 0, 0, 0, 0, 0, 1, 0x04, 0x08, 0x04, 0, 0));
	known_is(&ci, "READ DISC STRUCTURE", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER,
		 12);
	ck_assert_uint_eq(ci.number, 1);
	ck_assert_uint_eq(ci.format, 4);
	ck_assert_uint_eq(ci.alloc_len, 2052);
	/* MMC-6 PLAY AUDIO(10), PLAY AUDIO(12), PLAY AUDIO MSF */
	ci = dec(CDB(0x45, 0, 0, 0, 0, 0x20, 0, 0, 0x4b, 0));
	known_is(&ci, "PLAY AUDIO(10)", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.lba, 0x20);
	ck_assert_uint_eq(ci.xfer_len, 75);
	ci = dec(CDB(0xa5, 0, 0, 0, 0, 0x20, 0, 0, 0, 0x4b, 0, 0));
	known_is(&ci, "PLAY AUDIO(12)", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.xfer_len, 75);
	ci = dec(CDB(0x47, 0, 0, 0, 2, 0, 0x10, 0, 0, 0));
	known_is(&ci, "PLAY AUDIO MSF", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.msf_end, 0x100000);
	/* MMC-6 SET STREAMING: TYPE 8, PARAMETER LIST LENGTH 9-10 */
	ci = dec(CDB(0xb6, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x1c, 0));
	known_is(&ci, "SET STREAMING", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.alloc_len, 28);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_OUT);
	/* MMC-6 PAUSE/RESUME, STOP PLAY/SCAN */
	ci = dec(CDB(0x4b, 0, 0, 0, 0, 0, 0, 0, 0x01, 0));
	known_is(&ci, "PAUSE/RESUME", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 10);
	ck_assert_uint_eq(ci.xflags, VSCSI_CDBX_RESUME);
	ci = dec(CDB(0x4e, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	known_is(&ci, "STOP PLAY/SCAN", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 10);
}
END_TEST

/* Opcodes that mean one thing on a disk and another on a CD-ROM. */
START_TEST(test_device_type)
{
	vscsi_cdb_info ci;

	ci = dec(CDB(0x42, 0, 0, 0, 0, 0, 0, 0, 0x18, 0));
	ck_assert_str_eq(ci.name, "UNMAP");
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0x42, 0, 0, 0, 0, 0, 0, 0, 0x18, 0));
	ck_assert_str_eq(ci.name, "READ SUB-CHANNEL");
	ci = dec(CDB(0xa1, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_str_eq(ci.name, "ATA PASS-THROUGH(12)");
	/* MMC-6 BLANK: IMMED(4) BLANKING TYPE(2:0) */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0xa1, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					0));
	known_is(&ci, "BLANK", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.flags, VSCSI_CDBF_IMMED);
	ck_assert_uint_eq(ci.format, 1);
	/* MMC-6 SEND KEY / REPORT KEY share A3h/A4h with MAINTENANCE IN/OUT */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0xa3, 0x0c, 0, 0, 0, 0, 0, 0x03, 0x00,
					0x0c, 0x41, 0));
	known_is(&ci, "SEND KEY", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.has_sa, 0);
	ck_assert_uint_eq(ci.number, 3);
	ck_assert_uint_eq(ci.alloc_len, 12);
	ck_assert_uint_eq(ci.format, 1);
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0xa4, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x08,
					0x00, 0));
	known_is(&ci, "REPORT KEY", VSCSI_CMDSET_MMC, VSCSI_OPC_OTHER, 12);
	ck_assert_uint_eq(ci.alloc_len, 8);
	/* an SBC-only command still decodes on a CD-ROM */
	ci = dec_t(VSCSI_PTYPE_MMC, CDB(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
					0, 1, 0, 0));
	ck_assert_str_eq(ci.name, "READ(16)");
	/* and an MMC-only one on a disk */
	ci = dec(CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0));
	ck_assert_str_eq(ci.name, "GET CONFIGURATION");
	ck_assert_int_eq(vscsi_cdb_opcode_has_sa(0xa3, VSCSI_PTYPE_DISK), 1);
	ck_assert_int_eq(vscsi_cdb_opcode_has_sa(0xa3, VSCSI_PTYPE_MMC), 0);
	ck_assert_int_eq(vscsi_cdb_opcode_has_sa(0x7f, VSCSI_PTYPE_MMC), 1);
	ck_assert_int_eq(vscsi_cdb_opcode_has_sa(0x28, VSCSI_PTYPE_DISK), 0);
	ck_assert_str_eq(vscsi_cdb_name_type(0xa3, 0, 0, VSCSI_PTYPE_MMC),
			 "SEND KEY");
	ck_assert_str_eq(vscsi_cdb_name(0xa3, 0x0c, 1),
			 "REPORT SUPPORTED OPERATION CODES");
	ck_assert_str_eq(vscsi_cdb_name(0xa3, 0x1e, 1), "MAINTENANCE IN");
	ck_assert_str_eq(vscsi_cdb_name(0xa3, 0, 0), "MAINTENANCE IN");
	ck_assert_str_eq(vscsi_cdb_name(0x28, 0x13, 1), "READ(10)");
	ck_assert_str_eq(vscsi_cdb_name(0xd3, 0, 0), "UNKNOWN");
	ck_assert_str_eq(vscsi_cdb_name(0x9d, 0x01, 1),
			 "SERVICE ACTION BIDIRECTIONAL");
}
END_TEST

/* ------------------------------------------------------------ edges */

START_TEST(test_unknown_opcodes)
{
	vscsi_cdb_info ci;

	/* vendor specific (SPC-5: C0h-FFh) */
	ci = dec(CDB(0xd3, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_ptr_null(ci.desc);
	ck_assert_str_eq(ci.name, "UNKNOWN");
	ck_assert_uint_eq(ci.cmdset, VSCSI_CMDSET_VENDOR);
	ck_assert_uint_eq(ci.op_class, VSCSI_OPC_OTHER);
	ck_assert_uint_eq(ci.data_dir, VSCSI_DIR_UNKNOWN);
	ck_assert_uint_eq(ci.cdb_len, 10);
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_CONTROL));
	text_is(&ci, "UNKNOWN 0xd3");
	json_is(&ci, "\"op\":\"UNKNOWN\",\"opcode\":211,\"known\":false,"
		"\"class\":\"other\",\"cmdset\":\"vendor\",\"dir\":\"unknown\","
		"\"cdb_len\":10");
	/* unassigned in group 0: 6 bytes, CONTROL in byte 5 */
	ci = dec(CDB(0x02, 0, 0, 0, 0, 0x04));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_uint_eq(ci.cmdset, VSCSI_CMDSET_UNKNOWN);
	ck_assert_uint_eq(ci.cdb_len, 6);
	ck_assert_uint_eq(ci.control, 4);
	text_is(&ci, "UNKNOWN 0x02 control=0x04");
	/* groups 2, 4, 5 */
	ci = dec(CDB(0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.cdb_len, 10);
	ci = dec(CDB(0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.cdb_len, 16);
	ci = dec(CDB(0xb0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.cdb_len, 12);
	/* group 3 is reserved: a guessed length, no CONTROL */
	ci = dec(CDB(0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ci.cdb_len, 12);
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_CONTROL));
	/* an opcode with service actions but none assigned yet */
	ci = dec(CDB(0xa9, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	ck_assert_str_eq(ci.name, "SERVICE ACTION OUT(12)");
	ck_assert_uint_eq(ci.has_sa, 1);
	ck_assert_uint_eq(ci.service_action, 5);
	/* unassigned variable-length service action */
	ci = dec(CDB(0x7f, 0, 0, 0, 0, 0, 0, 0x04, 0x88, 0x05, 0, 0));
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_str_eq(ci.name, "VARIABLE LENGTH");
	ck_assert_uint_eq(ci.service_action, 0x8805);
	ck_assert_uint_eq(ci.cdb_len, 12);
	text_is(&ci, "VARIABLE LENGTH sa=0x8805");
}
END_TEST

START_TEST(test_variable_length_invalid)
{
	vscsi_cdb_info ci;
	uint8_t c[32];

	/* READ(32) whose ADDITIONAL CDB LENGTH says 16 bytes, not 24 */
	memset(c, 0, sizeof(c));
	c[0] = 0x7f;
	c[7] = 0x10;
	c[9] = 0x09;
	c[19] = 0x05;
	c[31] = 0x01;
	ck_assert_int_eq(vscsi_cdb_decode(c, sizeof(c), &ci),
			 VSCSI_ERR_INVALID);
	ck_assert_str_eq(ci.name, "READ(32)");
	ck_assert_uint_eq(ci.cdb_len, 24);
	ck_assert_uint_eq(ci.lba, 5);
	ck_assert_uint_eq(ci.xfer_len, 1);
	/* truncated too: INVALID still wins */
	ck_assert_int_eq(vscsi_cdb_decode(c, 20, &ci), VSCSI_ERR_INVALID);
	ck_assert_uint_eq(ci.truncated, 1);
	/* no room for the service action */
	c[7] = 0x01;
	ck_assert_int_eq(vscsi_cdb_decode(c, sizeof(c), &ci),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(ci.has_sa, 0);
	ck_assert_uint_eq(ci.cdb_len, 9);
	ck_assert_str_eq(ci.name, "VARIABLE LENGTH");
	/* a long variable-length CDB: 8 + 255 bytes */
	c[7] = 0xff;
	c[9] = 0x77;
	ck_assert_int_eq(vscsi_cdb_decode(c, sizeof(c), &ci),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(ci.cdb_len, 263);
	ck_assert_uint_eq(ci.have, 32);
}
END_TEST

/* virtio-scsi hands the whole cdb_size buffer: bytes past the command's
 * length are padding and change nothing. */
START_TEST(test_padding)
{
	uint8_t c[32];
	vscsi_cdb_info a, b;
	char ta[256], tb[256];

	memset(c, 0xa5, sizeof(c));
	memcpy(c, (const uint8_t[]){ 0x28, 0x00, 0, 0, 0x10, 0, 0, 0, 0x08,
				     0x00 }, 10);
	ck_assert_int_eq(vscsi_cdb_decode(c, sizeof(c), &a), VSCSI_OK);
	ck_assert_int_eq(vscsi_cdb_decode(c, 10, &b), VSCSI_OK);
	ck_assert_uint_eq(a.cdb_len, 10);
	ck_assert_uint_eq(a.have, 10);
	vscsi_cdb_describe_json(&a, ta, sizeof(ta));
	vscsi_cdb_describe_json(&b, tb, sizeof(tb));
	ck_assert_str_eq(ta, tb);
}
END_TEST

START_TEST(test_truncated_basics)
{
	vscsi_cdb_info ci;
	const uint8_t r10[] = { 0x28, 0x08, 0, 0, 0x08, 0, 0, 0, 0x08, 0x00 };

	ck_assert_int_eq(vscsi_cdb_decode(r10, 0, &ci), VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(ci.truncated, 1);
	ck_assert_uint_eq(ci.cdb_len, 0);
	ck_assert_str_eq(ci.name, "UNKNOWN");
	text_is(&ci, "UNKNOWN truncated=0/0");
	ck_assert_int_eq(vscsi_cdb_decode(NULL, 10, &ci), VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_cdb_decode(r10, 10, NULL), VSCSI_ERR_ARG);

	/* READ(10) cut after the LBA: LBA yes, length and CONTROL no */
	ck_assert_int_eq(vscsi_cdb_decode(r10, 6, &ci), VSCSI_ERR_TRUNCATED);
	ck_assert_str_eq(ci.name, "READ(10)");
	ck_assert_uint_eq(ci.have, 6);
	ck_assert_uint_eq(ci.cdb_len, 10);
	ck_assert(ci.fields & VSCSI_CDB_HAS_LBA);
	ck_assert_uint_eq(ci.lba, 2048);
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_XFER));
	ck_assert(!(ci.fields & VSCSI_CDB_HAS_CONTROL));
	text_is(&ci, "READ(10) lba=2048 fua truncated=6/10");

	/* 9Eh without its service action byte */
	ck_assert_int_eq(vscsi_cdb_decode((const uint8_t[]){ 0x9e }, 1, &ci),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(ci.known, 0);
	ck_assert_uint_eq(ci.has_sa, 0);
	ck_assert_str_eq(ci.name, "SERVICE ACTION IN(16)");
	ck_assert_uint_eq(ci.cdb_len, 16);
	text_is(&ci, "SERVICE ACTION IN(16) truncated=1/16");
	/* 7Fh before its ADDITIONAL CDB LENGTH */
	ck_assert_int_eq(vscsi_cdb_decode((const uint8_t[]){ 0x7f, 0, 0 }, 3,
					  &ci), VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(ci.cdb_len, 8);
	ck_assert_str_eq(ci.name, "VARIABLE LENGTH");
	ck_assert(ci.fields & VSCSI_CDB_HAS_CONTROL);
}
END_TEST

/* Every command, cut at every length below its own: TRUNCATED, and every
 * field the short CDB gives agrees with the whole CDB. */
static void build_cdb(const vscsi_cdb_desc *d, unsigned idx, uint8_t *c)
{
	uint8_t u[VSCSI_CDB_USAGE_MAX];
	unsigned k;

	memset(c, 0, VSCSI_CDB_USAGE_MAX);
	ck_assert_uint_eq(vscsi_cdb_table_usage(idx, u, sizeof(u)), d->cdb_len);
	for (k = 0; k < d->cdb_len; k++)
		c[k] = u[k];
	if (d->opcode == 0x7f)
		c[7] = (uint8_t)(d->cdb_len - 8);
}

static unsigned ptype_of(const vscsi_cdb_desc *d)
{
	return (d->devices & VSCSI_CDB_DEV_DISK) ? VSCSI_PTYPE_DISK
						 : VSCSI_PTYPE_MMC;
}

START_TEST(test_truncation_every_command)
{
	unsigned i, n = vscsi_cdb_table_count();

	for (i = 0; i < n; i++) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);
		uint8_t c[VSCSI_CDB_USAGE_MAX];
		vscsi_cdb_info full, t;
		char txt[512], js[2048];
		size_t len;

		build_cdb(d, i, c);
		ck_assert_int_eq(vscsi_cdb_decode_type(c, d->cdb_len, ptype_of(d),
						       &full), VSCSI_OK);
		for (len = 0; len < d->cdb_len; len++) {
			ck_assert_int_eq(vscsi_cdb_decode_type(c, len,
							       ptype_of(d), &t),
					 VSCSI_ERR_TRUNCATED);
			ck_assert_uint_eq(t.truncated, 1);
			ck_assert_uint_eq(t.have, len);
			ck_assert_ptr_nonnull(t.name);
			ck_assert_uint_eq(t.fields & ~full.fields, 0);
			ck_assert_uint_eq(t.flags & ~full.flags, 0);
			ck_assert_uint_eq(t.xflags & ~full.xflags, 0);
			if (t.fields & VSCSI_CDB_HAS_LBA)
				ck_assert_uint_eq(t.lba, full.lba);
			if (t.fields & VSCSI_CDB_HAS_XFER)
				ck_assert_uint_eq(t.xfer_len, full.xfer_len);
			if (t.fields & VSCSI_CDB_HAS_ALLOC)
				ck_assert_uint_eq(t.alloc_len, full.alloc_len);
			if (t.fields & VSCSI_CDB_HAS_FORMAT)
				ck_assert_uint_eq(t.format, full.format);
			if (t.fields & VSCSI_CDB_HAS_NUMBER)
				ck_assert_uint_eq(t.number, full.number);
			if (t.fields & VSCSI_CDB_HAS_CONTROL)
				ck_assert_uint_eq(t.control, full.control);
			if (t.known)
				ck_assert_ptr_eq(t.desc, full.desc);
			/* the service action is only known once it is there */
			if (d->has_sa && len < (d->opcode == 0x7f ? 10u : 2u))
				ck_assert_uint_eq(t.known, 0);
			ck_assert_uint_lt(vscsi_cdb_describe(&t, txt,
							     sizeof(txt)),
					  sizeof(txt));
			ck_assert_ptr_nonnull(strstr(txt, "truncated="));
			ck_assert_uint_lt(vscsi_cdb_describe_json(&t, js,
								  sizeof(js)),
					  sizeof(js));
			ck_assert_ptr_nonnull(strstr(js, "\"truncated\":true"));
		}
	}
}
END_TEST

/* ------------------------------------------------------------ text */

START_TEST(test_describe_snprintf)
{
	vscsi_cdb_info ci;
	char full[512], full_js[2048], buf[2100];
	size_t n, n_js, len;

	ck_assert_int_eq(vscsi_cdb_decode((const uint8_t[]){ 0x85, 0x0d, 0x26,
		0x01, 0x02, 0x03, 0x04, 0x40, 0x10, 0x50, 0x20, 0x60, 0x30,
		0x40, 0x25, 0x00 }, 16, &ci), VSCSI_OK);
	n = vscsi_cdb_describe(&ci, full, sizeof(full));
	n_js = vscsi_cdb_describe_json(&ci, full_js, sizeof(full_js));
	ck_assert_uint_eq(n, strlen(full));
	ck_assert_uint_eq(n_js, strlen(full_js));
	ck_assert_uint_eq(vscsi_cdb_describe(&ci, NULL, 0), n);
	ck_assert_uint_eq(vscsi_cdb_describe_json(&ci, NULL, 0), n_js);
	for (len = 0; len <= n_js + 2; len++) {
		size_t want;

		memset(buf, 'X', sizeof(buf));
		if (len <= n + 2) {
			ck_assert_uint_eq(vscsi_cdb_describe(&ci, buf, len), n);
			if (len) {
				want = len - 1 < n ? len - 1 : n;
				ck_assert_uint_eq(strlen(buf), want);
				ck_assert_int_eq(memcmp(buf, full, want), 0);
			}
			ck_assert_int_eq(buf[len], 'X');
		}
		memset(buf, 'X', sizeof(buf));
		ck_assert_uint_eq(vscsi_cdb_describe_json(&ci, buf, len), n_js);
		if (len) {
			want = len - 1 < n_js ? len - 1 : n_js;
			ck_assert_uint_eq(strlen(buf), want);
			ck_assert_int_eq(memcmp(buf, full_js, want), 0);
		}
		ck_assert_int_eq(buf[len], 'X');
	}
	ck_assert_uint_eq(vscsi_cdb_describe(NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_json_escape_and_names)
{
	vscsi_cdb_info ci;
	char buf[256];

	/* names are escaped: a caller-made record with a quote in it */
	memset(&ci, 0, sizeof(ci));
	ci.name = "A\"B\\C";
	ci.known = 1;
	vscsi_cdb_describe_json(&ci, buf, sizeof(buf));
	ck_assert_str_eq(buf, "\"op\":\"A\\\"B\\\\C\",\"opcode\":0,"
			 "\"class\":\"other\",\"cmdset\":\"spc\","
			 "\"dir\":\"none\",\"cdb_len\":0");
	ck_assert_str_eq(vscsi_op_class_name(VSCSI_OPC_READ), "read");
	ck_assert_str_eq(vscsi_op_class_name(VSCSI_OPC_WRITE), "write");
	ck_assert_str_eq(vscsi_op_class_name(VSCSI_OPC_FLUSH), "flush");
	ck_assert_str_eq(vscsi_op_class_name(VSCSI_OPC_UNMAP), "unmap");
	ck_assert_str_eq(vscsi_op_class_name(VSCSI_OPC_OTHER), "other");
	ck_assert_str_eq(vscsi_op_class_name(99), "other");
	ck_assert_str_eq(vscsi_cmdset_name(VSCSI_CMDSET_MMC), "mmc");
	ck_assert_str_eq(vscsi_cmdset_name(99), "unknown");
	ck_assert_str_eq(vscsi_xfer_unit_name(VSCSI_XFER_BYTES), "bytes");
	ck_assert_str_eq(vscsi_xfer_unit_name(7), "none");
	ck_assert_str_eq(vscsi_data_dir_name(VSCSI_DIR_OUT), "out");
	ck_assert_str_eq(vscsi_data_dir_name(9), "unknown");
}
END_TEST

/* ------------------------------------------------------------ lookup */

static void lookup_is(const char *name, unsigned op, unsigned sa, int has_sa)
{
	uint8_t o = 0;
	uint16_t s = 0xffff;
	int h = -1;

	ck_assert_msg(vscsi_cdb_lookup(name, &o, &s, &h) == VSCSI_OK,
		      "lookup %s", name);
	ck_assert_uint_eq(o, op);
	ck_assert_uint_eq(s, sa);
	ck_assert_int_eq(h, has_sa);
}

START_TEST(test_lookup)
{
	uint8_t o;

	lookup_is("READ(10)", 0x28, 0, 0);
	lookup_is("read10", 0x28, 0, 0);
	lookup_is("READ_10", 0x28, 0, 0);
	lookup_is("read(10)", 0x28, 0, 0);
	lookup_is("read 10", 0x28, 0, 0);
	lookup_is("write_same16", 0x93, 0, 0);
	lookup_is("WRITE SAME(16)", 0x93, 0, 0);
	lookup_is("sync_cache", 0x35, 0, 0);
	lookup_is("sync_cache16", 0x91, 0, 0);
	lookup_is("0x28", 0x28, 0, 0);
	lookup_is("40", 0x28, 0, 0);
	lookup_is("0XFF", 0xff, 0, 0);
	lookup_is("0x9e/0x10", 0x9e, 0x10, 1);
	lookup_is("0x7f:9", 0x7f, 9, 1);
	lookup_is("tur", 0x00, 0, 0);
	lookup_is("inquiry", 0x12, 0, 0);
	lookup_is("read_capacity16", 0x9e, 0x10, 1);
	lookup_is("rc16", 0x9e, 0x10, 1);
	lookup_is("rsoc", 0xa3, 0x0c, 1);
	lookup_is("Report Supported Operation Codes", 0xa3, 0x0c, 1);
	lookup_is("unmap", 0x42, 0, 0);
	lookup_is("read sub-channel", 0x42, 0, 0);
	lookup_is("read_toc", 0x43, 0, 0);
	lookup_is("ata16", 0x85, 0, 0);
	lookup_is("ata_pass_through_32", 0x7f, 0x1ff0, 1);
	lookup_is("read32", 0x7f, 0x0009, 1);
	lookup_is("service_action_in16", 0x9e, 0, 0);
	lookup_is("maintenance_in", 0xa3, 0, 0);
	lookup_is("pr_out", 0x5f, 0, 0);
	lookup_is("persistent reserve out register", 0x5f, 0, 1);
	lookup_is("gesn", 0x4a, 0, 0);
	lookup_is("get_lba_status", 0x9e, 0x12, 1);
	/* NULL outputs are allowed */
	ck_assert_int_eq(vscsi_cdb_lookup("read16", NULL, NULL, NULL),
			 VSCSI_OK);

	ck_assert_int_eq(vscsi_cdb_lookup("raed10", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("()", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup(NULL, &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("0x100", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("256", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("0x", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("12abc", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("0x9e/", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("0x9e/0x10000", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("99999999999999999999", &o, NULL,
					  NULL), VSCSI_ERR_INVALID);
	ck_assert_int_eq(vscsi_cdb_lookup("readreadreadreadreadreadreadread"
					  "readreadreadreadreadreadreadread"
					  "read10", &o, NULL, NULL),
			 VSCSI_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------ the table */

/* Lower-case letters and digits only, as lookup compares. */
static void norm(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n && s[i] && k + 1 < cap; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			out[k++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[k++] = c;
	}
	out[k] = '\0';
}

#define MAX_NAMES 512

static unsigned add_names(char (*names)[80], unsigned k, const char *name,
			  const char *alias)
{
	const char *p;

	ck_assert_uint_lt(k, MAX_NAMES);
	norm(name, strlen(name), names[k++], 80);
	for (p = alias; p && *p;) {
		size_t n = strcspn(p, " ");

		ck_assert_uint_lt(k, MAX_NAMES);
		norm(p, n, names[k++], 80);
		p += n;
		while (*p == ' ')
			p++;
	}
	return k;
}

/* JSON keys describe_json() writes for every command, and one-bit names. */
static const char *const fixed_keys[] = {
	"op", "opcode", "sa", "known", "class", "cmdset", "dir", "cdb_len",
	"truncated", "have", "lba", "xfer", "xfer_unit", "page", "subpage",
	"pc", "alloc", "group", "protect", "bytchk", "dld", "power_condition",
	"power_modifier", "pr_scope", "pr_type", "security_protocol",
	"security_specific", "requested_opcode", "requested_sa", "buffer_mode",
	"buffer_id", "buffer_offset", "self_test_code", "read_speed",
	"write_speed", "msf_start", "msf_end", "sector_type", "sector_flags",
	"subchannel", "ref_tag", "app_tag", "app_tag_mask", "ata", "control",
	"fua", "dpo", "fua_nv", "rarc", "unmap", "anchor", "ndob", "immed",
	"evpd", "sync_nv", "pmi", "dbd", "llbaa", "start", "loej", "no_flush",
	"prevent", "reladr", "msf", "polled", "sp", "pf", "pcr", "selftest",
	"desc", "pcv", "streaming", "rctd", "fmtdata", "cmplst", "persistent",
	"all", "wr_uncor", "cor_dis", "pblock", "corrct", "inc_512", "devoffl",
	"unitoffl", "longlist", "longlba", "one_seg", "cache", "dap", "subq",
	"partial", "ause", "znr", "open", "block", "resume", "repd", "longid",
	"3rdpty", "wtc", "doopc", "arsv", "direct", "req_plist", "req_glist",
};

/* A row's format and number labels: lower-case identifiers that never
 * repeat a fixed JSON key (a duplicate key would make the object
 * ambiguous). */
static void label_check(const struct cdb_field *f)
{
	size_t i;

	for (; f->kind != CDB_F_END; f++) {
		const char *p;

		if (f->kind != CDB_F_FORMAT && f->kind != CDB_F_NUMBER)
			continue;
		ck_assert_ptr_nonnull(f->label);
		for (p = f->label; *p; p++)
			ck_assert((*p >= 'a' && *p <= 'z') || *p == '_' ||
				  (*p >= '0' && *p <= '9'));
		for (i = 0; i < ARRAY_LEN(fixed_keys); i++)
			ck_assert_msg(strcmp(f->label, fixed_keys[i]) != 0,
				      "label %s is a fixed key", f->label);
	}
}

START_TEST(test_table_order_and_names)
{
	static char names[MAX_NAMES][80];
	unsigned i, j, k = 0, n = vscsi_cdb_table_count();

	ck_assert_uint_gt(n, 150);
	ck_assert_ptr_null(vscsi_cdb_table_entry(n));
	for (i = 0; i < n; i++) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);

		ck_assert(d->cdb_len == 6 || d->cdb_len == 10 ||
			  d->cdb_len == 12 || d->cdb_len == 16 ||
			  d->cdb_len == 32);
		ck_assert(d->devices != 0 &&
			  (d->devices & ~VSCSI_CDB_DEV_ALL) == 0);
		ck_assert_uint_le(d->cmdset, VSCSI_CMDSET_ATA);
		ck_assert_uint_le(d->op_class, VSCSI_OPC_UNMAP);
		ck_assert_uint_lt(d->data_dir, VSCSI_DIR_UNKNOWN);
		ck_assert(d->has_sa || d->sa == 0);
		if (d->has_sa && d->opcode != 0x7f)
			ck_assert_uint_le(d->sa, 0x1f);
		if (i) {
			const vscsi_cdb_desc *p = vscsi_cdb_table_entry(i - 1);
			unsigned long kp = (unsigned long)p->opcode << 24 |
					   (unsigned long)p->has_sa << 16 |
					   p->sa;
			unsigned long kd = (unsigned long)d->opcode << 24 |
					   (unsigned long)d->has_sa << 16 |
					   d->sa;

			/* sorted; equal keys only for disk/MMC pairs */
			ck_assert_uint_le(kp, kd);
			if (kp == kd)
				ck_assert_uint_eq(p->devices & d->devices, 0);
		}
		k = add_names(names, k, d->name, vscsi__cdb_rows[i].alias);
		label_check(vscsi__cdb_rows[i].f);
	}
	for (i = 0; i < vscsi__cdb_nsaops; i++) {
		ck_assert(i == 0 || vscsi__cdb_saops[i - 1].opcode <
				    vscsi__cdb_saops[i].opcode);
		k = add_names(names, k, vscsi__cdb_saops[i].name,
			      vscsi__cdb_saops[i].alias);
	}
	/* every name and alias, normalized, is unique and not a number */
	for (i = 0; i < k; i++) {
		ck_assert(names[i][0] && !(names[i][0] >= '0' &&
					   names[i][0] <= '9'));
		for (j = i + 1; j < k; j++)
			ck_assert_msg(strcmp(names[i], names[j]) != 0,
				      "duplicate name %s", names[i]);
	}
}
END_TEST

/* Every row decodes to itself, looks itself up, and names itself. */
START_TEST(test_table_self_decode)
{
	unsigned i, n = vscsi_cdb_table_count();

	for (i = 0; i < n; i++) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);
		uint8_t c[VSCSI_CDB_USAGE_MAX], u[VSCSI_CDB_USAGE_MAX];
		vscsi_cdb_info ci;
		uint8_t o;
		uint16_t sa;
		int has_sa;

		/* bare CDB: opcode, service action, additional length */
		memset(c, 0, sizeof(c));
		c[0] = d->opcode;
		if (d->opcode == 0x7f) {
			c[7] = (uint8_t)(d->cdb_len - 8);
			c[8] = (uint8_t)(d->sa >> 8);
			c[9] = (uint8_t)d->sa;
		} else if (d->has_sa) {
			c[1] = (uint8_t)d->sa;
		}
		ck_assert_int_eq(vscsi_cdb_decode_type(c, d->cdb_len,
						       ptype_of(d), &ci),
				 VSCSI_OK);
		ck_assert_msg(ci.desc == d, "row %u %s decodes as %s", i,
			      d->name, ci.name);
		ck_assert_uint_eq(ci.known, 1);
		ck_assert_uint_eq(ci.cdb_len, d->cdb_len);
		ck_assert_uint_eq(ci.has_sa, d->has_sa);
		ck_assert_uint_eq(ci.service_action, d->sa);
		ck_assert_uint_eq(ci.cmdset, d->cmdset);
		/* decoded from 32 bytes of padding too */
		ck_assert_int_eq(vscsi_cdb_decode_type(c, sizeof(c),
						       ptype_of(d), &ci),
				 VSCSI_OK);
		ck_assert_ptr_eq(ci.desc, d);

		ck_assert_int_eq(vscsi_cdb_table_find(d->opcode, d->sa,
						      d->has_sa, ptype_of(d)),
				 (int)i);
		ck_assert_int_eq(vscsi_cdb_table_find(d->opcode, d->sa,
						      !d->has_sa, ptype_of(d)),
				 VSCSI_ERR_UNSUPPORTED);
		ck_assert_str_eq(vscsi_cdb_name_type(d->opcode, d->sa,
						     d->has_sa, ptype_of(d)),
				 d->name);
		ck_assert_int_eq(vscsi_cdb_lookup(d->name, &o, &sa, &has_sa),
				 VSCSI_OK);
		ck_assert_uint_eq(o, d->opcode);
		ck_assert_uint_eq(sa, d->sa);
		ck_assert_int_eq(has_sa, d->has_sa);

		/* usage data: opcode first, the SA in its field */
		memset(u, 0xee, sizeof(u));
		ck_assert_uint_eq(vscsi_cdb_table_usage(i, u, sizeof(u)),
				  d->cdb_len);
		ck_assert_uint_eq(u[0], d->opcode);
		if (d->opcode == 0x7f) {
			ck_assert_uint_eq(u[7], 0xff);
			ck_assert_uint_eq((unsigned)(u[8] << 8 | u[9]), d->sa);
		} else if (d->has_sa) {
			ck_assert_uint_eq(u[1] & 0x1f, d->sa);
		}
		if (d->cdb_len < sizeof(u))
			ck_assert_uint_eq(u[d->cdb_len], 0xee);
		/* the CONTROL byte claims nothing but READ TOC's old format */
		if (d->opcode != 0x7f)
			ck_assert_uint_eq(u[d->cdb_len - 1] & 0x3f, 0);
		/* a short buffer gets a prefix */
		memset(u, 0xee, sizeof(u));
		ck_assert_uint_eq(vscsi_cdb_table_usage(i, u, 1), d->cdb_len);
		ck_assert_uint_eq(u[0], d->opcode);
		ck_assert_uint_eq(u[1], 0xee);
	}
	ck_assert_uint_eq(vscsi_cdb_table_usage(n, NULL, 0), 0);
	ck_assert_int_eq(vscsi_cdb_table_find(0xd3, 0, 0, 0),
			 VSCSI_ERR_UNSUPPORTED);
	ck_assert_int_eq(vscsi_cdb_table_find(0x9e, 0x1f, 1, 0),
			 VSCSI_ERR_UNSUPPORTED);
}
END_TEST

/*
 * The usage data claims every bit the decoder reads: flipping any bit the
 * usage data leaves clear (outside the CONTROL byte and the service action)
 * changes nothing in the decoded record, from an all-zero CDB and from one
 * with every claimed bit set.
 */
START_TEST(test_table_usage_covers_decoder)
{
	unsigned i, n = vscsi_cdb_table_count();

	for (i = 0; i < n; i++) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);
		uint8_t u[VSCSI_CDB_USAGE_MAX], c[VSCSI_CDB_USAGE_MAX];
		unsigned base, ctl = d->opcode == 0x7f ? 1 : d->cdb_len - 1;

		vscsi_cdb_table_usage(i, u, sizeof(u));
		for (base = 0; base < 2; base++) {
			vscsi_cdb_info ci;
			char ref[2048], got[2048];
			unsigned k, b;

			if (base) {
				build_cdb(d, i, c);
			} else {
				memset(c, 0, sizeof(c));
				c[0] = d->opcode;
				if (d->opcode == 0x7f) {
					c[7] = (uint8_t)(d->cdb_len - 8);
					c[8] = u[8];
					c[9] = u[9];
				} else if (d->has_sa) {
					c[1] = (uint8_t)(u[1] & 0x1f);
				}
			}
			ck_assert_int_eq(vscsi_cdb_decode_type(c, d->cdb_len,
							       ptype_of(d), &ci),
					 VSCSI_OK);
			ck_assert_ptr_eq(ci.desc, d);
			vscsi_cdb_describe_json(&ci, ref, sizeof(ref));
			for (k = 1; k < d->cdb_len; k++) {
				if (k == ctl)
					continue;
				if (d->opcode == 0x7f && k >= 7 && k <= 9)
					continue;
				for (b = 0; b < 8; b++) {
					uint8_t m = (uint8_t)(1u << b);

					if (u[k] & m)
						continue;
					if (d->has_sa && d->opcode != 0x7f &&
					    k == 1 && b < 5)
						continue;
					c[k] ^= m;
					vscsi_cdb_decode_type(c, d->cdb_len,
							      ptype_of(d), &ci);
					vscsi_cdb_describe_json(&ci, got,
								sizeof(got));
					c[k] ^= m;
					ck_assert_msg(strcmp(ref, got) == 0,
						      "%s byte %u bit %u: %s",
						      d->name, k, b, got);
				}
			}
		}
	}
}
END_TEST

/* ------------------------------------------------------------ UNMAP */

START_TEST(test_unmap_param)
{
	/* SBC-4 5.32.2: what Linux sd_setup_unmap_cmnd sends, one descriptor */
	const uint8_t one[] = {
		0x00, 0x16, 0x00, 0x10, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0,
	};
	const uint8_t two[] = {
		0x00, 0x26, 0x00, 0x20, 0, 0, 0, 0,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0,
	};
	vscsi_unmap_desc d[4];
	unsigned n, total;
	size_t len;
	uint8_t bad[sizeof(two)];

	ck_assert_int_eq(vscsi_unmap_param_decode(one, sizeof(one), d, 4, &n,
						  &total), VSCSI_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(d[0].lba, 0x1000);
	ck_assert_uint_eq(d[0].nblocks, 0x800);

	memset(d, 0, sizeof(d));
	ck_assert_int_eq(vscsi_unmap_param_decode(two, sizeof(two), d, 4, &n,
						  &total), VSCSI_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(d[0].lba, 0x0102030405060708ull);
	ck_assert_uint_eq(d[0].nblocks, 0xffffffffu);
	ck_assert_uint_eq(d[1].lba, 1);
	ck_assert_uint_eq(d[1].nblocks, 1);
	/* room for one: the count still says two */
	memset(d, 0, sizeof(d));
	ck_assert_int_eq(vscsi_unmap_param_decode(two, sizeof(two), d, 1, &n,
						  &total), VSCSI_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(d[1].lba, 0);
	/* counting only */
	ck_assert_int_eq(vscsi_unmap_param_decode(two, sizeof(two), NULL, 0,
						  &n, &total), VSCSI_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(total, 2);
	/* a header with no descriptors */
	ck_assert_int_eq(vscsi_unmap_param_decode((const uint8_t[]){ 0, 6, 0, 0,
		0, 0, 0, 0 }, 8, d, 4, &n, &total), VSCSI_OK);
	ck_assert_uint_eq(total, 0);
	/* a longer data-out buffer than the list: the rest is ignored */
	ck_assert_int_eq(vscsi_unmap_param_decode(two, sizeof(two), d, 4, &n,
						  &total), VSCSI_OK);

	/* truncated: every length below the header */
	for (len = 0; len < 8; len++) {
		n = total = 99;
		ck_assert_int_eq(vscsi_unmap_param_decode(one, len, d, 4, &n,
							  &total),
				 VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(total, 0);
	}
	/* cut inside the descriptors: the length fields claim more than
	 * the bytes given */
	for (len = 8; len < sizeof(two); len++)
		ck_assert_int_eq(vscsi_unmap_param_decode(two, len, d, 4, &n,
							  &total),
				 VSCSI_ERR_INVALID);
	/* the two length fields disagree */
	memcpy(bad, two, sizeof(two));
	bad[1] = 0x20;	/* data length 32 < 6 + 32 */
	ck_assert_int_eq(vscsi_unmap_param_decode(bad, sizeof(bad), d, 4, &n,
						  &total), VSCSI_ERR_INVALID);
	/* a cut last descriptor (block descriptor length 24) is ignored */
	memcpy(bad, two, sizeof(two));
	bad[3] = 0x18;
	ck_assert_int_eq(vscsi_unmap_param_decode(bad, sizeof(bad), d, 4, &n,
						  &total), VSCSI_OK);
	ck_assert_uint_eq(total, 1);
	ck_assert_int_eq(vscsi_unmap_param_decode(NULL, 8, d, 4, &n, &total),
			 VSCSI_ERR_ARG);
}
END_TEST

static Suite *cdb_suite(void)
{
	Suite *s = suite_create("cdb");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_read6);
	tcase_add_test(tc, test_read10_12);
	tcase_add_test(tc, test_read16_32);
	tcase_add_test(tc, test_writes);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_write_same_unmap);
	tcase_add_test(tc, test_cache_prefetch);
	tcase_add_test(tc, test_service_action_in16);
	tcase_add_test(tc, test_spc_basic);
	tcase_add_test(tc, test_mode_log);
	tcase_add_test(tc, test_maintenance);
	tcase_add_test(tc, test_start_stop_pr);
	tcase_add_test(tc, test_diag_buffer_security);
	tcase_add_test(tc, test_format_sanitize_defects);
	tcase_add_test(tc, test_copy_attributes_zones);
	tcase_add_test(tc, test_ata_pass_through);
	tcase_add_test(tc, test_mmc_linux_cdrom);
	tcase_add_test(tc, test_mmc_read_audio);
	tcase_add_test(tc, test_device_type);
	tcase_add_test(tc, test_unknown_opcodes);
	tcase_add_test(tc, test_variable_length_invalid);
	tcase_add_test(tc, test_padding);
	tcase_add_test(tc, test_truncated_basics);
	tcase_add_test(tc, test_truncation_every_command);
	tcase_add_test(tc, test_describe_snprintf);
	tcase_add_test(tc, test_json_escape_and_names);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_table_order_and_names);
	tcase_add_test(tc, test_table_self_decode);
	tcase_add_test(tc, test_table_usage_covers_decoder);
	tcase_add_test(tc, test_unmap_param);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(cdb_suite)
