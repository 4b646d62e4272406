/*
 * Internal: the CDB command table shared by cdb.c (the decoder) and
 * cdb_table.c (the rows). Not installed.
 *
 * A row names the command (vscsi_cdb_desc, public) and lists the CDB fields
 * the decoder reads as (kind, byte offset, byte count, mask) entries; an
 * optional fixup handles what a list cannot say (READ(6) length 0 = 256,
 * WRITE SAME with UNMAP, ATA PASS-THROUGH registers). The same lists give
 * the CDB usage data of REPORT SUPPORTED OPERATION CODES, so the decoder
 * reads no bit the usage data does not claim.
 */
#ifndef VSCSI_CDB_TABLE_H
#define VSCSI_CDB_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "vscsi/cdb.h"

/* What a field entry decodes. */
enum cdb_kind {
	CDB_F_END = 0,
	CDB_F_USAGE,	/* bits a fixup reads: usage data only */
	CDB_F_LBA,	/* n bytes, mask on the first */
	CDB_F_XFER,	/* n bytes, mask on the first; arg = unit */
	CDB_F_ALLOC,	/* n bytes */
	CDB_F_FLAG,	/* bit(s) of mask; arg = VSCSI_CDBF_* */
	CDB_F_XFLAG,	/* bit(s) of mask; arg = VSCSI_CDBX_* */
	CDB_F_GROUP,
	CDB_F_PROTECT,
	CDB_F_BYTCHK,
	CDB_F_DLD,	/* masked bits, shifted left by arg into dld */
	CDB_F_PAGE,
	CDB_F_SUBPAGE,
	CDB_F_PC,
	CDB_F_FORMAT,	/* label = format_name */
	CDB_F_NUMBER,	/* n bytes, mask on the first; label = number_name */
	CDB_F_POWER,
	CDB_F_POWER_MOD,
	CDB_F_PR,	/* scope (7:4) and type (3:0) */
	CDB_F_SECPROT,
	CDB_F_SECSPEC,
	CDB_F_REQ_OP,
	CDB_F_REQ_SA,
	CDB_F_BUF_MODE,
	CDB_F_BUF_ID,
	CDB_F_BUF_OFF,
	CDB_F_SELFTEST,
	CDB_F_SPEED_R,
	CDB_F_SPEED_W,
	CDB_F_MSF_START,
	CDB_F_MSF_END,
	CDB_F_SECTOR_TYPE,
	CDB_F_SECTOR_FLAGS,
	CDB_F_SUBCH,
	CDB_F_REF_TAG,
	CDB_F_APP_TAG,
	CDB_F_APP_MASK,
};

struct cdb_field {
	uint8_t kind;		/* enum cdb_kind */
	uint8_t off;		/* first byte */
	uint8_t n;		/* bytes */
	uint8_t mask;		/* bits of the first byte */
	uint32_t arg;
	const char *label;
};

/* What a fixup sees: the CDB bytes present and the record being filled. */
struct cdb_ctx {
	const uint8_t *c;
	size_t have;		/* bytes of c that may be read */
	vscsi_cdb_info *o;
};

typedef void (*cdb_fixup_fn)(struct cdb_ctx *x);

struct cdb_row {
	vscsi_cdb_desc d;	/* first: table_entry() hands out &row->d */
	const struct cdb_field *f;	/* ends with CDB_F_END */
	cdb_fixup_fn fix;	/* NULL or run after the fields */
	const char *alias;	/* NULL or space-separated lookup aliases */
};

/* An opcode whose commands are service actions: its own name. */
struct cdb_saop {
	uint8_t opcode;
	uint8_t cmdset;
	uint8_t cdb_len;	/* 0: variable (0x7F) */
	uint8_t devices;
	const char *name;
	const char *alias;
};

/* Fixups, defined in cdb.c. */
void vscsi__cdb_fix_rw6(struct cdb_ctx *x);
void vscsi__cdb_fix_write_same(struct cdb_ctx *x);
void vscsi__cdb_fix_verify(struct cdb_ctx *x);
void vscsi__cdb_fix_format_unit(struct cdb_ctx *x);
void vscsi__cdb_fix_toc(struct cdb_ctx *x);
void vscsi__cdb_fix_cd_msf(struct cdb_ctx *x);
void vscsi__cdb_fix_ata12(struct cdb_ctx *x);
void vscsi__cdb_fix_ata16(struct cdb_ctx *x);
void vscsi__cdb_fix_ata32(struct cdb_ctx *x);

/* The rows, sorted by (opcode, has_sa, sa), and the service-action opcodes
 * sorted by opcode; defined in cdb_table.c. */
extern const struct cdb_row vscsi__cdb_rows[];
extern const unsigned vscsi__cdb_nrows;
extern const struct cdb_saop vscsi__cdb_saops[];
extern const unsigned vscsi__cdb_nsaops;

#endif
