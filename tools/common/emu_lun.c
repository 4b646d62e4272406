/*
 * emu_lun: LUN specifications, opening the backing file, and the run-time
 * changes (add, remove, resize) with their unit attentions and events.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xxhash.h>

#include "emu_int.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A decimal number no larger than max, ending at *end. */
static bool parse_num(const char *s, const char **end, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return false;
		p++;
	}
	*end = p;
	*out = v;
	return true;
}

/* The option word [s, e) equals w. */
static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

int emu_lun_parse(const char *spec, emu_lun_cfg *cfg, char *err,
		  size_t errlen)
{
	const char *p, *e, *comma;
	unsigned long v;
	size_t n;

	if (!spec || !cfg)
		return VSCSI_ERR_ARG;
	memset(cfg, 0, sizeof(*cfg));
	if (!parse_num(spec, &p, 255, &v) || *p != ':') {
		seterr(err, errlen, "'%s': expected TARGET:LUN=PATH with a "
		       "target of 0 to 255", spec);
		return VSCSI_ERR_SYNTAX;
	}
	cfg->target = (uint8_t)v;
	if (!parse_num(p + 1, &p, 16383, &v) || *p != '=') {
		seterr(err, errlen, "'%s': expected TARGET:LUN=PATH with a "
		       "LUN of 0 to 16383", spec);
		return VSCSI_ERR_SYNTAX;
	}
	cfg->lun = (uint16_t)v;
	p++;
	comma = strchr(p, ',');
	n = comma ? (size_t)(comma - p) : strlen(p);
	if (n == 0 || n >= sizeof(cfg->path)) {
		seterr(err, errlen, "'%s': %s path", spec,
		       n ? "too long a" : "empty");
		return VSCSI_ERR_SYNTAX;
	}
	memcpy(cfg->path, p, n);
	cfg->path[n] = '\0';

	for (p = comma; p; p = comma) {
		p++;
		comma = strchr(p, ',');
		e = comma ? comma : p + strlen(p);
		n = (size_t)(e - p);
		if (word_is(p, n, "ro")) {
			cfg->flags |= EMU_LUN_RO;
		} else if (word_is(p, n, "cdrom")) {
			cfg->flags |= EMU_LUN_CDROM | EMU_LUN_RO;
		} else if (word_is(p, n, "direct")) {
			cfg->flags |= EMU_LUN_DIRECT;
		} else if (n > 3 && memcmp(p, "bs=", 3) == 0) {
			const char *q;

			if (!parse_num(p + 3, &q, 65536, &v) || q != e ||
			    (v != 512 && v != 4096 && v != 2048)) {
				seterr(err, errlen, "'%s': bs must be 512 or "
				       "4096 (2048 with cdrom)", spec);
				return VSCSI_ERR_SYNTAX;
			}
			cfg->block_size = (uint32_t)v;
		} else if (n >= 7 && memcmp(p, "serial=", 7) == 0) {
			size_t i, sl = n - 7;

			if (sl == 0 || sl > EMU_SERIAL_MAX) {
				seterr(err, errlen, "'%s': serial must have 1 "
				       "to %d characters", spec, EMU_SERIAL_MAX);
				return VSCSI_ERR_SYNTAX;
			}
			for (i = 0; i < sl; i++) {
				if (p[7 + i] < 0x21 || p[7 + i] > 0x7e) {
					seterr(err, errlen, "'%s': serial must "
					       "be printable ASCII without "
					       "spaces", spec);
					return VSCSI_ERR_SYNTAX;
				}
			}
			memcpy(cfg->serial, p + 7, sl);
			cfg->serial[sl] = '\0';
		} else if (word_is(p, n, "io=auto")) {
			cfg->io_mode = EMU_IO_AUTO;
		} else if (word_is(p, n, "io=inline")) {
			cfg->io_mode = EMU_IO_INLINE;
		} else if (word_is(p, n, "io=uring")) {
			cfg->io_mode = EMU_IO_URING;
		} else {
			seterr(err, errlen, "'%s': unknown option '%.*s'", spec,
			       (int)n, p);
			return VSCSI_ERR_SYNTAX;
		}
	}
	if ((cfg->flags & EMU_LUN_CDROM) && cfg->block_size &&
	    cfg->block_size != 2048) {
		seterr(err, errlen, "'%s': a cdrom has 2048-byte blocks", spec);
		return VSCSI_ERR_SYNTAX;
	}
	if (!(cfg->flags & EMU_LUN_CDROM) && cfg->block_size == 2048) {
		seterr(err, errlen, "'%s': bs must be 512 or 4096", spec);
		return VSCSI_ERR_SYNTAX;
	}
	return VSCSI_OK;
}

/* ------------------------------------------------------------ lookup */

emu_lun *emu_lun_find(emu_dev *dev, uint8_t target, uint16_t lun)
{
	emu_link *n;

	for (n = dev->luns.next; n != &dev->luns; n = n->next) {
		emu_lun *l = emu_container(n, emu_lun, node);

		if (l->target == target && l->lun == lun)
			return l;
	}
	return NULL;
}

bool emu_target_exists(emu_dev *dev, uint8_t target)
{
	emu_link *n;

	for (n = dev->luns.next; n != &dev->luns; n = n->next)
		if (emu_container(n, emu_lun, node)->target == target)
			return true;
	return false;
}

static void lun_close(emu_lun *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void emu_lun_put(emu_lun *l)
{
	if (--l->refs == 0 && l->removed)
		lun_close(l);
}

/* ------------------------------------------------------------ open */

static int size_of(int fd, bool blk, uint64_t *bytes)
{
	struct stat st;

	if (blk) {
		uint64_t b;

		if (ioctl(fd, BLKGETSIZE64, &b) < 0)
			return -1;
		*bytes = b;
		return 0;
	}
	if (fstat(fd, &st) < 0)
		return -1;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

static unsigned log2u(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

static void lun_identity(emu_lun *l, const emu_lun_cfg *cfg)
{
	char key[EMU_PATH_MAX + 32];
	char *rp = realpath(cfg->path, NULL);
	XXH64_hash_t h;
	int n;

	if (cfg->serial[0]) {
		/* the serial names the medium: the identifier follows it */
		n = snprintf(key, sizeof(key), "serial:%s", cfg->serial);
	} else {
		n = snprintf(key, sizeof(key), "path:%s#%u:%u",
			     rp ? rp : cfg->path, l->target, l->lun);
	}
	free(rp);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(key))
		n = (int)sizeof(key) - 1;
	h = XXH3_64bits(key, (size_t)n);
	/* NAA 3h: locally assigned, 60 bits (SPC-5 7.7.6.6.3) */
	l->naa = (UINT64_C(3) << 60) | (h >> 4);
	if (cfg->serial[0])
		snprintf(l->serial, sizeof(l->serial), "%s", cfg->serial);
	else
		snprintf(l->serial, sizeof(l->serial), "%016llx",
			 (unsigned long long)h);
}

static int lun_open(emu_dev *dev, emu_lun *l, const emu_lun_cfg *cfg,
		    unsigned flags, char *err, size_t errlen)
{
	int oflags = O_CLOEXEC;
	struct stat st;
	struct statfs sfs;
	struct statx stx;
	uint64_t bytes = 0;
	uint32_t phys = 0;

	oflags |= (l->flags & EMU_LUN_RO) ? O_RDONLY : O_RDWR;
	if (cfg->flags & EMU_LUN_DIRECT)
		oflags |= O_DIRECT;
	l->fd = open(cfg->path, oflags);
	if (l->fd < 0) {
		seterr(err, errlen, "%s: %s", cfg->path, strerror(errno));
		return VSCSI_ERR_IO;
	}
	/* shared: servers may share a file; a replay holds it exclusively.
	 * File systems without flock (ENOLCK, EINVAL) go unlocked. */
	if (!(flags & EMU_NO_LOCK) && flock(l->fd, LOCK_SH | LOCK_NB) < 0 &&
	    errno == EWOULDBLOCK) {
		seterr(err, errlen, "%s: in use by another program (a "
		       "vscsi-replay holds it locked)", cfg->path);
		return VSCSI_ERR_IO;
	}
	if (fstat(l->fd, &st) < 0) {
		seterr(err, errlen, "%s: %s", cfg->path, strerror(errno));
		return VSCSI_ERR_IO;
	}
	if (S_ISBLK(st.st_mode)) {
		int pbs = 0;

		l->is_blkdev = true;
		if (ioctl(l->fd, BLKPBSZGET, &pbs) == 0 && pbs > 0)
			phys = (uint32_t)pbs;
	} else if (S_ISREG(st.st_mode)) {
		phys = st.st_blksize > 0 ? (uint32_t)st.st_blksize : 0;
	} else {
		seterr(err, errlen, "%s: not a regular file or a block device",
		       cfg->path);
		return VSCSI_ERR_IO;
	}
	if (size_of(l->fd, l->is_blkdev, &bytes) < 0) {
		seterr(err, errlen, "%s: %s", cfg->path, strerror(errno));
		return VSCSI_ERR_IO;
	}
	l->blocks = bytes >> l->bs_shift;
	if (l->blocks == 0) {
		seterr(err, errlen, "%s: smaller than one %u-byte block",
		       cfg->path, l->bs);
		return VSCSI_ERR_IO;
	}
	/* physical block: a power of two from bs to 16 * bs, else bs */
	if (phys >= l->bs && phys <= 16 * l->bs && !(phys & (phys - 1)))
		l->phys_exp = (uint8_t)log2u(phys / l->bs);

	l->dio_align = 512;
	if (statx(l->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_mem_align) {
		l->dio_align = stx.stx_dio_mem_align;
		if ((cfg->flags & EMU_LUN_DIRECT) &&
		    stx.stx_dio_offset_align > l->bs) {
			seterr(err, errlen, "%s: direct I/O needs %u-byte "
			       "alignment, more than the %u-byte block",
			       cfg->path, stx.stx_dio_offset_align, l->bs);
			return VSCSI_ERR_IO;
		}
	}
	if (l->dio_align < 1 || (l->dio_align & (l->dio_align - 1)))
		l->dio_align = 512;

	l->io_mode = cfg->io_mode;
	if (l->io_mode == EMU_IO_AUTO) {
		bool memfs = fstatfs(l->fd, &sfs) == 0 &&
			     ((unsigned long)sfs.f_type == TMPFS_MAGIC ||
			      (unsigned long)sfs.f_type == RAMFS_MAGIC) &&
			     !l->is_blkdev;

		if (memfs)
			l->io_mode = EMU_IO_INLINE;
		else if (cfg->flags & EMU_LUN_DIRECT)
			l->io_mode = EMU_IO_URING;
	}
	if (!dev->ring_ok)
		l->io_mode = EMU_IO_INLINE;
	l->can_punch = !(l->flags & EMU_LUN_RO);
	return VSCSI_OK;
}

int emu_lun_add(emu_dev *dev, const emu_lun_cfg *cfg, unsigned flags,
		char *err, size_t errlen)
{
	emu_lun *l;
	emu_link *n;
	int rc;

	if (!dev || !cfg || cfg->lun > 16383 || !cfg->path[0]) {
		seterr(err, errlen, "bad LUN configuration");
		return VSCSI_ERR_ARG;
	}
	if (emu_lun_find(dev, cfg->target, cfg->lun)) {
		seterr(err, errlen, "LUN %u:%u is already configured",
		       cfg->target, cfg->lun);
		return VSCSI_ERR_ARG;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return VSCSI_ERR_NOMEM;
	l->dev = dev;
	l->fd = -1;
	l->target = cfg->target;
	l->lun = cfg->lun;
	l->flags = cfg->flags;
	if (l->flags & EMU_LUN_CDROM)
		l->flags |= EMU_LUN_RO;
	l->bs = cfg->block_size ? cfg->block_size
				: (l->flags & EMU_LUN_CDROM) ? 2048 : 512;
	if (l->bs != 512 && l->bs != 2048 && l->bs != 4096) {
		seterr(err, errlen, "block size %u not supported", l->bs);
		free(l);
		return VSCSI_ERR_ARG;
	}
	l->bs_shift = (uint8_t)log2u(l->bs);
	snprintf(l->path, sizeof(l->path), "%s", cfg->path);
	emu_list_init(&l->cmds);
	rc = lun_open(dev, l, cfg, flags, err, errlen);
	if (rc < 0) {
		lun_close(l);
		return rc;
	}
	lun_identity(l, cfg);
	emu_mode_default(l);
	l->refs = 1;	/* the device's reference */
	emu_ua_add(l, ASC_POWER_ON);

	/* keep dev->luns sorted by (target, lun) for REPORT LUNS */
	for (n = dev->luns.next; n != &dev->luns; n = n->next) {
		emu_lun *o = emu_container(n, emu_lun, node);

		if (o->target > l->target ||
		    (o->target == l->target && o->lun > l->lun))
			break;
	}
	emu_list_add_tail(n, &l->node);

	if (flags & EMU_HOTPLUG) {
		for (n = dev->luns.next; n != &dev->luns; n = n->next) {
			emu_lun *o = emu_container(n, emu_lun, node);

			if (o != l && o->target == l->target)
				emu_ua_add(o, ASC_LUNS_CHANGED);
		}
		emu_dev_event(dev, VSCSI_EVT_TRANSPORT_RESET, l->target, l->lun,
			      VSCSI_EVT_RESET_RESCAN);
	}
	return VSCSI_OK;
}

int emu_lun_remove(emu_dev *dev, uint8_t target, uint16_t lun)
{
	emu_lun *l;
	emu_link *n;

	if (!dev)
		return VSCSI_ERR_ARG;
	l = emu_lun_find(dev, target, lun);
	if (!l)
		return VSCSI_ERR_ARG;
	emu_list_del(&l->node);
	l->removed = true;
	for (n = dev->luns.next; n != &dev->luns; n = n->next) {
		emu_lun *o = emu_container(n, emu_lun, node);

		if (o->target == target)
			emu_ua_add(o, ASC_LUNS_CHANGED);
	}
	emu_dev_event(dev, VSCSI_EVT_TRANSPORT_RESET, target, lun,
		      VSCSI_EVT_RESET_REMOVED);
	emu_lun_put(l);
	return VSCSI_OK;
}

int emu_lun_resize(emu_dev *dev, uint8_t target, uint16_t lun,
		   uint64_t bytes)
{
	emu_lun *l;
	uint64_t blocks;

	if (!dev)
		return VSCSI_ERR_ARG;
	l = emu_lun_find(dev, target, lun);
	if (!l)
		return VSCSI_ERR_ARG;
	if (bytes) {
		if ((l->flags & EMU_LUN_RO) || l->is_blkdev)
			return VSCSI_ERR_ARG;
		if (bytes > (uint64_t)INT64_MAX ||
		    ftruncate(l->fd, (off_t)bytes) < 0)
			return VSCSI_ERR_IO;
	} else if (size_of(l->fd, l->is_blkdev, &bytes) < 0) {
		return VSCSI_ERR_IO;
	}
	blocks = bytes >> l->bs_shift;
	if (blocks == l->blocks)
		return VSCSI_OK;
	l->blocks = blocks;
	/* SBC-4 4.9: CAPACITY DATA HAS CHANGED; virtio 5.6.6.3.3 */
	emu_ua_add(l, ASC_CAPACITY_CHANGED);
	emu_dev_event(dev, VSCSI_EVT_PARAM_CHANGE, target, lun,
		      (ASC_CAPACITY_CHANGED >> 8) |
			      (uint32_t)(ASC_CAPACITY_CHANGED & 0xff) << 8);
	return VSCSI_OK;
}

int emu_lun_capacity(emu_dev *dev, uint8_t target, uint16_t lun,
		     uint64_t *blocks, uint32_t *block_size)
{
	emu_lun *l = dev ? emu_lun_find(dev, target, lun) : NULL;

	if (!l)
		return VSCSI_ERR_ARG;
	if (blocks)
		*blocks = l->blocks;
	if (block_size)
		*block_size = l->bs;
	return VSCSI_OK;
}
