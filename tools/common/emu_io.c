/*
 * emu_io: the I/O engine. One operation at a time per command (read, write,
 * fdatasync, fallocate), run inline when that cannot wait for a disk and
 * through io_uring otherwise:
 *
 *   LUN io mode   read                       write / flush / punch
 *   INLINE        preadv2                    pwritev2 / fdatasync / fallocate
 *   AUTO          preadv2 RWF_NOWAIT, then   pwritev2 RWF_NOWAIT where the
 *                 io_uring for what's left   file supports it, else io_uring
 *   URING         io_uring                   io_uring
 *
 * A short transfer continues from where it stopped. The command's
 * continuation (c->cont) is called with the bytes moved or -errno; it may
 * start the next operation, which a trampoline runs without recursion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>

#include "emu_int.h"

#define EMU_RING_ENTRIES 256

int emu_io_init(emu_dev *dev)
{
	if (io_uring_queue_init(EMU_RING_ENTRIES, &dev->ring, 0) < 0)
		return VSCSI_OK;	/* everything runs inline */
	if (io_uring_register_eventfd(&dev->ring, dev->efd) < 0) {
		io_uring_queue_exit(&dev->ring);
		return VSCSI_OK;
	}
	dev->ring_ok = true;
	return VSCSI_OK;
}

void emu_io_fini(emu_dev *dev)
{
	if (dev->ring_ok)
		io_uring_queue_exit(&dev->ring);
	dev->ring_ok = false;
}

void emu_io_cmd_free(emu_cmd *c)
{
	free(c->bounce);
	c->bounce = NULL;
	c->bounce_len = 0;
	if (c->work != c->work_inline)
		free(c->work);
	c->work = c->work_inline;
	c->work_cap = EMU_IOV_INLINE;
}

bool emu_work_reserve(emu_cmd *c, unsigned n)
{
	struct iovec *v;

	if (n <= c->work_cap)
		return true;
	v = malloc(n * sizeof(*v));
	if (!v)
		return false;
	if (c->work != c->work_inline)
		free(c->work);
	c->work = v;
	c->work_cap = n;
	return true;
}

int emu_iov_slice(struct iovec *dst, unsigned cap, const struct iovec *src,
		  unsigned cnt, uint64_t off, uint64_t len)
{
	unsigned i, k = 0;

	for (i = 0; i < cnt && len; i++) {
		uint64_t l = src[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (k == cap)
			return -1;
		l -= off;
		if (l > len)
			l = len;
		dst[k].iov_base = (char *)src[i].iov_base + off;
		dst[k].iov_len = (size_t)l;
		k++;
		len -= l;
		off = 0;
	}
	return (int)k;
}

/* Skip n bytes of the working iovecs. */
static void iov_advance(emu_io *io, uint64_t n)
{
	while (n && io->iovcnt) {
		if (n < io->iov[0].iov_len) {
			io->iov[0].iov_base = (char *)io->iov[0].iov_base + n;
			io->iov[0].iov_len -= (size_t)n;
			return;
		}
		n -= io->iov[0].iov_len;
		io->iov++;
		io->iovcnt--;
	}
}

static bool dio_aligned(const emu_lun *l, const struct iovec *v, unsigned n)
{
	unsigned i;
	uintptr_t mask = l->dio_align - 1;

	for (i = 0; i < n; i++)
		if (((uintptr_t)v[i].iov_base & mask) || (v[i].iov_len & mask))
			return false;
	return true;
}

static bool bounce_get(emu_cmd *c, uint64_t len)
{
	size_t align = c->lun && c->lun->dio_align > 64 ? c->lun->dio_align
							: 4096;
	size_t sz = (size_t)((len + align - 1) & ~(uint64_t)(align - 1));

	if (sz == 0)
		sz = align;
	if (c->bounce && c->bounce_len >= sz)
		return true;
	free(c->bounce);
	c->bounce = aligned_alloc(align, sz);
	c->bounce_len = c->bounce ? sz : 0;
	return c->bounce != NULL;
}

bool emu_io_bounce(emu_cmd *c, uint8_t op, uint64_t off, uint64_t len)
{
	if (!bounce_get(c, len)) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	c->bounce_iov.iov_base = c->bounce;
	c->bounce_iov.iov_len = (size_t)len;
	c->bounce_dst = NULL;
	c->bounce_dst_cnt = 0;
	memset(&c->io, 0, sizeof(c->io));
	c->io.op = op;
	c->io.off = off;
	c->io.len = len;
	c->io.iov = &c->bounce_iov;
	c->io.iovcnt = 1;
	return true;
}

bool emu_io_rw(emu_cmd *c, uint8_t op, uint64_t off, const struct iovec *iov,
	       unsigned cnt, uint64_t len, int rwflags)
{
	emu_lun *l = c->lun;
	int k;

	if (!emu_work_reserve(c, cnt)) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	k = emu_iov_slice(c->work, c->work_cap, iov, cnt, 0, len);
	if (k < 0) {
		emu_cmd_fail(c, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	if ((l->flags & EMU_LUN_DIRECT) && !dio_aligned(l, c->work, (unsigned)k)) {
		/* O_DIRECT with a guest buffer that does not meet the
		 * alignment: the one case of a second copy */
		c->dev->stats.bounced++;
		if (!emu_io_bounce(c, op, off, len))
			return false;
		if (op == IO_WRITE) {
			vscsi_iov_gather(c->work, (unsigned)k, 0, c->bounce,
					 (size_t)len);
		} else {
			c->bounce_dst = c->work;
			c->bounce_dst_cnt = (unsigned)k;
		}
		c->io.rwflags = rwflags;
		return true;
	}
	memset(&c->io, 0, sizeof(c->io));
	c->io.op = op;
	c->io.off = off;
	c->io.len = len;
	c->io.iov = c->work;
	c->io.iovcnt = (unsigned)k;
	c->io.rwflags = rwflags;
	c->bounce_dst = NULL;
	return true;
}


/*
 * preadv2/pwritev2. On 64-bit Linux the system call is made directly: the
 * libc wrappers are cancellation points, and in a threaded process each
 * call pays for switching asynchronous cancellation on and off, a
 * noticeable share of a 4 KiB read from the page cache. No thread of ours
 * is ever cancelled.
 */
static ssize_t io_rw2(bool rd, int fd, const struct iovec *iov, int cnt,
		      uint64_t off, int flags)
{
#if defined(__linux__) && defined(__LP64__) && defined(SYS_preadv2)
	return (ssize_t)syscall(rd ? SYS_preadv2 : SYS_pwritev2, fd, iov, cnt,
				(unsigned long)off, 0ul, flags);
#else
	return rd ? preadv2(fd, iov, cnt, (off_t)off, flags) :
		    pwritev2(fd, iov, cnt, (off_t)off, flags);
#endif
}

/* Run the operation inline if the mode allows. Returns true with *res set
 * (bytes or -errno) when it finished, false when io_uring must take the
 * rest. */
static bool io_try_inline(emu_cmd *c, long *res)
{
	emu_lun *l = c->lun;
	emu_io *io = &c->io;
	unsigned mode = c->dev->ring_ok ? l->io_mode : EMU_IO_INLINE;

	if (mode == EMU_IO_URING)
		return false;
	switch (io->op) {
	case IO_READ:
	case IO_WRITE: {
		bool rd = io->op == IO_READ;
		int flags = io->rwflags;

		if (mode == EMU_IO_AUTO) {
			if (rd ? l->read_nowait_bad : l->write_nowait_bad)
				return false;
			flags |= RWF_NOWAIT;
		}
		while (io->len) {
			ssize_t n;

			n = io_rw2(rd, l->fd, io->iov, (int)io->iovcnt,
				   io->off, flags);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if ((flags & RWF_NOWAIT) && errno == EAGAIN) {
					c->dev->stats.nowait_miss++;
					return false;
				}
				if ((flags & RWF_NOWAIT) &&
				    errno == EOPNOTSUPP) {
					if (rd)
						l->read_nowait_bad = true;
					else
						l->write_nowait_bad = true;
					return false;
				}
				*res = -errno;
				return true;
			}
			if (n == 0) {
				/* the file ended inside the capacity: it
				 * shrank behind our back */
				*res = -EIO;
				return true;
			}
			io->done += (uint64_t)n;
			io->off += (uint64_t)n;
			io->len -= (uint64_t)n;
			iov_advance(io, (uint64_t)n);
		}
		*res = (long)io->done;
		return true;
	}
	case IO_FSYNC:
		if (mode != EMU_IO_INLINE)
			return false;
		*res = fdatasync(l->fd) < 0 ? -errno : 0;
		return true;
	case IO_FALLOC:
		if (mode != EMU_IO_INLINE)
			return false;
		*res = fallocate(l->fd, io->falloc_mode, (off_t)io->off,
				 (off_t)io->len) < 0 ? -errno : 0;
		return true;
	}
	*res = -EINVAL;
	return true;
}

static void io_queue(emu_cmd *c)
{
	emu_dev *dev = c->dev;
	emu_io *io = &c->io;
	struct io_uring_sqe *sqe = NULL;

	if (dev->in_kernel < 2 * EMU_RING_ENTRIES) {
		sqe = io_uring_get_sqe(&dev->ring);
		if (!sqe) {
			io_uring_submit(&dev->ring);
			dev->sq_pending = 0;
			sqe = io_uring_get_sqe(&dev->ring);
		}
	}
	if (!sqe) {
		emu_list_add_tail(&dev->sqe_wait, &c->q.link);
		return;
	}
	switch (io->op) {
	case IO_READ:
		io_uring_prep_readv2(sqe, c->lun->fd, io->iov, io->iovcnt,
				     io->off, io->rwflags);
		break;
	case IO_WRITE:
		io_uring_prep_writev2(sqe, c->lun->fd, io->iov, io->iovcnt,
				      io->off, io->rwflags);
		break;
	case IO_FSYNC:
		io_uring_prep_fsync(sqe, c->lun->fd, IORING_FSYNC_DATASYNC);
		break;
	case IO_FALLOC:
		io_uring_prep_fallocate(sqe, c->lun->fd, io->falloc_mode,
					(off_t)io->off, (off_t)io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, c);
	dev->stats.io_uring++;
	c->in_kernel = true;
	dev->in_kernel++;
	dev->sq_pending++;
}

/* O_DIRECT read through the bounce buffer: hand the bytes over. */
static void bounce_out(emu_cmd *c, long res)
{
	if (c->bounce_dst && res > 0)
		vscsi_iov_scatter(c->bounce_dst, c->bounce_dst_cnt, 0,
				  c->bounce, (size_t)res);
	c->bounce_dst = NULL;
}

static void io_loop(emu_cmd *c, long res, bool have_res)
{
	for (;;) {
		if (have_res) {
			if (c->killed) {
				emu_cmd_finish(c);
				return;
			}
			if (c->io.op == IO_READ)
				bounce_out(c, res);
			c->io_busy = true;
			c->io_again = false;
			c->cont(c, res);
			c->io_busy = false;
			if (!c->io_again)
				return;
			have_res = false;
		}
		if (c->killed) {
			emu_cmd_finish(c);
			return;
		}
		if (io_try_inline(c, &res)) {
			c->dev->stats.io_inline++;
			have_res = true;
			continue;
		}
		io_queue(c);
		return;
	}
}

void emu_io_start(emu_cmd *c)
{
	if (c->io_busy) {
		c->io_again = true;
		return;
	}
	io_loop(c, 0, false);
}

static void io_cqe(emu_cmd *c, long res)
{
	emu_io *io = &c->io;

	if ((io->op == IO_READ || io->op == IO_WRITE) && res >= 0) {
		if (res == 0 && io->len) {
			res = -EIO;
		} else {
			io->done += (uint64_t)res;
			io->off += (uint64_t)res;
			io->len -= (uint64_t)res;
			iov_advance(io, (uint64_t)res);
			if (io->len && !c->killed) {
				io_queue(c);	/* short: go on */
				return;
			}
			res = (long)io->done;
		}
	}
	io_loop(c, res, true);
}

/* Something is in the kernel or waits for a submission slot. */
static bool io_busy(const emu_dev *dev)
{
	return dev->ring_ok &&
	       (dev->in_kernel || !emu_list_empty(&dev->sqe_wait));
}

unsigned emu_io_reap(emu_dev *dev)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	if (!io_busy(dev))
		return 0;
	while (io_uring_peek_cqe(&dev->ring, &cqe) == 0) {
		emu_cmd *c = io_uring_cqe_get_data(cqe);
		long res = cqe->res;

		io_uring_cqe_seen(&dev->ring, cqe);
		c->in_kernel = false;
		dev->in_kernel--;
		n++;
		io_cqe(c, res);
	}
	/* room again: start those that waited for an SQE */
	while (!emu_list_empty(&dev->sqe_wait) &&
	       dev->in_kernel < 2 * EMU_RING_ENTRIES) {
		emu_cmd *c = emu_container(dev->sqe_wait.next, emu_cmd, q.link);

		emu_list_del(&c->q.link);
		io_queue(c);
		if (!c->in_kernel)
			break;
	}
	return n;
}

void emu_io_flush(emu_dev *dev)
{
	if (dev->ring_ok && dev->sq_pending) {
		io_uring_submit(&dev->ring);
		dev->sq_pending = 0;
	}
}

bool emu_io_wait(emu_dev *dev)
{
	struct io_uring_cqe *cqe;

	if (!io_busy(dev))
		return false;
	emu_io_flush(dev);
	if (dev->in_kernel && io_uring_wait_cqe(&dev->ring, &cqe) < 0)
		return false;
	emu_io_reap(dev);
	return true;
}
