/*
 * libvscsi-decode: SCSI command descriptor blocks (CDBs), table-driven.
 *
 * Follows SPC-5 (CDB formats, the group code, the variable-length CDB
 * and its service actions), SBC-4 (direct-access commands),
 * MMC-6 (multimedia commands), SAT-4 (ATA PASS-THROUGH) and ZBC.
 *
 * One constant table holds a row per command (opcode, service action, CDB
 * length, command set, class, data direction, device types) and the list of
 * CDB fields the decoder reads; the same table answers REPORT SUPPORTED
 * OPERATION CODES (vscsi_cdb_table_usage() gives the CDB usage data).
 *
 * Opcodes whose meaning depends on the peripheral device type (0x42 UNMAP or
 * READ SUB-CHANNEL, 0xA1 ATA PASS-THROUGH(12) or BLANK, 0xA3/0xA4
 * MAINTENANCE IN/OUT or SEND KEY/REPORT KEY) decode as the direct-access
 * (disk) command by default; commands only MMC defines (READ TOC/PMA/ATIP,
 * GET CONFIGURATION, READ CD, ...) decode as MMC everywhere.
 * vscsi_cdb_decode_type() with peripheral type 5 prefers the MMC meaning.
 * Other device types (tape, changer, ...) are decoded as a disk.
 *
 * Every function here is thread-safe: none keeps state, every table is
 * constant, and every returned string is static and never freed.
 */
#ifndef VSCSI_CDB_H
#define VSCSI_CDB_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which standard defines a command. */
enum vscsi_cmdset {
	VSCSI_CMDSET_SPC,	/* primary commands, every device type */
	VSCSI_CMDSET_SBC,	/* block commands (and ZBC) */
	VSCSI_CMDSET_MMC,	/* multimedia (CD/DVD/BD) */
	VSCSI_CMDSET_ATA,	/* SAT ATA PASS-THROUGH */
	VSCSI_CMDSET_VENDOR,	/* vendor-specific opcodes 0xC0..0xFF */
	VSCSI_CMDSET_UNKNOWN,
};
/* "spc", "sbc", "mmc", "ata", "vendor", "unknown"; never NULL. */
VSCSI_API const char *vscsi_cmdset_name(unsigned cmdset);

/*
 * What a command does to the medium, for statistics:
 * READ: READ(6/10/12/16/32), MMC READ(12), READ CD, READ CD MSF, VERIFY (it
 *       reads the medium);
 * WRITE: WRITE(6/10/12/16/32), WRITE AND VERIFY, COMPARE AND WRITE, ORWRITE,
 *       WRITE ATOMIC, WRITE STREAM, WRITE SAME without UNMAP;
 * FLUSH: SYNCHRONIZE CACHE(10/16);
 * UNMAP: UNMAP, WRITE SAME with UNMAP set;
 * OTHER: everything else.
 */
enum vscsi_op_class {
	VSCSI_OPC_OTHER,
	VSCSI_OPC_READ,
	VSCSI_OPC_WRITE,
	VSCSI_OPC_FLUSH,
	VSCSI_OPC_UNMAP,
};
/* "read", "write", "flush", "unmap", "other" (also for unknown values). */
VSCSI_API const char *vscsi_op_class_name(unsigned op_class);

/* The unit of vscsi_cdb_info.xfer_len. */
enum vscsi_xfer_unit {
	VSCSI_XFER_NONE,
	VSCSI_XFER_BLOCKS,	/* logical blocks (MMC: sectors / frames) */
	VSCSI_XFER_BYTES,
};
/* "none", "blocks", "bytes"; never NULL. */
VSCSI_API const char *vscsi_xfer_unit_name(unsigned unit);

/*
 * The direction a command moves data when it moves any (a READ(10) with a
 * transfer length of 0 is still VSCSI_DIR_IN). IN is device to initiator.
 */
enum vscsi_data_dir {
	VSCSI_DIR_NONE,
	VSCSI_DIR_IN,
	VSCSI_DIR_OUT,
	VSCSI_DIR_UNKNOWN,	/* unknown opcode or service action */
};
/* "none", "in", "out", "unknown"; never NULL. */
VSCSI_API const char *vscsi_data_dir_name(unsigned dir);

/* Device types a table row applies to (vscsi_cdb_desc.devices). */
#define VSCSI_CDB_DEV_DISK 0x01u	/* direct access (type 0) and the rest */
#define VSCSI_CDB_DEV_MMC 0x02u		/* CD/DVD (type 5) */
#define VSCSI_CDB_DEV_ALL 0x03u

/* Peripheral device type of an MMC device (SPC-5 table "Peripheral device
 * type"); the only type vscsi_cdb_decode_type() treats apart. */
#define VSCSI_PTYPE_DISK 0x00u
#define VSCSI_PTYPE_MMC 0x05u

/* The longest CDB a table row defines (32-byte variable-length commands). */
#define VSCSI_CDB_USAGE_MAX 32

/*
 * vscsi_cdb_info.fields: which of the fields below the CDB holds. A field
 * is set only when the command defines it and its bytes were present.
 */
#define VSCSI_CDB_HAS_LBA 0x00000001u	  /* lba */
#define VSCSI_CDB_HAS_XFER 0x00000002u	  /* xfer_len, xfer_unit */
#define VSCSI_CDB_HAS_ALLOC 0x00000004u	  /* alloc_len */
#define VSCSI_CDB_HAS_PAGE 0x00000008u	  /* page */
#define VSCSI_CDB_HAS_SUBPAGE 0x00000010u /* subpage */
#define VSCSI_CDB_HAS_PC 0x00000020u	  /* pc */
#define VSCSI_CDB_HAS_GROUP 0x00000040u	  /* group */
#define VSCSI_CDB_HAS_PROTECT 0x00000080u /* protect */
#define VSCSI_CDB_HAS_BYTCHK 0x00000100u  /* bytchk */
#define VSCSI_CDB_HAS_CONTROL 0x00000200u /* control */
#define VSCSI_CDB_HAS_FORMAT 0x00000400u  /* format, format_name */
#define VSCSI_CDB_HAS_NUMBER 0x00000800u  /* number, number_name */
#define VSCSI_CDB_HAS_POWER 0x00001000u	  /* power_cond, power_mod */
#define VSCSI_CDB_HAS_PR 0x00002000u	  /* pr_scope, pr_type */
#define VSCSI_CDB_HAS_SECPROT 0x00004000u /* sec_protocol, sec_specific */
#define VSCSI_CDB_HAS_REQ 0x00008000u	  /* req_opcode, req_sa */
#define VSCSI_CDB_HAS_BUFFER 0x00010000u  /* buf_mode, buf_id, buf_offset */
#define VSCSI_CDB_HAS_ATA 0x00020000u	  /* ata */
#define VSCSI_CDB_HAS_SELFTEST 0x00040000u /* self_test */
#define VSCSI_CDB_HAS_SPEED 0x00080000u	  /* read_speed, write_speed */
#define VSCSI_CDB_HAS_MSF 0x00100000u	  /* msf_start, msf_end */
#define VSCSI_CDB_HAS_SECTOR 0x00200000u  /* sector_type, sector_flags,
					     subchannel */
#define VSCSI_CDB_HAS_PI 0x00400000u	  /* ref_tag, app_tag, app_tag_mask */
#define VSCSI_CDB_HAS_DLD 0x00800000u	  /* dld */

/* vscsi_cdb_info.flags: one-bit CDB fields (set when the bit is one). */
#define VSCSI_CDBF_FUA 0x00000001u	/* READ/WRITE/... force unit access */
#define VSCSI_CDBF_DPO 0x00000002u	/* disable page out */
#define VSCSI_CDBF_FUA_NV 0x00000004u	/* obsolete in SBC-4 */
#define VSCSI_CDBF_UNMAP 0x00000008u	/* WRITE SAME */
#define VSCSI_CDBF_ANCHOR 0x00000010u	/* WRITE SAME, UNMAP */
#define VSCSI_CDBF_NDOB 0x00000020u	/* WRITE SAME(16/32): no data-out */
#define VSCSI_CDBF_IMMED 0x00000040u	/* return before the operation ends */
#define VSCSI_CDBF_EVPD 0x00000080u	/* INQUIRY vital product data */
#define VSCSI_CDBF_SYNC_NV 0x00000100u	/* SYNCHRONIZE CACHE, obsolete */
#define VSCSI_CDBF_PMI 0x00000200u	/* READ CAPACITY, obsolete */
#define VSCSI_CDBF_DBD 0x00000400u	/* MODE SENSE: disable block descr. */
#define VSCSI_CDBF_LLBAA 0x00000800u	/* MODE SENSE(10): long LBA accepted */
#define VSCSI_CDBF_START 0x00001000u	/* START STOP UNIT, LOAD/UNLOAD */
#define VSCSI_CDBF_LOEJ 0x00002000u	/* load/eject (MMC LoUnlo too) */
#define VSCSI_CDBF_PREVENT 0x00004000u	/* PREVENT ALLOW: bit 0 of PREVENT */
#define VSCSI_CDBF_RELADR 0x00008000u	/* obsolete relative address bit */
#define VSCSI_CDBF_MSF 0x00010000u	/* MMC: addresses in MSF form */
#define VSCSI_CDBF_POLLED 0x00020000u	/* GET EVENT STATUS NOTIFICATION */
#define VSCSI_CDBF_SP 0x00040000u	/* MODE/LOG: save parameters */
#define VSCSI_CDBF_PF 0x00080000u	/* page format */
#define VSCSI_CDBF_PCR 0x00100000u	/* LOG SELECT: parameter code reset */
#define VSCSI_CDBF_NO_FLUSH 0x00200000u /* START STOP UNIT */
#define VSCSI_CDBF_SELFTEST 0x00400000u /* SEND DIAGNOSTIC: default test */
#define VSCSI_CDBF_DESC 0x00800000u	/* REQUEST SENSE: descriptor format */
#define VSCSI_CDBF_PCV 0x01000000u	/* RECEIVE DIAGNOSTIC: page valid */
#define VSCSI_CDBF_STREAMING 0x02000000u /* MMC READ/WRITE(12) */
#define VSCSI_CDBF_RCTD 0x04000000u	/* RSOC: return timeouts */
#define VSCSI_CDBF_FMTDATA 0x08000000u	/* FORMAT UNIT: parameter list */
#define VSCSI_CDBF_CMPLST 0x10000000u	/* FORMAT UNIT: complete list */
#define VSCSI_CDBF_RARC 0x20000000u	/* READ: rebuild assist recovery */

/* vscsi_cdb_info.xflags: rarer one-bit fields. */
#define VSCSI_CDBX_PERSISTENT 0x00000001u /* PREVENT ALLOW: bit 1 */
#define VSCSI_CDBX_ALL 0x00000002u	/* ZBC OUT: all zones */
#define VSCSI_CDBX_WR_UNCOR 0x00000004u /* WRITE LONG */
#define VSCSI_CDBX_COR_DIS 0x00000008u	/* WRITE LONG */
#define VSCSI_CDBX_PBLOCK 0x00000010u	/* READ/WRITE LONG */
#define VSCSI_CDBX_CORRCT 0x00000020u	/* READ LONG */
#define VSCSI_CDBX_INC_512 0x00000040u	/* SECURITY PROTOCOL IN/OUT */
#define VSCSI_CDBX_DEVOFFL 0x00000080u	/* SEND DIAGNOSTIC */
#define VSCSI_CDBX_UNITOFFL 0x00000100u /* SEND DIAGNOSTIC */
#define VSCSI_CDBX_LONGLIST 0x00000200u /* FORMAT UNIT, REASSIGN BLOCKS */
#define VSCSI_CDBX_LONGLBA 0x00000400u	/* REASSIGN BLOCKS */
#define VSCSI_CDBX_ONE_SEG 0x00000800u	/* REPORT REFERRALS */
#define VSCSI_CDBX_CACHE 0x00001000u	/* READ ATTRIBUTE */
#define VSCSI_CDBX_DAP 0x00002000u	/* READ CD: digital audio play */
#define VSCSI_CDBX_SUBQ 0x00004000u	/* READ SUB-CHANNEL */
#define VSCSI_CDBX_PARTIAL 0x00008000u	/* REPORT ZONES */
#define VSCSI_CDBX_AUSE 0x00010000u	/* SANITIZE */
#define VSCSI_CDBX_ZNR 0x00020000u	/* SANITIZE: zoned no reset */
#define VSCSI_CDBX_OPEN 0x00040000u	/* READ TRACK INFORMATION */
#define VSCSI_CDBX_BLOCK 0x00080000u	/* READ BUFFER CAPACITY */
#define VSCSI_CDBX_RESUME 0x00100000u	/* PAUSE/RESUME */
#define VSCSI_CDBX_REPD 0x00200000u	/* REPORT SUPPORTED TMFs */
#define VSCSI_CDBX_LONGID 0x00400000u	/* RESERVE/RELEASE(10) */
#define VSCSI_CDBX_THIRDPTY 0x00800000u /* RESERVE/RELEASE(10) */
#define VSCSI_CDBX_WTC 0x01000000u	/* WRITE ATTRIBUTE */
#define VSCSI_CDBX_DOOPC 0x02000000u	/* SEND OPC INFORMATION */
#define VSCSI_CDBX_ARSV 0x04000000u	/* RESERVE TRACK */
#define VSCSI_CDBX_DIRECT 0x08000000u	/* SCAN */
#define VSCSI_CDBX_REQ_PLIST 0x10000000u /* READ DEFECT DATA */
#define VSCSI_CDBX_REQ_GLIST 0x20000000u /* READ DEFECT DATA */

/* ATA PASS-THROUGH(12/16/32) fields (SAT-4 12.2). */
typedef struct vscsi_cdb_ata {
	uint8_t protocol;	/* 0..15: 3 non-data, 4 PIO in, 5 PIO out,
				   6 DMA, 12 NCQ, 15 return response info */
	uint8_t extend;		/* 48-bit command (16 and 32 only) */
	uint8_t multiple_count;
	uint8_t off_line;
	uint8_t ck_cond;	/* return ATA registers in sense data */
	uint8_t t_type;		/* blocks are logical blocks, not 512 bytes */
	uint8_t t_dir;		/* 1: from the device (data-in) */
	uint8_t byt_blok;	/* 1: length counts blocks, 0: bytes */
	uint8_t t_length;	/* 0 none, 1 FEATURES, 2 COUNT, 3 TPSIU */
	uint8_t device;
	uint8_t command;	/* the ATA command (0xEC IDENTIFY DEVICE) */
	uint16_t features;	/* high byte only with extend */
	uint16_t count;		/* high byte only with extend */
	uint64_t lba;		/* 24 bits (12), 48 bits (16 with extend, 32) */
	uint32_t auxiliary;	/* ATA PASS-THROUGH(32) only */
} vscsi_cdb_ata;

/* A row of the command table (see vscsi_cdb_table_entry()). */
typedef struct vscsi_cdb_desc {
	const char *name;	/* "READ(10)", "REPORT SUPPORTED OPERATION
				   CODES"; unique */
	uint8_t opcode;
	uint8_t has_sa;		/* the command is one service action */
	uint16_t sa;
	uint8_t cdb_len;	/* 6, 10, 12, 16 or 32 */
	uint8_t cmdset;		/* enum vscsi_cmdset */
	uint8_t op_class;	/* enum vscsi_op_class, before the CDB's bits
				   (WRITE SAME with UNMAP becomes UNMAP) */
	uint8_t data_dir;	/* enum vscsi_data_dir, before the CDB's bits */
	uint8_t devices;	/* VSCSI_CDB_DEV_* the command is defined for */
} vscsi_cdb_desc;

/*
 * A decoded CDB. Every member is zero unless said otherwise; a member is
 * meaningful only when its VSCSI_CDB_HAS_* bit is in fields (or, for flags
 * and xflags, when the bit is one). Strings are static.
 */
typedef struct vscsi_cdb_info {
	uint8_t opcode;
	uint8_t has_sa;		/* service_action was read from the CDB */
	uint16_t service_action;
	uint8_t known;		/* the table has this opcode (and SA) */
	uint8_t cmdset;		/* enum vscsi_cmdset */
	uint8_t op_class;	/* enum vscsi_op_class */
	uint8_t data_dir;	/* enum vscsi_data_dir */
	uint8_t truncated;	/* the CDB was shorter than cdb_len */
	uint16_t cdb_len;	/* the command's length: 6/10/12/16 from the
				   table, 8 + ADDITIONAL CDB LENGTH for 0x7F
				   (8 when byte 7 is missing), the group-code
				   length for an unknown opcode (groups 3, 6 and
				   7 have none: 12, 10, 10 are guesses, as
				   Linux guesses), 0 when the CDB is empty */
	uint16_t have;		/* CDB bytes decoded: min(len, cdb_len) */
	/*
	 * "READ(10)"; never NULL. "UNKNOWN" for an unknown opcode. An opcode
	 * with service actions whose action is not in the table (or not in
	 * the bytes) gets the opcode's own name, "SERVICE ACTION IN(16)",
	 * with known = 0.
	 */
	const char *name;
	const vscsi_cdb_desc *desc;	/* the table row; NULL unless known */

	uint32_t fields;	/* VSCSI_CDB_HAS_* */
	uint32_t flags;		/* VSCSI_CDBF_* */
	uint32_t xflags;	/* VSCSI_CDBX_* */

	uint64_t lba;		/* READ(6): 21 bits; 0x9E GET LBA STATUS: the
				   starting LBA; ZBC: the zone ID */
	uint32_t xfer_len;	/* blocks the command addresses (READ/WRITE(6):
				   0 means 256, already converted; WRITE SAME:
				   blocks written, one block of data-out;
				   COMPARE AND WRITE: NLB, data-out is 2*NLB;
				   READ/WRITE LONG: bytes; READ CD MSF: frames
				   from start to end) */
	uint8_t xfer_unit;	/* enum vscsi_xfer_unit */
	uint32_t alloc_len;	/* allocation length or parameter list length,
				   bytes */
	uint8_t bytchk;		/* VERIFY, WRITE AND VERIFY: 0..3 */
	uint8_t protect;	/* RDPROTECT/WRPROTECT/VRPROTECT/ORPROTECT,
				   FORMAT UNIT FMTPINFO */
	uint8_t group;		/* GROUP NUMBER */
	uint8_t dld;		/* READ/WRITE(16) command duration limit */
	uint8_t page;		/* INQUIRY VPD page, MODE/LOG page code,
				   RECEIVE DIAGNOSTIC page */
	uint8_t subpage;
	uint8_t pc;		/* MODE: 0 current, 1 changeable, 2 default,
				   3 saved; LOG: 0 threshold, 1 cumulative,
				   2 default threshold, 3 default cumulative */
	uint8_t control;	/* the CONTROL byte (byte 1 for 0x7F) */

	/*
	 * Command-specific fields whose meaning the name says (both names
	 * are short lower-case identifiers, used as JSON keys):
	 * format: READ TOC "format", GET CONFIGURATION "rt", GET EVENT
	 * STATUS "notify_class" (notification class request), READ DISC
	 * INFORMATION "type", READ TRACK INFORMATION "addr_type", RSOC
	 * "options", REPORT LUNS "select", READ DEFECT DATA and FORMAT UNIT
	 * "defect_format", REPORT ZONES "options", READ DISC STRUCTURE
	 * "format", ... (never one of the fixed JSON keys)
	 * number: READ TOC "track", GET CONFIGURATION "feature", READ TRACK
	 * INFORMATION "address", LOG SENSE "param_ptr", third-party copy
	 * "list_id", WRITE STREAM "stream", WRITE ATOMIC "boundary", ...
	 */
	uint8_t format;
	const char *format_name;
	uint32_t number;
	const char *number_name;

	uint8_t power_cond;	/* START STOP UNIT POWER CONDITION */
	uint8_t power_mod;	/* ... POWER CONDITION MODIFIER */
	uint8_t pr_scope;	/* PERSISTENT RESERVE OUT */
	uint8_t pr_type;
	uint8_t sec_protocol;	/* SECURITY PROTOCOL IN/OUT */
	uint16_t sec_specific;
	uint8_t req_opcode;	/* RSOC REQUESTED OPERATION CODE */
	uint16_t req_sa;	/* RSOC REQUESTED SERVICE ACTION */
	uint8_t buf_mode;	/* READ/WRITE BUFFER MODE */
	uint8_t buf_id;
	uint64_t buf_offset;
	uint8_t self_test;	/* SEND DIAGNOSTIC SELF-TEST CODE */
	uint16_t read_speed;	/* SET CD SPEED, kbytes/s */
	uint16_t write_speed;
	uint32_t msf_start;	/* M << 16 | S << 8 | F */
	uint32_t msf_end;
	uint8_t sector_type;	/* READ CD expected sector type */
	uint8_t sector_flags;	/* READ CD byte 9: SYNC, HEADER CODES, USER
				   DATA, EDC/ECC, C2 ERROR (as in the CDB) */
	uint8_t subchannel;	/* READ CD sub-channel data selection */
	uint32_t ref_tag;	/* 32-byte: EXPECTED INITIAL LOGICAL BLOCK
				   REFERENCE TAG */
	uint16_t app_tag;	/* ... LOGICAL BLOCK APPLICATION TAG */
	uint16_t app_tag_mask;
	vscsi_cdb_ata ata;
} vscsi_cdb_info;

/*
 * Decode a CDB as a direct-access device sees it.
 * cdb: len bytes (may be NULL when len is 0); bytes past the command's
 * length are padding (virtio-scsi hands over cdb_size, 32, bytes) and are
 * never read. out: filled in full (never left partly old).
 * Returns VSCSI_OK; VSCSI_ERR_TRUNCATED when len < cdb_len (including len
 * 0): *out holds what the bytes present gave and truncated is set;
 * VSCSI_ERR_INVALID for a variable-length CDB whose ADDITIONAL CDB LENGTH is
 * below 2 or differs from what its (known) service action defines: *out is
 * decoded with the service action's layout; VSCSI_ERR_ARG when out is NULL.
 * An unknown opcode is VSCSI_OK with known = 0 and name "UNKNOWN".
 */
VSCSI_API int vscsi_cdb_decode(const uint8_t *cdb, size_t len,
			       vscsi_cdb_info *out);
/*
 * Like vscsi_cdb_decode() for a device of the given peripheral device type
 * (INQUIRY byte 0 bits 4:0): VSCSI_PTYPE_MMC prefers MMC meanings; every
 * other type decodes as a disk.
 */
VSCSI_API int vscsi_cdb_decode_type(const uint8_t *cdb, size_t len,
				    unsigned peripheral_type,
				    vscsi_cdb_info *out);

/*
 * One line of text for a decoded CDB, snprintf semantics: writes at most
 * len bytes including the NUL (buf may be NULL when len is 0) and returns
 * the length it wanted. Examples:
 *   "READ(10) lba=2048 len=8 fua"
 *   "INQUIRY evpd page=0x83 alloc=255"
 *   "MODE SENSE(10) page=0x3f subpage=0xff pc=current alloc=4092 dbd"
 *   "UNKNOWN 0xd3", "SERVICE ACTION IN(16) sa=0x1f alloc=32"
 * Fields print as key=value (lba, len, page, alloc, or plen for data-out
 * parameter lists, ...), one-bit fields as their lower-case name, and a
 * short CDB ends in "truncated=HAVE/CDB_LEN". Byte counts print as
 * "len=512B".
 */
VSCSI_API size_t vscsi_cdb_describe(const vscsi_cdb_info *ci, char *buf,
				    size_t len);
/*
 * The same as JSON object members without the braces, snprintf semantics:
 *   "op":"READ(10)","opcode":40,"class":"read","cmdset":"sbc","dir":"in",
 *   "cdb_len":10,"lba":2048,"xfer":8,"xfer_unit":"blocks","group":0,
 *   "protect":0,"control":0,"fua":true
 * Names are stable: op, opcode, sa (when has_sa), known (false only),
 * class, cmdset, dir, cdb_len, truncated and have (when truncated), lba,
 * xfer, xfer_unit, alloc, page, subpage, pc, group, protect, bytchk, dld,
 * the format_name and number_name keys, power_condition, power_modifier,
 * pr_scope, pr_type, security_protocol, security_specific,
 * requested_opcode, requested_sa, buffer_mode, buffer_id, buffer_offset,
 * self_test_code, read_speed, write_speed, msf_start and msf_end ("MM:SS:FF"),
 * sector_type, sector_flags, subchannel, ref_tag, app_tag, app_tag_mask, ata
 * (an object), control, and each one-bit field set, as "name":true.
 */
VSCSI_API size_t vscsi_cdb_describe_json(const vscsi_cdb_info *ci, char *buf,
					 size_t len);

/*
 * Resolve a command name or number.
 * name: a table name in any case, with or without spaces, "_", "-", "/" and
 * parentheses ("READ(10)", "read10", "READ_10", "read(10)", "write_same16",
 * "report supported operation codes"), a common alias ("sync_cache", "tur",
 * "inq", "rsoc", "ws16", "ata16", ...), an opcode's own name for opcodes
 * with service actions ("service_action_in16", "maintenance_in": has_sa 0),
 * or a number: "0x28", "40", and "0x9e/0x10" (opcode/service action).
 * Writes the opcode, the service action and whether there is one (any
 * pointer may be NULL). Returns VSCSI_OK, or VSCSI_ERR_INVALID when the name
 * is unknown or a number is out of range (opcode > 255, SA > 65535).
 */
VSCSI_API int vscsi_cdb_lookup(const char *name, uint8_t *opcode, uint16_t *sa,
			       int *has_sa);

/*
 * The name of a command as a disk sees it: the table name, the opcode's own
 * name when has_sa names no row (or has_sa is 0 for an opcode with service
 * actions), "UNKNOWN" otherwise. sa is ignored for opcodes without service
 * actions. Never NULL.
 */
VSCSI_API const char *vscsi_cdb_name(uint8_t opcode, uint16_t sa, int has_sa);
/* The same for a peripheral device type (see vscsi_cdb_decode_type()). */
VSCSI_API const char *vscsi_cdb_name_type(uint8_t opcode, uint16_t sa,
					  int has_sa, unsigned peripheral_type);
/*
 * 1 when the opcode carries a service action for this device type (0x9E,
 * 0xA3 on a disk, 0x7F, ...), 0 otherwise.
 */
VSCSI_API int vscsi_cdb_opcode_has_sa(uint8_t opcode, unsigned peripheral_type);

/*
 * The command table, for REPORT SUPPORTED OPERATION CODES and listings.
 * Rows are sorted by opcode, then service action; an opcode may have a row
 * for disks and another for MMC devices (check desc->devices).
 */
VSCSI_API unsigned vscsi_cdb_table_count(void);
/* Row i, or NULL when i >= vscsi_cdb_table_count(). */
VSCSI_API const vscsi_cdb_desc *vscsi_cdb_table_entry(unsigned i);
/*
 * The row for an opcode (and service action) as a device of this type
 * decodes it: the index, or VSCSI_ERR_UNSUPPORTED when there is none,
 * including when has_sa does not match whether the opcode has service
 * actions (RSOC answers ILLEGAL REQUEST then). A disk-type lookup may return
 * an MMC-only row for an opcode only MMC defines: check desc->devices.
 */
VSCSI_API int vscsi_cdb_table_find(uint8_t opcode, uint16_t sa, int has_sa,
				   unsigned peripheral_type);
/*
 * The CDB USAGE DATA of row i (SPC-5 REPORT SUPPORTED OPERATION CODES,
 * one_command parameter data): byte 0 the opcode, the service action in
 * its own field, and for every other byte the bits the decoder reads,
 * including the obsolete FUA_NV, SYNC_NV, PMI and RELADR bits it still
 * reports. The CONTROL byte claims nothing (no NACA, no LINK) but READ
 * TOC/PMA/ATIP's old format bits 7:6; a device clears the bits it ignores. Writes min(len, cdb_len) bytes to buf and returns
 * cdb_len (0 for a bad i).
 */
VSCSI_API size_t vscsi_cdb_table_usage(unsigned i, uint8_t *buf, size_t len);

/*
 * UNMAP parameter list (SBC-4 5.32.2):
 *   0-1 UNMAP DATA LENGTH (n - 1)   2-3 UNMAP BLOCK DESCRIPTOR DATA LENGTH
 *   4-7 reserved                    8.. descriptors, 16 bytes each:
 *   0-7 LBA   8-11 NUMBER OF LOGICAL BLOCKS   12-15 reserved
 */
typedef struct vscsi_unmap_desc {
	uint64_t lba;
	uint32_t nblocks;
} vscsi_unmap_desc;

/*
 * Decode an UNMAP parameter list of len bytes (the data-out buffer).
 * Writes up to max descriptors to d (d may be NULL when max is 0), their
 * count to *n and the number the list holds to *total (either may be NULL).
 * A last descriptor cut short by the block descriptor data length is
 * ignored, as SBC-4 says. Returns VSCSI_OK; VSCSI_ERR_TRUNCATED when len is
 * below the 8-byte header; VSCSI_ERR_INVALID when the length fields claim
 * more than len bytes or disagree with each other (block descriptor data
 * length + 6 > unmap data length); VSCSI_ERR_ARG when buf is NULL with len
 * > 0. *n and *total are 0 on error.
 */
VSCSI_API int vscsi_unmap_param_decode(const uint8_t *buf, size_t len,
				       vscsi_unmap_desc *d, unsigned max,
				       unsigned *n, unsigned *total);

#ifdef __cplusplus
}
#endif
#endif
