/*
 * emu_spc: the primary commands every LUN answers (SPC-5): INQUIRY with its
 * VPD pages, REPORT LUNS, TEST UNIT READY, REQUEST SENSE, START STOP UNIT,
 * PREVENT ALLOW MEDIUM REMOVAL, REPORT SUPPORTED OPERATION CODES, REPORT
 * SUPPORTED TASK MANAGEMENT FUNCTIONS; and the command table lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_int.h"

uint32_t emu_max_xfer_blocks(const emu_lun *l)
{
	return EMU_MAX_XFER_BYTES >> l->bs_shift;
}

static const char vendor_id[8] = {'V', 'S', 'C', 'S', 'I', ' ', ' ', ' '};

static uint8_t periph(const emu_cmd *c)
{
	if (c->lunless == EMU_NOLUN_WLUN)
		return 0x1e;	/* well known logical unit */
	if (!c->lun)
		return 0x7f;	/* qualifier 3, type 1Fh: no LU here */
	return (c->lun->flags & EMU_LUN_CDROM) ? 0x05 : 0x00;
}

/* ------------------------------------------------------------ INQUIRY */

/* Standard INQUIRY data (SPC-5 6.6.2), 96 bytes. */
static size_t inquiry_std(const emu_cmd *c, uint8_t *b)
{
	bool cd = c->lun && (c->lun->flags & EMU_LUN_CDROM);
	const char *product = cd ? "vscsi-trace cd  " : "vscsi-trace disk";

	memset(b, 0, 96);
	b[0] = periph(c);
	b[1] = cd ? 0x80 : 0x00;	/* RMB */
	b[2] = 0x07;			/* VERSION: SPC-5 */
	b[3] = 0x12;			/* HISUP, RESPONSE DATA FORMAT 2 */
	b[4] = 96 - 5;			/* ADDITIONAL LENGTH */
	b[7] = 0x02;			/* CMDQUE */
	memcpy(b + 8, vendor_id, 8);
	memcpy(b + 16, product, 16);
	memcpy(b + 32, "0010", 4);
	/* version descriptors (SPC-5 table 150s): SAM-5, SPC-5, SBC-4 or
	 * MMC-6 */
	emu_put16(b + 58, 0x00a0);
	emu_put16(b + 60, 0x05c0);
	emu_put16(b + 62, cd ? 0x04e0 : 0x0600);
	return 96;
}

static size_t vpd_header(const emu_cmd *c, uint8_t *b, uint8_t page)
{
	b[0] = periph(c);
	b[1] = page;
	return 4;
}

/* VPD page lists (SPC-5 7.7): disk and cdrom */
static const uint8_t vpd_disk[] = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};
static const uint8_t vpd_cd[] = {0x00, 0x80, 0x83};

static size_t inquiry_vpd(const emu_cmd *c, uint8_t page, uint8_t *b,
			  bool *ok)
{
	const emu_lun *l = c->lun;
	bool cd = l->flags & EMU_LUN_CDROM;
	const uint8_t *pages = cd ? vpd_cd : vpd_disk;
	size_t np = cd ? sizeof(vpd_cd) : sizeof(vpd_disk);
	size_t n = vpd_header(c, b, page), i, sl;

	*ok = false;
	for (i = 0; i < np; i++)
		if (pages[i] == page)
			*ok = true;
	if (!*ok)
		return 0;
	switch (page) {
	case 0x00:	/* Supported VPD pages (7.7.14) */
		memcpy(b + 4, pages, np);
		n += np;
		break;
	case 0x80:	/* Unit serial number (7.7.15) */
		sl = strlen(l->serial);
		memcpy(b + 4, l->serial, sl);
		n += sl;
		break;
	case 0x83:	/* Device identification (7.7.6) */
		/* NAA, logical unit, binary */
		b[n++] = 0x01;
		b[n++] = 0x03;
		b[n++] = 0x00;
		b[n++] = 8;
		emu_put64(b + n, l->naa);
		n += 8;
		/* T10 vendor ID, logical unit, ASCII */
		sl = strlen(l->serial);
		b[n++] = 0x02;
		b[n++] = 0x01;
		b[n++] = 0x00;
		b[n++] = (uint8_t)(8 + sl);
		memcpy(b + n, vendor_id, 8);
		memcpy(b + n + 8, l->serial, sl);
		n += 8 + sl;
		break;
	case 0xb0: {	/* Block limits (SBC-4 6.6.4) */
		uint32_t gran = 1u << l->phys_exp;

		memset(b + 4, 0, 60);
		b[4] = 0x01;			/* WSNZ */
		b[5] = EMU_MAX_CAW_BLOCKS;
		emu_put16(b + 6, gran);
		emu_put32(b + 8, emu_max_xfer_blocks(l));
		emu_put32(b + 12, (1u << 20) >> l->bs_shift);
		emu_put32(b + 16, emu_max_xfer_blocks(l));
		if (l->can_punch) {
			emu_put32(b + 20, 0xffffffffu);
			emu_put32(b + 24, EMU_MAX_UNMAP_DESC);
			emu_put32(b + 28, gran);
		}
		emu_put64(b + 36, EMU_MAX_WS_BYTES >> l->bs_shift);
		n = 64;
		break;
	}
	case 0xb1:	/* Block device characteristics (SBC-4 6.6.2) */
		memset(b + 4, 0, 60);
		emu_put16(b + 4, 0x0001);	/* non-rotating medium */
		n = 64;
		break;
	case 0xb2:	/* Logical block provisioning (SBC-4 6.6.6) */
		memset(b + 4, 0, 4);
		if (l->can_punch)
			b[5] = 0xe0;	/* LBPU, LBPWS, LBPWS10 */
		b[5] |= 0x04;		/* LBPRZ 001b: unmapped reads zero */
		b[6] = l->can_punch ? 0x02 : 0x00; /* thin provisioned */
		n = 8;
		break;
	}
	emu_put16(b + 2, n - 4);
	return n;
}

static void exec_inquiry(emu_cmd *c)
{
	uint8_t b[256];
	uint32_t alloc = emu_get16(c->cdb + 3);
	size_t n;
	bool ok;

	if (!(c->cdb[1] & 0x01)) {
		if (c->cdb[2]) {	/* page code without EVPD */
			emu_cmd_bad_field(c, 2, 7);
			return;
		}
		n = inquiry_std(c, b);
	} else if (!c->lun) {
		if (c->lunless == EMU_NOLUN_MISSING) {
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
				     ASC_LUN_NOT_SUPPORTED);
			return;
		}
		/* the well-known LU: page 00h only */
		if (c->cdb[2] != 0x00) {
			emu_cmd_bad_field(c, 2, 7);
			return;
		}
		n = vpd_header(c, b, 0);
		b[n++] = 0x00;
		emu_put16(b + 2, n - 4);
	} else {
		n = inquiry_vpd(c, c->cdb[2], b, &ok);
		if (!ok) {
			emu_cmd_bad_field(c, 2, 7);
			return;
		}
	}
	emu_cmd_data_in(c, b, n, alloc);
}

/* ------------------------------------------------------------ REPORT LUNS */

static void lun_encode(uint8_t *p, uint16_t lun)
{
	memset(p, 0, 8);
	if (lun < 256) {
		p[1] = (uint8_t)lun;		/* peripheral device addressing */
	} else {
		p[0] = (uint8_t)(0x40 | (lun >> 8)); /* flat space */
		p[1] = (uint8_t)lun;
	}
}

/* SPC-5 6.33 */
static void exec_report_luns(emu_cmd *c)
{
	emu_dev *dev = c->dev;
	uint8_t sel = c->cdb[2];
	uint32_t alloc = emu_get32(c->cdb + 6);
	size_t count = 0, n = 8;
	uint8_t *b;
	emu_link *k;

	if (sel > 2) {
		emu_cmd_bad_field(c, 2, 7);
		return;
	}
	for (k = dev->luns.next; k != &dev->luns; k = k->next)
		if (emu_container(k, emu_lun, node)->target == c->target)
			count++;
	b = calloc(1, 16 + 8 * count);
	if (!b) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	if (sel == 0 || sel == 2) {
		for (k = dev->luns.next; k != &dev->luns; k = k->next) {
			emu_lun *l = emu_container(k, emu_lun, node);

			if (l->target != c->target)
				continue;
			lun_encode(b + n, l->lun);
			n += 8;
		}
	}
	if (sel == 1 || sel == 2) {
		b[n] = 0xc1;	/* REPORT LUNS well-known LUN */
		b[n + 1] = 0x01;
		n += 8;
	}
	emu_put32(b, n - 8);
	emu_cmd_data_in(c, b, n, alloc);
	free(b);
}

/* ------------------------------------------------------------ simple ones */

static void exec_tur(emu_cmd *c)
{
	/* the medium checks (NOT READY) ran before */
	emu_cmd_good(c);
}

/* SPC-5 6.39 */
static void exec_request_sense(emu_cmd *c)
{
	emu_lun *l = c->lun;
	emu_sense s;
	uint8_t b[EMU_SENSE_MAX];
	uint32_t n;
	uint16_t ua;

	memset(&s, 0, sizeof(s));
	if (c->lunless == EMU_NOLUN_MISSING) {
		s.key = SK_ILLEGAL_REQUEST;
		s.code = ASC_LUN_NOT_SUPPORTED;
	} else if (l && emu_ua_take(l, &ua)) {
		s.key = SK_UNIT_ATTENTION;
		s.code = ua;
	} else if (l && l->no_medium) {
		s.key = SK_NOT_READY;
		s.code = ASC_MEDIUM_NOT_PRESENT;
	} else if (l && l->stopped) {
		s.key = SK_NOT_READY;
		s.code = ASC_NOT_READY_INIT_REQUIRED;
	}
	n = emu_sense_build(&s, c->cdb[1] & 0x01, b, sizeof(b));
	emu_cmd_data_in(c, b, n, c->cdb[4]);
}

static void stop_flushed(emu_cmd *c, long res)
{
	if (res < 0)
		emu_cmd_fail(c, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	else
		emu_cmd_good(c);
}

/* SBC-4 5.25, MMC-6 6.39 */
static void exec_start_stop(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool start = c->cdb[4] & 0x01, loej = c->cdb[4] & 0x02;
	bool no_flush = c->cdb[4] & 0x04;

	if (loej) {
		if (!start) {
			if (l->prevent) {
				emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
					     ASC_REMOVAL_PREVENTED);
				return;
			}
			if (!l->no_medium)
				l->media_event = 3;	/* MediaRemoval */
			l->no_medium = true;
		} else if (l->no_medium) {
			l->no_medium = false;
			l->media_event = 2;		/* NewMedia */
			emu_ua_add(l, ASC_MEDIUM_MAY_HAVE_CHANGED);
		}
		emu_cmd_good(c);
		return;
	}
	l->stopped = !start;
	if (!start && !no_flush && !(l->flags & EMU_LUN_RO)) {
		memset(&c->io, 0, sizeof(c->io));
		c->io.op = IO_FSYNC;
		c->cont = stop_flushed;
		emu_io_start(c);
		return;
	}
	emu_cmd_good(c);
}

/* SPC-5 6.17 (SBC-4 / MMC-6 give it meaning) */
static void exec_prevent_allow(emu_cmd *c)
{
	c->lun->prevent = c->cdb[4] & 0x01;
	emu_cmd_good(c);
}

/* ------------------------------------------------------------ RSOC */

/* SPC-5 6.35 */
static void exec_rsoc(emu_cmd *c)
{
	const emu_cmd_def *rows[128];
	unsigned opts = c->cdb[2] & 0x07;
	bool rctd = c->cdb[2] & 0x80;
	uint8_t req_op = c->cdb[3];
	uint16_t req_sa = (uint16_t)emu_get16(c->cdb + 4);
	uint32_t alloc = emu_get32(c->cdb + 6);
	unsigned set = (c->lun && (c->lun->flags & EMU_LUN_CDROM))
			       ? EMU_DEF_CD
			       : EMU_DEF_DISK;
	size_t nrows = emu_cmd_list(set, rows, 128), i, n;
	uint8_t *b;
	const emu_cmd_def *d = NULL;
	bool has_sa = false;

	if (opts > 3) {
		emu_cmd_bad_field(c, 2, 2);
		return;
	}
	b = calloc(1, 4 + nrows * 20 + 64);
	if (!b) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	if (opts == 0) {
		n = 4;
		for (i = 0; i < nrows; i++) {
			d = rows[i];
			b[n] = d->opcode;
			if (d->sa != 0xffff) {
				emu_put16(b + n + 2, d->sa);
				b[n + 5] |= 0x01;	/* SERVACTV */
			}
			emu_put16(b + n + 6, d->cdb_len);
			if (rctd) {
				b[n + 5] |= 0x02;	/* CTDP */
				emu_put16(b + n + 8, 0x0a);
			}
			n += rctd ? 20 : 8;
		}
		emu_put32(b, n - 4);
		emu_cmd_data_in(c, b, n, alloc);
		free(b);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i]->opcode != req_op)
			continue;
		if (rows[i]->sa != 0xffff)
			has_sa = true;
		if (rows[i]->sa == 0xffff || rows[i]->sa == req_sa)
			d = rows[i];
	}
	if ((opts == 1 && has_sa) || (opts == 2 && d && !has_sa)) {
		free(b);
		emu_cmd_bad_field(c, 3, 7);
		return;
	}
	if (opts == 2 && !has_sa && !d) {
		/* neither the opcode nor a service action: not supported */
	}
	if (!d) {
		b[1] = 0x01;	/* SUPPORT: not supported */
		n = 4;
	} else {
		b[1] = 0x03;	/* SUPPORT: supported as the standard says */
		emu_put16(b + 2, d->cdb_len);
		memcpy(b + 4, d->usage, d->cdb_len);
		b[4] = d->opcode;
		if (d->sa != 0xffff)
			b[5] = (uint8_t)((d->usage[1] & ~0x1fu) | d->sa);
		n = 4u + d->cdb_len;
		if (rctd) {
			b[1] |= 0x80;	/* CTDP */
			emu_put16(b + n, 0x0a);
			n += 12;
		}
	}
	emu_cmd_data_in(c, b, n, alloc);
	free(b);
}

/* SPC-5 6.36 */
static void exec_rstmf(emu_cmd *c)
{
	uint8_t b[16];
	uint32_t alloc = emu_get32(c->cdb + 6);
	bool repd = c->cdb[2] & 0x80;

	memset(b, 0, sizeof(b));
	/* ATS ATSS CACAS CTSS LURS QTS; QTSS ITNRS */
	b[0] = 0xfc;
	b[1] = 0x03;
	if (repd)
		b[3] = 0x0c;
	emu_cmd_data_in(c, b, repd ? 16 : 4, alloc);
}

/* ------------------------------------------------------------ table */

#define ALL (EMU_DEF_DISK | EMU_DEF_CD)
#define NOSA 0xffff

const emu_cmd_def emu_spc_defs[] = {
	{0x00, NOSA, 6, ALL | EMU_DEF_WLUN | EMU_DEF_MEDIUM,
	 {0x00, 0, 0, 0, 0, 0}, exec_tur, NULL},
	{0x03, NOSA, 6, ALL | EMU_DEF_WLUN | EMU_DEF_NO_UA,
	 {0x03, 0x01, 0, 0, 0xff, 0}, exec_request_sense, NULL},
	{0x12, NOSA, 6, ALL | EMU_DEF_WLUN | EMU_DEF_NO_UA,
	 {0x12, 0x01, 0xff, 0xff, 0xff, 0}, exec_inquiry, NULL},
	{0x15, NOSA, 6, ALL, {0x15, 0x11, 0, 0, 0xff, 0}, emu_mode_select,
	 NULL},
	{0x1a, NOSA, 6, ALL, {0x1a, 0x08, 0xff, 0xff, 0xff, 0}, emu_mode_sense,
	 NULL},
	{0x1b, NOSA, 6, EMU_DEF_DISK, {0x1b, 0x01, 0, 0, 0x05, 0},
	 exec_start_stop, NULL},
	{0x1b, NOSA, 6, EMU_DEF_CD, {0x1b, 0x01, 0, 0, 0x07, 0},
	 exec_start_stop, NULL},
	{0x1e, NOSA, 6, ALL, {0x1e, 0, 0, 0, 0x01, 0}, exec_prevent_allow,
	 NULL},
	{0x55, NOSA, 10, ALL, {0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, 0},
	 emu_mode_select, NULL},
	{0x5a, NOSA, 10, ALL,
	 {0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0}, emu_mode_sense,
	 NULL},
	{0xa0, NOSA, 12, ALL | EMU_DEF_WLUN | EMU_DEF_NO_UA,
	 {0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0},
	 exec_report_luns, NULL},
	/* MMC gives A3h to SEND KEY: MAINTENANCE IN is for disks */
	{0xa3, 0x0c, 12, EMU_DEF_DISK,
	 {0xa3, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0},
	 exec_rsoc, NULL},
	{0xa3, 0x0d, 12, EMU_DEF_DISK,
	 {0xa3, 0x1f, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0},
	 exec_rstmf, NULL},
};
const size_t emu_spc_ndefs = sizeof(emu_spc_defs) / sizeof(emu_spc_defs[0]);

/* Opcodes whose service action is in byte 1 bits 4-0 (SPC-5 4.2.2). */
static bool has_sa_field(uint8_t op)
{
	return op == 0x9e || op == 0x9f || op == 0xa3 || op == 0xa4 ||
	       op == 0x5e || op == 0x5f;
}

static const emu_cmd_def *lookup_in(const emu_cmd_def *t, size_t n,
				    unsigned set, uint8_t op, unsigned sa,
				    bool *sa_bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].opcode != op || !(t[i].flags & set))
			continue;
		if (t[i].sa == NOSA || t[i].sa == sa)
			return &t[i];
		*sa_bad = true;
	}
	return NULL;
}

const emu_cmd_def *emu_cmd_lookup(unsigned set, const uint8_t *cdb,
				  size_t len, bool *sa_bad)
{
	const emu_cmd_def *d;
	unsigned sa = NOSA;

	*sa_bad = false;
	if (!len)
		return NULL;
	if (has_sa_field(cdb[0]) && len > 1)
		sa = cdb[1] & 0x1fu;
	d = lookup_in(emu_spc_defs, emu_spc_ndefs, set, cdb[0], sa, sa_bad);
	if (!d)
		d = lookup_in(emu_sbc_defs, emu_sbc_ndefs, set, cdb[0], sa,
			      sa_bad);
	if (!d)
		d = lookup_in(emu_mmc_defs, emu_mmc_ndefs, set, cdb[0], sa,
			      sa_bad);
	if (d)
		*sa_bad = false;
	return d;
}

static int def_cmp(const void *a, const void *b)
{
	const emu_cmd_def *x = *(const emu_cmd_def *const *)a;
	const emu_cmd_def *y = *(const emu_cmd_def *const *)b;

	if (x->opcode != y->opcode)
		return x->opcode < y->opcode ? -1 : 1;
	return x->sa < y->sa ? -1 : x->sa > y->sa;
}

size_t emu_cmd_list(unsigned set, const emu_cmd_def **out, size_t cap)
{
	const emu_cmd_def *tabs[3] = {emu_spc_defs, emu_sbc_defs,
				      emu_mmc_defs};
	size_t ns[3] = {emu_spc_ndefs, emu_sbc_ndefs, emu_mmc_ndefs};
	size_t n = 0, t, i;

	for (t = 0; t < 3; t++)
		for (i = 0; i < ns[t] && n < cap; i++)
			if (tabs[t][i].flags & set)
				out[n++] = &tabs[t][i];
	qsort(out, n, sizeof(*out), def_cmp);
	return n;
}
