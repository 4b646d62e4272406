/*
 * replay_fill: the small pure pieces of the replay.
 *
 *  - The deterministic fill: data-out the capture kept only a digest of is
 *    written as a pattern any tool can compute from the request alone (its
 *    LUN field and CDB), so that two replays write the same bytes and a
 *    scripted recording (bench/gen_captures.c) can use it as its data.
 *    The definition is in vscsi-replay(1), FILL.
 *  - Which commands change the medium: an allow-list of the harmless ones
 *    (everything else needs --write).
 *  - The sparse image digest (vscsi-replay(1), IMAGE DIGEST).
 *  - LUN addresses and --map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "replay_int.h"

/* ------------------------------------------------------------ fill */

/* splitmix64's output function */
static uint64_t fill_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t rp_fill_seed(const uint8_t lun[8], const uint8_t *cdb, size_t n)
{
	uint8_t buf[8 + RP_CDB_MAX];

	if (n > RP_CDB_MAX)
		n = RP_CDB_MAX;
	memcpy(buf, lun, 8);
	if (n)
		memcpy(buf + 8, cdb, n);
	return XXH3_64bits(buf, 8 + n);
}

/*
 * The stream is 64-byte lines: eight little-endian words mix(seed + k),
 * k = 0..7, the first word XORed with the line number.
 */
void rp_fill(uint64_t seed, uint8_t *buf, uint64_t off, size_t len)
{
	uint8_t pat[64];
	uint64_t w0 = fill_mix(seed);
	unsigned k;

	for (k = 0; k < 8; k++)
		vscsi_put_le64(pat + 8 * k, fill_mix(seed + k));
	/* a part line first, then whole ones, then a part */
	while (len && (off % 64 || len < 64)) {
		uint8_t l[64];
		size_t j = (size_t)(off % 64), n = 64 - j;

		if (n > len)
			n = len;
		memcpy(l, pat, 64);
		vscsi_put_le64(l, w0 ^ (off / 64));
		memcpy(buf, l + j, n);
		buf += n;
		off += n;
		len -= n;
	}
	while (len >= 64) {
		memcpy(buf, pat, 64);
		vscsi_put_le64(buf, w0 ^ (off / 64));
		buf += 64;
		off += 64;
		len -= 64;
	}
	if (len) {
		uint8_t l[64];

		memcpy(l, pat, 64);
		vscsi_put_le64(l, w0 ^ (off / 64));
		memcpy(buf, l, len);
	}
}

/* ------------------------------------------------------------ writes */

/*
 * Commands known not to change the medium or the device's saved state
 * (SPC-5, SBC-4, MMC-6 opcodes). Everything else, unknown opcodes and
 * pass-through included, is treated as a write.
 */
static const uint8_t rp_harmless[256] = {
	[0x00] = 1,	/* TEST UNIT READY */
	[0x03] = 1,	/* REQUEST SENSE */
	[0x08] = 1,	/* READ(6) */
	[0x12] = 1,	/* INQUIRY */
	[0x1a] = 1,	/* MODE SENSE(6) */
	[0x1c] = 1,	/* RECEIVE DIAGNOSTIC RESULTS */
	[0x1e] = 1,	/* PREVENT ALLOW MEDIUM REMOVAL */
	[0x25] = 1,	/* READ CAPACITY(10) */
	[0x28] = 1,	/* READ(10) */
	[0x2f] = 1,	/* VERIFY(10) */
	[0x34] = 1,	/* PRE-FETCH(10) */
	[0x35] = 1,	/* SYNCHRONIZE CACHE(10) */
	[0x37] = 1,	/* READ DEFECT DATA(10) */
	[0x3c] = 1,	/* READ BUFFER(10) */
	[0x43] = 1,	/* READ TOC/PMA/ATIP */
	[0x46] = 1,	/* GET CONFIGURATION */
	[0x4a] = 1,	/* GET EVENT STATUS NOTIFICATION */
	[0x4d] = 1,	/* LOG SENSE */
	[0x51] = 1,	/* READ DISC INFORMATION */
	[0x5a] = 1,	/* MODE SENSE(10) */
	[0x5e] = 1,	/* PERSISTENT RESERVE IN */
	[0x88] = 1,	/* READ(16) */
	[0x8f] = 1,	/* VERIFY(16) */
	[0x90] = 1,	/* PRE-FETCH(16) */
	[0x91] = 1,	/* SYNCHRONIZE CACHE(16) */
	[0x9e] = 1,	/* SERVICE ACTION IN(16): READ CAPACITY(16), ... */
	[0xa0] = 1,	/* REPORT LUNS */
	[0xa3] = 1,	/* MAINTENANCE IN: RSOC, RSTMF, ... */
	[0xa8] = 1,	/* READ(12) */
	[0xaf] = 1,	/* VERIFY(12) */
	[0xb7] = 1,	/* READ DEFECT DATA(12) */
	[0xb9] = 1,	/* READ CD MSF */
	[0xbe] = 1,	/* READ CD */
};

int rp_changes_medium(const uint8_t *cdb, size_t len)
{
	if (!len)
		return 1;
	if (cdb[0] == 0x7f) {
		/* variable length: READ(32) and VERIFY(32) only */
		uint16_t sa;

		if (len < 10)
			return 1;
		sa = (uint16_t)vscsi_get_be(cdb + 8, 2);
		return !(sa == 0x0009 || sa == 0x000a);
	}
	return !rp_harmless[cdb[0]];
}

/* ------------------------------------------------------------ digest */

#define DIG_BLOCK 4096u
#define DIG_CHUNK (1u << 20)

static int dig_zero(const uint8_t *p, size_t n)
{
	size_t i;
	uint64_t acc = 0, w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Hash the nonzero 4 KiB blocks of [from, to) (block-aligned from). */
static int dig_range(int fd, XXH3_state_t *st, uint8_t *buf, uint64_t from,
		     uint64_t to)
{
	while (from < to) {
		size_t want = DIG_CHUNK, got = 0, b;

		if (want > to - from)
			want = (size_t)(to - from);
		while (got < want) {
			ssize_t n = pread(fd, buf + got, want - got,
					  (off_t)(from + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (got < want)
			memset(buf + got, 0, want - got);
		for (b = 0; b < want; b += DIG_BLOCK) {
			size_t bl = want - b < DIG_BLOCK ? want - b : DIG_BLOCK;
			uint8_t idx[8];

			if (dig_zero(buf + b, bl))
				continue;
			/* a short last block hashes as if zero-padded */
			if (bl < DIG_BLOCK)
				memset(buf + b + bl, 0, DIG_BLOCK - bl);
			vscsi_put_le64(idx, (from + b) / DIG_BLOCK);
			XXH3_64bits_update(st, idx, 8);
			XXH3_64bits_update(st, buf + b, DIG_BLOCK);
		}
		from += want;
	}
	return 0;
}

int rp_image_digest(const char *path, uint64_t *out, char *err,
		    size_t errlen)
{
	XXH3_state_t *st = NULL;
	uint8_t *buf = NULL, sz[8];
	struct stat s;
	uint64_t size, pos = 0;
	int fd, rc = VSCSI_ERR_IO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VSCSI_ERR_IO;
	}
	size = (uint64_t)s.st_size;
	if (S_ISBLK(s.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		size = end > 0 ? (uint64_t)end : 0;
	}
	st = XXH3_createState();
	buf = malloc(DIG_CHUNK + DIG_BLOCK);
	if (!st || !buf) {
		snprintf(err, errlen, "out of memory");
		rc = VSCSI_ERR_NOMEM;
		goto out;
	}
	XXH3_64bits_reset(st);
	while (pos < size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
		off_t h;
		uint64_t from, to;

		if (d < 0 && errno == ENXIO)
			break;	/* a hole to the end */
		if (d < 0) {
			/* no SEEK_DATA here: read everything */
			if (dig_range(fd, st, buf, pos, size) < 0)
				goto ioerr;
			break;
		}
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > size)
			h = (off_t)size;
		from = (uint64_t)d / DIG_BLOCK * DIG_BLOCK;
		if (from < pos)
			from = pos;
		to = ((uint64_t)h + DIG_BLOCK - 1) / DIG_BLOCK * DIG_BLOCK;
		if (to > size)
			to = size;
		if (dig_range(fd, st, buf, from, to) < 0)
			goto ioerr;
		pos = (to + DIG_BLOCK - 1) / DIG_BLOCK * DIG_BLOCK;
	}
	vscsi_put_le64(sz, size);
	XXH3_64bits_update(st, sz, 8);
	*out = XXH3_64bits_digest(st);
	rc = VSCSI_OK;
	goto out;
ioerr:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
out:
	XXH3_freeState(st);
	free(buf);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ LUNs */

static int addr_num(const char **p, unsigned long max, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > max)
			return -1;
		s++;
	}
	*p = s;
	*v = n;
	return 0;
}

static int addr_at(const char **p, uint8_t *t, uint16_t *l)
{
	unsigned long a, b;

	if (addr_num(p, 255, &a) || **p != ':')
		return -1;
	(*p)++;
	if (addr_num(p, 16383, &b))
		return -1;
	*t = (uint8_t)a;
	*l = (uint16_t)b;
	return 0;
}

int rp_parse_addr(const char *s, uint8_t *t, uint16_t *l)
{
	uint8_t a;
	uint16_t b;

	if (addr_at(&s, &a, &b) || *s)
		return -1;
	*t = a;
	*l = b;
	return 0;
}

int rp_parse_map(const char *s, rp_map *m)
{
	rp_map t;

	if (addr_at(&s, &t.from_t, &t.from_l) || *s != '=')
		return -1;
	s++;
	if (addr_at(&s, &t.to_t, &t.to_l) || *s)
		return -1;
	*m = t;
	return 0;
}

uint32_t rp_lun_addr(const uint8_t raw[8])
{
	vscsi_lun l;

	vscsi_lun_decode(raw, &l);
	if (l.kind != VSCSI_LUN_NORMAL)
		return RP_LUN_NONE;
	return (uint32_t)l.target << 16 | l.lun;
}

void rp_map_lun(const rp_map *maps, unsigned n, const uint8_t in[8],
		uint8_t out[8])
{
	uint32_t a = n ? rp_lun_addr(in) : RP_LUN_NONE;
	unsigned i;

	memcpy(out, in, 8);
	if (a == RP_LUN_NONE)
		return;
	for (i = 0; i < n; i++) {
		if (maps[i].from_t == a >> 16 && maps[i].from_l == (a & 0xffff)) {
			/* keep the form the capture used (flat from 256) */
			vscsi_lun_encode(out, maps[i].to_t, maps[i].to_l,
					 (in[2] & 0xc0) == 0x40);
			return;
		}
	}
}
