/*
 * Status codes, sense keys, the ASC/ASCQ list, and sense data: decoding
 * (every vector at every truncation point), describing, building.
 *
 * Vectors follow SPC-5 4.4.2 (descriptor format sense data and its
 * descriptors), 4.4.3 (fixed format sense data), the sense-key-specific
 * data formats in 4.4.2, SBC-4 (block commands and direct-access block device descriptors),
 * SSC (stream commands descriptor) and SAT (ATA status return descriptor).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/sense.h"

/* ------------------------------------------------------------ names */

START_TEST(test_status_names)
{
	/* SAM-5 5.3.1, table "Status codes". */
	static const struct {
		uint8_t code;
		const char *name;
	} want[] = {
		{ 0x00, "GOOD" },
		{ 0x02, "CHECK CONDITION" },
		{ 0x04, "CONDITION MET" },
		{ 0x08, "BUSY" },
		{ 0x10, "INTERMEDIATE" },
		{ 0x14, "INTERMEDIATE-CONDITION MET" },
		{ 0x18, "RESERVATION CONFLICT" },
		{ 0x22, "COMMAND TERMINATED" },
		{ 0x28, "TASK SET FULL" },
		{ 0x30, "ACA ACTIVE" },
		{ 0x40, "TASK ABORTED" },
	};
	unsigned s, named = 0;
	size_t i;

	for (i = 0; i < ARRAY_LEN(want); i++) {
		ck_assert_ptr_nonnull(vscsi_status_name(want[i].code));
		ck_assert_str_eq(vscsi_status_name(want[i].code), want[i].name);
		ck_assert_str_eq(vscsi_status_str(want[i].code), want[i].name);
	}
	for (s = 0; s < 256; s++) {
		if (vscsi_status_name((uint8_t)s))
			named++;
		else
			ck_assert_str_eq(vscsi_status_str((uint8_t)s), "RESERVED");
	}
	ck_assert_uint_eq(named, ARRAY_LEN(want));
	ck_assert_ptr_null(vscsi_status_name(0x01));
	ck_assert_ptr_null(vscsi_status_name(0xff));
}
END_TEST

START_TEST(test_sense_key_names)
{
	/* SPC-5 4.4, table "Sense key descriptions". */
	static const char *const want[16] = {
		"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION",
		"DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED",
		"ABORTED COMMAND", "EQUAL", "VOLUME OVERFLOW", "MISCOMPARE",
		"COMPLETED",
	};
	unsigned k;

	for (k = 0; k < 16; k++) {
		ck_assert_str_eq(vscsi_sense_key_name(k), want[k]);
		ck_assert_str_eq(vscsi_sense_key_str(k), want[k]);
	}
	for (k = 16; k < 300; k++) {
		ck_assert_ptr_null(vscsi_sense_key_name(k));
		ck_assert_str_eq(vscsi_sense_key_str(k), "RESERVED");
	}
}
END_TEST

/* ------------------------------------------------------------ ASC list */

/* The table is sorted, has no duplicates or overlaps, holds hundreds of
 * rows, and its texts are T10's upper-case wording. */
START_TEST(test_asc_table_sorted)
{
	size_t n = vscsi_asc_table_count(), i, ranges = 0;
	unsigned prev_asc = 0, prev_last = 0;
	uint8_t asc, first, last;
	const char *text;

	ck_assert_uint_ge(n, 700);
	ck_assert_uint_lt(n, 2000);
	for (i = 0; i < n; i++) {
		const char *c;

		ck_assert_int_eq(vscsi_asc_table_entry(i, &asc, &first, &last,
						       &text), VSCSI_OK);
		ck_assert_ptr_nonnull(text);
		ck_assert_uint_gt(strlen(text), 3);
		ck_assert_uint_le(first, last);
		if (i > 0) {
			/* strictly after the previous row, not overlapping */
			ck_assert(asc > prev_asc ||
				  (asc == prev_asc && first > prev_last));
		}
		for (c = text; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				ck_assert_msg(strstr(text, "iSCSI") ||
					      strstr(text, "iuCRC"),
					      "lower case in %s", text);
		if (first != last) {
			ranges++;
			ck_assert_ptr_nonnull(strstr(text, "NN"));
		}
		/* ASC 80h-FFh is vendor specific: never in the list */
		ck_assert_uint_lt(asc, 0x80);
		prev_asc = asc;
		prev_last = last;
	}
	ck_assert_uint_eq(ranges, 3);
	ck_assert_int_eq(vscsi_asc_table_entry(n, &asc, NULL, NULL, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_asc_table_entry(0, NULL, NULL, NULL, NULL),
			 VSCSI_OK);
}
END_TEST

/* The binary search agrees with a linear scan for all 65536 codes. */
START_TEST(test_asc_lookup_exhaustive)
{
	size_t n = vscsi_asc_table_count(), i;
	unsigned code, found = 0;

	for (code = 0; code < 65536; code++) {
		uint8_t asc = (uint8_t)(code >> 8), ascq = (uint8_t)code;
		const char *want = NULL;
		int range = 0, kind;

		for (i = 0; i < n; i++) {
			uint8_t a, f, l;
			const char *t;

			vscsi_asc_table_entry(i, &a, &f, &l, &t);
			if (a == asc && ascq >= f && ascq <= l) {
				want = t;
				range = f != l;
				break;
			}
		}
		ck_assert_ptr_eq(vscsi_asc_lookup(asc, ascq), want);
		kind = vscsi_asc_kind(asc, ascq);
		if (want) {
			found++;
			ck_assert_int_eq(kind, range ? VSCSI_ASC_RANGE :
						       VSCSI_ASC_ASSIGNED);
		} else if (asc >= 0x80 || ascq >= 0x80) {
			ck_assert_int_eq(kind, VSCSI_ASC_VENDOR);
		} else {
			ck_assert_int_eq(kind, VSCSI_ASC_UNKNOWN);
		}
	}
	/* 762 single codes + 40h/80h-FFh (128) + 4Dh/xx and 70h/xx (256 each) */
	ck_assert_uint_eq(found, (unsigned)(n - 3) + 128 + 256 + 256);
}
END_TEST

START_TEST(test_asc_lookup_entries)
{
	static const struct {
		uint8_t asc, ascq;
		const char *text;
	} want[] = {
		/* first and last rows of the list */
		{ 0x00, 0x00, "NO ADDITIONAL SENSE INFORMATION" },
		{ 0x74, 0x79, "SECURITY CONFLICT IN TRANSLATED DEVICE" },
		{ 0x00, 0x01, "FILEMARK DETECTED" },
		{ 0x00, 0x1D, "ATA PASS THROUGH INFORMATION AVAILABLE" },
		{ 0x00, 0x23, "OVERLAPPING ATOMIC COMMAND IN PROGRESS" },
		{ 0x04, 0x00, "LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE" },
		{ 0x04, 0x04, "LOGICAL UNIT NOT READY, FORMAT IN PROGRESS" },
		{ 0x04, 0x25, "DEPOPULATION RESTORATION IN PROGRESS" },
		{ 0x0B, 0x14, "WARNING - PHYSICAL ELEMENT STATUS CHANGE" },
		{ 0x11, 0x00, "UNRECOVERED READ ERROR" },
		{ 0x20, 0x00, "INVALID COMMAND OPERATION CODE" },
		{ 0x21, 0x00, "LOGICAL BLOCK ADDRESS OUT OF RANGE" },
		{ 0x24, 0x00, "INVALID FIELD IN CDB" },
		{ 0x25, 0x00, "LOGICAL UNIT NOT SUPPORTED" },
		{ 0x26, 0x00, "INVALID FIELD IN PARAMETER LIST" },
		{ 0x27, 0x00, "WRITE PROTECTED" },
		{ 0x28, 0x00, "NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED" },
		{ 0x29, 0x00, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED" },
		{ 0x29, 0x07, "I_T NEXUS LOSS OCCURRED" },
		{ 0x2A, 0x09, "CAPACITY DATA HAS CHANGED" },
		{ 0x2A, 0x0A, "ERROR HISTORY I_T NEXUS CLEARED" },
		{ 0x2A, 0x16, "ZONE RESET WRITE POINTER RECOMMENDED" },
		{ 0x3A, 0x00, "MEDIUM NOT PRESENT" },
		{ 0x3F, 0x0E, "REPORTED LUNS DATA HAS CHANGED" },
		{ 0x3F, 0x12, "iSCSI IP ADDRESS ADDED" },
		{ 0x40, 0x00, "RAM FAILURE (SHOULD USE 40 NN)" },
		{ 0x44, 0x00, "INTERNAL TARGET FAILURE" },
		{ 0x44, 0x71, "ATA DEVICE FAILED SET FEATURES" },
		{ 0x47, 0x7F, "SOME COMMANDS CLEARED BY iSCSI PROTOCOL EVENT" },
		{ 0x4B, 0x15, "PCIE TLP PREFIX BLOCKED" },
		{ 0x55, 0x11, "INSUFFICIENT RESOURCES TO BIND" },
		{ 0x5D, 0x00, "FAILURE PREDICTION THRESHOLD EXCEEDED" },
		{ 0x5D, 0x1D, "HARDWARE IMPENDING FAILURE POWER LOSS PROTECTION CIRCUIT" },
		{ 0x5D, 0x6C, "FIRMWARE IMPENDING FAILURE DRIVE CALIBRATION RETRY COUNT" },
		/* an assigned ASCQ above 7Fh: not vendor specific */
		{ 0x5D, 0xFF, "FAILURE PREDICTION THRESHOLD EXCEEDED (FALSE)" },
		{ 0x5E, 0x47, "POWER STATE CHANGE TO DEVICE CONTROL" },
		{ 0x6F, 0x0A, "DRIVE-HOST PAIRING SUSPENDED" },
		{ 0x71, 0x00, "DECOMPRESSION EXCEPTION LONG ALGORITHM ID" },
		{ 0x73, 0x17, "RDZ IS FULL" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(want); i++) {
		const char *t = vscsi_asc_lookup(want[i].asc, want[i].ascq);
		char buf[128];

		ck_assert_msg(t != NULL, "%02x/%02x", want[i].asc, want[i].ascq);
		ck_assert_str_eq(t, want[i].text);
		ck_assert_int_eq(vscsi_asc_kind(want[i].asc, want[i].ascq),
				 VSCSI_ASC_ASSIGNED);
		ck_assert_uint_eq(vscsi_asc_describe(want[i].asc, want[i].ascq,
						     buf, sizeof(buf)),
				  strlen(want[i].text));
		ck_assert_str_eq(buf, want[i].text);
	}
}
END_TEST

START_TEST(test_asc_ranges)
{
	char buf[128];

	/* 40h/NN DIAGNOSTIC FAILURE ON COMPONENT NN (80h-FFh) */
	ck_assert_str_eq(vscsi_asc_lookup(0x40, 0x85),
			 "DIAGNOSTIC FAILURE ON COMPONENT NN");
	ck_assert_int_eq(vscsi_asc_kind(0x40, 0x85), VSCSI_ASC_RANGE);
	vscsi_asc_describe(0x40, 0x85, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DIAGNOSTIC FAILURE ON COMPONENT 85h");
	vscsi_asc_describe(0x40, 0x80, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DIAGNOSTIC FAILURE ON COMPONENT 80h");
	vscsi_asc_describe(0x40, 0xFF, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DIAGNOSTIC FAILURE ON COMPONENT FFh");
	/* 40h/01h-7Fh: not assigned by the list */
	ck_assert_ptr_null(vscsi_asc_lookup(0x40, 0x01));
	ck_assert_ptr_null(vscsi_asc_lookup(0x40, 0x7F));
	ck_assert_int_eq(vscsi_asc_kind(0x40, 0x7F), VSCSI_ASC_UNKNOWN);
	vscsi_asc_describe(0x40, 0x7F, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unknown ASC/ASCQ 0x40/0x7F");

	/* 4Dh/NN TAGGED OVERLAPPED COMMANDS (NN = TASK TAG), all 256 */
	ck_assert_str_eq(vscsi_asc_lookup(0x4D, 0x00),
			 "TAGGED OVERLAPPED COMMANDS (NN = TASK TAG)");
	ck_assert_str_eq(vscsi_asc_lookup(0x4D, 0xFF),
			 "TAGGED OVERLAPPED COMMANDS (NN = TASK TAG)");
	vscsi_asc_describe(0x4D, 0x2A, buf, sizeof(buf));
	ck_assert_str_eq(buf, "TAGGED OVERLAPPED COMMANDS (2Ah = TASK TAG)");
	ck_assert_int_eq(vscsi_asc_kind(0x4D, 0xC0), VSCSI_ASC_RANGE);

	/* 70h/NN DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF NN */
	vscsi_asc_describe(0x70, 0x05, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF 05h");
	vscsi_asc_describe(0x70, 0x00, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF 00h");

	/* "NN" inside a word is text, not the placeholder */
	vscsi_asc_describe(0x30, 0x01, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CANNOT READ MEDIUM - UNKNOWN FORMAT");
	/* and a non-range row keeps its literal NN */
	vscsi_asc_describe(0x41, 0x00, buf, sizeof(buf));
	ck_assert_str_eq(buf, "DATA PATH FAILURE (SHOULD USE 40 NN)");
}
END_TEST

START_TEST(test_asc_vendor_and_unknown)
{
	static const uint8_t vendor[][2] = {
		{ 0x80, 0x00 }, { 0xFF, 0xFF }, { 0x9A, 0x01 }, { 0x11, 0x80 },
		{ 0x24, 0xFF }, { 0x0F, 0x90 }, { 0x5D, 0xFE },
	};
	static const uint8_t unknown[][2] = {
		{ 0x0F, 0x00 }, { 0x56, 0x00 }, { 0x04, 0x0F }, { 0x00, 0x08 },
		{ 0x00, 0x24 }, { 0x75, 0x00 }, { 0x7F, 0x7F }, { 0x3C, 0x00 },
		{ 0x2A, 0x0E }, { 0x74, 0x7A }, { 0x41, 0x01 },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < ARRAY_LEN(vendor); i++) {
		ck_assert_ptr_null(vscsi_asc_lookup(vendor[i][0], vendor[i][1]));
		ck_assert_int_eq(vscsi_asc_kind(vendor[i][0], vendor[i][1]),
				 VSCSI_ASC_VENDOR);
		vscsi_asc_describe(vendor[i][0], vendor[i][1], buf, sizeof(buf));
		ck_assert_str_eq(buf, "vendor specific ASC/ASCQ");
	}
	for (i = 0; i < ARRAY_LEN(unknown); i++) {
		char want[64];

		ck_assert_ptr_null(vscsi_asc_lookup(unknown[i][0], unknown[i][1]));
		ck_assert_int_eq(vscsi_asc_kind(unknown[i][0], unknown[i][1]),
				 VSCSI_ASC_UNKNOWN);
		snprintf(want, sizeof(want), "unknown ASC/ASCQ 0x%02X/0x%02X",
			 unknown[i][0], unknown[i][1]);
		ck_assert_uint_eq(vscsi_asc_describe(unknown[i][0], unknown[i][1],
						     buf, sizeof(buf)),
				  strlen(want));
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

/* snprintf semantics of vscsi_asc_describe at every buffer size. */
START_TEST(test_asc_describe_small)
{
	static const uint8_t codes[][2] = {
		{ 0x11, 0x00 }, { 0x40, 0x85 }, { 0x80, 0x00 }, { 0x0F, 0x00 },
	};
	size_t c;

	for (c = 0; c < ARRAY_LEN(codes); c++) {
		char full[128], small[128];
		size_t n = vscsi_asc_describe(codes[c][0], codes[c][1], full,
					      sizeof(full));
		size_t sz;

		ck_assert_uint_eq(n, strlen(full));
		ck_assert_uint_eq(vscsi_asc_describe(codes[c][0], codes[c][1],
						     NULL, 0), n);
		for (sz = 1; sz <= n + 1; sz++) {
			memset(small, 'x', sizeof(small));
			ck_assert_uint_eq(vscsi_asc_describe(codes[c][0],
							     codes[c][1],
							     small, sz), n);
			ck_assert_uint_eq(strlen(small), sz - 1 < n ? sz - 1 : n);
			ck_assert(strncmp(small, full, sz - 1) == 0);
			ck_assert_int_eq(small[sz], 'x');
		}
	}
}
END_TEST

/* ------------------------------------------------------------ vectors */

/*
 * V_FIXED_MEDIUM: fixed format, current (70h) with VALID, MEDIUM ERROR,
 * INFORMATION 1234h, 11h/00h UNRECOVERED READ ERROR.
 * SPC-5 4.4.3 "Fixed format sense data": byte 0 VALID|70h, byte 2 key,
 * bytes 3-6 INFORMATION, byte 7 additional length 0Ah, bytes 12-13
 * ASC/ASCQ, byte 14 FRU, bytes 15-17 SKS.
 */
static const uint8_t v_fixed_medium[] = {
	0xF0, 0x00, 0x03, 0x00, 0x00, 0x12, 0x34, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * V_FIXED_FIELD: ILLEGAL REQUEST 24h/00h with a field pointer.
 * SPC-5 4.4.2 "Field pointer sense key specific data": byte 15
 * SKSV(7)=1 C/D(6)=1 BPV(3)=1 BIT POINTER=5 -> CDh; FIELD POINTER 0002h.
 */
static const uint8_t v_fixed_field[] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0xCD, 0x00, 0x02,
};

/*
 * V_FIXED_PROGRESS: NOT READY 04h/04h (FORMAT IN PROGRESS) with a progress
 * indication. SPC-5 4.4.2 "Progress indication sense key specific
 * data": SKSV=1, PROGRESS INDICATION 6B86h = 27526/65536 = 42%.
 */
static const uint8_t v_fixed_progress[] = {
	0x70, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00, 0x80, 0x6B, 0x86,
};

/*
 * V_FIXED_DEFERRED: deferred error (71h, SPC-5 4.4.1 "Sense data response
 * codes" and its deferred errors clause), HARDWARE ERROR 44h/00h, FRU code 07h,
 * COMMAND-SPECIFIC INFORMATION DEADBEEFh, actual retry count 5
 * (SPC-5 4.4.2 "Actual retry count sense key specific data"), and 4 additional sense bytes (additional length 0Eh).
 */
static const uint8_t v_fixed_deferred[] = {
	0x71, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x0E,
	0xDE, 0xAD, 0xBE, 0xEF, 0x44, 0x00, 0x07, 0x80, 0x00, 0x05,
	0xAA, 0xBB, 0xCC, 0xDD,
};

/*
 * V_FIXED_TAPE: a READ on tape that met a filemark with a short block:
 * NO SENSE with FILEMARK, EOM and ILI set (SPC-5 4.4.3, byte 2 bits 7-5),
 * 00h/01h FILEMARK DETECTED, INFORMATION = residue 10h (VALID set).
 */
static const uint8_t v_fixed_tape[] = {
	0xF0, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x10, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
};

/*
 * V_FIXED_SEGMENT: COPY ABORTED 0Dh/02h with a segment pointer
 * (SPC-5 4.4.2 "Segment pointer sense key specific data"): SKSV=1 SD(5)=1 BPV=1 BIT POINTER=3 -> ABh,
 * FIELD POINTER 0010h.
 */
static const uint8_t v_fixed_segment[] = {
	0x70, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x0D, 0x02, 0x00, 0xAB, 0x00, 0x10,
};

/*
 * V_FIXED_UA: UNIT ATTENTION 29h/00h with the UA condition queue overflow
 * bit (SPC-5 4.4.2 "Unit attention condition queue overflow sense key
 * specific data": SKSV=1, OVERFLOW(0)=1).
 */
static const uint8_t v_fixed_ua[] = {
	0x70, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0A,
	0x00, 0x00, 0x00, 0x00, 0x29, 0x00, 0x00, 0x81, 0x00, 0x00,
};

/*
 * V_DESC_MEDIUM: descriptor format, current (72h), MEDIUM ERROR 11h/00h,
 * SPC-5 4.4.2 "Descriptor format sense data" with five descriptors:
 *   00h information: VALID, INFORMATION 0000000123456789h
 *   01h command-specific information: 1122334455667788h
 *   02h sense key specific: SKSV, actual retry count 3
 *   03h field replaceable unit: 42h
 *   05h block commands (SBC-4): ILI
 * Additional length 12+12+8+4+4 = 40 (28h).
 */
static const uint8_t v_desc_medium[] = {
	0x72, 0x03, 0x11, 0x00, 0x00, 0x00, 0x00, 0x28,
	0x00, 0x0A, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x23, 0x45, 0x67, 0x89,
	0x01, 0x0A, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
	0x55, 0x66, 0x77, 0x88,
	0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x03, 0x00,
	0x03, 0x02, 0x00, 0x42,
	0x05, 0x02, 0x00, 0x20,
};

/*
 * V_DESC_ATA: deferred descriptor format (73h), RECOVERED ERROR 00h/1Dh
 * ATA PASS THROUGH INFORMATION AVAILABLE, with an ATA status return
 * descriptor (09h, SAT-4, additional length 0Ch): EXTEND=1, ERROR 04h,
 * COUNT 0102h, LBA bytes 6..11 = 31:24 7:0 39:32 15:8 47:40 23:16,
 * DEVICE 40h, STATUS 51h.
 */
static const uint8_t v_desc_ata[] = {
	0x73, 0x01, 0x00, 0x1D, 0x00, 0x00, 0x00, 0x0E,
	0x09, 0x0C, 0x01, 0x04, 0x01, 0x02,
	0x33, 0x66, 0x22, 0x55, 0x11, 0x44, 0x40, 0x51,
};

/*
 * V_DESC_MIX: NOT READY 04h/07h with an "another progress indication"
 * descriptor (0Ah, SPC-5 4.4.2: key 02h, 04h/04h, progress 8000h = 50%),
 * a vendor specific descriptor (80h), a direct-access block device
 * descriptor (0Dh, SBC-4: VALID, ILI, SKS progress 4000h = 25%, FRU 09h,
 * INFORMATION 77h, CSI 0, LBA 1000h) and a stream commands descriptor
 * (04h, SSC: FILEMARK, EOM). SDAT_OVFL set (byte 4 bit 7).
 */
static const uint8_t v_desc_mix[] = {
	0x72, 0x02, 0x04, 0x07, 0x80, 0x00, 0x00, 0x30,
	0x0A, 0x06, 0x02, 0x04, 0x04, 0x00, 0x80, 0x00,
	0x80, 0x02, 0xAA, 0xBB,
	0x0D, 0x1E, 0xA0, 0x00, 0x80, 0x40, 0x00, 0x09,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x77,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x04, 0x02, 0x00, 0xC0,
};

struct vector {
	const char *name;
	const uint8_t *b;
	size_t len;
};

#define VEC(x) { #x, x, sizeof(x) }
static const struct vector vectors[] = {
	VEC(v_fixed_medium), VEC(v_fixed_field), VEC(v_fixed_progress),
	VEC(v_fixed_deferred), VEC(v_fixed_tape), VEC(v_fixed_segment),
	VEC(v_fixed_ua), VEC(v_desc_medium), VEC(v_desc_ata), VEC(v_desc_mix),
};

/* Decode from an exact-size heap copy so that ASan sees any overread. */
static int decode_exact(const uint8_t *b, size_t len, vscsi_sense_info *si)
{
	uint8_t *copy = len ? malloc(len) : NULL;
	int rc;

	if (len)
		memcpy(copy, b, len);
	rc = vscsi_sense_decode(copy, len, si);
	free(copy);
	return rc;
}

START_TEST(test_fixed_medium)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_fixed_medium, sizeof(v_fixed_medium),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.response_code, 0x70);
	ck_assert_uint_eq(si.descriptor, 0);
	ck_assert_uint_eq(si.deferred, 0);
	ck_assert_uint_eq(si.valid, 1);
	ck_assert_uint_eq(si.key, VSCSI_SK_MEDIUM_ERROR);
	ck_assert_uint_eq(si.asc, 0x11);
	ck_assert_uint_eq(si.ascq, 0x00);
	ck_assert_uint_eq(si.has_info, 1);
	ck_assert_uint_eq(si.information, 0x1234);
	ck_assert_uint_eq(si.has_csi, 0);
	ck_assert_uint_eq(si.sks_valid, 0);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_NONE);
	ck_assert_uint_eq(si.additional_len, 10);
	ck_assert_uint_eq(si.sense_len, 18);
	ck_assert_uint_eq(si.truncated, 0);
	ck_assert_uint_eq(si.filemark | si.eom | si.ili, 0);
	ck_assert_uint_eq(si.n_desc, 0);
}
END_TEST

START_TEST(test_fixed_field_pointer)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_fixed_field, sizeof(v_fixed_field),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.valid, 0);
	ck_assert_uint_eq(si.has_info, 0);
	ck_assert_uint_eq(si.key, VSCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(si.asc, 0x24);
	ck_assert_uint_eq(si.sks_valid, 1);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_FIELD_POINTER);
	ck_assert_uint_eq(si.fp_cd, 1);
	ck_assert_uint_eq(si.fp_bpv, 1);
	ck_assert_uint_eq(si.fp_bit, 5);
	ck_assert_uint_eq(si.fp_field, 2);
	ck_assert_uint_eq(si.sks[0], 0xCD);
	ck_assert_uint_eq(si.sks[2], 0x02);
}
END_TEST

START_TEST(test_fixed_progress)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_fixed_progress, sizeof(v_fixed_progress),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, VSCSI_SK_NOT_READY);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_PROGRESS);
	ck_assert_uint_eq(si.progress, 0x6B86);
	ck_assert_uint_eq(si.fp_field, 0);
}
END_TEST

START_TEST(test_fixed_deferred)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_fixed_deferred, sizeof(v_fixed_deferred),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.response_code, 0x71);
	ck_assert_uint_eq(si.deferred, 1);
	ck_assert_uint_eq(si.descriptor, 0);
	ck_assert_uint_eq(si.key, VSCSI_SK_HARDWARE_ERROR);
	ck_assert_uint_eq(si.asc, 0x44);
	ck_assert_uint_eq(si.has_csi, 1);
	ck_assert_uint_eq(si.csi, 0xDEADBEEF);
	ck_assert_uint_eq(si.fru, 7);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_RETRY_COUNT);
	ck_assert_uint_eq(si.retry_count, 5);
	ck_assert_uint_eq(si.additional_len, 14);
	ck_assert_uint_eq(si.sense_len, 22);
}
END_TEST

START_TEST(test_fixed_flags_segment_ua)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_fixed_tape, sizeof(v_fixed_tape), &si),
			 VSCSI_OK);
	ck_assert_uint_eq(si.filemark, 1);
	ck_assert_uint_eq(si.eom, 1);
	ck_assert_uint_eq(si.ili, 1);
	ck_assert_uint_eq(si.key, VSCSI_SK_NO_SENSE);
	ck_assert_uint_eq(si.ascq, 0x01);
	ck_assert_uint_eq(si.information, 0x10);

	ck_assert_int_eq(decode_exact(v_fixed_segment, sizeof(v_fixed_segment),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, VSCSI_SK_COPY_ABORTED);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_SEGMENT_POINTER);
	ck_assert_uint_eq(si.seg_sd, 1);
	ck_assert_uint_eq(si.fp_bpv, 1);
	ck_assert_uint_eq(si.fp_bit, 3);
	ck_assert_uint_eq(si.fp_field, 0x10);
	ck_assert_uint_eq(si.fp_cd, 0);

	ck_assert_int_eq(decode_exact(v_fixed_ua, sizeof(v_fixed_ua), &si),
			 VSCSI_OK);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_UA_QUEUE_OVERFLOW);
	ck_assert_uint_eq(si.ua_overflow, 1);
}
END_TEST

START_TEST(test_desc_medium)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_desc_medium, sizeof(v_desc_medium),
				      &si), VSCSI_OK);
	ck_assert_uint_eq(si.response_code, 0x72);
	ck_assert_uint_eq(si.descriptor, 1);
	ck_assert_uint_eq(si.deferred, 0);
	ck_assert_uint_eq(si.key, VSCSI_SK_MEDIUM_ERROR);
	ck_assert_uint_eq(si.asc, 0x11);
	ck_assert_uint_eq(si.valid, 1);
	ck_assert_uint_eq(si.has_info, 1);
	ck_assert_uint_eq(si.information, 0x123456789ull);
	ck_assert_uint_eq(si.has_csi, 1);
	ck_assert_uint_eq(si.csi, 0x1122334455667788ull);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_RETRY_COUNT);
	ck_assert_uint_eq(si.retry_count, 3);
	ck_assert_uint_eq(si.fru, 0x42);
	ck_assert_uint_eq(si.ili, 1);
	ck_assert_uint_eq(si.filemark, 0);
	ck_assert_uint_eq(si.n_desc, 5);
	ck_assert_uint_eq(si.desc_seen, 0x2F);
	ck_assert_uint_eq(si.n_desc_types, 5);
	ck_assert_uint_eq(si.desc_types[4], 0x05);
	ck_assert_uint_eq(si.truncated, 0);
	ck_assert_uint_eq(si.sense_len, sizeof(v_desc_medium));
}
END_TEST

START_TEST(test_desc_ata)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_desc_ata, sizeof(v_desc_ata), &si),
			 VSCSI_OK);
	ck_assert_uint_eq(si.deferred, 1);
	ck_assert_uint_eq(si.descriptor, 1);
	ck_assert_uint_eq(si.key, VSCSI_SK_RECOVERED_ERROR);
	ck_assert_uint_eq(si.ascq, 0x1D);
	ck_assert_uint_eq(si.has_ata, 1);
	ck_assert_uint_eq(si.ata_extend, 1);
	ck_assert_uint_eq(si.ata_error, 0x04);
	ck_assert_uint_eq(si.ata_count, 0x0102);
	ck_assert_uint_eq(si.ata_lba, 0x112233445566ull);
	ck_assert_uint_eq(si.ata_device, 0x40);
	ck_assert_uint_eq(si.ata_status, 0x51);
	ck_assert_uint_eq(si.has_info, 0);
}
END_TEST

START_TEST(test_desc_mix)
{
	vscsi_sense_info si;

	ck_assert_int_eq(decode_exact(v_desc_mix, sizeof(v_desc_mix), &si),
			 VSCSI_OK);
	ck_assert_uint_eq(si.sdat_ovfl, 1);
	ck_assert_uint_eq(si.n_desc, 4);
	ck_assert_uint_eq(si.n_vendor_desc, 1);
	ck_assert_uint_eq(si.desc_types[0], 0x0A);
	ck_assert_uint_eq(si.desc_types[1], 0x80);
	ck_assert_uint_eq(si.desc_types[2], 0x0D);
	ck_assert_uint_eq(si.desc_types[3], 0x04);
	ck_assert_uint_eq(si.has_pi, 1);
	ck_assert_uint_eq(si.pi_key, 2);
	ck_assert_uint_eq(si.pi_asc, 4);
	ck_assert_uint_eq(si.pi_ascq, 4);
	ck_assert_uint_eq(si.pi_progress, 0x8000);
	ck_assert_uint_eq(si.has_dabd, 1);
	ck_assert_uint_eq(si.dabd_lba, 0x1000);
	ck_assert_uint_eq(si.has_info, 1);
	ck_assert_uint_eq(si.information, 0x77);
	ck_assert_uint_eq(si.sks_kind, VSCSI_SKS_PROGRESS);
	ck_assert_uint_eq(si.progress, 0x4000);
	ck_assert_uint_eq(si.fru, 9);
	ck_assert_uint_eq(si.ili, 1);
	ck_assert_uint_eq(si.filemark, 1);
	ck_assert_uint_eq(si.eom, 1);
}
END_TEST

/* What a prefix of `need` bytes must give for the fields of a vector. */
static void check_prefix(const struct vector *v, size_t k,
			 const vscsi_sense_info *full,
			 const vscsi_sense_info *si, int rc)
{
	int desc = v->b[0] == 0x72 || v->b[0] == 0x73;
	size_t need = desc ? 4 : 14;

	if (k == 0) {
		ck_assert_int_eq(rc, VSCSI_ERR_EMPTY);
		return;
	}
	ck_assert_msg(rc == (k < need ? VSCSI_ERR_TRUNCATED : VSCSI_OK),
		      "%s at %zu: %d", v->name, k, rc);
	ck_assert_uint_eq(si->response_code, full->response_code);
	ck_assert_uint_eq(si->descriptor, full->descriptor);
	ck_assert_uint_eq(si->deferred, full->deferred);
	ck_assert_uint_eq(si->truncated, k < 8 || k < 8u + v->b[7]);
	ck_assert_uint_eq(si->incomplete, k < need);
	ck_assert_uint_eq(si->sense_len, k);
	if (desc) {
		size_t end = 8, nd = 0;

		ck_assert_uint_eq(si->key, k > 1 ? full->key : 0);
		ck_assert_uint_eq(si->asc, k > 2 ? full->asc : 0);
		ck_assert_uint_eq(si->ascq, k > 3 ? full->ascq : 0);
		/* exactly the descriptors that fit whole */
		while (end < v->len && end + 2 + v->b[end + 1] <= k) {
			end += 2 + (size_t)v->b[end + 1];
			nd++;
		}
		ck_assert_uint_eq(si->n_desc, nd);
		if (nd == full->n_desc) {
			ck_assert_uint_eq(si->information, full->information);
			ck_assert_uint_eq(si->csi, full->csi);
			ck_assert_uint_eq(si->sks_kind, full->sks_kind);
			ck_assert_uint_eq(si->fru, full->fru);
		}
	} else {
		ck_assert_uint_eq(si->key, k > 2 ? full->key : 0);
		ck_assert_uint_eq(si->ili, k > 2 ? full->ili : 0);
		ck_assert_uint_eq(si->has_info, k >= 7 ? full->has_info : 0);
		ck_assert_uint_eq(si->information, k >= 7 ? full->information : 0);
		ck_assert_uint_eq(si->csi, k >= 12 ? full->csi : 0);
		ck_assert_uint_eq(si->asc, k > 12 ? full->asc : 0);
		ck_assert_uint_eq(si->ascq, k > 13 ? full->ascq : 0);
		ck_assert_uint_eq(si->fru, k > 14 ? full->fru : 0);
		ck_assert_uint_eq(si->sks_valid, k >= 18 ? full->sks_valid : 0);
		ck_assert_uint_eq(si->fp_field, k >= 18 ? full->fp_field : 0);
		ck_assert_uint_eq(si->progress, k >= 18 ? full->progress : 0);
	}
}

/* Every vector cut at every offset: TRUNCATED before the key, ASC and
 * ASCQ are in, then OK with the truncated flag; never INVALID; never a
 * read past the bytes given. */
START_TEST(test_truncation_every_offset)
{
	size_t i, k;

	for (i = 0; i < ARRAY_LEN(vectors); i++) {
		const struct vector *v = &vectors[i];
		vscsi_sense_info full, si;

		ck_assert_int_eq(decode_exact(v->b, v->len, &full), VSCSI_OK);
		ck_assert_uint_eq(full.truncated, 0);
		for (k = 0; k < v->len; k++) {
			int rc = decode_exact(v->b, k, &si);
			char text[512];

			check_prefix(v, k, &full, &si, rc);
			/* the describers cope with any partial result */
			ck_assert_uint_lt(vscsi_sense_describe(&si, text,
							       sizeof(text)),
					  sizeof(text));
			ck_assert_uint_lt(vscsi_sense_describe_json(&si, text,
								    sizeof(text)),
					  sizeof(text));
		}
	}
}
END_TEST

START_TEST(test_invalid_response_codes)
{
	uint8_t b[sizeof(v_desc_medium)];
	unsigned rc;

	for (rc = 0; rc < 256; rc++) {
		vscsi_sense_info si;
		unsigned code = rc & 0x7f;
		unsigned desc = code == 0x72 || code == 0x73;
		size_t len = desc ? sizeof(v_desc_medium) : sizeof(v_fixed_medium);
		int r;

		/* the rest of the bytes from a vector of the matching format */
		memcpy(b, desc ? v_desc_medium : v_fixed_medium, len);
		b[0] = (uint8_t)rc;
		r = decode_exact(b, len, &si);
		ck_assert_uint_eq(si.response_code, code);
		if (code >= 0x70 && code <= 0x73) {
			ck_assert_int_eq(r, VSCSI_OK);
			ck_assert_uint_eq(si.descriptor, desc);
			ck_assert_uint_eq(si.deferred, code & 1);
			ck_assert_uint_eq(si.key, VSCSI_SK_MEDIUM_ERROR);
		} else {
			char text[64], want[64];

			ck_assert_int_eq(r, VSCSI_ERR_INVALID);
			ck_assert_uint_eq(si.key, 0);
			ck_assert_uint_eq(si.asc, 0);
			vscsi_sense_describe(&si, text, sizeof(text));
			snprintf(want, sizeof(want),
				 "sense response code 0x%02x", code);
			ck_assert_str_eq(text, want);
		}
		/* a single byte still tells the response code */
		r = decode_exact(b, 1, &si);
		ck_assert_uint_eq(si.response_code, code);
		ck_assert_int_eq(r, code >= 0x70 && code <= 0x73 ?
				 VSCSI_ERR_TRUNCATED : VSCSI_ERR_INVALID);
	}
}
END_TEST

START_TEST(test_args_and_empty)
{
	vscsi_sense_info si;

	memset(&si, 0xAA, sizeof(si));
	ck_assert_int_eq(vscsi_sense_decode(v_fixed_medium, 0, &si),
			 VSCSI_ERR_EMPTY);
	ck_assert_uint_eq(si.key, 0);	/* zeroed */
	ck_assert_int_eq(vscsi_sense_decode(NULL, 0, &si), VSCSI_ERR_EMPTY);
	ck_assert_int_eq(vscsi_sense_decode(NULL, 5, &si), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_sense_decode(v_fixed_medium, 18, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_uint_eq(vscsi_sense_describe(NULL, NULL, 0), 0);
}
END_TEST

/* The additional length claims more than the device sent. */
START_TEST(test_additional_len_longer)
{
	uint8_t b[sizeof(v_desc_medium)];
	vscsi_sense_info si;

	/* fixed: claims 244 more bytes, sends 18 */
	memcpy(b, v_fixed_field, 18);
	b[7] = 0xF4;
	ck_assert_int_eq(decode_exact(b, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.truncated, 1);
	ck_assert_uint_eq(si.additional_len, 0xF4);
	ck_assert_uint_eq(si.sense_len, 18);
	ck_assert_uint_eq(si.fp_field, 2);

	/* descriptor: claims 250, the third descriptor is cut */
	memcpy(b, v_desc_medium, sizeof(b));
	b[7] = 250;
	ck_assert_int_eq(decode_exact(b, 8 + 12 + 12 + 5, &si), VSCSI_OK);
	ck_assert_uint_eq(si.truncated, 1);
	ck_assert_uint_eq(si.n_desc, 2);
	ck_assert_uint_eq(si.sks_valid, 0);
	ck_assert_uint_eq(si.csi, 0x1122334455667788ull);

	/* the additional length shorter than the bytes sent: the rest is
	 * not sense data (fixed format, 14 bytes described, 18 sent) */
	memcpy(b, v_fixed_field, 18);
	b[7] = 6;
	ck_assert_int_eq(decode_exact(b, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.truncated, 0);
	ck_assert_uint_eq(si.sense_len, 14);
	ck_assert_uint_eq(si.sks_valid, 0);
	ck_assert_uint_eq(si.asc, 0x24);
	/* and too short to hold ASC/ASCQ: truncated by the device's word */
	b[7] = 4;
	ck_assert_int_eq(decode_exact(b, 18, &si), VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(si.key, VSCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(si.asc, 0);
}
END_TEST

/* Descriptors that contradict the additional length, or their type. */
START_TEST(test_desc_invalid)
{
	/* a sense key specific descriptor (8 bytes) under additional length 4 */
	static const uint8_t overrun[] = {
		0x72, 0x05, 0x24, 0x00, 0x00, 0x00, 0x00, 0x04,
		0x02, 0x06, 0x00, 0x00, 0xCD, 0x00, 0x02, 0x00,
	};
	/* one byte left inside the additional length: no room for a header */
	static const uint8_t stray[] = {
		0x72, 0x05, 0x24, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x03, 0x02, 0x00, 0x01, 0x99,
	};
	/* an information descriptor with additional length 2 (needs 0Ah),
	 * then a valid FRU descriptor that is still decoded */
	static const uint8_t short_type[] = {
		0x72, 0x03, 0x11, 0x00, 0x00, 0x00, 0x00, 0x08,
		0x00, 0x02, 0x80, 0x00, 0x03, 0x02, 0x00, 0x05,
	};
	/* each fixed-size descriptor one byte shorter than its type needs
	 * (SPC-5 4.4.2 descriptors 00h-03h, 0Ah and 0Fh, SSC/SBC 04h/05h, SAT
	 * ATA status return 0Ch, SBC direct-access block device 1Ch) */
	static const uint8_t short_by_one[][2] = {
		{ 0x00, 0x09 }, { 0x01, 0x09 }, { 0x02, 0x05 }, { 0x03, 0x01 },
		{ 0x04, 0x01 }, { 0x05, 0x01 }, { 0x09, 0x0B }, { 0x0A, 0x05 },
		{ 0x0D, 0x1B }, { 0x0F, 0x05 },
	};
	vscsi_sense_info si;
	size_t i;

	for (i = 0; i < ARRAY_LEN(short_by_one); i++) {
		uint8_t b[8 + 2 + 0x1C] = { 0x72, 0x04, 0x44, 0x00 };
		size_t dl = short_by_one[i][1];

		b[7] = (uint8_t)(2 + dl);
		b[8] = short_by_one[i][0];
		b[9] = (uint8_t)dl;
		ck_assert_int_eq(decode_exact(b, 10 + dl, &si), VSCSI_ERR_INVALID);
		ck_assert_uint_eq(si.n_desc, 1);
		/* one byte longer is what the type needs */
		b[7]++;
		b[9]++;
		ck_assert_int_eq(decode_exact(b, 11 + dl, &si), VSCSI_OK);
	}

	ck_assert_int_eq(decode_exact(overrun, sizeof(overrun), &si),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(si.key, VSCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(si.asc, 0x24);
	ck_assert_uint_eq(si.sks_valid, 0);
	/* the same cut inside the descriptor header is still invalid: the
	 * header it has says 8 bytes where 4 are allowed */
	ck_assert_int_eq(decode_exact(overrun, 10, &si), VSCSI_ERR_INVALID);
	/* cut before the header: nothing contradicts yet */
	ck_assert_int_eq(decode_exact(overrun, 9, &si), VSCSI_OK);
	ck_assert_uint_eq(si.truncated, 1);

	ck_assert_int_eq(decode_exact(stray, sizeof(stray), &si),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(si.fru, 1);
	ck_assert_uint_eq(si.n_desc, 1);

	ck_assert_int_eq(decode_exact(short_type, sizeof(short_type), &si),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(si.has_info, 0);
	ck_assert_uint_eq(si.n_desc, 2);
	ck_assert_uint_eq(si.fru, 5);
}
END_TEST

/* ------------------------------------------------------------ describe */

static void check_describe(const uint8_t *b, size_t len, const char *want)
{
	vscsi_sense_info si;
	char text[512];

	vscsi_sense_decode(b, len, &si);
	ck_assert_uint_eq(vscsi_sense_describe(&si, text, sizeof(text)),
			  strlen(want));
	ck_assert_str_eq(text, want);
}

START_TEST(test_describe_text)
{
	check_describe(v_fixed_medium, sizeof(v_fixed_medium),
		       "MEDIUM ERROR 11/00 unrecovered read error info=0x1234");
	check_describe(v_fixed_field, sizeof(v_fixed_field),
		       "ILLEGAL REQUEST 24/00 invalid field in cdb "
		       "field=cdb byte 2 bit 5");
	check_describe(v_fixed_progress, sizeof(v_fixed_progress),
		       "NOT READY 04/04 logical unit not ready, format in "
		       "progress progress=42%");
	check_describe(v_fixed_deferred, sizeof(v_fixed_deferred),
		       "HARDWARE ERROR 44/00 internal target failure deferred "
		       "csi=0xdeadbeef fru=0x07 retries=5");
	check_describe(v_fixed_tape, sizeof(v_fixed_tape),
		       "NO SENSE 00/01 filemark detected filemark eom ili "
		       "info=0x10");
	check_describe(v_fixed_segment, sizeof(v_fixed_segment),
		       "COPY ABORTED 0D/02 copy target device not reachable "
		       "segment=desc byte 16 bit 3");
	check_describe(v_fixed_ua, sizeof(v_fixed_ua),
		       "UNIT ATTENTION 29/00 power on, reset, or bus device "
		       "reset occurred ua_overflow");
	check_describe(v_desc_medium, sizeof(v_desc_medium),
		       "MEDIUM ERROR 11/00 unrecovered read error ili "
		       "info=0x123456789 csi=0x1122334455667788 fru=0x42 "
		       "retries=3");
	check_describe(v_desc_ata, sizeof(v_desc_ata),
		       "RECOVERED ERROR 00/1D ata pass through information "
		       "available deferred ata_status=0x51 ata_error=0x04");
	check_describe(v_desc_mix, 20,
		       "NOT READY 04/07 logical unit not ready, operation in "
		       "progress progress=50% truncated");
	{
		/* progress rounds down: FFFFh is 99%, not 100% */
		uint8_t b[18];

		memcpy(b, v_fixed_progress, sizeof(b));
		b[16] = 0xFF;
		b[17] = 0xFF;
		check_describe(b, sizeof(b), "NOT READY 04/04 logical unit "
			       "not ready, format in progress progress=99%");
		b[16] = 0x00;
		b[17] = 0x00;
		check_describe(b, sizeof(b), "NOT READY 04/04 logical unit "
			       "not ready, format in progress progress=0%");
	}
	check_describe(v_fixed_medium, 10,
		       "MEDIUM ERROR --/-- info=0x1234 truncated");
	check_describe(v_fixed_medium, 2, "? --/-- truncated");
	check_describe(v_desc_medium, 3, "MEDIUM ERROR --/-- truncated");
	{
		/* vendor specific and range codes */
		static const uint8_t vend[] = {
			0x70, 0x00, 0x04, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0,
			0x40, 0x85, 0, 0, 0, 0,
		};
		uint8_t b[18];

		check_describe(vend, sizeof(vend), "HARDWARE ERROR 40/85 "
			       "diagnostic failure on component 85h");
		memcpy(b, vend, sizeof(b));
		b[12] = 0x85;
		check_describe(b, sizeof(b), "HARDWARE ERROR 85/85 vendor "
			       "specific asc/ascq");
	}
}
END_TEST

static void check_json(const uint8_t *b, size_t len, const char *want)
{
	vscsi_sense_info si;
	char text[1024];

	vscsi_sense_decode(b, len, &si);
	ck_assert_uint_eq(vscsi_sense_describe_json(&si, text, sizeof(text)),
			  strlen(want));
	ck_assert_str_eq(text, want);
}

START_TEST(test_describe_json)
{
	check_json(v_fixed_medium, sizeof(v_fixed_medium),
		   "\"response_code\":112,\"format\":\"fixed\","
		   "\"deferred\":false,\"sense_key\":3,"
		   "\"sense_key_name\":\"MEDIUM ERROR\",\"asc\":17,\"ascq\":0,"
		   "\"asc_text\":\"UNRECOVERED READ ERROR\",\"info\":4660");
	check_json(v_fixed_field, sizeof(v_fixed_field),
		   "\"response_code\":112,\"format\":\"fixed\","
		   "\"deferred\":false,\"sense_key\":5,"
		   "\"sense_key_name\":\"ILLEGAL REQUEST\",\"asc\":36,\"ascq\":0,"
		   "\"asc_text\":\"INVALID FIELD IN CDB\","
		   "\"field_pointer\":{\"cdb\":true,\"byte\":2,\"bit\":5}");
	check_json(v_fixed_progress, sizeof(v_fixed_progress),
		   "\"response_code\":112,\"format\":\"fixed\","
		   "\"deferred\":false,\"sense_key\":2,"
		   "\"sense_key_name\":\"NOT READY\",\"asc\":4,\"ascq\":4,"
		   "\"asc_text\":\"LOGICAL UNIT NOT READY, FORMAT IN PROGRESS\","
		   "\"progress\":27526,\"progress_pct\":42");
	check_json(v_desc_ata, sizeof(v_desc_ata),
		   "\"response_code\":115,\"format\":\"descriptor\","
		   "\"deferred\":true,\"sense_key\":1,"
		   "\"sense_key_name\":\"RECOVERED ERROR\",\"asc\":0,\"ascq\":29,"
		   "\"asc_text\":\"ATA PASS THROUGH INFORMATION AVAILABLE\","
		   "\"ata_status_return\":{\"extend\":true,\"error\":4,"
		   "\"count\":258,\"lba\":18838586676582,\"device\":64,"
		   "\"status\":81},\"descriptor_types\":[9]");
	{
		static const uint8_t bad[] = { 0x7F, 0x00, 0x05 };

		check_json(bad, sizeof(bad),
			   "\"response_code\":127,\"format\":\"unknown\"");
	}
}
END_TEST

/* snprintf semantics of both describers at every buffer size. */
START_TEST(test_describe_small_buffers)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(vectors); i++) {
		vscsi_sense_info si;
		char full[1024], small[1024];
		size_t n, sz;
		int j;

		vscsi_sense_decode(vectors[i].b, vectors[i].len, &si);
		for (j = 0; j < 2; j++) {
			n = j ? vscsi_sense_describe_json(&si, full, sizeof(full))
			      : vscsi_sense_describe(&si, full, sizeof(full));
			ck_assert_uint_eq(strlen(full), n);
			ck_assert_uint_eq(j ? vscsi_sense_describe_json(&si, NULL, 0)
					    : vscsi_sense_describe(&si, NULL, 0), n);
			for (sz = 1; sz <= n + 1; sz++) {
				size_t r;

				memset(small, 'x', sizeof(small));
				r = j ? vscsi_sense_describe_json(&si, small, sz)
				      : vscsi_sense_describe(&si, small, sz);
				ck_assert_uint_eq(r, n);
				ck_assert_uint_eq(strlen(small),
						  sz - 1 < n ? sz - 1 : n);
				ck_assert(strncmp(small, full, sz - 1) == 0);
				ck_assert_int_eq(small[sz], 'x');
			}
		}
	}
}
END_TEST

/* ------------------------------------------------------------ build */

static void round_trip(const vscsi_sense_info *in, int want_len)
{
	uint8_t buf[VSCSI_SENSE_BUILD_MAX + 8];
	vscsi_sense_info out;
	size_t k;
	int n;

	memset(buf, 0xEE, sizeof(buf));
	n = vscsi_sense_build(in, buf, sizeof(buf));
	ck_assert_int_eq(n, want_len);
	ck_assert_uint_eq(buf[n], 0xEE);	/* nothing past the end */
	ck_assert_int_eq(decode_exact(buf, (size_t)n, &out), VSCSI_OK);
	ck_assert_uint_eq(out.truncated, 0);
	ck_assert_uint_eq(out.descriptor, in->descriptor);
	ck_assert_uint_eq(out.deferred, in->deferred);
	ck_assert_uint_eq(out.key, in->key);
	ck_assert_uint_eq(out.asc, in->asc);
	ck_assert_uint_eq(out.ascq, in->ascq);
	ck_assert_uint_eq(out.has_info, in->has_info);
	ck_assert_uint_eq(out.information, in->has_info ? in->information : 0);
	ck_assert_uint_eq(out.csi, in->has_csi ? in->csi : 0);
	ck_assert_uint_eq(out.fru, in->fru);
	ck_assert_uint_eq(out.filemark, in->filemark);
	ck_assert_uint_eq(out.eom, in->eom);
	ck_assert_uint_eq(out.ili, in->ili);
	ck_assert_uint_eq(out.sks_valid, in->sks_valid);
	if (in->sks_valid) {
		ck_assert_uint_eq(out.sks_kind, in->sks_kind);
		ck_assert_uint_eq(out.fp_cd, in->fp_cd);
		ck_assert_uint_eq(out.fp_bpv, in->fp_bpv);
		ck_assert_uint_eq(out.fp_bit, in->fp_bit);
		ck_assert_uint_eq(out.fp_field, in->fp_field);
		ck_assert_uint_eq(out.seg_sd, in->seg_sd);
		ck_assert_uint_eq(out.progress, in->progress);
		ck_assert_uint_eq(out.retry_count, in->retry_count);
		ck_assert_uint_eq(out.ua_overflow, in->ua_overflow);
	}
	/* too small by any amount: NOSPACE and nothing written */
	for (k = 0; k < (size_t)n; k++) {
		memset(buf, 0xEE, sizeof(buf));
		ck_assert_int_eq(vscsi_sense_build(in, buf, k),
				 VSCSI_ERR_NOSPACE);
		ck_assert_uint_eq(buf[0], 0xEE);
	}
}

START_TEST(test_build_round_trip)
{
	vscsi_sense_info in;
	int d;

	for (d = 0; d < 2; d++) {
		/* key/asc/ascq only */
		vscsi_sense_init(&in, d, VSCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
		round_trip(&in, d ? 8 : 18);

		/* with information */
		vscsi_sense_init(&in, d, VSCSI_SK_MEDIUM_ERROR, 0x11, 0x00);
		vscsi_sense_set_info(&in, 0x1234);
		round_trip(&in, d ? 20 : 18);

		/* field pointer with and without a bit */
		vscsi_sense_init(&in, d, VSCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
		vscsi_sense_set_field_pointer(&in, 1, 2, 5);
		round_trip(&in, d ? 16 : 18);
		vscsi_sense_set_field_pointer(&in, 0, 300, -1);
		ck_assert_uint_eq(in.fp_bpv, 0);
		round_trip(&in, d ? 16 : 18);

		/* progress, deferred */
		vscsi_sense_init(&in, d, VSCSI_SK_NOT_READY, 0x04, 0x04);
		vscsi_sense_set_progress(&in, 0x6B86);
		in.deferred = 1;
		round_trip(&in, d ? 16 : 18);

		/* everything */
		vscsi_sense_init(&in, d, VSCSI_SK_HARDWARE_ERROR, 0x44, 0x00);
		vscsi_sense_set_info(&in, 0xFFFFFFFF);
		in.has_csi = 1;
		in.csi = 0x01020304;
		in.fru = 0x33;
		in.sks_valid = 1;
		in.sks_kind = VSCSI_SKS_RETRY_COUNT;
		in.retry_count = 999;
		in.ili = 1;
		round_trip(&in, d ? 8 + 12 + 12 + 8 + 4 + 4 : 18);

		/* tape flags, segment pointer, UA overflow */
		vscsi_sense_init(&in, d, VSCSI_SK_NO_SENSE, 0x00, 0x01);
		in.filemark = in.eom = in.ili = 1;
		round_trip(&in, d ? 12 : 18);
		vscsi_sense_init(&in, d, VSCSI_SK_COPY_ABORTED, 0x0D, 0x02);
		in.sks_valid = 1;
		in.sks_kind = VSCSI_SKS_SEGMENT_POINTER;
		in.seg_sd = 1;
		in.fp_bpv = 1;
		in.fp_bit = 7;
		in.fp_field = 0xFFFF;
		round_trip(&in, d ? 16 : 18);
		vscsi_sense_init(&in, d, VSCSI_SK_UNIT_ATTENTION, 0x2A, 0x09);
		in.sks_valid = 1;
		in.sks_kind = VSCSI_SKS_UA_QUEUE_OVERFLOW;
		in.ua_overflow = 1;
		round_trip(&in, d ? 16 : 18);
	}
}
END_TEST

/* The builders' bytes are the vectors above (SPC-5 4.4.3 / 4.4.2). */
START_TEST(test_build_bytes)
{
	vscsi_sense_info in;
	uint8_t buf[64];

	vscsi_sense_init(&in, 0, VSCSI_SK_MEDIUM_ERROR, 0x11, 0x00);
	vscsi_sense_set_info(&in, 0x1234);
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)), 18);
	ck_assert_mem_eq(buf, v_fixed_medium, 18);

	vscsi_sense_init(&in, 0, VSCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	vscsi_sense_set_field_pointer(&in, 1, 2, 5);
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)), 18);
	ck_assert_mem_eq(buf, v_fixed_field, 18);

	vscsi_sense_init(&in, 1, VSCSI_SK_MEDIUM_ERROR, 0x11, 0x00);
	vscsi_sense_set_info(&in, 0x123456789ull);
	in.has_csi = 1;
	in.csi = 0x1122334455667788ull;
	in.sks_valid = 1;
	in.sks_kind = VSCSI_SKS_RETRY_COUNT;
	in.retry_count = 3;
	in.fru = 0x42;
	in.ili = 1;
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)),
			 (int)sizeof(v_desc_medium));
	ck_assert_mem_eq(buf, v_desc_medium, sizeof(v_desc_medium));

	/* simple: UNIT ATTENTION 29/00, both formats */
	ck_assert_int_eq(vscsi_sense_build_simple(buf, sizeof(buf), 1, 6, 0x29,
						  0), 8);
	{
		static const uint8_t want[] = { 0x72, 0x06, 0x29, 0x00,
						0x00, 0x00, 0x00, 0x00 };

		ck_assert_mem_eq(buf, want, 8);
	}
	ck_assert_int_eq(vscsi_sense_build_simple(buf, sizeof(buf), 0, 6, 0x29,
						  0), 18);
	ck_assert_uint_eq(buf[0], 0x70);
	ck_assert_uint_eq(buf[2], 0x06);
	ck_assert_uint_eq(buf[7], 0x0A);
	ck_assert_uint_eq(buf[12], 0x29);
	ck_assert_int_eq(vscsi_sense_build_simple(buf, 17, 0, 6, 0x29, 0),
			 VSCSI_ERR_NOSPACE);
	ck_assert_int_eq(vscsi_sense_build_simple(NULL, 0, 1, 6, 0x29, 0),
			 VSCSI_ERR_NOSPACE);

	/* raw SKS for a key whose SKS is reserved: kept, SKSV forced */
	vscsi_sense_init(&in, 0, VSCSI_SK_DATA_PROTECT, 0x27, 0x00);
	in.sks_valid = 1;
	in.sks[0] = 0x12;
	in.sks[1] = 0x34;
	in.sks[2] = 0x56;
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)), 18);
	ck_assert_uint_eq(buf[15], 0x92);
	ck_assert_uint_eq(buf[16], 0x34);
	ck_assert_uint_eq(buf[17], 0x56);
	{
		vscsi_sense_info out;
		char text[128];

		vscsi_sense_decode(buf, 18, &out);
		ck_assert_uint_eq(out.sks_kind, VSCSI_SKS_NONE);
		vscsi_sense_describe(&out, text, sizeof(text));
		ck_assert_str_eq(text, "DATA PROTECT 27/00 write protected "
				 "sks=0x923456");
	}
}
END_TEST

START_TEST(test_build_limits)
{
	vscsi_sense_info in, out;
	uint8_t buf[64];

	/* fixed format cannot carry a 64-bit INFORMATION: VALID stays 0 */
	vscsi_sense_init(&in, 0, VSCSI_SK_MEDIUM_ERROR, 0x11, 0x00);
	vscsi_sense_set_info(&in, 0x100000000ull);
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)), 18);
	ck_assert_uint_eq(buf[0], 0x70);
	vscsi_sense_decode(buf, 18, &out);
	ck_assert_uint_eq(out.has_info, 0);
	ck_assert_uint_eq(out.information, 0);
	/* descriptor format can */
	in.descriptor = 1;
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)), 20);
	vscsi_sense_decode(buf, 20, &out);
	ck_assert_uint_eq(out.information, 0x100000000ull);

	/* fixed CSI above 32 bits, a key above 15, NULL: ARG */
	vscsi_sense_init(&in, 0, VSCSI_SK_MEDIUM_ERROR, 0x11, 0x00);
	in.has_csi = 1;
	in.csi = 0x100000000ull;
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	vscsi_sense_init(&in, 1, 16, 0x11, 0x00);
	ck_assert_int_eq(vscsi_sense_build(&in, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_sense_build(NULL, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	vscsi_sense_init(&in, 1, 1, 0, 0);
	ck_assert_int_eq(vscsi_sense_build(&in, NULL, 8), VSCSI_ERR_ARG);
}
END_TEST

static Suite *sense_suite(void)
{
	Suite *s = suite_create("sense");
	TCase *names = tcase_create("names");
	TCase *asc = tcase_create("asc");
	TCase *dec = tcase_create("decode");
	TCase *desc = tcase_create("describe");
	TCase *build = tcase_create("build");

	tcase_add_test(names, test_status_names);
	tcase_add_test(names, test_sense_key_names);
	suite_add_tcase(s, names);

	tcase_add_test(asc, test_asc_table_sorted);
	tcase_add_test(asc, test_asc_lookup_exhaustive);
	tcase_add_test(asc, test_asc_lookup_entries);
	tcase_add_test(asc, test_asc_ranges);
	tcase_add_test(asc, test_asc_vendor_and_unknown);
	tcase_add_test(asc, test_asc_describe_small);
	tcase_set_timeout(asc, 60);
	suite_add_tcase(s, asc);

	tcase_add_test(dec, test_fixed_medium);
	tcase_add_test(dec, test_fixed_field_pointer);
	tcase_add_test(dec, test_fixed_progress);
	tcase_add_test(dec, test_fixed_deferred);
	tcase_add_test(dec, test_fixed_flags_segment_ua);
	tcase_add_test(dec, test_desc_medium);
	tcase_add_test(dec, test_desc_ata);
	tcase_add_test(dec, test_desc_mix);
	tcase_add_test(dec, test_truncation_every_offset);
	tcase_add_test(dec, test_invalid_response_codes);
	tcase_add_test(dec, test_args_and_empty);
	tcase_add_test(dec, test_additional_len_longer);
	tcase_add_test(dec, test_desc_invalid);
	suite_add_tcase(s, dec);

	tcase_add_test(desc, test_describe_text);
	tcase_add_test(desc, test_describe_json);
	tcase_add_test(desc, test_describe_small_buffers);
	suite_add_tcase(s, desc);

	tcase_add_test(build, test_build_round_trip);
	tcase_add_test(build, test_build_bytes);
	tcase_add_test(build, test_build_limits);
	suite_add_tcase(s, build);
	return s;
}

VSCSI_TEST_MAIN(sense_suite)
