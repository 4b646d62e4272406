/*
 * emu_mmc: what a CD-ROM LUN answers beyond SPC (MMC-6): READ TOC/PMA/ATIP,
 * GET CONFIGURATION, GET EVENT STATUS NOTIFICATION. The image is one data
 * track in one session starting at LBA 0 (an ISO 9660 file).
 */
#include <string.h>

#include "emu_int.h"

static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (msf) {
		uint64_t x = lba + 150;	/* 2-second pregap */

		p[0] = 0;
		p[1] = (uint8_t)(x / (60 * 75));
		p[2] = (uint8_t)(x / 75 % 60);
		p[3] = (uint8_t)(x % 75);
	} else {
		emu_put32(p, lba);
	}
}

/* MMC-6 6.33: format 0 (TOC) and 1 (session information). */
static void exec_read_toc(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool msf = c->cdb[1] & 0x02;
	unsigned fmt = c->cdb[2] & 0x0f, track = c->cdb[6];
	uint32_t alloc = emu_get16(c->cdb + 7);
	uint8_t b[32];
	size_t n = 4;

	memset(b, 0, sizeof(b));
	b[2] = 1;
	b[3] = 1;
	if (fmt == 0) {
		if (track > 1 && track != 0xaa) {
			emu_cmd_bad_field(c, 6, 7);
			return;
		}
		if (track <= 1) {
			b[n + 1] = 0x14;	/* ADR 1, data track */
			b[n + 2] = 1;
			put_addr(b + n + 4, 0, msf);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = 0xaa;		/* lead-out */
		put_addr(b + n + 4, l->blocks, msf);
		n += 8;
	} else if (fmt == 1) {
		b[n + 1] = 0x14;
		b[n + 2] = 1;	/* first track of the last session */
		put_addr(b + n + 4, 0, msf);
		n += 8;
	} else {
		emu_cmd_bad_field(c, 2, 3);
		return;
	}
	emu_put16(b, n - 2);
	emu_cmd_data_in(c, b, n, alloc);
}

/* One feature descriptor header (MMC-6 5.2.2). */
static size_t feature(uint8_t *p, uint16_t code, uint8_t ver, bool persist,
		      bool cur, uint8_t add)
{
	emu_put16(p, code);
	p[2] = (uint8_t)(ver << 2 | (persist ? 0x02 : 0) | (cur ? 0x01 : 0));
	p[3] = add;
	return 4;
}

/* MMC-6 6.6 */
static void exec_get_configuration(emu_cmd *c)
{
	emu_lun *l = c->lun;
	unsigned rt = c->cdb[1] & 0x03;
	uint16_t start = (uint16_t)emu_get16(c->cdb + 2);
	uint32_t alloc = emu_get16(c->cdb + 7);
	bool med = !l->no_medium;
	uint8_t b[128], f[16];
	size_t n = 8, k;
	/* the features, in code order */
	static const uint16_t codes[] = {0x0000, 0x0001, 0x0002, 0x0003,
					 0x0010, 0x001e};
	size_t i;

	if (rt == 3) {
		emu_cmd_bad_field(c, 1, 1);
		return;
	}
	memset(b, 0, sizeof(b));
	emu_put16(b + 6, med ? 0x0008 : 0x0000);	/* CD-ROM profile */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint16_t code = codes[i];
		bool cur = true;

		memset(f, 0, sizeof(f));
		switch (code) {
		case 0x0000:	/* profile list */
			k = feature(f, code, 0, true, true, 4);
			emu_put16(f + 4, 0x0008);
			f[6] = med ? 0x01 : 0x00;
			k += 4;
			break;
		case 0x0001:	/* core: SCSI, DBE */
			k = feature(f, code, 2, true, true, 8);
			emu_put32(f + 4, 1);
			f[8] = 0x01;
			k += 8;
			break;
		case 0x0002:	/* morphing: polled GESN */
			k = feature(f, code, 1, true, true, 4);
			k += 4;
			break;
		case 0x0003:	/* removable medium: tray, eject, lock */
			k = feature(f, code, 0, true, true, 4);
			f[4] = 0x29;
			k += 4;
			break;
		case 0x0010:	/* random readable, 2048-byte blocks */
			cur = med;
			k = feature(f, code, 0, false, cur, 8);
			emu_put32(f + 4, l->bs);
			emu_put16(f + 8, 1);
			k += 8;
			break;
		default:	/* 0x001e CD read */
			cur = med;
			k = feature(f, code, 0, false, cur, 4);
			k += 4;
			break;
		}
		if (code < start)
			continue;
		if (rt == 1 && !cur)
			continue;
		if (rt == 2 && code != start)
			continue;
		memcpy(b + n, f, k);
		n += k;
	}
	emu_put32(b, n - 4);
	emu_cmd_data_in(c, b, n, alloc);
}

/* MMC-6 6.8: polled only; the media class (4) is the one supported. */
static void exec_gesn(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint8_t req = c->cdb[4];
	uint32_t alloc = emu_get16(c->cdb + 7);
	uint8_t b[8];
	size_t n = 4;

	if (!(c->cdb[1] & 0x01)) {	/* asynchronous: not supported */
		emu_cmd_bad_field(c, 1, 0);
		return;
	}
	memset(b, 0, sizeof(b));
	b[3] = 0x10;			/* supported: media */
	if (req & 0x10) {
		b[2] = 0x04;		/* media class */
		b[4] = l->media_event;
		b[5] = l->no_medium ? 0x00 : 0x02;	/* media present */
		l->media_event = 0;
		n = 8;
	} else {
		b[2] = 0x80;		/* NEA */
	}
	emu_put16(b, n - 2);
	emu_cmd_data_in(c, b, n, alloc);
}

#define CD EMU_DEF_CD
#define NOSA 0xffff

const emu_cmd_def emu_mmc_defs[] = {
	/* format in byte 2; the old format bits 7-6 of the control byte are
	 * accepted and ignored */
	{0x43, NOSA, 10, CD | EMU_DEF_MEDIUM,
	 {0x43, 0x02, 0x0f, 0, 0, 0, 0xff, 0xff, 0xff, 0xc0},
	 exec_read_toc, NULL},
	{0x46, NOSA, 10, CD | EMU_DEF_NO_UA, {0x46, 0x03, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0},
	 exec_get_configuration, NULL},
	{0x4a, NOSA, 10, CD | EMU_DEF_NO_UA, {0x4a, 0x01, 0, 0, 0xff, 0, 0, 0xff, 0xff, 0},
	 exec_gesn, NULL},
};
const size_t emu_mmc_ndefs = sizeof(emu_mmc_defs) / sizeof(emu_mmc_defs[0]);
