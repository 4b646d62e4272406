/*
 * emu_sbc: the block commands (SBC-4): READ CAPACITY, READ and WRITE
 * (6/10/12/16), VERIFY, WRITE AND VERIFY, WRITE SAME, UNMAP, SYNCHRONIZE
 * CACHE, GET LBA STATUS, COMPARE AND WRITE, PRE-FETCH.
 *
 * Each command has a prep step (decode the CDB, check the range and the
 * buffers, claim its LBA range) and an exec step (start the I/O). Data moves
 * straight between the file and the request's iovecs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_int.h"

#define WS_CHUNK (1u << 20)	/* WRITE SAME / zeroing pattern buffer */

/* ------------------------------------------------------------ helpers */

/* The transfer needs more buffer than the request brought: virtio's
 * OVERRUN (5.6.6.1), the command is not executed. */
static bool need_buf(emu_cmd *c, uint64_t have, uint64_t want)
{
	if (have >= want)
		return true;
	c->res.response = VSCSI_S_OVERRUN;
	emu_cmd_finish(c);
	return false;
}

static bool lba_ok(emu_cmd *c, uint64_t lba, uint64_t n)
{
	emu_lun *l = c->lun;

	if (lba > l->blocks || n > l->blocks - lba) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	return true;
}

static void lock_range(emu_cmd *c, uint64_t lba, uint64_t n, bool excl)
{
	if (!n)
		return;
	c->has_range = true;
	c->excl = excl;
	c->r_lba = lba;
	c->r_last = lba + n - 1;
}

/* LBA, length and the length field's byte for the CDB layouts SBC-4 uses:
 *   6:  byte 1 bits 4-0 + 2-3 LBA, byte 4 length (0 means 256)
 *   10: bytes 2-5 LBA, 7-8 length
 *   12: bytes 2-5 LBA, 6-9 length
 *   16: bytes 2-9 LBA, 10-13 length */
static unsigned decode_lba_len(emu_cmd *c)
{
	const uint8_t *b = c->cdb;

	switch (c->def->cdb_len) {
	case 6:
		c->lba = (uint64_t)(b[1] & 0x1f) << 16 | emu_get16(b + 2);
		c->nblk = b[4] ? b[4] : 256;
		return 4;
	case 10:
		c->lba = emu_get32(b + 2);
		c->nblk = emu_get16(b + 7);
		return 7;
	case 12:
		c->lba = emu_get32(b + 2);
		c->nblk = emu_get32(b + 6);
		return 6;
	default:
		c->lba = emu_get64(b + 2);
		c->nblk = emu_get32(b + 10);
		return 10;
	}
}

static int write_flags(const emu_cmd *c)
{
	/* FUA, or no write cache: durable before the completion */
	return (c->fua || !c->lun->mode.wce) ? RWF_DSYNC : 0;
}

static void fail_io(emu_cmd *c, long res, bool write)
{
	emu_sense s;

	memset(&s, 0, sizeof(s));
	if (write && res == -ENOSPC) {
		s.key = SK_DATA_PROTECT;
		s.code = ASC_SPACE_ALLOC_FAILED;
	} else {
		s.key = SK_MEDIUM_ERROR;
		s.code = write ? ASC_WRITE_ERROR : ASC_UNRECOVERED_READ;
		s.has_info = 1;
		s.info = c->lba;
	}
	emu_cmd_check(c, &s);
}

/* Offset of the first byte where the bounce buffer and data-out bytes
 * [dout_off, dout_off + len) differ, or -1. With stride, the data-out holds
 * one block compared against every block of the buffer (BYTCHK 11b). */
static long long first_diff(emu_cmd *c, uint64_t dout_off, uint64_t len,
			    uint32_t stride)
{
	uint8_t tmp[4096];
	const uint8_t *m = c->bounce;
	uint64_t pos = 0;

	while (pos < len) {
		size_t n = len - pos < sizeof(tmp) ? (size_t)(len - pos)
						   : sizeof(tmp);
		uint64_t src = stride ? dout_off + pos % stride : dout_off + pos;
		size_t i;

		if (stride && n > stride - pos % stride)
			n = (size_t)(stride - pos % stride);
		emu_dout_gather(c, (size_t)src, tmp, n);
		if (memcmp(tmp, m + pos, n) != 0) {
			for (i = 0; i < n; i++)
				if (tmp[i] != m[pos + i])
					return (long long)(pos + i);
		}
		pos += n;
	}
	return -1;
}

static void miscompare(emu_cmd *c, uint64_t off)
{
	emu_sense s;

	memset(&s, 0, sizeof(s));
	s.key = SK_MISCOMPARE;
	s.code = ASC_MISCOMPARE_VERIFY;
	s.has_info = 1;
	s.info = off;
	emu_cmd_check(c, &s);
}

/* ------------------------------------------------------------ capacity */

/* SBC-4 5.20 */
static void exec_read_capacity10(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint8_t b[8];
	uint64_t last = l->blocks - 1;

	emu_put32(b, last > 0xffffffffu ? 0xffffffffu : last);
	emu_put32(b + 4, l->bs);
	emu_cmd_data_in(c, b, sizeof(b), sizeof(b));
}

/* SBC-4 5.21 */
static void exec_read_capacity16(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint8_t b[32];
	bool lbpme = l->can_punch;

	memset(b, 0, sizeof(b));
	emu_put64(b, l->blocks - 1);
	emu_put32(b + 8, l->bs);
	b[12] = 0x10;		/* RC BASIS 01b: the last LBA */
	b[13] = l->phys_exp;	/* logical blocks per physical block */
	if (lbpme)
		b[14] = 0x80 | 0x40;	/* LBPME, LBPRZ */
	emu_cmd_data_in(c, b, sizeof(b), emu_get32(c->cdb + 10));
}

/* ------------------------------------------------------------ READ/WRITE */

static bool prep_rw(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool write = c->def->flags & EMU_DEF_WRITE;
	unsigned lenb = decode_lba_len(c);

	c->fua = c->def->cdb_len > 6 && (c->cdb[1] & 0x08);
	if (c->nblk > emu_max_xfer_blocks(l)) {
		emu_cmd_bad_field(c, lenb, 7);
		return false;
	}
	if (!lba_ok(c, c->lba, c->nblk))
		return false;
	if (!need_buf(c, write ? c->dout_len : c->din_len,
		      c->nblk << l->bs_shift))
		return false;
	lock_range(c, c->lba, c->nblk, write);
	return true;
}

static void read_done(emu_cmd *c, long res)
{
	if (res < 0) {
		fail_io(c, res, false);
		return;
	}
	c->res.data_in_len = (uint32_t)res;
	emu_cmd_good(c);
}

static void exec_read(emu_cmd *c)
{
	emu_lun *l = c->lun;

	if (!c->nblk) {
		emu_cmd_good(c);
		return;
	}
	if (!emu_io_rw(c, IO_READ, c->lba << l->bs_shift, c->din, c->din_cnt,
		       c->nblk << l->bs_shift, 0))
		return;
	c->cont = read_done;
	emu_io_start(c);
}

static void write_done(emu_cmd *c, long res)
{
	if (res < 0) {
		fail_io(c, res, true);
		return;
	}
	c->dout_used = (uint64_t)res;
	emu_cmd_good(c);
}

static void exec_write(emu_cmd *c)
{
	emu_lun *l = c->lun;

	if (!c->nblk) {
		emu_cmd_good(c);
		return;
	}
	if (!emu_io_rw(c, IO_WRITE, c->lba << l->bs_shift, c->dout,
		       c->dout_cnt, c->nblk << l->bs_shift, write_flags(c)))
		return;
	c->cont = write_done;
	emu_io_start(c);
}

/* ------------------------------------------------------------ VERIFY */

/* SBC-4 5.36/5.37: BYTCHK 00b medium only, 01b compare, 11b compare every
 * block with one block of data-out; 10b is reserved. */
static bool prep_verify(emu_cmd *c)
{
	emu_lun *l = c->lun;
	unsigned lenb = decode_lba_len(c);
	uint64_t want = 0;

	c->bytchk = (c->cdb[1] >> 1) & 0x03;
	if (c->bytchk == 2) {
		emu_cmd_bad_field(c, 1, 2);
		return false;
	}
	if (c->nblk > emu_max_xfer_blocks(l)) {
		emu_cmd_bad_field(c, lenb, 7);
		return false;
	}
	if (!lba_ok(c, c->lba, c->nblk))
		return false;
	if (c->nblk && c->bytchk == 1)
		want = c->nblk << l->bs_shift;
	else if (c->nblk && c->bytchk == 3)
		want = l->bs;
	if (!need_buf(c, c->dout_len, want))
		return false;
	lock_range(c, c->lba, c->nblk, false);
	return true;
}

static void verify_done(emu_cmd *c, long res)
{
	emu_lun *l = c->lun;
	long long d;

	if (res < 0) {
		fail_io(c, res, false);
		return;
	}
	if (c->bytchk) {
		d = first_diff(c, 0, c->nblk << l->bs_shift,
			       c->bytchk == 3 ? l->bs : 0);
		c->dout_used = c->bytchk == 3 ? l->bs : c->nblk << l->bs_shift;
		if (d >= 0) {
			miscompare(c, (uint64_t)d);
			return;
		}
	}
	emu_cmd_good(c);
}

/* Read the command's blocks into a bounce buffer, then go on with cont
 * (VERIFY and COMPARE AND WRITE compare what the medium holds). */
static void read_blocks_then(emu_cmd *c, emu_cont_fn cont)
{
	emu_lun *l = c->lun;

	if (!c->nblk) {
		emu_cmd_good(c);
		return;
	}
	if (!emu_io_bounce(c, IO_READ, c->lba << l->bs_shift,
			   c->nblk << l->bs_shift))
		return;
	c->cont = cont;
	emu_io_start(c);
}

static void exec_verify(emu_cmd *c)
{
	read_blocks_then(c, verify_done);
}

/* WRITE AND VERIFY (SBC-4 5.47/5.48): BYTCHK 00b or 01b. */
static bool prep_write_verify(emu_cmd *c)
{
	c->bytchk = (c->cdb[1] >> 1) & 0x03;
	if (c->bytchk > 1) {
		emu_cmd_bad_field(c, 1, 2);
		return false;
	}
	return prep_rw(c);
}

static void wv_read_done(emu_cmd *c, long res)
{
	long long d;

	if (res < 0) {
		fail_io(c, res, false);
		return;
	}
	d = first_diff(c, 0, c->nblk << c->lun->bs_shift, 0);
	if (d >= 0) {
		miscompare(c, (uint64_t)d);
		return;
	}
	emu_cmd_good(c);
}

static void wv_write_done(emu_cmd *c, long res)
{
	emu_lun *l = c->lun;

	if (res < 0) {
		fail_io(c, res, true);
		return;
	}
	c->dout_used = (uint64_t)res;
	if (!c->bytchk) {
		emu_cmd_good(c);
		return;
	}
	if (!emu_io_bounce(c, IO_READ, c->lba << l->bs_shift,
			   c->nblk << l->bs_shift))
		return;
	c->cont = wv_read_done;
	emu_io_start(c);
}

static void exec_write_verify(emu_cmd *c)
{
	emu_lun *l = c->lun;

	if (!c->nblk) {
		emu_cmd_good(c);
		return;
	}
	if (!emu_io_rw(c, IO_WRITE, c->lba << l->bs_shift, c->dout,
		       c->dout_cnt, c->nblk << l->bs_shift, write_flags(c)))
		return;
	c->cont = wv_write_done;
	emu_io_start(c);
}

/* ------------------------------------------------------------ zero/fill */

/*
 * Fill blocks [c->lba, c->lba + c->nblk) with the pattern in c->bounce
 * (one block repeated to fill it), a chunk at a time; c->step counts the
 * bytes written. When punch is set (c->aux) the range is deallocated
 * instead, with a fallback to writing when the file system cannot.
 */
static void fill_next(emu_cmd *c);

static void fill_done(emu_cmd *c, long res)
{
	emu_lun *l = c->lun;

	if (c->io.op == IO_FALLOC) {
		if (res == -EOPNOTSUPP || res == -EINVAL) {
			/* cannot punch here: write the zeros instead */
			l->can_punch = false;
			c->aux = 0;
			fill_next(c);
			return;
		}
		if (res < 0) {
			fail_io(c, res, true);
			return;
		}
		c->aux = 2;	/* punched: done */
		fill_next(c);
		return;
	}
	if (res < 0) {
		fail_io(c, res, true);
		return;
	}
	c->xfer += (uint64_t)res;
	fill_next(c);
}

static void fill_next(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint64_t total = c->nblk << l->bs_shift;
	uint64_t left = total - c->xfer;

	if (c->aux == 2 || left == 0) {
		if (c->fill_then)
			c->fill_then(c);
		else
			emu_cmd_good(c);
		return;
	}
	memset(&c->io, 0, sizeof(c->io));
	if (c->aux == 1) {
		c->io.op = IO_FALLOC;
		c->io.falloc_mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		c->io.off = c->lba << l->bs_shift;
		c->io.len = total;
	} else {
		if (!c->bounce) {
			/* zeros (UNMAP fallback) */
			size_t sz = total < WS_CHUNK ? (size_t)total : WS_CHUNK;

			if (!emu_io_bounce(c, IO_WRITE, 0, sz))
				return;
			memset(c->bounce, 0, sz);
		}
		c->bounce_iov.iov_base = c->bounce;
		c->bounce_iov.iov_len = (size_t)(left < c->bounce_len
						     ? left : c->bounce_len);
		if (c->bounce_iov.iov_len > WS_CHUNK)
			c->bounce_iov.iov_len = WS_CHUNK;
		c->io.op = IO_WRITE;
		c->io.off = (c->lba << l->bs_shift) + c->xfer;
		c->io.len = c->bounce_iov.iov_len;
		c->io.iov = &c->bounce_iov;
		c->io.iovcnt = 1;
		c->io.rwflags = l->mode.wce ? 0 : RWF_DSYNC;
	}
	c->cont = fill_done;
	emu_io_start(c);
}

/* ------------------------------------------------------------ WRITE SAME */

/* SBC-4 5.49/5.50 */
static bool prep_write_same(emu_cmd *c)
{
	emu_lun *l = c->lun;
	unsigned lenb = decode_lba_len(c);
	bool ndob = c->def->cdb_len == 16 && (c->cdb[1] & 0x01);

	if (c->nblk == 0) {	/* WSNZ: zero is not "to the end" */
		emu_cmd_bad_field(c, lenb, 7);
		return false;
	}
	if (c->nblk > EMU_MAX_WS_BYTES >> l->bs_shift) {
		emu_cmd_bad_field(c, lenb, 7);
		return false;
	}
	if (!lba_ok(c, c->lba, c->nblk))
		return false;
	if (!ndob && !need_buf(c, c->dout_len, l->bs))
		return false;
	lock_range(c, c->lba, c->nblk, true);
	return true;
}

static void exec_write_same(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool ndob = c->def->cdb_len == 16 && (c->cdb[1] & 0x01);
	bool unmap = c->cdb[1] & 0x08;
	uint64_t total = c->nblk << l->bs_shift;
	size_t sz = total < WS_CHUNK ? (size_t)total : WS_CHUNK;
	bool zero = true;
	size_t i;

	if (!emu_io_bounce(c, IO_WRITE, 0, sz))
		return;
	memset(c->bounce, 0, sz);
	if (!ndob) {
		emu_dout_gather(c, 0, c->bounce, l->bs);
		c->dout_used = l->bs;
		for (i = 0; i < l->bs; i++)
			if (((uint8_t *)c->bounce)[i])
				zero = false;
		for (i = l->bs; i < sz; i += l->bs)
			memcpy((uint8_t *)c->bounce + i, c->bounce, l->bs);
	}
	/* unmap only when reading back gives the same bytes (LBPRZ) */
	c->aux = (unmap && zero && l->can_punch) ? 1 : 0;
	c->xfer = 0;
	c->fill_then = NULL;
	fill_next(c);
}

/* ------------------------------------------------------------ UNMAP */

/* SBC-4 5.32: parameter list = 8-byte header + 16-byte descriptors
 *   0-1 UNMAP DATA LENGTH, 2-3 UNMAP BLOCK DESCRIPTOR DATA LENGTH,
 *   4-7 reserved; descriptor: 0-7 LBA, 8-11 NUMBER OF LOGICAL BLOCKS,
 *   12-15 reserved. Every descriptor is checked before any is applied. */
static bool prep_unmap(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint32_t plen = emu_get16(c->cdb + 7);
	uint8_t hdr[8], d[16];
	uint32_t bddl, n, i;

	c->ndesc = 0;
	if (plen == 0)
		return true;	/* nothing to do */
	if (plen < 8) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return false;
	}
	if (!need_buf(c, c->dout_len, plen))
		return false;
	emu_dout_gather(c, 0, hdr, 8);
	bddl = emu_get16(hdr + 2);
	n = bddl / 16;
	if (n > EMU_MAX_UNMAP_DESC) {
		emu_cmd_bad_param(c, 2, 8);
		return false;
	}
	if (8 + (uint64_t)n * 16 > plen) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return false;
	}
	for (i = 0; i < n; i++) {
		emu_dout_gather(c, 8 + (size_t)i * 16, d, 16);
		if (!lba_ok(c, emu_get64(d), emu_get32(d + 8)))
			return false;
	}
	c->dout_used = plen;
	c->ndesc = n;
	lock_range(c, 0, l->blocks, true);
	return true;
}

static void unmap_next(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint8_t d[16];

	while (c->step < c->ndesc) {
		emu_dout_gather(c, 8 + (size_t)c->step * 16, d, 16);
		c->step++;
		c->lba = emu_get64(d);
		c->nblk = emu_get32(d + 8);
		if (!c->nblk)
			continue;
		c->xfer = 0;
		c->aux = l->can_punch ? 1 : 0;
		c->fill_then = unmap_next;
		fill_next(c);
		return;
	}
	emu_cmd_good(c);
}

static void exec_unmap(emu_cmd *c)
{
	c->step = 0;
	unmap_next(c);
}

/* ------------------------------------------------------------ SYNC CACHE */

/* SBC-4 5.26/5.27: number of blocks 0 means to the end; the whole file is
 * flushed whatever the range. */
static bool prep_sync(emu_cmd *c)
{
	decode_lba_len(c);
	return lba_ok(c, c->lba, c->nblk);
}

static void sync_done(emu_cmd *c, long res)
{
	if (res < 0) {
		fail_io(c, res, true);
		return;
	}
	emu_cmd_good(c);
}

static void exec_sync(emu_cmd *c)
{
	memset(&c->io, 0, sizeof(c->io));
	c->io.op = IO_FSYNC;
	c->cont = sync_done;
	emu_io_start(c);
}

/* ------------------------------------------------------------ GET LBA STATUS */

/* SBC-4 5.7: from the starting LBA, extents of mapped (0) and deallocated
 * (1) blocks, read from the file's holes (SEEK_DATA / SEEK_HOLE). Data
 * extents are rounded out to whole blocks, holes in. */
static bool prep_get_lba_status(emu_cmd *c)
{
	emu_lun *l = c->lun;

	c->lba = emu_get64(c->cdb + 2);
	if (c->lba >= l->blocks) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	lock_range(c, c->lba, l->blocks - c->lba, false);
	return true;
}

static void exec_get_lba_status(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint32_t alloc = emu_get32(c->cdb + 10);
	uint64_t end = l->blocks << l->bs_shift, pos = c->lba << l->bs_shift;
	uint64_t bs = l->bs;
	size_t maxd = alloc > 8 ? (alloc - 8) / 16 : 0, nd = 0, n;
	uint8_t *b;

	if (maxd == 0)
		maxd = 1;
	if (maxd > 256)
		maxd = 256;
	b = calloc(1, 8 + maxd * 16);
	if (!b) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	while (pos < end && nd < maxd) {
		off_t data = lseek(l->fd, (off_t)pos, SEEK_DATA);
		uint64_t next;
		bool mapped;

		if (data < 0 && errno == ENXIO) {
			mapped = false;		/* a hole to the end */
			next = end;
		} else if (data < 0) {
			mapped = true;		/* no hole support: all data */
			next = end;
		} else if ((uint64_t)data <= pos) {
			off_t hole = lseek(l->fd, (off_t)pos, SEEK_HOLE);

			mapped = true;
			next = hole < 0 ? end : (uint64_t)hole;
			next = (next + bs - 1) / bs * bs;
		} else {
			mapped = false;
			next = (uint64_t)data / bs * bs;
			if (next <= pos) {	/* data within this block */
				mapped = true;
				next = pos + bs;
			}
		}
		if (next > end)
			next = end;
		/* the number of blocks is 32 bits: long extents split */
		if ((next - pos) / bs > 0xffffffffu)
			next = pos + (uint64_t)0xffffffffu * bs;
		{
			uint8_t *d = b + 8 + nd * 16;

			emu_put64(d, pos / bs);
			emu_put32(d + 8, (next - pos) / bs);
			d[12] = mapped ? 0 : 1;
		}
		/* merge with the previous extent of the same kind */
		if (nd && b[8 + (nd - 1) * 16 + 12] == (mapped ? 0 : 1)) {
			uint8_t *p = b + 8 + (nd - 1) * 16;
			uint64_t sum = (uint64_t)emu_get32(p + 8) +
				       (next - pos) / bs;

			if (sum <= 0xffffffffu) {
				emu_put32(p + 8, sum);
				pos = next;
				continue;
			}
		}
		nd++;
		pos = next;
	}
	n = 8 + nd * 16;
	emu_put32(b, n - 4);
	emu_cmd_data_in(c, b, n, alloc);
	free(b);
}

/* ------------------------------------------------------------ COMPARE AND WRITE */

/* SBC-4 5.3: data-out holds n blocks to compare, then n blocks to write;
 * the range lock keeps the two steps atomic against other commands. */
static bool prep_caw(emu_cmd *c)
{
	emu_lun *l = c->lun;

	c->lba = emu_get64(c->cdb + 2);
	c->nblk = c->cdb[13];
	c->fua = c->cdb[1] & 0x08;
	if (c->nblk > EMU_MAX_CAW_BLOCKS) {
		emu_cmd_bad_field(c, 13, 7);
		return false;
	}
	if (!lba_ok(c, c->lba, c->nblk))
		return false;
	if (!need_buf(c, c->dout_len, (c->nblk << l->bs_shift) * 2))
		return false;
	lock_range(c, c->lba, c->nblk, true);
	return true;
}

static void caw_write_done(emu_cmd *c, long res)
{
	if (res < 0) {
		fail_io(c, res, true);
		return;
	}
	c->dout_used = (c->nblk << c->lun->bs_shift) * 2;
	emu_cmd_good(c);
}

static void caw_read_done(emu_cmd *c, long res)
{
	emu_lun *l = c->lun;
	uint64_t len = c->nblk << l->bs_shift;
	struct iovec v[EMU_IOV_INLINE];
	struct iovec *half = v;
	long long d;
	int k;

	if (res < 0) {
		fail_io(c, res, false);
		return;
	}
	d = first_diff(c, 0, len, 0);
	if (d >= 0) {
		miscompare(c, (uint64_t)d);
		return;
	}
	/* the write half of data-out, as its own iovec array */
	k = emu_iov_slice(v, EMU_IOV_INLINE, c->dout, c->dout_cnt, len, len);
	if (k < 0) {
		half = malloc(c->dout_cnt * sizeof(*half));
		k = half ? emu_iov_slice(half, c->dout_cnt, c->dout,
					 c->dout_cnt, len, len)
			 : -1;
		if (k < 0) {
			free(half);
			emu_cmd_fail(c, SK_HARDWARE_ERROR,
				     ASC_INTERNAL_TARGET_FAILURE);
			return;
		}
	}
	if (!emu_io_rw(c, IO_WRITE, c->lba << l->bs_shift, half, (unsigned)k,
		       len, write_flags(c))) {
		if (half != v)
			free(half);
		return;
	}
	if (half != v)
		free(half);
	c->cont = caw_write_done;
	emu_io_start(c);
}

static void exec_caw(emu_cmd *c)
{
	read_blocks_then(c, caw_read_done);
}

/* ------------------------------------------------------------ PRE-FETCH */

/* SBC-4 5.8/5.9: ask the kernel to read ahead; the page cache can hold it,
 * so CONDITION MET. Number of blocks 0 means to the end. */
static bool prep_prefetch(emu_cmd *c)
{
	decode_lba_len(c);
	return lba_ok(c, c->lba, c->nblk);
}

static void exec_prefetch(emu_cmd *c)
{
	emu_lun *l = c->lun;
	uint64_t n = c->nblk ? c->nblk : l->blocks - c->lba;

	posix_fadvise(l->fd, (off_t)(c->lba << l->bs_shift),
		      (off_t)(n << l->bs_shift), POSIX_FADV_WILLNEED);
	c->res.status = EMU_CONDITION_MET;
	emu_cmd_finish(c);
}

/* ------------------------------------------------------------ table */

#define D EMU_DEF_DISK
#define DC (EMU_DEF_DISK | EMU_DEF_CD)
#define M EMU_DEF_MEDIUM
#define W EMU_DEF_WRITE
#define NOSA 0xffff

/* usage bits: SBC-4 tables for each CDB; protection fields (RDPROTECT,
 * WRPROTECT, VRPROTECT), ANCHOR, DLD and obsolete bits are not accepted */
const emu_cmd_def emu_sbc_defs[] = {
	{0x08, NOSA, 6, D | M, {0x08, 0x1f, 0xff, 0xff, 0xff, 0}, exec_read,
	 prep_rw},
	{0x0a, NOSA, 6, D | M | W, {0x0a, 0x1f, 0xff, 0xff, 0xff, 0},
	 exec_write, prep_rw},
	{0x25, NOSA, 10, DC | M,
	 {0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0},
	 exec_read_capacity10, NULL},
	{0x28, NOSA, 10, DC | M,
	 {0x28, 0x1c, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_read, prep_rw},
	{0x2a, NOSA, 10, D | M | W,
	 {0x2a, 0x18, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_write, prep_rw},
	{0x2e, NOSA, 10, D | M | W,
	 {0x2e, 0x16, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_write_verify, prep_write_verify},
	{0x2f, NOSA, 10, D | M,
	 {0x2f, 0x16, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_verify, prep_verify},
	{0x34, NOSA, 10, D | M,
	 {0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_prefetch, prep_prefetch},
	{0x35, NOSA, 10, D | M,
	 {0x35, 0x02, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_sync, prep_sync},
	{0x41, NOSA, 10, D | M | W,
	 {0x41, 0x08, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff, 0},
	 exec_write_same, prep_write_same},
	{0x42, NOSA, 10, D | M | W,
	 {0x42, 0, 0, 0, 0, 0, 0x3f, 0xff, 0xff, 0}, exec_unmap, prep_unmap},
	{0x88, NOSA, 16, D | M,
	 {0x88, 0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_read, prep_rw},
	{0x89, NOSA, 16, D | M | W,
	 {0x89, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0,
	  0xff, 0x3f, 0},
	 exec_caw, prep_caw},
	{0x8a, NOSA, 16, D | M | W,
	 {0x8a, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_write, prep_rw},
	{0x8e, NOSA, 16, D | M | W,
	 {0x8e, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_write_verify, prep_write_verify},
	{0x8f, NOSA, 16, D | M,
	 {0x8f, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_verify, prep_verify},
	{0x90, NOSA, 16, D | M,
	 {0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_prefetch, prep_prefetch},
	{0x91, NOSA, 16, D | M,
	 {0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_sync, prep_sync},
	{0x93, NOSA, 16, D | M | W,
	 {0x93, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x3f, 0},
	 exec_write_same, prep_write_same},
	{0x9e, 0x10, 16, D | M,
	 {0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0x01, 0},
	 exec_read_capacity16, NULL},
	{0x9e, 0x12, 16, D | M,
	 {0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0, 0},
	 exec_get_lba_status, prep_get_lba_status},
	{0xa8, NOSA, 12, DC | M,
	 {0xa8, 0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0},
	 exec_read, prep_rw},
	{0xaa, NOSA, 12, D | M | W,
	 {0xaa, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0},
	 exec_write, prep_rw},
};
const size_t emu_sbc_ndefs = sizeof(emu_sbc_defs) / sizeof(emu_sbc_defs[0]);
