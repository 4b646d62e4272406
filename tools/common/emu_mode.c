/*
 * emu_mode: MODE SENSE (6)/(10) and MODE SELECT (6)/(10) (SPC-5 6.11-6.14)
 * with the pages a disk and a CD-ROM need: caching (SBC-4 6.5.5, WCE
 * honoured: with the write cache off every write is durable), control
 * (SPC-5 7.5.11, D_SENSE selects descriptor sense) and, for a CD-ROM, the
 * MM capabilities and mechanical status page (2Ah, MMC-3 and later).
 * Saved values are not implemented: PC 11b gets SAVING PARAMETERS NOT
 * SUPPORTED and SP 1 gets INVALID FIELD IN CDB.
 */
#include <string.h>

#include "emu_int.h"

enum { PC_CURRENT = 0, PC_CHANGEABLE = 1, PC_DEFAULT = 2, PC_SAVED = 3 };

void emu_mode_default(emu_lun *l)
{
	l->mode.wce = 1;
	l->mode.d_sense = 0;
}

#define CACHING_LEN 20
#define CONTROL_LEN 12
#define CAPS_LEN 22

/* One page into b in page-control pc from mode m; returns its length. */
static size_t page_build(const emu_lun *l, uint8_t code, unsigned pc,
			 const emu_mode *m, uint8_t *b)
{
	switch (code) {
	case 0x08:	/* caching */
		memset(b, 0, CACHING_LEN);
		b[0] = 0x08;
		b[1] = CACHING_LEN - 2;
		if (pc == PC_CHANGEABLE)
			b[2] = 0x04;
		else
			b[2] = m->wce ? 0x04 : 0x00;
		return CACHING_LEN;
	case 0x0a:	/* control */
		memset(b, 0, CONTROL_LEN);
		b[0] = 0x0a;
		b[1] = CONTROL_LEN - 2;
		if (pc == PC_CHANGEABLE) {
			b[2] = 0x04;
			return CONTROL_LEN;
		}
		b[2] = m->d_sense ? 0x04 : 0x00;
		b[3] = 0x10;	/* QUEUE ALGORITHM MODIFIER 1: unrestricted */
		emu_put16(b + 8, 0xffff);	/* BUSY TIMEOUT: unlimited */
		return CONTROL_LEN;
	case 0x2a:	/* MM capabilities and mechanical status */
		memset(b, 0, CAPS_LEN);
		b[0] = 0x2a;
		b[1] = CAPS_LEN - 2;
		if (pc == PC_CHANGEABLE)
			return CAPS_LEN;
		b[2] = 0x03;	/* reads CD-R, CD-RW */
		b[4] = 0x40;	/* multi-session */
		/* tray loading, eject, lock, lock state */
		b[6] = (uint8_t)(0x20 | 0x08 | 0x01 | (l->prevent ? 0x02 : 0));
		emu_put16(b + 8, 176 * 24);	/* maximum read speed kB/s */
		emu_put16(b + 14, 176 * 24);	/* current read speed */
		return CAPS_LEN;
	}
	return 0;
}

static const uint8_t pages_disk[] = {0x08, 0x0a};
static const uint8_t pages_cd[] = {0x0a, 0x2a};

static bool page_supported(const emu_lun *l, uint8_t code)
{
	const uint8_t *p = (l->flags & EMU_LUN_CDROM) ? pages_cd : pages_disk;
	size_t i;

	for (i = 0; i < 2; i++)
		if (p[i] == code)
			return true;
	return false;
}

void emu_mode_sense(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool ten = c->cdb[0] == 0x5a;
	bool dbd = c->cdb[1] & 0x08, llbaa = ten && (c->cdb[1] & 0x10);
	unsigned pc = c->cdb[2] >> 6;
	uint8_t code = c->cdb[2] & 0x3f, sub = c->cdb[3];
	uint32_t alloc = ten ? emu_get16(c->cdb + 7) : c->cdb[4];
	bool cd = l->flags & EMU_LUN_CDROM;
	uint8_t b[256];
	emu_mode def;
	const emu_mode *m = &l->mode;
	size_t h = ten ? 8 : 4, n, bdl = 0, i;

	if (pc == PC_SAVED) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED);
		return;
	}
	if (code != 0x3f && !page_supported(l, code)) {
		emu_cmd_bad_field(c, 2, 5);
		return;
	}
	if (sub != 0x00 && sub != 0xff) {
		emu_cmd_bad_field(c, 3, 7);
		return;
	}
	if (pc == PC_DEFAULT) {
		emu_lun tmp;

		memset(&tmp, 0, sizeof(tmp));
		emu_mode_default(&tmp);
		def = tmp.mode;
		m = &def;
	}
	memset(b, 0, sizeof(b));
	/* device-specific parameter: WP, DPOFUA (SBC-4 6.5.1) */
	if (!cd)
		b[ten ? 3 : 2] = (uint8_t)(((l->flags & EMU_LUN_RO) ? 0x80 : 0) |
					   0x10);
	if (!dbd) {
		uint8_t *d = b + h;

		if (llbaa) {
			b[4] = 0x01;	/* LONGLBA */
			emu_put64(d, pc == PC_CHANGEABLE ? 0 : l->blocks);
			emu_put32(d + 12, pc == PC_CHANGEABLE ? 0 : l->bs);
			bdl = 16;
		} else {
			uint64_t nb = l->blocks > 0xffffffffu ? 0xffffffffu
							      : l->blocks;

			emu_put32(d, pc == PC_CHANGEABLE ? 0 : nb);
			emu_put32(d + 4, pc == PC_CHANGEABLE ? 0 : l->bs);
			d[4] = 0;	/* density code */
			bdl = 8;
		}
	}
	if (ten)
		emu_put16(b + 6, bdl);
	else
		b[3] = (uint8_t)bdl;
	n = h + bdl;
	if (code == 0x3f) {
		const uint8_t *p = cd ? pages_cd : pages_disk;

		for (i = 0; i < 2; i++)
			n += page_build(l, p[i], pc, m, b + n);
	} else {
		n += page_build(l, code, pc, m, b + n);
	}
	if (ten)
		emu_put16(b, n - 2);
	else
		b[0] = (uint8_t)(n - 1);
	emu_cmd_data_in(c, b, n, alloc);
}

static void select_flushed(emu_cmd *c, long res)
{
	if (res < 0)
		emu_cmd_fail(c, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	else
		emu_cmd_good(c);
}

void emu_mode_select(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool ten = c->cdb[0] == 0x55;
	uint32_t plen = ten ? emu_get16(c->cdb + 7) : c->cdb[4];
	size_t h = ten ? 8 : 4, bdl, off;
	uint8_t p[4096];	/* longer parameter lists are refused */
	emu_mode nm = l->mode;
	bool flush;

	if (c->cdb[1] & 0x01) {	/* SP: no saved pages */
		emu_cmd_bad_field(c, 1, 0);
		return;
	}
	if (plen == 0) {
		emu_cmd_good(c);
		return;
	}
	if (plen > c->dout_len) {
		c->res.response = VSCSI_S_OVERRUN;
		emu_cmd_finish(c);
		return;
	}
	if (plen < h || plen > sizeof(p)) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return;
	}
	emu_dout_gather(c, 0, p, plen);
	c->dout_used = plen;
	bdl = ten ? emu_get16(p + 6) : p[3];
	if (bdl) {
		size_t want = (ten && (p[4] & 0x01)) ? 16 : 8;
		uint64_t nb;
		uint32_t bl;

		if (bdl != want) {
			emu_cmd_bad_param(c, ten ? 7 : 3, 8);
			return;
		}
		if (h + bdl > plen) {
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
				     ASC_PARAM_LIST_LENGTH);
			return;
		}
		if (want == 16) {
			nb = emu_get64(p + h);
			bl = emu_get32(p + h + 12);
		} else {
			nb = emu_get32(p + h);
			bl = emu_get24(p + h + 5);
		}
		if (bl != l->bs) {
			emu_cmd_bad_param(c, (unsigned)(h + bdl - 3), 8);
			return;
		}
		if (nb != 0 && nb != l->blocks &&
		    !(want == 8 && nb == 0xffffffffu && l->blocks > nb)) {
			emu_cmd_bad_param(c, (unsigned)h, 8);
			return;
		}
	}
	/* check every page before changing anything */
	for (off = h + bdl; off < plen;) {
		uint8_t cur[64], chg[64];
		uint8_t code = p[off] & 0x3f;
		size_t len, i;

		if (p[off] & 0x40) {	/* SPF: no subpages here */
			emu_cmd_bad_param(c, (unsigned)off, 6);
			return;
		}
		if (!page_supported(l, code) || code == 0x2a) {
			emu_cmd_bad_param(c, (unsigned)off, 5);
			return;
		}
		if (off + 2 > plen) {
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
				     ASC_PARAM_LIST_LENGTH);
			return;
		}
		len = page_build(l, code, PC_CURRENT, &l->mode, cur);
		page_build(l, code, PC_CHANGEABLE, &l->mode, chg);
		if (p[off + 1] != len - 2) {
			emu_cmd_bad_param(c, (unsigned)(off + 1), 8);
			return;
		}
		if (off + len > plen) {
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
				     ASC_PARAM_LIST_LENGTH);
			return;
		}
		for (i = 2; i < len; i++) {
			unsigned bad = (unsigned)(p[off + i] ^ cur[i]) &
				       ~(unsigned)chg[i] & 0xffu;
			unsigned bit = 7;

			if (!bad)
				continue;
			while (!(bad & (1u << bit)))
				bit--;
			emu_cmd_bad_param(c, (unsigned)(off + i), bit);
			return;
		}
		if (code == 0x08)
			nm.wce = (p[off + 2] & 0x04) ? 1 : 0;
		if (code == 0x0a)
			nm.d_sense = (p[off + 2] & 0x04) ? 1 : 0;
		off += len;
	}
	flush = l->mode.wce && !nm.wce;
	l->mode = nm;
	if (flush) {
		/* write-through from now on: what is cached must be too */
		memset(&c->io, 0, sizeof(c->io));
		c->io.op = IO_FSYNC;
		c->cont = select_flushed;
		emu_io_start(c);
		return;
	}
	emu_cmd_good(c);
}
