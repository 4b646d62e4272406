/* vhost-user framing over unix sockets; see vu.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vu.h"

static int vu_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int vu_set_timeout(int fd, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000u),
			      (suseconds_t)(ms % 1000u) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

int vu_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sa;
	int fd, probe;

	if (vu_addr(path, &sa))
		return -1;
	/* A socket file nobody listens on is stale: replace it. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -1;
	if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		errno = EADDRINUSE;
		return -1;
	}
	close(probe);
	{
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, mode) || listen(fd, 16)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int vu_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0 && vu_set_timeout(fd, VU_IO_TIMEOUT_MS)) {
		close(fd);
		return -1;
	}
	return fd;
}

int vu_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (vu_addr(path, &sa))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    vu_set_timeout(fd, VU_IO_TIMEOUT_MS)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void vu_msg_close_fds(vu_msg *m)
{
	unsigned i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

/* Read exactly n bytes (the payload); 0, or an error. */
static int vu_read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r == 0)
			return VSCSI_ERR_CLOSED;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return VSCSI_ERR_IO;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Collect SCM_RIGHTS fds from a received header; too many is an error (all
 * are closed). */
static int vu_take_fds(struct msghdr *mh, vu_msg *out)
{
	struct cmsghdr *c;
	int err = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t i, n;
		const uint8_t *data;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		data = CMSG_DATA(c);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, data + i * sizeof(int), sizeof(int));
			if (out->nfds < VU_MAX_FDS)
				out->fds[out->nfds++] = fd;
			else {
				close(fd);
				err = VSCSI_ERR_FDS;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		err = VSCSI_ERR_FDS;
	return err;
}

int vu_recv(int fd, int channel, uint64_t protocol_features, vu_msg *out)
{
	union {
		char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	vscsi_vu_hdr h;
	ssize_t r;
	size_t got = 0;
	int err, want;

	out->nfds = 0;
	out->raw_len = 0;
	/* The header, with any fds attached to it. */
	while (got < VSCSI_VU_HDR_SIZE) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = out->raw + got;
		iov.iov_len = VSCSI_VU_HDR_SIZE - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (r == 0) {
			vu_msg_close_fds(out);
			return got ? VSCSI_ERR_CLOSED : 0;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			vu_msg_close_fds(out);
			return VSCSI_ERR_IO;
		}
		err = vu_take_fds(&mh, out);
		if (err) {
			vu_msg_close_fds(out);
			return err;
		}
		got += (size_t)r;
	}
	err = vscsi_vu_hdr_parse(out->raw, VSCSI_VU_HDR_SIZE, &h);
	if (!err)
		err = vscsi_vu_hdr_check(&h, channel);
	if (!err)
		err = vu_read_full(fd, out->raw + VSCSI_VU_HDR_SIZE,
				   h.size);
	if (!err) {
		out->raw_len = VSCSI_VU_HDR_SIZE + h.size;
		err = vscsi_vu_msg_parse(out->raw, out->raw_len,
					 channel, &out->m);
	}
	if (!err) {
		want = vscsi_vu_msg_fds_pf(&out->m, protocol_features);
		/* -1: the count cannot be known (either is legal) */
		if (want >= 0 && (unsigned)want != out->nfds &&
		    /* REM_MEM_REG: older QEMU sends the region's fd; the
		     * document asks back-ends to accept (and close) it */
		    !(channel == VSCSI_VU_FRONTEND && want == 0 &&
		      out->nfds == 1 &&
		      out->m.hdr.request == VSCSI_VU_REM_MEM_REG &&
		      !(out->m.hdr.flags & VSCSI_VU_FLAG_REPLY)))
			err = VSCSI_ERR_FDS;
	}
	if (err) {
		vu_msg_close_fds(out);
		return err;
	}
	return 1;
}

int vu_send_raw(int fd, const void *buf, size_t len, const int *fds,
		unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	size_t sent = 0;

	if (nfds > VU_MAX_FDS)
		return VSCSI_ERR_FDS;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	while (sent < len) {
		ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE || errno == ECONNRESET ?
				       VSCSI_ERR_CLOSED : VSCSI_ERR_IO;
		}
		sent += (size_t)r;
		/* fds go with the first piece only */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		iov.iov_base = (uint8_t *)buf + sent;
		iov.iov_len = len - sent;
	}
	return VSCSI_OK;
}

int vu_send(int fd, const vscsi_vu_msg *m, const int *fds, unsigned nfds)
{
	uint8_t buf[VU_MAX_MSG];
	int n = vscsi_vu_msg_build(m, buf, sizeof(buf));

	if (n < 0)
		return n;
	return vu_send_raw(fd, buf, (size_t)n, fds, nfds);
}

int vu_reply_u64(int fd, uint32_t request, uint64_t value)
{
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = request;
	m.hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
	m.hdr.size = 8;
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = VSCSI_VU_P_U64;
	m.u.u64 = value;
	return vu_send(fd, &m, NULL, 0);
}

int vu_request_u64(int fd, uint32_t request, uint64_t value, uint32_t flags)
{
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = request;
	m.hdr.flags = VSCSI_VU_VERSION | flags;
	m.hdr.size = 8;
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = VSCSI_VU_P_U64;
	m.u.u64 = value;
	return vu_send(fd, &m, NULL, 0);
}
