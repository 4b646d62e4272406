/*
 * SCSI CDB decoding, driven by the command table in cdb_table.c: choose the
 * row for the opcode (and service action) and the device type, read the
 * row's fields from the bytes present, run the row's fixup; then text and
 * JSON for a decoded CDB, name lookup, and the UNMAP parameter list.
 *
 * Every CDB byte is read after an explicit length check against the bytes
 * present (cdb_has()); bytes past the command's own length are never read.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "vscsi/cdb.h"
#include "vscsi/reader.h"
#include "cdb_int.h"
#include "cdb_table.h"
#include "mem_int.h"
#include "strbuf.h"

#define OP_VARIABLE 0x7f	/* SPC-5 variable-length CDB */

/* ------------------------------------------------------------ names */

const char *vscsi_cmdset_name(unsigned cmdset)
{
	static const char *const names[] = {
		"spc", "sbc", "mmc", "ata", "vendor", "unknown",
	};

	return cmdset < sizeof(names) / sizeof(names[0]) ? names[cmdset]
							  : "unknown";
}

const char *vscsi_op_class_name(unsigned op_class)
{
	switch (op_class) {
	case VSCSI_OPC_READ: return "read";
	case VSCSI_OPC_WRITE: return "write";
	case VSCSI_OPC_FLUSH: return "flush";
	case VSCSI_OPC_UNMAP: return "unmap";
	default: return "other";
	}
}

const char *vscsi_xfer_unit_name(unsigned unit)
{
	switch (unit) {
	case VSCSI_XFER_BLOCKS: return "blocks";
	case VSCSI_XFER_BYTES: return "bytes";
	default: return "none";
	}
}

const char *vscsi_data_dir_name(unsigned dir)
{
	switch (dir) {
	case VSCSI_DIR_NONE: return "none";
	case VSCSI_DIR_IN: return "in";
	case VSCSI_DIR_OUT: return "out";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------ the table */

/* The rows an opcode has for a device type. */
struct cdb_sel {
	unsigned lo, hi;	/* rows [lo, hi) carry the opcode */
	unsigned devmask;	/* of those, the ones with these devices */
	int sa_mode;		/* the chosen rows are service actions */
	const struct cdb_saop *saop;	/* the opcode's own name, sa_mode */
	const struct cdb_row *row;	/* !sa_mode: the row, or NULL */
	/* vscsi__cdb_brief_decode() of row, when brief_ok: its LBA and
	 * TRANSFER LENGTH entries in order, and whether READ(6)'s rule
	 * applies */
	int brief_ok;
	int brief_rw6;
	unsigned nbrief;
	struct cdb_brief_ent {
		uint8_t kind, off, n, mask;
	} brief[3];
};

static const struct cdb_saop *cdb_saop_find(uint8_t opcode)
{
	unsigned i;

	for (i = 0; i < vscsi__cdb_nsaops; i++)
		if (vscsi__cdb_saops[i].opcode == opcode)
			return &vscsi__cdb_saops[i];
	return NULL;
}

static const struct cdb_row *cdb_match(const struct cdb_sel *s, uint16_t sa);

static int cdb_fix_brief_safe(cdb_fixup_fn fix);

/* The entries vscsi__cdb_brief_decode() reads for s->row, when they are
 * few and no fixup but READ(6)'s touches them. */
static void cdb_brief_plan(struct cdb_sel *s)
{
	const struct cdb_field *f;
	unsigned n = 0;

	s->brief_ok = 0;
	s->brief_rw6 = 0;
	s->nbrief = 0;
	memset(s->brief, 0, sizeof(s->brief));
	if (!s->row || (!cdb_fix_brief_safe(s->row->fix) &&
			s->row->fix != vscsi__cdb_fix_rw6))
		return;
	for (f = s->row->f; f->kind != CDB_F_END; f++) {
		if (f->kind != CDB_F_LBA && f->kind != CDB_F_XFER)
			continue;
		if (n == sizeof(s->brief) / sizeof(s->brief[0]))
			return;
		s->brief[n].kind = f->kind;
		s->brief[n].off = f->off;
		s->brief[n].n = f->n;
		s->brief[n].mask = f->mask;
		n++;
	}
	s->nbrief = n;
	s->brief_rw6 = s->row->fix == vscsi__cdb_fix_rw6;
	s->brief_ok = 1;
}

/* cdb_select() by searching the table (once per opcode and type). */
static void cdb_select_scan(uint8_t opcode, unsigned ptype, struct cdb_sel *s)
{
	unsigned pref = ptype == VSCSI_PTYPE_MMC ? VSCSI_CDB_DEV_MMC
						 : VSCSI_CDB_DEV_DISK;
	unsigned lo = 0, hi = vscsi__cdb_nrows, i;

	/* first row whose opcode is >= opcode */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (vscsi__cdb_rows[mid].d.opcode < opcode)
			lo = mid + 1;
		else
			hi = mid;
	}
	hi = lo;
	while (hi < vscsi__cdb_nrows && vscsi__cdb_rows[hi].d.opcode == opcode)
		hi++;
	s->lo = lo;
	s->hi = hi;
	/* rows for the device's own type win; else any row (READ TOC on a
	 * disk trace still decodes as READ TOC) */
	s->devmask = VSCSI_CDB_DEV_ALL;
	for (i = lo; i < hi; i++)
		if (vscsi__cdb_rows[i].d.devices & pref)
			s->devmask = pref;
	s->sa_mode = 0;
	for (i = lo; i < hi; i++)
		if ((vscsi__cdb_rows[i].d.devices & s->devmask) &&
		    vscsi__cdb_rows[i].d.has_sa)
			s->sa_mode = 1;
	s->saop = NULL;
	if (lo == hi || s->sa_mode) {
		s->saop = cdb_saop_find(opcode);
		s->sa_mode = s->saop != NULL;
	}
	s->row = NULL;
	if (!s->sa_mode && lo < hi)
		s->row = cdb_match(s, 0);
	cdb_brief_plan(s);
}

/*
 * The selection of every opcode for disks [0] and MMC devices [1], made
 * once: a CDB then costs one index instead of a search of the table.
 */
static struct cdb_sel cdb_index[2][256];
static pthread_once_t cdb_index_once = PTHREAD_ONCE_INIT;
static atomic_int cdb_index_ready;	/* set once the index is built */

static void cdb_index_build(void)
{
	unsigned op;

	for (op = 0; op < 256; op++) {
		cdb_select_scan((uint8_t)op, VSCSI_PTYPE_DISK,
				&cdb_index[0][op]);
		cdb_select_scan((uint8_t)op, VSCSI_PTYPE_MMC,
				&cdb_index[1][op]);
	}
	atomic_store_explicit(&cdb_index_ready, 1, memory_order_release);
}

static const struct cdb_sel *cdb_select(uint8_t opcode, unsigned ptype)
{
	if (!atomic_load_explicit(&cdb_index_ready, memory_order_acquire))
		pthread_once(&cdb_index_once, cdb_index_build);
	return &cdb_index[ptype == VSCSI_PTYPE_MMC][opcode];
}

static const struct cdb_row *cdb_match(const struct cdb_sel *s, uint16_t sa)
{
	unsigned i;

	for (i = s->lo; i < s->hi; i++) {
		const struct cdb_row *r = &vscsi__cdb_rows[i];

		if (!(r->d.devices & s->devmask) || r->d.has_sa != s->sa_mode)
			continue;
		if (s->sa_mode && r->d.sa != sa)
			continue;
		return r;
	}
	return NULL;
}

unsigned vscsi_cdb_table_count(void)
{
	return vscsi__cdb_nrows;
}

const vscsi_cdb_desc *vscsi_cdb_table_entry(unsigned i)
{
	return i < vscsi__cdb_nrows ? &vscsi__cdb_rows[i].d : NULL;
}

int vscsi_cdb_table_find(uint8_t opcode, uint16_t sa, int has_sa,
			 unsigned peripheral_type)
{
	const struct cdb_sel *s = cdb_select(opcode, peripheral_type);
	const struct cdb_row *r;

	if ((has_sa != 0) != (s->sa_mode != 0))
		return VSCSI_ERR_UNSUPPORTED;
	r = cdb_match(s, sa);
	if (!r)
		return VSCSI_ERR_UNSUPPORTED;
	return (int)(r - vscsi__cdb_rows);
}

size_t vscsi_cdb_table_usage(unsigned i, uint8_t *buf, size_t len)
{
	uint8_t u[VSCSI_CDB_USAGE_MAX];
	const struct cdb_row *r;
	const struct cdb_field *f;
	size_t n;

	if (i >= vscsi__cdb_nrows)
		return 0;
	r = &vscsi__cdb_rows[i];
	memset(u, 0, sizeof(u));
	for (f = r->f; f->kind != CDB_F_END; f++) {
		unsigned k;

		for (k = 0; k < f->n; k++)
			if ((size_t)f->off + k < r->d.cdb_len &&
			    (size_t)f->off + k < sizeof(u))
				u[f->off + k] |= k ? 0xff : f->mask;
	}
	u[0] = r->d.opcode;
	if (r->d.opcode == OP_VARIABLE) {
		u[7] = 0xff;
		u[8] = (uint8_t)(r->d.sa >> 8);
		u[9] = (uint8_t)r->d.sa;
	} else if (r->d.has_sa) {
		u[1] = (uint8_t)((u[1] & 0xe0) | (r->d.sa & 0x1f));
	}
	n = len < r->d.cdb_len ? len : r->d.cdb_len;
	if (n && buf)
		memcpy(buf, u, n);
	return r->d.cdb_len;
}

/* ------------------------------------------------------------ decoding */

/* 1 when bytes [off, off + n) of the CDB were present. */
static int cdb_has(const struct cdb_ctx *x, size_t off, size_t n)
{
	return off <= x->have && n <= x->have - off;
}

/* The lowest set bit of mask (8 for none). */
static unsigned cdb_shift(uint8_t mask)
{
	return mask ? (unsigned)__builtin_ctz(mask) : 8u;
}

/* Read one field entry into the record, if its bytes were present. */
static void cdb_field_apply(struct cdb_ctx *x, const struct cdb_field *f)
{
	vscsi_cdb_info *o = x->o;
	const uint8_t *b;
	uint64_t wide;
	uint8_t bits;
	unsigned k;

	if (f->kind == CDB_F_USAGE || !cdb_has(x, f->off, f->n))
		return;
	b = x->c + f->off;
	wide = b[0] & f->mask;
	for (k = 1; k < f->n; k++)
		wide = wide << 8 | b[k];
	bits = (uint8_t)((b[0] & f->mask) >> cdb_shift(f->mask));

	switch (f->kind) {
	case CDB_F_LBA:
		o->lba = wide;
		o->fields |= VSCSI_CDB_HAS_LBA;
		break;
	case CDB_F_XFER:
		o->xfer_len = (uint32_t)wide;
		o->xfer_unit = (uint8_t)f->arg;
		o->fields |= VSCSI_CDB_HAS_XFER;
		break;
	case CDB_F_ALLOC:
		o->alloc_len = (uint32_t)wide;
		o->fields |= VSCSI_CDB_HAS_ALLOC;
		break;
	case CDB_F_FLAG:
		if (b[0] & f->mask)
			o->flags |= f->arg;
		break;
	case CDB_F_XFLAG:
		if (b[0] & f->mask)
			o->xflags |= f->arg;
		break;
	case CDB_F_GROUP:
		o->group = bits;
		o->fields |= VSCSI_CDB_HAS_GROUP;
		break;
	case CDB_F_PROTECT:
		o->protect = bits;
		o->fields |= VSCSI_CDB_HAS_PROTECT;
		break;
	case CDB_F_BYTCHK:
		o->bytchk = bits;
		o->fields |= VSCSI_CDB_HAS_BYTCHK;
		break;
	case CDB_F_DLD:
		o->dld = (uint8_t)(o->dld | bits << f->arg);
		o->fields |= VSCSI_CDB_HAS_DLD;
		break;
	case CDB_F_PAGE:
		o->page = bits;
		o->fields |= VSCSI_CDB_HAS_PAGE;
		break;
	case CDB_F_SUBPAGE:
		o->subpage = bits;
		o->fields |= VSCSI_CDB_HAS_SUBPAGE;
		break;
	case CDB_F_PC:
		o->pc = bits;
		o->fields |= VSCSI_CDB_HAS_PC;
		break;
	case CDB_F_FORMAT:
		o->format = bits;
		o->format_name = f->label;
		o->fields |= VSCSI_CDB_HAS_FORMAT;
		break;
	case CDB_F_NUMBER:
		o->number = (uint32_t)wide;
		o->number_name = f->label;
		o->fields |= VSCSI_CDB_HAS_NUMBER;
		break;
	case CDB_F_POWER:
		o->power_cond = bits;
		o->fields |= VSCSI_CDB_HAS_POWER;
		break;
	case CDB_F_POWER_MOD:
		o->power_mod = bits;
		o->fields |= VSCSI_CDB_HAS_POWER;
		break;
	case CDB_F_PR:
		o->pr_scope = (uint8_t)(b[0] >> 4);
		o->pr_type = (uint8_t)(b[0] & 0x0f);
		o->fields |= VSCSI_CDB_HAS_PR;
		break;
	case CDB_F_SECPROT:
		o->sec_protocol = bits;
		o->fields |= VSCSI_CDB_HAS_SECPROT;
		break;
	case CDB_F_SECSPEC:
		o->sec_specific = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_SECPROT;
		break;
	case CDB_F_REQ_OP:
		o->req_opcode = bits;
		o->fields |= VSCSI_CDB_HAS_REQ;
		break;
	case CDB_F_REQ_SA:
		o->req_sa = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_REQ;
		break;
	case CDB_F_BUF_MODE:
		o->buf_mode = bits;
		o->fields |= VSCSI_CDB_HAS_BUFFER;
		break;
	case CDB_F_BUF_ID:
		o->buf_id = bits;
		o->fields |= VSCSI_CDB_HAS_BUFFER;
		break;
	case CDB_F_BUF_OFF:
		o->buf_offset = wide;
		o->fields |= VSCSI_CDB_HAS_BUFFER;
		break;
	case CDB_F_SELFTEST:
		o->self_test = bits;
		o->fields |= VSCSI_CDB_HAS_SELFTEST;
		break;
	case CDB_F_SPEED_R:
		o->read_speed = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_SPEED;
		break;
	case CDB_F_SPEED_W:
		o->write_speed = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_SPEED;
		break;
	case CDB_F_MSF_START:
		o->msf_start = (uint32_t)wide;
		o->fields |= VSCSI_CDB_HAS_MSF;
		break;
	case CDB_F_MSF_END:
		o->msf_end = (uint32_t)wide;
		o->fields |= VSCSI_CDB_HAS_MSF;
		break;
	case CDB_F_SECTOR_TYPE:
		o->sector_type = bits;
		o->fields |= VSCSI_CDB_HAS_SECTOR;
		break;
	case CDB_F_SECTOR_FLAGS:
		o->sector_flags = (uint8_t)(b[0] & f->mask);
		o->fields |= VSCSI_CDB_HAS_SECTOR;
		break;
	case CDB_F_SUBCH:
		o->subchannel = bits;
		o->fields |= VSCSI_CDB_HAS_SECTOR;
		break;
	case CDB_F_REF_TAG:
		o->ref_tag = (uint32_t)wide;
		o->fields |= VSCSI_CDB_HAS_PI;
		break;
	case CDB_F_APP_TAG:
		o->app_tag = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_PI;
		break;
	case CDB_F_APP_MASK:
		o->app_tag_mask = (uint16_t)wide;
		o->fields |= VSCSI_CDB_HAS_PI;
		break;
	default:
		break;
	}
}

/* READ(6)/WRITE(6): a TRANSFER LENGTH of 0 means 256 blocks (SBC-4). */
void vscsi__cdb_fix_rw6(struct cdb_ctx *x)
{
	if ((x->o->fields & VSCSI_CDB_HAS_XFER) && x->o->xfer_len == 0)
		x->o->xfer_len = 256;
}

/* WRITE SAME with UNMAP deallocates; with NDOB it sends no data. */
void vscsi__cdb_fix_write_same(struct cdb_ctx *x)
{
	if (x->o->flags & VSCSI_CDBF_UNMAP)
		x->o->op_class = VSCSI_OPC_UNMAP;
	if (x->o->flags & VSCSI_CDBF_NDOB)
		x->o->data_dir = VSCSI_DIR_NONE;
}

/* VERIFY with BYTCHK 0 checks the medium only: no data-out. */
void vscsi__cdb_fix_verify(struct cdb_ctx *x)
{
	if ((x->o->fields & VSCSI_CDB_HAS_BYTCHK) && x->o->bytchk == 0)
		x->o->data_dir = VSCSI_DIR_NONE;
}

/* FORMAT UNIT sends a parameter list only with FMTDATA. */
void vscsi__cdb_fix_format_unit(struct cdb_ctx *x)
{
	if (cdb_has(x, 1, 1) && !(x->o->flags & VSCSI_CDBF_FMTDATA))
		x->o->data_dir = VSCSI_DIR_NONE;
}

/* READ TOC/PMA/ATIP: SFF-8020 drivers (Linux sr_vendor.c among them) put
 * the format in CONTROL bits 7:6 and leave byte 2 zero. */
void vscsi__cdb_fix_toc(struct cdb_ctx *x)
{
	if ((x->o->fields & VSCSI_CDB_HAS_FORMAT) && x->o->format == 0 &&
	    cdb_has(x, 9, 1) && (x->c[9] & 0xc0))
		x->o->format = (uint8_t)(x->c[9] >> 6);
}

static uint32_t cdb_msf_frames(const uint8_t *p)
{
	return ((uint32_t)p[0] * 60 + p[1]) * 75 + p[2];
}

/* READ CD MSF reads from the start address up to, not including, the end
 * address (MMC-6): the frame count is the transfer length. */
void vscsi__cdb_fix_cd_msf(struct cdb_ctx *x)
{
	uint32_t s, e;

	if (!cdb_has(x, 3, 6))
		return;
	s = cdb_msf_frames(x->c + 3);
	e = cdb_msf_frames(x->c + 6);
	if (e >= s) {
		x->o->xfer_len = e - s;
		x->o->xfer_unit = VSCSI_XFER_BLOCKS;
		x->o->fields |= VSCSI_CDB_HAS_XFER;
	}
}

/* The protocol byte and the flags byte, common to every ATA PASS-THROUGH. */
static void cdb_ata_bytes(vscsi_cdb_info *o, uint8_t p, uint8_t f)
{
	o->ata.multiple_count = (uint8_t)(p >> 5);
	o->ata.protocol = (uint8_t)((p >> 1) & 0x0f);
	o->ata.extend = (uint8_t)(p & 1);
	o->ata.off_line = (uint8_t)(f >> 6);
	o->ata.ck_cond = (uint8_t)((f >> 5) & 1);
	o->ata.t_type = (uint8_t)((f >> 4) & 1);
	o->ata.t_dir = (uint8_t)((f >> 3) & 1);
	o->ata.byt_blok = (uint8_t)((f >> 2) & 1);
	o->ata.t_length = (uint8_t)(f & 3);
}

/* Data direction and length from T_LENGTH, T_DIR and BYT_BLOK (SAT-4). */
static void cdb_ata_finish(vscsi_cdb_info *o)
{
	o->fields |= VSCSI_CDB_HAS_ATA;
	if (o->ata.t_length == 0) {
		o->data_dir = VSCSI_DIR_NONE;
		return;
	}
	o->data_dir = o->ata.t_dir ? VSCSI_DIR_IN : VSCSI_DIR_OUT;
	if (o->ata.t_length == 1 || o->ata.t_length == 2) {
		o->xfer_len = o->ata.t_length == 1 ? o->ata.features
						   : o->ata.count;
		o->xfer_unit = o->ata.byt_blok ? VSCSI_XFER_BLOCKS
					       : VSCSI_XFER_BYTES;
		o->fields |= VSCSI_CDB_HAS_XFER;
	}
}

/*
 * SAT-4 ATA PASS-THROUGH(12):
 *   0 A1h  1 MULTIPLE_COUNT(7:5) PROTOCOL(4:1)  2 OFF_LINE CK_COND T_TYPE
 *   T_DIR BYT_BLOK T_LENGTH  3 FEATURES  4 COUNT  5 LBA(7:0)  6 LBA(15:8)
 *   7 LBA(23:16)  8 DEVICE  9 COMMAND  10 reserved  11 CONTROL
 */
void vscsi__cdb_fix_ata12(struct cdb_ctx *x)
{
	const uint8_t *c = x->c;
	vscsi_cdb_info *o = x->o;

	if (!cdb_has(x, 1, 9))
		return;
	cdb_ata_bytes(o, c[1], c[2]);
	o->ata.extend = 0;
	o->ata.features = c[3];
	o->ata.count = c[4];
	o->ata.lba = (uint64_t)c[5] | (uint64_t)c[6] << 8 |
		     (uint64_t)c[7] << 16;
	o->ata.device = c[8];
	o->ata.command = c[9];
	cdb_ata_finish(o);
}

/*
 * SAT-4 ATA PASS-THROUGH(16): the high (previous) register bytes come
 * first and count only with EXTEND:
 *   1 MULTIPLE_COUNT PROTOCOL EXTEND(0)  2 flags  3 FEATURES(15:8)
 *   4 FEATURES(7:0)  5 COUNT(15:8)  6 COUNT(7:0)  7 LBA(31:24)  8 LBA(7:0)
 *   9 LBA(39:32)  10 LBA(15:8)  11 LBA(47:40)  12 LBA(23:16)  13 DEVICE
 *   14 COMMAND  15 CONTROL
 */
void vscsi__cdb_fix_ata16(struct cdb_ctx *x)
{
	const uint8_t *c = x->c;
	vscsi_cdb_info *o = x->o;

	if (!cdb_has(x, 1, 14))
		return;
	cdb_ata_bytes(o, c[1], c[2]);
	o->ata.features = c[4];
	o->ata.count = c[6];
	o->ata.lba = (uint64_t)c[8] | (uint64_t)c[10] << 8 |
		     (uint64_t)c[12] << 16;
	if (o->ata.extend) {
		o->ata.features = (uint16_t)(o->ata.features | c[3] << 8);
		o->ata.count = (uint16_t)(o->ata.count | c[5] << 8);
		o->ata.lba |= (uint64_t)c[7] << 24 | (uint64_t)c[9] << 32 |
			      (uint64_t)c[11] << 40;
	}
	o->ata.device = c[13];
	o->ata.command = c[14];
	cdb_ata_finish(o);
}

/*
 * SAT-4 ATA PASS-THROUGH(32), service action 1FF0h of 7Fh:
 *   10 MULTIPLE_COUNT PROTOCOL EXTEND  11 flags  14..19 LBA(47:0), high
 *   bytes (14-16) only with EXTEND  20 FEATURES(15:8)  21 FEATURES(7:0)
 *   22 COUNT(15:8)  23 COUNT(7:0)  24 DEVICE  25 COMMAND  28-31 AUXILIARY
 */
void vscsi__cdb_fix_ata32(struct cdb_ctx *x)
{
	const uint8_t *c = x->c;
	vscsi_cdb_info *o = x->o;

	if (!cdb_has(x, 10, 22))
		return;
	cdb_ata_bytes(o, c[10], c[11]);
	o->ata.features = c[21];
	o->ata.count = c[23];
	o->ata.lba = (uint64_t)c[19] | (uint64_t)c[18] << 8 |
		     (uint64_t)c[17] << 16;
	if (o->ata.extend) {
		o->ata.features = (uint16_t)(o->ata.features | c[20] << 8);
		o->ata.count = (uint16_t)(o->ata.count | c[22] << 8);
		o->ata.lba |= (uint64_t)c[16] << 24 | (uint64_t)c[15] << 32 |
			      (uint64_t)c[14] << 40;
	}
	o->ata.device = c[24];
	o->ata.command = c[25];
	o->ata.auxiliary = (uint32_t)vscsi_get_be(c + 28, 4);
	cdb_ata_finish(o);
}

/* CDB length by group code (SPC-5): groups 3, 6 and 7 define none. */
static const uint8_t cdb_group_len[8] = { 6, 10, 10, 12, 16, 12, 10, 10 };

static int cdb_group_defined(uint8_t opcode)
{
	unsigned g = opcode >> 5;

	return g != 3 && g != 6 && g != 7;
}

/*
 * SPC-5 CDB forms:
 *   6/10/12/16 bytes: 0 OPERATION CODE (group code in bits 7:5), ...,
 *   last byte CONTROL; commands with service actions carry the SERVICE
 *   ACTION in byte 1 bits 4:0.
 *   Variable length (7Fh): 0 7Fh  1 CONTROL  2-5 ...  6 GROUP NUMBER
 *   7 ADDITIONAL CDB LENGTH (n - 7)  8-9 SERVICE ACTION  10..n specific.
 */
int vscsi_cdb_decode_type(const uint8_t *cdb, size_t len,
			  unsigned peripheral_type, vscsi_cdb_info *out)
{
	const struct cdb_sel *s;
	const struct cdb_row *r = NULL;
	struct cdb_ctx x;
	size_t cdb_len = 0, lim, ctl;
	int rc = VSCSI_OK, guessed = 0;
	uint8_t op;

	if (!out)
		return VSCSI_ERR_ARG;
	vscsi__zero(out, sizeof(*out));
	out->name = "UNKNOWN";
	out->cmdset = VSCSI_CMDSET_UNKNOWN;
	out->op_class = VSCSI_OPC_OTHER;
	out->data_dir = VSCSI_DIR_UNKNOWN;
	if (!cdb || len == 0) {
		out->truncated = 1;
		return VSCSI_ERR_TRUNCATED;
	}
	op = cdb[0];
	out->opcode = op;
	s = cdb_select(op, peripheral_type);

	if (s->sa_mode) {
		out->name = s->saop->name;
		out->cmdset = s->saop->cmdset;
		if (op == OP_VARIABLE) {
			cdb_len = len >= 8 ? 8 + (size_t)cdb[7] : 8;
			if (len >= 8 && cdb[7] < 2)
				rc = VSCSI_ERR_INVALID;	/* no room for SA */
			else if (len >= 10)
				out->has_sa = 1;
			if (out->has_sa)
				out->service_action =
					(uint16_t)(cdb[8] << 8 | cdb[9]);
		} else {
			cdb_len = s->saop->cdb_len;
			if (len >= 2) {
				out->has_sa = 1;
				out->service_action = cdb[1] & 0x1f;
			}
		}
		if (out->has_sa)
			r = cdb_match(s, out->service_action);
	} else {
		r = s->row;
	}

	if (r) {
		out->known = 1;
		out->desc = &r->d;
		out->name = r->d.name;
		out->cmdset = r->d.cmdset;
		out->op_class = r->d.op_class;
		out->data_dir = r->d.data_dir;
		if (op != OP_VARIABLE)
			cdb_len = r->d.cdb_len;
		else if (cdb_len != r->d.cdb_len)
			rc = VSCSI_ERR_INVALID;
	} else if (!s->sa_mode) {
		cdb_len = cdb_group_len[op >> 5];
		guessed = !cdb_group_defined(op);
		out->cmdset = op >= 0xc0 ? VSCSI_CMDSET_VENDOR
					 : VSCSI_CMDSET_UNKNOWN;
	}

	out->cdb_len = (uint16_t)cdb_len;
	out->have = (uint16_t)(len < cdb_len ? len : cdb_len);
	if (len < cdb_len) {
		out->truncated = 1;
		if (rc == VSCSI_OK)
			rc = VSCSI_ERR_TRUNCATED;
	}

	ctl = op == OP_VARIABLE ? 1 : cdb_len - 1;
	if (!guessed && ctl < out->have) {
		out->control = cdb[ctl];
		out->fields |= VSCSI_CDB_HAS_CONTROL;
	}

	if (r) {
		const struct cdb_field *f;

		/* a 7Fh CDB is read with its service action's layout */
		lim = r->d.cdb_len;
		x.c = cdb;
		x.have = len < lim ? len : lim;
		x.o = out;
		for (f = r->f; f->kind != CDB_F_END; f++)
			cdb_field_apply(&x, f);
		if (r->fix)
			r->fix(&x);
	}
	return rc;
}

/* Fixups that change none of the brief's fields (data_dir, format). */
static int cdb_fix_brief_safe(cdb_fixup_fn fix)
{
	return !fix || fix == vscsi__cdb_fix_verify ||
	       fix == vscsi__cdb_fix_format_unit || fix == vscsi__cdb_fix_toc;
}

/* An LBA or TRANSFER LENGTH entry, as cdb_field_apply() reads it. */
static void cdb_brief_field(const uint8_t *cdb, size_t have, unsigned kind,
			    unsigned off, unsigned n, uint8_t mask,
			    vscsi__cdb_brief *out)
{
	const uint8_t *b;
	uint64_t wide;
	unsigned k;

	if (off > have || n > have - off)
		return;
	b = cdb + off;
	wide = b[0] & mask;
	switch (n) {	/* the usual widths without a loop */
	case 2:
		wide = wide << 8 | b[1];
		break;
	case 4:
		wide = wide << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
		       b[3];
		break;
	default:
		for (k = 1; k < n; k++)
			wide = wide << 8 | b[k];
		break;
	}
	if (kind == CDB_F_LBA) {
		out->lba = wide;
		out->fields |= VSCSI_CDB_HAS_LBA;
	} else {
		out->xfer_len = (uint32_t)wide;
		out->fields |= VSCSI_CDB_HAS_XFER;
	}
}

/*
 * vscsi_cdb_decode_type() for a disk, cut to what vscsi_io keeps: the same
 * choice of row, then only the LBA and TRANSFER LENGTH fields. A row whose
 * fixup may change them (other than READ/WRITE(6), done here) takes the
 * whole decode, so the two cannot disagree. The index plans the usual rows
 * (no service action) beforehand.
 */
void vscsi__cdb_brief_decode(const uint8_t *cdb, size_t len,
			     vscsi__cdb_brief *out)
{
	const struct cdb_sel *s;
	const struct cdb_row *r = NULL;
	const struct cdb_field *f;
	size_t have;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->op_class = VSCSI_OPC_OTHER;
	if (!cdb || len == 0)
		return;
	out->opcode = cdb[0];
	s = cdb_select(cdb[0], VSCSI_PTYPE_DISK);
	if (s->brief_ok) {
		r = s->row;
		out->op_class = r->d.op_class;
		have = len < r->d.cdb_len ? len : r->d.cdb_len;
		for (i = 0; i < s->nbrief; i++)
			cdb_brief_field(cdb, have, s->brief[i].kind,
					s->brief[i].off, s->brief[i].n,
					s->brief[i].mask, out);
		/* as vscsi__cdb_fix_rw6() */
		if (s->brief_rw6 && (out->fields & VSCSI_CDB_HAS_XFER) &&
		    out->xfer_len == 0)
			out->xfer_len = 256;
		return;
	}
	if (s->sa_mode) {
		if (cdb[0] == OP_VARIABLE) {
			if (len >= 10 && cdb[7] >= 2) {
				out->has_sa = 1;
				out->service_action =
					(uint16_t)(cdb[8] << 8 | cdb[9]);
			}
		} else if (len >= 2) {
			out->has_sa = 1;
			out->service_action = cdb[1] & 0x1f;
		}
		if (out->has_sa)
			r = cdb_match(s, out->service_action);
	} else {
		r = s->row;
	}
	if (!r)
		return;
	if (!cdb_fix_brief_safe(r->fix) && r->fix != vscsi__cdb_fix_rw6) {
		vscsi_cdb_info ci;

		vscsi_cdb_decode_type(cdb, len, VSCSI_PTYPE_DISK, &ci);
		out->op_class = ci.op_class;
		out->fields = ci.fields &
			      (VSCSI_CDB_HAS_LBA | VSCSI_CDB_HAS_XFER);
		out->lba = ci.lba;
		out->xfer_len = ci.xfer_len;
		return;
	}
	out->op_class = r->d.op_class;
	have = len < r->d.cdb_len ? len : r->d.cdb_len;
	for (f = r->f; f->kind != CDB_F_END; f++)
		if (f->kind == CDB_F_LBA || f->kind == CDB_F_XFER)
			cdb_brief_field(cdb, have, f->kind, f->off, f->n,
					f->mask, out);
	/* as vscsi__cdb_fix_rw6() */
	if (r->fix == vscsi__cdb_fix_rw6 &&
	    (out->fields & VSCSI_CDB_HAS_XFER) && out->xfer_len == 0)
		out->xfer_len = 256;
}

int vscsi_cdb_decode(const uint8_t *cdb, size_t len, vscsi_cdb_info *out)
{
	return vscsi_cdb_decode_type(cdb, len, VSCSI_PTYPE_DISK, out);
}

const char *vscsi_cdb_name_type(uint8_t opcode, uint16_t sa, int has_sa,
				unsigned peripheral_type)
{
	const struct cdb_sel *s = cdb_select(opcode, peripheral_type);
	const struct cdb_row *r;

	if (s->sa_mode) {
		r = has_sa ? cdb_match(s, sa) : NULL;
		return r ? r->d.name : s->saop->name;
	}
	r = cdb_match(s, 0);
	return r ? r->d.name : "UNKNOWN";
}

const char *vscsi_cdb_name(uint8_t opcode, uint16_t sa, int has_sa)
{
	return vscsi_cdb_name_type(opcode, sa, has_sa, VSCSI_PTYPE_DISK);
}

int vscsi_cdb_opcode_has_sa(uint8_t opcode, unsigned peripheral_type)
{
	return cdb_select(opcode, peripheral_type)->sa_mode;
}

/* ------------------------------------------------------------ text */

struct cdb_bit_name {
	uint32_t bit;
	const char *name;
};

/* One-bit fields in the order text and JSON print them. */
static const struct cdb_bit_name cdb_flag_names[] = {
	{ VSCSI_CDBF_FUA, "fua" },
	{ VSCSI_CDBF_DPO, "dpo" },
	{ VSCSI_CDBF_FUA_NV, "fua_nv" },
	{ VSCSI_CDBF_RARC, "rarc" },
	{ VSCSI_CDBF_UNMAP, "unmap" },
	{ VSCSI_CDBF_ANCHOR, "anchor" },
	{ VSCSI_CDBF_NDOB, "ndob" },
	{ VSCSI_CDBF_IMMED, "immed" },
	{ VSCSI_CDBF_EVPD, "evpd" },
	{ VSCSI_CDBF_SYNC_NV, "sync_nv" },
	{ VSCSI_CDBF_PMI, "pmi" },
	{ VSCSI_CDBF_DBD, "dbd" },
	{ VSCSI_CDBF_LLBAA, "llbaa" },
	{ VSCSI_CDBF_START, "start" },
	{ VSCSI_CDBF_LOEJ, "loej" },
	{ VSCSI_CDBF_NO_FLUSH, "no_flush" },
	{ VSCSI_CDBF_PREVENT, "prevent" },
	{ VSCSI_CDBF_RELADR, "reladr" },
	{ VSCSI_CDBF_MSF, "msf" },
	{ VSCSI_CDBF_POLLED, "polled" },
	{ VSCSI_CDBF_SP, "sp" },
	{ VSCSI_CDBF_PF, "pf" },
	{ VSCSI_CDBF_PCR, "pcr" },
	{ VSCSI_CDBF_SELFTEST, "selftest" },
	{ VSCSI_CDBF_DESC, "desc" },
	{ VSCSI_CDBF_PCV, "pcv" },
	{ VSCSI_CDBF_STREAMING, "streaming" },
	{ VSCSI_CDBF_RCTD, "rctd" },
	{ VSCSI_CDBF_FMTDATA, "fmtdata" },
	{ VSCSI_CDBF_CMPLST, "cmplst" },
};

static const struct cdb_bit_name cdb_xflag_names[] = {
	{ VSCSI_CDBX_PERSISTENT, "persistent" },
	{ VSCSI_CDBX_ALL, "all" },
	{ VSCSI_CDBX_WR_UNCOR, "wr_uncor" },
	{ VSCSI_CDBX_COR_DIS, "cor_dis" },
	{ VSCSI_CDBX_PBLOCK, "pblock" },
	{ VSCSI_CDBX_CORRCT, "corrct" },
	{ VSCSI_CDBX_INC_512, "inc_512" },
	{ VSCSI_CDBX_DEVOFFL, "devoffl" },
	{ VSCSI_CDBX_UNITOFFL, "unitoffl" },
	{ VSCSI_CDBX_LONGLIST, "longlist" },
	{ VSCSI_CDBX_LONGLBA, "longlba" },
	{ VSCSI_CDBX_ONE_SEG, "one_seg" },
	{ VSCSI_CDBX_CACHE, "cache" },
	{ VSCSI_CDBX_DAP, "dap" },
	{ VSCSI_CDBX_SUBQ, "subq" },
	{ VSCSI_CDBX_PARTIAL, "partial" },
	{ VSCSI_CDBX_AUSE, "ause" },
	{ VSCSI_CDBX_ZNR, "znr" },
	{ VSCSI_CDBX_OPEN, "open" },
	{ VSCSI_CDBX_BLOCK, "block" },
	{ VSCSI_CDBX_RESUME, "resume" },
	{ VSCSI_CDBX_REPD, "repd" },
	{ VSCSI_CDBX_LONGID, "longid" },
	{ VSCSI_CDBX_THIRDPTY, "3rdpty" },
	{ VSCSI_CDBX_WTC, "wtc" },
	{ VSCSI_CDBX_DOOPC, "doopc" },
	{ VSCSI_CDBX_ARSV, "arsv" },
	{ VSCSI_CDBX_DIRECT, "direct" },
	{ VSCSI_CDBX_REQ_PLIST, "req_plist" },
	{ VSCSI_CDBX_REQ_GLIST, "req_glist" },
};

#define CDB_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *cdb_pc_name(const vscsi_cdb_info *ci)
{
	static const char *const mode[4] = {
		"current", "changeable", "default", "saved",
	};
	static const char *const log[4] = {
		"threshold", "cumulative", "default_threshold",
		"default_cumulative",
	};

	if (ci->opcode == 0x4c || ci->opcode == 0x4d)
		return log[ci->pc & 3];
	return mode[ci->pc & 3];
}

static const char *cdb_power_name(unsigned cond)
{
	switch (cond) {
	case 0x0: return "start_valid";
	case 0x1: return "active";
	case 0x2: return "idle";
	case 0x3: return "standby";
	case 0x7: return "lu_control";
	case 0xa: return "force_idle_0";
	case 0xb: return "force_standby_0";
	default: return NULL;
	}
}

static const char *cdb_pr_type_name(unsigned type)
{
	switch (type) {
	case 1: return "wr_ex";
	case 3: return "ex_ac";
	case 5: return "wr_ex_ro";
	case 6: return "ex_ac_ro";
	case 7: return "wr_ex_ar";
	case 8: return "ex_ac_ar";
	default: return NULL;
	}
}

/* INQUIRY and RECEIVE DIAGNOSTIC RESULTS send a page code only with EVPD
 * or PCV; a zero page without them says nothing. */
static int cdb_page_worth(const vscsi_cdb_info *ci)
{
	if (!(ci->fields & VSCSI_CDB_HAS_PAGE))
		return 0;
	if (ci->page || (ci->opcode != 0x12 && ci->opcode != 0x1c))
		return 1;
	return (ci->flags & (VSCSI_CDBF_EVPD | VSCSI_CDBF_PCV)) != 0;
}

/* READ CAPACITY's LBA is obsolete: print it only when it says something. */
static int cdb_lba_worth(const vscsi_cdb_info *ci)
{
	int readcap = ci->known && (ci->opcode == 0x25 ||
				    (ci->opcode == 0x9e && ci->has_sa &&
				     ci->service_action == 0x10));

	if (!(ci->fields & VSCSI_CDB_HAS_LBA))
		return 0;
	return !readcap || ci->lba || (ci->flags & VSCSI_CDBF_PMI);
}

static void cdb_text_ata(vscsi_sb *sb, const vscsi_cdb_ata *a)
{
	vscsi__sb_printf(sb, " ata_cmd=0x%02x proto=%u features=0x%x count=%u"
			 " ata_lba=0x%llx device=0x%02x t_length=%u",
			 a->command, a->protocol, a->features, a->count,
			 (unsigned long long)a->lba, a->device, a->t_length);
	if (a->t_length)
		vscsi__sb_printf(sb, " t_dir=%s", a->t_dir ? "in" : "out");
	if (a->extend)
		vscsi__sb_puts(sb, " extend");
	if (a->ck_cond)
		vscsi__sb_puts(sb, " ck_cond");
	if (a->t_type)
		vscsi__sb_puts(sb, " t_type");
	if (a->byt_blok)
		vscsi__sb_puts(sb, " byt_blok");
	if (a->off_line)
		vscsi__sb_printf(sb, " off_line=%u", a->off_line);
	if (a->multiple_count)
		vscsi__sb_printf(sb, " multiple_count=%u", a->multiple_count);
	if (a->auxiliary)
		vscsi__sb_printf(sb, " auxiliary=0x%x", a->auxiliary);
}

static void cdb_text_msf(vscsi_sb *sb, const char *key, uint32_t msf)
{
	vscsi__sb_printf(sb, " %s=%02u:%02u:%02u", key, (msf >> 16) & 0xff,
			 (msf >> 8) & 0xff, msf & 0xff);
}

size_t vscsi_cdb_describe(const vscsi_cdb_info *ci, char *buf, size_t len)
{
	vscsi_sb sb;
	uint32_t fl;
	size_t i;

	vscsi__sb_init(&sb, buf, len);
	if (!ci)
		return vscsi__sb_done(&sb);
	fl = ci->fields;
	vscsi__sb_puts(&sb, ci->name ? ci->name : "UNKNOWN");
	if (!ci->known && ci->has_sa)
		vscsi__sb_printf(&sb, " sa=0x%x", ci->service_action);
	else if (!ci->known && ci->have && ci->name &&
		 strcmp(ci->name, "UNKNOWN") == 0)
		vscsi__sb_printf(&sb, " 0x%02x", ci->opcode);
	if (ci->flags & VSCSI_CDBF_EVPD)
		vscsi__sb_puts(&sb, " evpd");
	if (cdb_lba_worth(ci))
		vscsi__sb_printf(&sb, " lba=%llu", (unsigned long long)ci->lba);
	if (fl & VSCSI_CDB_HAS_XFER)
		vscsi__sb_printf(&sb, " len=%u%s", ci->xfer_len,
				 ci->xfer_unit == VSCSI_XFER_BYTES ? "B" : "");
	if (cdb_page_worth(ci))
		vscsi__sb_printf(&sb, " page=0x%02x", ci->page);
	if ((fl & VSCSI_CDB_HAS_SUBPAGE) && ci->subpage)
		vscsi__sb_printf(&sb, " subpage=0x%02x", ci->subpage);
	if (fl & VSCSI_CDB_HAS_PC)
		vscsi__sb_printf(&sb, " pc=%s", cdb_pc_name(ci));
	if (fl & VSCSI_CDB_HAS_ALLOC)
		vscsi__sb_printf(&sb, " %s=%u",
				 ci->data_dir == VSCSI_DIR_OUT ? "plen" : "alloc",
				 ci->alloc_len);
	if ((fl & VSCSI_CDB_HAS_FORMAT) && ci->format_name)
		vscsi__sb_printf(&sb, " %s=%u", ci->format_name, ci->format);
	if ((fl & VSCSI_CDB_HAS_NUMBER) && ci->number_name)
		vscsi__sb_printf(&sb, " %s=%u", ci->number_name, ci->number);
	if ((fl & VSCSI_CDB_HAS_GROUP) && ci->group)
		vscsi__sb_printf(&sb, " group=%u", ci->group);
	if ((fl & VSCSI_CDB_HAS_PROTECT) && ci->protect)
		vscsi__sb_printf(&sb, " protect=%u", ci->protect);
	if ((fl & VSCSI_CDB_HAS_BYTCHK) && ci->bytchk)
		vscsi__sb_printf(&sb, " bytchk=%u", ci->bytchk);
	if ((fl & VSCSI_CDB_HAS_DLD) && ci->dld)
		vscsi__sb_printf(&sb, " dld=%u", ci->dld);
	if ((fl & VSCSI_CDB_HAS_POWER) && ci->power_cond) {
		const char *p = cdb_power_name(ci->power_cond);

		if (p)
			vscsi__sb_printf(&sb, " power=%s", p);
		else
			vscsi__sb_printf(&sb, " power=0x%x", ci->power_cond);
	}
	if ((fl & VSCSI_CDB_HAS_POWER) && ci->power_mod)
		vscsi__sb_printf(&sb, " power_mod=%u", ci->power_mod);
	if ((fl & VSCSI_CDB_HAS_PR) && (ci->pr_scope || ci->pr_type)) {
		const char *t = cdb_pr_type_name(ci->pr_type);

		vscsi__sb_printf(&sb, " scope=%u", ci->pr_scope);
		if (t)
			vscsi__sb_printf(&sb, " type=%s", t);
		else
			vscsi__sb_printf(&sb, " type=%u", ci->pr_type);
	}
	if (fl & VSCSI_CDB_HAS_SECPROT)
		vscsi__sb_printf(&sb, " protocol=0x%02x specific=0x%04x",
				 ci->sec_protocol, ci->sec_specific);
	if ((fl & VSCSI_CDB_HAS_REQ) && (ci->format || ci->req_opcode))
		vscsi__sb_printf(&sb, " req_op=0x%02x", ci->req_opcode);
	if ((fl & VSCSI_CDB_HAS_REQ) && ci->req_sa)
		vscsi__sb_printf(&sb, " req_sa=0x%x", ci->req_sa);
	if (fl & VSCSI_CDB_HAS_BUFFER)
		vscsi__sb_printf(&sb, " mode=0x%02x id=%u offset=%llu",
				 ci->buf_mode, ci->buf_id,
				 (unsigned long long)ci->buf_offset);
	if ((fl & VSCSI_CDB_HAS_SELFTEST) && ci->self_test)
		vscsi__sb_printf(&sb, " selftest_code=%u", ci->self_test);
	if (fl & VSCSI_CDB_HAS_SPEED)
		vscsi__sb_printf(&sb, " read_speed=%u write_speed=%u",
				 ci->read_speed, ci->write_speed);
	if (fl & VSCSI_CDB_HAS_MSF) {
		cdb_text_msf(&sb, "start", ci->msf_start);
		cdb_text_msf(&sb, "end", ci->msf_end);
	}
	if (fl & VSCSI_CDB_HAS_SECTOR)
		vscsi__sb_printf(&sb, " sector_type=%u sector_flags=0x%02x"
				 " subchannel=%u", ci->sector_type,
				 ci->sector_flags, ci->subchannel);
	if ((fl & VSCSI_CDB_HAS_PI) &&
	    (ci->ref_tag || ci->app_tag || ci->app_tag_mask))
		vscsi__sb_printf(&sb, " ref_tag=0x%x app_tag=0x%x app_mask=0x%x",
				 ci->ref_tag, ci->app_tag, ci->app_tag_mask);
	if (fl & VSCSI_CDB_HAS_ATA)
		cdb_text_ata(&sb, &ci->ata);
	for (i = 0; i < CDB_NELEM(cdb_flag_names); i++)
		if ((ci->flags & cdb_flag_names[i].bit) &&
		    cdb_flag_names[i].bit != VSCSI_CDBF_EVPD)
			vscsi__sb_printf(&sb, " %s", cdb_flag_names[i].name);
	for (i = 0; i < CDB_NELEM(cdb_xflag_names); i++)
		if (ci->xflags & cdb_xflag_names[i].bit)
			vscsi__sb_printf(&sb, " %s", cdb_xflag_names[i].name);
	if ((fl & VSCSI_CDB_HAS_CONTROL) && ci->control)
		vscsi__sb_printf(&sb, " control=0x%02x", ci->control);
	if (ci->truncated)
		vscsi__sb_printf(&sb, " truncated=%u/%u", ci->have, ci->cdb_len);
	return vscsi__sb_done(&sb);
}

/* ------------------------------------------------------------ JSON */

static void cdb_json_key(vscsi_sb *sb, const char *key)
{
	vscsi__sb_putc(sb, ',');
	vscsi__sb_json_str(sb, key);
	vscsi__sb_putc(sb, ':');
}

static void cdb_json_u(vscsi_sb *sb, const char *key, unsigned long long v)
{
	cdb_json_key(sb, key);
	vscsi__sb_printf(sb, "%llu", v);
}

static void cdb_json_s(vscsi_sb *sb, const char *key, const char *v)
{
	cdb_json_key(sb, key);
	vscsi__sb_json_str(sb, v);
}

static void cdb_json_b(vscsi_sb *sb, const char *key, int v)
{
	cdb_json_key(sb, key);
	vscsi__sb_puts(sb, v ? "true" : "false");
}

static void cdb_json_msf(vscsi_sb *sb, const char *key, uint32_t msf)
{
	cdb_json_key(sb, key);
	vscsi__sb_printf(sb, "\"%02u:%02u:%02u\"", (msf >> 16) & 0xff,
			 (msf >> 8) & 0xff, msf & 0xff);
}

static void cdb_json_ata(vscsi_sb *sb, const vscsi_cdb_ata *a)
{
	cdb_json_key(sb, "ata");
	vscsi__sb_printf(sb, "{\"command\":%u,\"protocol\":%u,\"features\":%u,"
			 "\"count\":%u,\"lba\":%llu,\"device\":%u,"
			 "\"extend\":%s,\"multiple_count\":%u,\"off_line\":%u,"
			 "\"ck_cond\":%s,\"t_type\":%u,\"t_dir\":%u,"
			 "\"byt_blok\":%u,\"t_length\":%u,\"auxiliary\":%u}",
			 a->command, a->protocol, a->features, a->count,
			 (unsigned long long)a->lba, a->device,
			 a->extend ? "true" : "false", a->multiple_count,
			 a->off_line, a->ck_cond ? "true" : "false", a->t_type,
			 a->t_dir, a->byt_blok, a->t_length, a->auxiliary);
}

size_t vscsi_cdb_describe_json(const vscsi_cdb_info *ci, char *buf,
			       size_t len)
{
	vscsi_sb sb;
	uint32_t fl;
	size_t i;

	vscsi__sb_init(&sb, buf, len);
	if (!ci)
		return vscsi__sb_done(&sb);
	fl = ci->fields;
	vscsi__sb_puts(&sb, "\"op\":");
	vscsi__sb_json_str(&sb, ci->name ? ci->name : "UNKNOWN");
	cdb_json_u(&sb, "opcode", ci->opcode);
	if (ci->has_sa)
		cdb_json_u(&sb, "sa", ci->service_action);
	if (!ci->known)
		cdb_json_b(&sb, "known", 0);
	cdb_json_s(&sb, "class", vscsi_op_class_name(ci->op_class));
	cdb_json_s(&sb, "cmdset", vscsi_cmdset_name(ci->cmdset));
	cdb_json_s(&sb, "dir", vscsi_data_dir_name(ci->data_dir));
	cdb_json_u(&sb, "cdb_len", ci->cdb_len);
	if (ci->truncated) {
		cdb_json_b(&sb, "truncated", 1);
		cdb_json_u(&sb, "have", ci->have);
	}
	if (fl & VSCSI_CDB_HAS_LBA)
		cdb_json_u(&sb, "lba", ci->lba);
	if (fl & VSCSI_CDB_HAS_XFER) {
		cdb_json_u(&sb, "xfer", ci->xfer_len);
		cdb_json_s(&sb, "xfer_unit", vscsi_xfer_unit_name(ci->xfer_unit));
	}
	if (fl & VSCSI_CDB_HAS_PAGE)
		cdb_json_u(&sb, "page", ci->page);
	if (fl & VSCSI_CDB_HAS_SUBPAGE)
		cdb_json_u(&sb, "subpage", ci->subpage);
	if (fl & VSCSI_CDB_HAS_PC)
		cdb_json_u(&sb, "pc", ci->pc);
	if (fl & VSCSI_CDB_HAS_ALLOC)
		cdb_json_u(&sb, "alloc", ci->alloc_len);
	if ((fl & VSCSI_CDB_HAS_FORMAT) && ci->format_name)
		cdb_json_u(&sb, ci->format_name, ci->format);
	if ((fl & VSCSI_CDB_HAS_NUMBER) && ci->number_name)
		cdb_json_u(&sb, ci->number_name, ci->number);
	if (fl & VSCSI_CDB_HAS_GROUP)
		cdb_json_u(&sb, "group", ci->group);
	if (fl & VSCSI_CDB_HAS_PROTECT)
		cdb_json_u(&sb, "protect", ci->protect);
	if (fl & VSCSI_CDB_HAS_BYTCHK)
		cdb_json_u(&sb, "bytchk", ci->bytchk);
	if (fl & VSCSI_CDB_HAS_DLD)
		cdb_json_u(&sb, "dld", ci->dld);
	if (fl & VSCSI_CDB_HAS_POWER) {
		cdb_json_u(&sb, "power_condition", ci->power_cond);
		cdb_json_u(&sb, "power_modifier", ci->power_mod);
	}
	if (fl & VSCSI_CDB_HAS_PR) {
		cdb_json_u(&sb, "pr_scope", ci->pr_scope);
		cdb_json_u(&sb, "pr_type", ci->pr_type);
	}
	if (fl & VSCSI_CDB_HAS_SECPROT) {
		cdb_json_u(&sb, "security_protocol", ci->sec_protocol);
		cdb_json_u(&sb, "security_specific", ci->sec_specific);
	}
	if (fl & VSCSI_CDB_HAS_REQ) {
		cdb_json_u(&sb, "requested_opcode", ci->req_opcode);
		cdb_json_u(&sb, "requested_sa", ci->req_sa);
	}
	if (fl & VSCSI_CDB_HAS_BUFFER) {
		cdb_json_u(&sb, "buffer_mode", ci->buf_mode);
		cdb_json_u(&sb, "buffer_id", ci->buf_id);
		cdb_json_u(&sb, "buffer_offset", ci->buf_offset);
	}
	if (fl & VSCSI_CDB_HAS_SELFTEST)
		cdb_json_u(&sb, "self_test_code", ci->self_test);
	if (fl & VSCSI_CDB_HAS_SPEED) {
		cdb_json_u(&sb, "read_speed", ci->read_speed);
		cdb_json_u(&sb, "write_speed", ci->write_speed);
	}
	if (fl & VSCSI_CDB_HAS_MSF) {
		cdb_json_msf(&sb, "msf_start", ci->msf_start);
		cdb_json_msf(&sb, "msf_end", ci->msf_end);
	}
	if (fl & VSCSI_CDB_HAS_SECTOR) {
		cdb_json_u(&sb, "sector_type", ci->sector_type);
		cdb_json_u(&sb, "sector_flags", ci->sector_flags);
		cdb_json_u(&sb, "subchannel", ci->subchannel);
	}
	if (fl & VSCSI_CDB_HAS_PI) {
		cdb_json_u(&sb, "ref_tag", ci->ref_tag);
		cdb_json_u(&sb, "app_tag", ci->app_tag);
		cdb_json_u(&sb, "app_tag_mask", ci->app_tag_mask);
	}
	if (fl & VSCSI_CDB_HAS_ATA)
		cdb_json_ata(&sb, &ci->ata);
	if (fl & VSCSI_CDB_HAS_CONTROL)
		cdb_json_u(&sb, "control", ci->control);
	for (i = 0; i < CDB_NELEM(cdb_flag_names); i++)
		if (ci->flags & cdb_flag_names[i].bit)
			cdb_json_b(&sb, cdb_flag_names[i].name, 1);
	for (i = 0; i < CDB_NELEM(cdb_xflag_names); i++)
		if (ci->xflags & cdb_xflag_names[i].bit)
			cdb_json_b(&sb, cdb_xflag_names[i].name, 1);
	return vscsi__sb_done(&sb);
}

/* ------------------------------------------------------------ lookup */

#define CDB_NAME_MAX 64

/* Lower-case letters and digits of s[0..n), the rest dropped; 0 when the
 * result does not fit (no table name comes close). */
static size_t cdb_norm(const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n && s[i]; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9'))
			continue;
		if (k + 1 >= CDB_NAME_MAX)
			return 0;
		out[k++] = c;
	}
	out[k] = '\0';
	return k;
}

/* 1 when the normalized name equals a table name or one of its aliases. */
static int cdb_name_is(const char *norm, const char *name, const char *alias)
{
	char buf[CDB_NAME_MAX];
	const char *p;

	if (cdb_norm(name, (size_t)-1, buf) && strcmp(buf, norm) == 0)
		return 1;
	for (p = alias; p && *p;) {
		size_t n = strcspn(p, " ");

		if (n && cdb_norm(p, n, buf) && strcmp(buf, norm) == 0)
			return 1;
		p += n;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* A number: decimal digits, or 0x and hex digits; max is the largest
 * value accepted. Returns the characters used, 0 when none fit. */
static size_t cdb_number(const char *s, uint32_t max, uint32_t *v)
{
	size_t i = 0, start;
	unsigned base = 10;
	uint32_t acc = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	start = i;
	for (;; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		acc = acc * base + d;
		if (acc > max)
			return 0;
	}
	if (i == start)
		return 0;
	*v = acc;
	return i;
}

static int cdb_lookup_number(const char *name, uint8_t *opcode, uint16_t *sa,
			     int *has_sa)
{
	uint32_t op, s = 0;
	size_t n = cdb_number(name, 0xff, &op);
	int with_sa = 0;

	if (!n)
		return VSCSI_ERR_INVALID;
	name += n;
	if (*name == '/' || *name == ':') {
		name++;
		n = cdb_number(name, 0xffff, &s);
		if (!n)
			return VSCSI_ERR_INVALID;
		name += n;
		with_sa = 1;
	}
	if (*name)
		return VSCSI_ERR_INVALID;
	if (opcode)
		*opcode = (uint8_t)op;
	if (sa)
		*sa = (uint16_t)s;
	if (has_sa)
		*has_sa = with_sa;
	return VSCSI_OK;
}

int vscsi_cdb_lookup(const char *name, uint8_t *opcode, uint16_t *sa,
		     int *has_sa)
{
	char norm[CDB_NAME_MAX];
	unsigned i;

	if (!name || !*name)
		return VSCSI_ERR_INVALID;
	if (name[0] >= '0' && name[0] <= '9')
		return cdb_lookup_number(name, opcode, sa, has_sa);
	if (!cdb_norm(name, (size_t)-1, norm))
		return VSCSI_ERR_INVALID;
	for (i = 0; i < vscsi__cdb_nrows; i++) {
		const struct cdb_row *r = &vscsi__cdb_rows[i];

		if (!cdb_name_is(norm, r->d.name, r->alias))
			continue;
		if (opcode)
			*opcode = r->d.opcode;
		if (sa)
			*sa = r->d.sa;
		if (has_sa)
			*has_sa = r->d.has_sa;
		return VSCSI_OK;
	}
	for (i = 0; i < vscsi__cdb_nsaops; i++) {
		const struct cdb_saop *p = &vscsi__cdb_saops[i];

		if (!cdb_name_is(norm, p->name, p->alias))
			continue;
		if (opcode)
			*opcode = p->opcode;
		if (sa)
			*sa = 0;
		if (has_sa)
			*has_sa = 0;
		return VSCSI_OK;
	}
	return VSCSI_ERR_INVALID;
}

/* ------------------------------------------------------------ UNMAP */

/*
 * SBC-4 5.32.2 UNMAP parameter list:
 *   0-1 UNMAP DATA LENGTH (n - 1)
 *   2-3 UNMAP BLOCK DESCRIPTOR DATA LENGTH (n - 7)
 *   4-7 reserved
 *   8.. UNMAP block descriptors, 16 bytes:
 *       0-7 UNMAP LOGICAL BLOCK ADDRESS  8-11 NUMBER OF LOGICAL BLOCKS
 *       12-15 reserved
 */
int vscsi_unmap_param_decode(const uint8_t *buf, size_t len,
			     vscsi_unmap_desc *d, unsigned max, unsigned *n,
			     unsigned *total)
{
	vscsi_rd r;
	uint16_t data_len, bd_len;
	unsigned count, i;

	if (n)
		*n = 0;
	if (total)
		*total = 0;
	if (!buf && len)
		return VSCSI_ERR_ARG;
	vscsi_rd_init(&r, buf, len);
	data_len = vscsi_rd_be16(&r);
	bd_len = vscsi_rd_be16(&r);
	vscsi_rd_skip(&r, 4);
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);
	/* the fields claim more bytes than the list has, or disagree */
	if ((size_t)data_len + 2 > len || (size_t)bd_len + 8 > len ||
	    (size_t)bd_len + 6 > data_len)
		return VSCSI_ERR_INVALID;
	count = bd_len / 16u;	/* a cut last descriptor is ignored */
	for (i = 0; i < count; i++) {
		uint64_t lba = vscsi_rd_be64(&r);
		uint32_t nb = vscsi_rd_be32(&r);

		vscsi_rd_skip(&r, 4);
		if (vscsi_rd_error(&r))
			return vscsi_rd_error(&r);
		if (i < max && d) {
			d[i].lba = lba;
			d[i].nblocks = nb;
		}
	}
	if (n && d)
		*n = count < max ? count : max;
	if (total)
		*total = count;
	return VSCSI_OK;
}
