/*
 * libvscsi-decode: SCSI status, sense data and the ASC/ASCQ list.
 *
 * Follows SAM-5 5.3 (status codes), SPC-5 4.4 (sense data: fixed and
 * descriptor format, sense keys, sense-key-specific data, descriptor types)
 * and T10's list of additional sense codes (asc-num.txt). Decoders read the
 * bytes a device returned; builders write sense data for a device.
 *
 * Every function here is thread-safe: none keeps state, every table is
 * constant, and the returned strings are static and never freed.
 */
#ifndef VSCSI_SENSE_H
#define VSCSI_SENSE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ status */

/* Status codes (SAM-5 5.3.1, table "Status codes"). */
#define VSCSI_STATUS_GOOD 0x00
#define VSCSI_STATUS_CHECK_CONDITION 0x02
#define VSCSI_STATUS_CONDITION_MET 0x04
#define VSCSI_STATUS_BUSY 0x08
#define VSCSI_STATUS_INTERMEDIATE 0x10		/* obsolete */
#define VSCSI_STATUS_INTERMEDIATE_CONDITION_MET 0x14 /* obsolete */
#define VSCSI_STATUS_RESERVATION_CONFLICT 0x18
#define VSCSI_STATUS_COMMAND_TERMINATED 0x22	/* obsolete */
#define VSCSI_STATUS_TASK_SET_FULL 0x28
#define VSCSI_STATUS_ACA_ACTIVE 0x30
#define VSCSI_STATUS_TASK_ABORTED 0x40

/*
 * The name of a status code ("GOOD", "CHECK CONDITION", "TASK SET FULL";
 * obsolete codes by their old name, "INTERMEDIATE"), or NULL when SAM-5
 * assigns nothing to the value.
 */
VSCSI_API const char *vscsi_status_name(uint8_t status);
/* Like vscsi_status_name() but never NULL: "RESERVED" for unassigned codes. */
VSCSI_API const char *vscsi_status_str(uint8_t status);

/* ------------------------------------------------------------ sense keys */

/* Sense keys (SPC-5 4.4, table "Sense key descriptions"). */
#define VSCSI_SK_NO_SENSE 0x0
#define VSCSI_SK_RECOVERED_ERROR 0x1
#define VSCSI_SK_NOT_READY 0x2
#define VSCSI_SK_MEDIUM_ERROR 0x3
#define VSCSI_SK_HARDWARE_ERROR 0x4
#define VSCSI_SK_ILLEGAL_REQUEST 0x5
#define VSCSI_SK_UNIT_ATTENTION 0x6
#define VSCSI_SK_DATA_PROTECT 0x7
#define VSCSI_SK_BLANK_CHECK 0x8
#define VSCSI_SK_VENDOR_SPECIFIC 0x9
#define VSCSI_SK_COPY_ABORTED 0xA
#define VSCSI_SK_ABORTED_COMMAND 0xB
#define VSCSI_SK_EQUAL 0xC			/* obsolete */
#define VSCSI_SK_VOLUME_OVERFLOW 0xD
#define VSCSI_SK_MISCOMPARE 0xE
#define VSCSI_SK_COMPLETED 0xF

/*
 * The name of a sense key ("MEDIUM ERROR"); 0xC, obsolete, is "EQUAL".
 * NULL for key > 15 (a sense key is four bits).
 */
VSCSI_API const char *vscsi_sense_key_name(unsigned key);
/* Like vscsi_sense_key_name() but never NULL: "RESERVED" for key > 15. */
VSCSI_API const char *vscsi_sense_key_str(unsigned key);

/* ------------------------------------------------------------ ASC/ASCQ */

/*
 * The ASC/ASCQ list is one sorted constant table of rows
 * (asc, first ascq, last ascq, text) in T10's upper-case wording. Most rows
 * name one code (first == last); a range row covers several qualifiers and
 * its text holds the placeholder "NN" for the qualifier:
 *   40h/80h-FFh DIAGNOSTIC FAILURE ON COMPONENT NN
 *   4Dh/00h-FFh TAGGED OVERLAPPED COMMANDS (NN = TASK TAG)
 *   70h/00h-FFh DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF NN
 * ASC 80h-FFh, and ASCQ 80h-FFh of any ASC the list does not assign, are
 * vendor specific.
 */
enum vscsi_asc_kind {
	VSCSI_ASC_UNKNOWN = 0,	/* reserved: nothing assigned */
	VSCSI_ASC_ASSIGNED = 1,	/* a row for exactly this code */
	VSCSI_ASC_RANGE = 2,	/* covered by a range row (text holds NN) */
	VSCSI_ASC_VENDOR = 3,	/* vendor specific area */
};

/*
 * The list's text for asc/ascq ("UNRECOVERED READ ERROR"; for a range row
 * the text with its "NN" placeholder), or NULL when the list assigns nothing
 * (vendor specific and reserved codes). Binary search, O(log n).
 */
VSCSI_API const char *vscsi_asc_lookup(uint8_t asc, uint8_t ascq);

/* Which of enum vscsi_asc_kind asc/ascq falls in. */
VSCSI_API int vscsi_asc_kind(uint8_t asc, uint8_t ascq);

/*
 * Describe asc/ascq into buf: the list's text with "NN" replaced by the
 * qualifier ("DIAGNOSTIC FAILURE ON COMPONENT 85h"), "vendor specific
 * ASC/ASCQ" in a vendor specific area, or "unknown ASC/ASCQ 0xXX/0xYY".
 * snprintf semantics: writes at most len bytes including the NUL (buf may
 * be NULL when len is 0) and returns the length the whole text needs.
 */
VSCSI_API size_t vscsi_asc_describe(uint8_t asc, uint8_t ascq, char *buf,
				    size_t len);

/* Number of rows in the table (for tests and for listing the table). */
VSCSI_API size_t vscsi_asc_table_count(void);
/*
 * Row i of the table: fills the non-NULL out-pointers and returns VSCSI_OK,
 * or VSCSI_ERR_ARG when i >= vscsi_asc_table_count().
 */
VSCSI_API int vscsi_asc_table_entry(size_t i, uint8_t *asc,
				    uint8_t *ascq_first, uint8_t *ascq_last,
				    const char **text);

/* ------------------------------------------------------------ sense data */

/* Response codes (SPC-5 4.4.1, table "Sense data response codes"). */
#define VSCSI_SENSE_FIXED_CURRENT 0x70
#define VSCSI_SENSE_FIXED_DEFERRED 0x71
#define VSCSI_SENSE_DESC_CURRENT 0x72
#define VSCSI_SENSE_DESC_DEFERRED 0x73
#define VSCSI_SENSE_VENDOR 0x7F

/* Sense data descriptor types (SPC-5 4.4.2, table "Sense data descriptor
 * types"; 80h-FFh vendor specific). */
#define VSCSI_SDESC_INFORMATION 0x00
#define VSCSI_SDESC_COMMAND_SPECIFIC 0x01
#define VSCSI_SDESC_SENSE_KEY_SPECIFIC 0x02
#define VSCSI_SDESC_FRU 0x03
#define VSCSI_SDESC_STREAM_COMMANDS 0x04	/* SSC */
#define VSCSI_SDESC_BLOCK_COMMANDS 0x05		/* SBC */
#define VSCSI_SDESC_OSD_OBJECT_ID 0x06		/* OSD */
#define VSCSI_SDESC_OSD_INTEGRITY 0x07		/* OSD */
#define VSCSI_SDESC_OSD_ATTRIBUTE_ID 0x08	/* OSD */
#define VSCSI_SDESC_ATA_STATUS_RETURN 0x09	/* SAT */
#define VSCSI_SDESC_PROGRESS_INDICATION 0x0A	/* "another progress indication" */
#define VSCSI_SDESC_USER_DATA_SEGMENT_REFERRAL 0x0B /* SBC */
#define VSCSI_SDESC_FORWARDED_SENSE 0x0C
#define VSCSI_SDESC_DIRECT_ACCESS_BLOCK 0x0D	/* SBC */
#define VSCSI_SDESC_DEVICE_DESIGNATION 0x0E
#define VSCSI_SDESC_MICROCODE_ACTIVATION 0x0F

/* Sizes. */
#define VSCSI_SENSE_FIXED_LEN 18	/* fixed format with SKS, no extra bytes */
#define VSCSI_SENSE_LEN_MAX 260		/* 8 + the largest additional length, 252 */
#define VSCSI_SENSE_BUILD_MAX 48	/* the most vscsi_sense_build() writes */
#define VSCSI_SENSE_DESC_TYPES_MAX 16	/* descriptor types kept in order */

/* How the sense-key-specific bytes read (SPC-5 4.4.2, by sense key). */
enum vscsi_sks_kind {
	VSCSI_SKS_NONE = 0,		/* not valid, or reserved for the key */
	VSCSI_SKS_FIELD_POINTER = 1,	/* ILLEGAL REQUEST */
	VSCSI_SKS_PROGRESS = 2,		/* NO SENSE, NOT READY */
	VSCSI_SKS_RETRY_COUNT = 3,	/* RECOVERED, MEDIUM, HARDWARE ERROR */
	VSCSI_SKS_SEGMENT_POINTER = 4,	/* COPY ABORTED */
	VSCSI_SKS_UA_QUEUE_OVERFLOW = 5, /* UNIT ATTENTION */
};

/*
 * Decoded sense data. The decoder zeroes it and fills what the bytes hold;
 * the builders read the fields named in their comments. Flags are 0 or 1.
 */
typedef struct vscsi_sense_info {
	uint8_t response_code;	/* byte 0 bits 6-0 (70h-73h, else invalid) */
	uint8_t descriptor;	/* 1 = descriptor format (72h/73h) */
	uint8_t deferred;	/* 1 = deferred error (71h/73h) */
	uint8_t valid;		/* fixed: byte 0 VALID; descriptor: VALID of
				   the information descriptor */
	uint8_t key, asc, ascq;
	uint8_t filemark, eom, ili; /* fixed byte 2; descriptor: stream
				   commands (04h), block commands (05h) or
				   direct-access block device (0Dh) */
	uint8_t sdat_ovfl;	/* sense data was cut to fit (SDAT_OVFL) */
	uint8_t has_info, has_csi;
	uint64_t information;	/* INFORMATION (fixed: 4 bytes; desc: 8) */
	uint64_t csi;		/* COMMAND-SPECIFIC INFORMATION */
	uint8_t fru;		/* FIELD REPLACEABLE UNIT CODE, 0 = none */

	/* Sense-key-specific data. */
	uint8_t sks_valid;	/* SKSV */
	uint8_t sks[3];		/* raw, SKSV bit included in sks[0] */
	uint8_t sks_kind;	/* enum vscsi_sks_kind */
	uint8_t fp_cd;		/* field pointer: 1 = in the CDB (C/D) */
	uint8_t fp_bpv;		/* field/segment pointer: bit pointer valid */
	uint8_t fp_bit;		/* field/segment pointer: bit 0-7 */
	uint16_t fp_field;	/* field/segment pointer: byte */
	uint8_t seg_sd;		/* segment pointer: 1 = relative to a segment
				   descriptor (SD) */
	uint8_t ua_overflow;	/* UA condition queue overflow (OVERFLOW) */
	uint16_t progress;	/* progress indication, 0..65535 of 65536 */
	uint16_t retry_count;	/* actual retry count */

	/* Length and shape. */
	uint8_t additional_len;	/* byte 7 as sent */
	uint8_t truncated;	/* the bytes ended before the additional
				   sense length did (common: not an error) */
	uint8_t incomplete;	/* the data ended before key, ASC and ASCQ
				   (the decoder returned TRUNCATED) */
	uint16_t sense_len;	/* bytes that were decoded:
				   min(len, 8 + additional_len) */
	unsigned n_desc;	/* descriptors seen (whole ones) */
	uint32_t desc_seen;	/* bit t set: a descriptor of type t < 32 */
	uint8_t n_vendor_desc;	/* descriptors of type 80h-FFh */
	uint8_t n_desc_types;	/* entries used in desc_types */
	uint8_t desc_types[VSCSI_SENSE_DESC_TYPES_MAX]; /* the first types, in
				   the order sent */

	/* Another progress indication descriptor (0Ah). */
	uint8_t has_pi;
	uint8_t pi_key, pi_asc, pi_ascq;
	uint16_t pi_progress;

	/* ATA status return descriptor (09h, SAT). */
	uint8_t has_ata;
	uint8_t ata_extend, ata_error, ata_device, ata_status;
	uint16_t ata_count;	/* COUNT 15:0 */
	uint64_t ata_lba;	/* LBA 47:0 */

	/* Forwarded sense data descriptor (0Ch): not decoded recursively. */
	uint8_t has_fwd;
	uint8_t fwd_fsdt, fwd_source, fwd_status;
	uint8_t fwd_len;	/* bytes of forwarded sense data */

	/* Direct-access block device descriptor (0Dh, SBC). */
	uint8_t has_dabd;
	uint64_t dabd_lba;	/* LOGICAL BLOCK ADDRESS */

	/* User data segment referral descriptor (0Bh, SBC). */
	uint8_t has_udsr;
	uint8_t udsr_not_all_r;

	/* Microcode activation descriptor (0Fh). */
	uint8_t has_mcact;
	uint16_t mcact_time;	/* seconds, 0 = unknown */
} vscsi_sense_info;

/*
 * Decode sense data: the bytes a device returned (sense_len of them,
 * normally at most VSCSI_SENSE_LEN_MAX), either format.
 *
 * Fixed format (SPC-5 4.4.3):        Descriptor format (SPC-5 4.4.2):
 *   0  VALID | RESPONSE CODE           0  reserved | RESPONSE CODE
 *   1  obsolete                        1  reserved | SENSE KEY
 *   2  FILEMARK EOM ILI SDAT_OVFL KEY  2  ASC
 *   3-6  INFORMATION                   3  ASCQ
 *   7  ADDITIONAL SENSE LENGTH (n-7)   4  SDAT_OVFL | reserved
 *   8-11 COMMAND-SPECIFIC INFORMATION  5-6 reserved
 *   12 ASC  13 ASCQ  14 FRU CODE       7  ADDITIONAL SENSE LENGTH (n-7)
 *   15 SKSV | SKS  16-17 SKS           8-n sense data descriptors
 *   18-n additional sense bytes            (type, additional length, ...)
 *
 * Returns VSCSI_OK; VSCSI_ERR_EMPTY for len 0; VSCSI_ERR_TRUNCATED when the
 * data ends (by len or by the additional sense length) before the format's
 * key, ASC and ASCQ (what is there is filled in); VSCSI_ERR_INVALID for a
 * response code other than 70h-73h (response_code still filled in), for a
 * descriptor that overruns the additional sense length, or for a descriptor
 * shorter than its type requires (the others are still decoded). When the
 * bytes end before the additional sense length says (devices often do) the
 * whole fields that are there are decoded, out->truncated is set and the
 * result is VSCSI_OK. buf may be NULL only when len is 0; out is required
 * (VSCSI_ERR_ARG).
 */
VSCSI_API int vscsi_sense_decode(const uint8_t *buf, size_t len,
				 vscsi_sense_info *out);

/*
 * One line for a printer (key name upper case, the ASC text lower case):
 *   "MEDIUM ERROR 11/00 unrecovered read error info=0x1234"
 *   "ILLEGAL REQUEST 24/00 invalid field in cdb field=cdb byte 2 bit 5"
 *   "NOT READY 04/04 logical unit not ready, format in progress progress=42%"
 * then, when present and in this order: " filemark" " eom" " ili"
 * " deferred" " info=0x.." " csi=0x.." " fru=0x.." sense-key-specific
 * (" field=cdb|param byte N[ bit B]", " progress=N%", " retries=N",
 * " segment=desc|param byte N[ bit B]", " ua_overflow", " sks=0xXXXXXX"),
 * " ata_status=0x.. ata_error=0x..", " lba=0x..", " truncated".
 * Unknown response codes read "sense response code 0xXX"; when the data
 * ended before the ASC and ASCQ (si->incomplete) they read "--/--" and the
 * key "?" if it too is missing.
 * snprintf semantics (see vscsi_asc_describe()).
 */
VSCSI_API size_t vscsi_sense_describe(const vscsi_sense_info *si, char *buf,
				      size_t len);

/*
 * The same as JSON object members without the braces, names stable:
 *   "response_code":112,"format":"fixed","deferred":false,"sense_key":3,
 *   "sense_key_name":"MEDIUM ERROR","asc":17,"ascq":0,
 *   "asc_text":"UNRECOVERED READ ERROR"
 * and when present: "info", "csi", "fru", "filemark", "eom", "ili",
 * "sdat_ovfl", "field_pointer":{"cdb":true,"byte":2,"bit":5} (no "bit"
 * without BPV), "progress" with "progress_pct", "retry_count",
 * "segment_pointer":{"sd":..,"byte":..[,"bit":..]}, "ua_overflow",
 * "sks":[b0,b1,b2] (valid but reserved for the key), "another_progress",
 * "ata_status_return", "forwarded_sense", "lba", "microcode_activation_time",
 * "descriptor_types":[..], "truncated". 64-bit values are JSON numbers.
 * "format" is "fixed", "descriptor" or "unknown" (then nothing follows).
 * When si->incomplete, "incomplete":true replaces "asc", "ascq" and
 * "asc_text" (and the two "sense_key" members if the key is missing too).
 * Strings are escaped.
 * snprintf semantics.
 */
VSCSI_API size_t vscsi_sense_describe_json(const vscsi_sense_info *si,
					   char *buf, size_t len);

/* ------------------------------------------------------------ builders */

/*
 * Start sense for a device: zeroes si and sets the format (descriptor 0 or
 * 1), response code (current error), key, ASC and ASCQ.
 */
VSCSI_API void vscsi_sense_init(vscsi_sense_info *si, int descriptor,
				uint8_t key, uint8_t asc, uint8_t ascq);
/* Set the INFORMATION field (has_info, valid). */
VSCSI_API void vscsi_sense_set_info(vscsi_sense_info *si, uint64_t info);
/*
 * Set a field pointer (ILLEGAL REQUEST; SPC-5 4.4.2, field pointer
 * sense key specific data): in_cdb 1 for a
 * CDB byte, 0 for a parameter data byte; bit 0-7, or -1 when no bit is
 * meant (BPV 0).
 */
VSCSI_API void vscsi_sense_set_field_pointer(vscsi_sense_info *si, int in_cdb,
					     uint16_t byte, int bit);
/* Set a progress indication (NOT READY / NO SENSE), 0..65535 of 65536. */
VSCSI_API void vscsi_sense_set_progress(vscsi_sense_info *si,
					uint16_t progress);

/*
 * Write sense data in si->descriptor's format (response code 70h/72h, or
 * 71h/73h when si->deferred) with si->key/asc/ascq and:
 *   has_info     INFORMATION (fixed: VALID set; a value above FFFFFFFFh
 *                cannot be carried, so VALID and the field stay zero)
 *   has_csi      COMMAND-SPECIFIC INFORMATION (fixed: must fit 32 bits)
 *   fru          FIELD REPLACEABLE UNIT CODE when non-zero
 *   sks_valid    sense-key-specific bytes built from si->sks_kind: field
 *                pointer from fp_*, progress, retry_count, segment pointer
 *                from seg_sd/fp_*, ua_overflow, or si->sks raw for
 *                VSCSI_SKS_NONE; SKSV is always set
 *   filemark/eom/ili  fixed byte 2; descriptor: a stream commands
 *                descriptor (filemark or eom set), else a block commands
 *                descriptor (ili only)
 * Fixed format is always VSCSI_SENSE_FIXED_LEN (18) bytes. Descriptor
 * format is 8 bytes plus the descriptors, in the order information,
 * command-specific, sense key specific, FRU, stream/block commands
 * (at most VSCSI_SENSE_BUILD_MAX).
 * Returns the bytes written; VSCSI_ERR_NOSPACE when len is too small
 * (nothing written); VSCSI_ERR_ARG for a NULL argument, a key above 15 or a
 * fixed-format CSI above 32 bits.
 */
VSCSI_API int vscsi_sense_build(const vscsi_sense_info *si, uint8_t *buf,
				size_t len);

/* Key, ASC and ASCQ only (fixed: 18 bytes; descriptor: 8 bytes). Returns
 * as vscsi_sense_build(). */
VSCSI_API int vscsi_sense_build_simple(uint8_t *buf, size_t len,
				       int descriptor, uint8_t key,
				       uint8_t asc, uint8_t ascq);

#ifdef __cplusplus
}
#endif
#endif
