/*
 * The capture proxy (proxy.c, proxy_ring.c, proxy_rec.c) against a
 * front-end and a back-end that may send anything: one connection, added
 * with proxy_add_conn over two socketpairs, the loop run by hand, recording
 * on (the records are drained from the queue and each must parse:
 * vscsi_cap_parse). No input may crash it, hang it, leak fds (counted in
 * /proc/self/fd before and after each input) or mappings of guest memory
 * or the shadow region (/proc/self/maps after each input), or make it
 * touch memory it did not map.
 *
 * Input: one configuration byte, then operations until the input ends.
 *
 *   config  bit 0 record kicks and calls      bit 1 poll_us 20 (spin)
 *           bit 2 verbose 2 (every message)   bit 3 smallest record queue
 *           bit 4 snap length 64              bit 5 no data in records
 *           bit 6 relay only (no recorder)
 *
 *   op byte, low 4 bits (n16: le16, n32: le32):
 *    0 FE       n16 len, bytes  one front-end message
 *    1 BE       n16 len, bytes  one back-end message on the main socket
 *               Both are sent whole in one sendmsg: the size field is set
 *               to len - 12 (a message shorter than a header is padded with
 *               zeros), so the proxy never waits for bytes that will not
 *               come. Fds (op bits 4-5): 0 those the message needs
 *               (vscsi_vu_msg_fds_pf: guest memory memfds for memory
 *               tables, a socket for SET_BACKEND_REQ_FD, eventfds
 *               otherwise), 1 none, 2 one eventfd more than it needs,
 *               3 as many as it needs of the wrong kind (eventfds for
 *               memory and the channel, a pipe with its other end closed
 *               for kick, call and error fds, memfds otherwise).
 *               Op bit 6: the payload is cut or zero-padded to the size
 *               the request (or a reply: 8) has, so that a request code
 *               changed by a mutation still makes a well-formed message.
 *    2 FE_TAIL  n16 len, bytes  bytes as they are, then the front-end's
 *    3 BE_TAIL  n16 len, bytes  (back-end's) side is shut: a message cut
 *                               short ends at the end of the stream
 *    4 GMEM     u8 f, n32 off, n16 len, bytes   guest writes into guest
 *                               memory memfd f & 1 (256 KiB each) at off
 *    5 KICK     u8 q            the guest kicks vring q (the kick eventfd
 *                               the front-end gave for it)
 *    6 DONE     u8 q, u8 n, n32 len   the back-end completes up to n
 *                               chains of its (shadow) vring q, used
 *                               length len, and signals its call fd
 *    7 SMEM     u8 q, n16 off, n16 len, bytes  the back-end writes
 *                               anything into vring q's part of the
 *                               shadow region (rings, indirect tables)
 *    8 CHAN_BE  n16 len, bytes  a message from the back-end on the
 *                               back-end request channel (framed as FE)
 *    9 CHAN_FE  n16 len, bytes  a message from the front-end on it
 *   10 TICK                     (0x0a exactly) the loop waits up to 2 ms
 *                               (the poll timer: rings without kick fd)
 *   11 RING     u8 w, u8 q, n32 v   a vring message built whole (fz_ring)
 *   12 CTL      u8 w, n32 v         a control message built whole (fz_ctl)
 *   others: nothing.
 * After each operation the loop runs until idle and everything the proxy
 * sent either peer is read (the back-end side keeps the shadow region,
 * its kick/call fds and ring sizes as a back-end would). At the end both
 * peers shut their side and the proxy is freed.
 *
 * Inputs above 64 KiB are skipped; at most 4096 operations run. The seeds
 * (a QEMU-like set-up, kicks, indirect chains, a polled ring and a reset,
 * a full memory table, the back-end channel, drops, garbage) are written
 * by tests/fuzz/proxy_seeds.py.
 *
 * The proxy logs protocol errors on stderr: tests/fuzz/proxy.flags gives
 * libFuzzer -close_fd_mask=2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_int.h"
#include "proxy_q.h"
#include "proxy_rec.h"
#include "vscsi/capture.h"
#include "vscsi/reader.h"
#include "vscsi/vhost_user.h"
#include "vu.h"
#include "vu_loop.h"

#define FZ_GMEM_SIZE (256u * 1024u)
#define FZ_MSG_MAX (VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD)

struct fz {
	vu_loop *loop;
	proxy *p;
	pxq *q;
	px_rec *rec;
	int fe, be;		/* our ends of the proxy's two sockets */
	int chfe, chbe;		/* the back-end request channel: the
				 * front-end's end, the back-end's end */
	int gmem[2];		/* guest memory */
	uint64_t pf;		/* protocol features the front-end set */
	int kick[PX_MAX_VRINGS];	/* kick fds the front-end gave */
	int scall[PX_MAX_VRINGS];	/* call fds the back-end got */
	uint16_t snum[PX_MAX_VRINGS], slast[PX_MAX_VRINGS];
	uint8_t *smap;		/* the shadow region, as the back-end maps it */
	size_t slen;
};

static uint16_t fz_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t fz_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t fz_le64(const uint8_t *p)
{
	return (uint64_t)fz_le32(p) | (uint64_t)fz_le32(p + 4) << 32;
}

static const uint8_t *fz_p;
static size_t fz_left;

static int fz_take(void *out, size_t n)
{
	if (n > fz_left)
		return -1;
	memcpy(out, fz_p, n);
	fz_p += n;
	fz_left -= n;
	return 0;
}

static unsigned fz_u8(void)
{
	uint8_t v = 0;

	fz_take(&v, 1);
	return v;
}

static unsigned fz_u16(void)
{
	uint8_t v[2] = { 0, 0 };

	fz_take(v, 2);
	return (unsigned)v[0] | (unsigned)v[1] << 8;
}

static uint32_t fz_u32(void)
{
	uint8_t v[4] = { 0, 0, 0, 0 };

	fz_take(v, 4);
	return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
	       (uint32_t)v[3] << 24;
}

/* Up to n bytes of the input (fewer at its end). */
static const uint8_t *fz_bytes(size_t *n)
{
	const uint8_t *b = fz_p;

	if (*n > fz_left)
		*n = fz_left;
	fz_p += *n;
	fz_left -= *n;
	return b;
}

static unsigned fz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Mappings of guest memory or of a shadow region left behind (the
 * harness unmaps its own view of the shadow before it looks). */
static unsigned fz_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:fuzz-guest") ||
		    strstr(line, "memfd:vscsi-capture-shadow"))
			n++;
	fclose(f);
	return n;
}

static void fz_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------------------ sending */

static void fz_sendmsg(int fd, const uint8_t *b, size_t len, const int *fds,
		       unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)b, len };
	struct msghdr mh;

	if (fd < 0)
		return;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	/* the peer may be gone: nothing waits, nothing signals */
	(void)sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * The payload size a well-formed message of this request has (b: header
 * and payload, zero-padded to FZ_MSG_MAX), so that a mutated request code
 * still makes a message the proxy takes. len: the size there is.
 */
static size_t fz_fit(const uint8_t *b, size_t len, int channel, int from_fe)
{
	uint32_t req = fz_le32(b);
	size_t n;

	if (channel != VSCSI_VU_FRONTEND)
		return len;
	if (fz_le32(b + 4) & VSCSI_VU_FLAG_REPLY)
		return 8;	/* u64, state and acks alike */
	if (!from_fe)
		return len;
	switch (req) {
	case VSCSI_VU_SET_FEATURES:
	case VSCSI_VU_SET_PROTOCOL_FEATURES:
	case VSCSI_VU_SET_VRING_KICK:
	case VSCSI_VU_SET_VRING_CALL:
	case VSCSI_VU_SET_VRING_ERR:
	case VSCSI_VU_SET_VRING_NUM:
	case VSCSI_VU_SET_VRING_BASE:
	case VSCSI_VU_GET_VRING_BASE:
	case VSCSI_VU_SET_VRING_ENABLE:
		return 8;
	case VSCSI_VU_SET_VRING_ADDR:
	case VSCSI_VU_ADD_MEM_REG:
	case VSCSI_VU_REM_MEM_REG:
		return 40;
	case VSCSI_VU_SET_MEM_TABLE:
		n = fz_le32(b + VSCSI_VU_HDR_SIZE);
		return 8 + 32 * (n > VSCSI_VU_MAX_REGIONS ?
				 VSCSI_VU_MAX_REGIONS : n);
	case VSCSI_VU_GET_FEATURES:
	case VSCSI_VU_GET_PROTOCOL_FEATURES:
	case VSCSI_VU_GET_QUEUE_NUM:
	case VSCSI_VU_GET_MAX_MEM_SLOTS:
	case VSCSI_VU_SET_OWNER:
	case VSCSI_VU_RESET_OWNER:
	case VSCSI_VU_RESET_DEVICE:
	case VSCSI_VU_SET_BACKEND_REQ_FD:
		return 0;
	default:
		return len;
	}
}

/* A message from the input, framed whole, with the fds it asks for. */
static void fz_send_msg(struct fz *z, int fd, int channel, unsigned fdmode,
			int from_fe, const uint8_t *b, size_t len);

static void fz_send(struct fz *z, int fd, int channel, unsigned fdmode,
		    int fit, int from_fe)
{
	uint8_t b[FZ_MSG_MAX];
	size_t len = fz_u16();
	const uint8_t *src = fz_bytes(&len);

	if (len > sizeof(b))
		len = sizeof(b);
	memset(b, 0, sizeof(b));
	memcpy(b, src, len);
	if (len < VSCSI_VU_HDR_SIZE)
		len = VSCSI_VU_HDR_SIZE;
	if (fit)
		len = VSCSI_VU_HDR_SIZE + fz_fit(b, len - VSCSI_VU_HDR_SIZE,
						  channel, from_fe);
	vscsi_put_le32(b + 8, (uint32_t)(len - VSCSI_VU_HDR_SIZE));
	fz_send_msg(z, fd, channel, fdmode, from_fe, b, len);
}

#define FZ_UVA 0x7f0000000000ull

/*
 * A well-formed vring or control message from a few input bytes, so that
 * mutations can insert, repeat and reorder whole steps of a set-up:
 *   RING  u8 w, u8 q, n32 v   w & 7: 0 SET_VRING_NUM {q, v}, 1
 *         SET_VRING_BASE {q, v}, 2 SET_VRING_ADDR q (desc, avail, used at
 *         guest uva + 4 KiB * bytes 0, 1, 2 of v, & 63), 3 SET_VRING_KICK
 *         and 4 SET_VRING_CALL (q | v & 0x100), 5 SET_VRING_ENABLE {q, v},
 *         6 GET_VRING_BASE q, 7 the back-end's GET_VRING_BASE reply {q, v};
 *         w & 8: NEED_REPLY
 *   CTL   u8 w, n32 v   w & 15: 0 SET_FEATURES (v, VERSION_1), 1
 *         SET_PROTOCOL_FEATURES v, 2 RESET_DEVICE, 3 RESET_OWNER, 4
 *         SET_MEM_TABLE of one region (guest memory 0 at gpa 0), 5 of two
 *         (memory 1 at gpa 256 KiB too), 6 ADD_MEM_REG and 7 REM_MEM_REG
 *         of memory 0 again at gpa 1 MiB, 8 the back-end's reply to request
 *         v & 63 (u64 v >> 8), 9 GET_FEATURES, 10 GET_PROTOCOL_FEATURES,
 *         11 GET_QUEUE_NUM; w & 16: NEED_REPLY
 */
static void fz_send_built(struct fz *z, const vscsi_vu_msg *m, int to_be)
{
	uint8_t b[FZ_MSG_MAX];
	int n = vscsi_vu_msg_build(m, b, sizeof(b));

	if (n > 0)
		fz_send_msg(z, to_be ? z->be : z->fe, VSCSI_VU_FRONTEND, 0,
			    !to_be, b, (size_t)n);
}

static void fz_ring(struct fz *z)
{
	unsigned w = fz_u8(), q = fz_u8();
	uint32_t v = fz_u32();
	vscsi_vu_msg m;
	int to_be = 0;
	static const uint32_t reqs[8] = {
		VSCSI_VU_SET_VRING_NUM, VSCSI_VU_SET_VRING_BASE,
		VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_SET_VRING_KICK,
		VSCSI_VU_SET_VRING_CALL, VSCSI_VU_SET_VRING_ENABLE,
		VSCSI_VU_GET_VRING_BASE, VSCSI_VU_GET_VRING_BASE,
	};

	memset(&m, 0, sizeof(m));
	m.hdr.request = reqs[w & 7];
	m.hdr.flags = VSCSI_VU_VERSION | (w & 8 ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = VSCSI_VU_P_STATE;
	m.u.state.index = q;
	m.u.state.num = v;
	switch (w & 7) {
	case 2:
		m.payload_kind = VSCSI_VU_P_ADDR;
		m.u.addr.index = q;
		m.u.addr.flags = 0;
		m.u.addr.desc = FZ_UVA + 4096ull * (v & 63);
		m.u.addr.avail = FZ_UVA + 4096ull * ((v >> 8) & 63);
		m.u.addr.used = FZ_UVA + 4096ull * ((v >> 16) & 63);
		break;
	case 3:
	case 4:
		m.payload_kind = VSCSI_VU_P_U64;
		m.u.u64 = q | (v & VSCSI_VU_NOFD_MASK);
		break;
	case 6:
		m.u.state.num = 0;
		break;
	case 7:
		m.hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
		to_be = 1;
		break;
	default:
		break;
	}
	fz_send_built(z, &m, to_be);
}

static void fz_ctl(struct fz *z)
{
	unsigned w = fz_u8();
	uint32_t v = fz_u32();
	vscsi_vu_msg m;
	int to_be = 0;

	memset(&m, 0, sizeof(m));
	m.hdr.flags = VSCSI_VU_VERSION | (w & 16 ? VSCSI_VU_FLAG_NEED_REPLY : 0);
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = VSCSI_VU_P_NONE;
	switch (w & 15) {
	case 0:
	case 1:
		m.hdr.request = w & 1 ? VSCSI_VU_SET_PROTOCOL_FEATURES
				      : VSCSI_VU_SET_FEATURES;
		m.payload_kind = VSCSI_VU_P_U64;
		m.u.u64 = w & 1 ? v : (uint64_t)v | 1ull << 32;
		break;
	case 2:
		m.hdr.request = VSCSI_VU_RESET_DEVICE;
		break;
	case 3:
		m.hdr.request = VSCSI_VU_RESET_OWNER;
		break;
	case 4:
	case 5:
		m.hdr.request = VSCSI_VU_SET_MEM_TABLE;
		m.payload_kind = VSCSI_VU_P_MEM_TABLE;
		m.u.mem.nregions = (w & 15) == 4 ? 1 : 2;
		m.u.mem.regions[0] = (struct vscsi_vu_region){
			0, FZ_GMEM_SIZE, FZ_UVA, 0 };
		m.u.mem.regions[1] = (struct vscsi_vu_region){
			FZ_GMEM_SIZE, FZ_GMEM_SIZE, FZ_UVA + FZ_GMEM_SIZE, 0 };
		break;
	case 6:
	case 7:
		m.hdr.request = (w & 15) == 6 ? VSCSI_VU_ADD_MEM_REG
					      : VSCSI_VU_REM_MEM_REG;
		m.payload_kind = VSCSI_VU_P_MEM_REG;
		m.u.reg = (struct vscsi_vu_region){
			1u << 20, FZ_GMEM_SIZE, FZ_UVA + (1u << 20), 0 };
		break;
	case 8:
		m.hdr.request = v & 63;
		m.hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
		m.payload_kind = VSCSI_VU_P_U64;
		m.u.u64 = v >> 8;
		to_be = 1;
		break;
	case 9:
		m.hdr.request = VSCSI_VU_GET_FEATURES;
		break;
	case 10:
		m.hdr.request = VSCSI_VU_GET_PROTOCOL_FEATURES;
		break;
	case 11:
		m.hdr.request = VSCSI_VU_GET_QUEUE_NUM;
		break;
	default:
		return;
	}
	fz_send_built(z, &m, to_be);
}

/* Send a message framed whole with the fds it asks for (fdmode as for FE
 * and BE). */
static void fz_send_msg(struct fz *z, int fd, int channel, unsigned fdmode,
			int from_fe, const uint8_t *b, size_t len)
{
	vscsi_vu_msg m;
	int fds[VU_MAX_FDS], keep = -1;
	unsigned nfds = 0, i, req;
	int need = 0;

	memset(&m, 0, sizeof(m));
	req = fz_le32(b);
	if (vscsi_vu_msg_parse(b, len, channel, &m) == VSCSI_OK) {
		need = vscsi_vu_msg_fds_pf(&m, z->pf);
		if (from_fe && channel == VSCSI_VU_FRONTEND &&
		    req == VSCSI_VU_SET_PROTOCOL_FEATURES &&
		    m.payload_kind == VSCSI_VU_P_U64)
			z->pf = m.u.u64;
	}
	if (need < 0 || fdmode == 1)
		need = 0;
	if (need > VSCSI_VU_MAX_REGIONS)
		need = VSCSI_VU_MAX_REGIONS;
	for (i = 0; i < (unsigned)need; i++) {
		int f = -1, mem = channel == VSCSI_VU_FRONTEND &&
				  (req == VSCSI_VU_SET_MEM_TABLE ||
				   req == VSCSI_VU_ADD_MEM_REG ||
				   req == VSCSI_VU_SET_LOG_BASE ||
				   req == VSCSI_VU_SET_INFLIGHT_FD ||
				   req == VSCSI_VU_GET_INFLIGHT_FD);

		if (fdmode == 3) {
			/* the wrong kind: no memory where memory is due, a
			 * pipe whose other end is gone for notifiers */
			int pp[2];

			if (mem || req == VSCSI_VU_SET_BACKEND_REQ_FD) {
				f = vu_eventfd();
			} else if (from_fe && channel == VSCSI_VU_FRONTEND &&
				   (req == VSCSI_VU_SET_VRING_KICK ||
				    req == VSCSI_VU_SET_VRING_CALL ||
				    req == VSCSI_VU_SET_VRING_ERR) &&
				   pipe2(pp, O_CLOEXEC | O_NONBLOCK) == 0) {
				int kick = req == VSCSI_VU_SET_VRING_KICK;

				f = pp[kick ? 0 : 1];
				close(pp[kick ? 1 : 0]);
			} else {
				f = dup(z->gmem[i & 1]);
			}
		} else if (mem) {
			f = dup(z->gmem[i & 1]);
		} else if (from_fe && channel == VSCSI_VU_FRONTEND &&
			   req == VSCSI_VU_SET_BACKEND_REQ_FD) {
			int sv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				       sv) == 0) {
				fz_close(&z->chfe);
				z->chfe = sv[0];
				f = sv[1];
			}
		} else {
			f = vu_eventfd();
			if (from_fe && channel == VSCSI_VU_FRONTEND &&
			    req == VSCSI_VU_SET_VRING_KICK)
				keep = f;
		}
		if (f < 0)
			break;
		fds[nfds++] = f;
	}
	if (fdmode == 2 && nfds < VU_MAX_FDS) {
		int f = vu_eventfd();

		if (f >= 0)
			fds[nfds++] = f;
	}
	fz_sendmsg(fd, b, len, fds, nfds);
	if (keep >= 0 && m.payload_kind == VSCSI_VU_P_U64) {
		unsigned q = (unsigned)(m.u.u64 & VSCSI_VU_IDX_MASK);

		fz_close(&z->kick[q]);
		z->kick[q] = dup(keep);
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

static void fz_send_tail(int fd)
{
	size_t len = fz_u16();
	const uint8_t *b = fz_bytes(&len);

	if (fd < 0)
		return;
	if (len)
		(void)send(fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
}

/* ------------------------------------------------------------ receiving */

/* One message the proxy sent on fd, if any: its length (0: none). */
static size_t fz_recv(int fd, uint8_t *b, int *fds, unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { b, VSCSI_VU_HDR_SIZE };
	struct msghdr mh;
	struct cmsghdr *cm;
	struct pollfd pf = { fd, POLLIN, 0 };
	ssize_t n;
	uint32_t size;

	*nfds = 0;
	if (fd < 0 || poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN))
		return 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_WAITALL | MSG_CMSG_CLOEXEC);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			unsigned k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) /
						sizeof(int)), j;

			for (j = 0; j < k; j++) {
				int f;

				memcpy(&f, CMSG_DATA(cm) + j * sizeof(int),
				       sizeof(int));
				if (*nfds < VU_MAX_FDS)
					fds[(*nfds)++] = f;
				else
					close(f);
			}
		}
	if (n != VSCSI_VU_HDR_SIZE)
		goto bad;
	size = fz_le32(b + 8);
	if (size > VSCSI_VU_MAX_PAYLOAD)
		goto bad;
	if (size && recv(fd, b + VSCSI_VU_HDR_SIZE, size,
			 MSG_DONTWAIT | MSG_WAITALL) != (ssize_t)size)
		goto bad;
	return VSCSI_VU_HDR_SIZE + size;
bad:
	/* the proxy sends whole messages; a peer that went away leaves
	 * nothing to read either way */
	while (*nfds)
		close(fds[--*nfds]);
	return 0;
}

static void fz_map_shadow(struct fz *z, const uint8_t *rg, int fd)
{
	uint64_t gpa = fz_le64(rg), size = fz_le64(rg + 8);
	void *p;

	if (gpa != PX_SHADOW_BASE || z->smap || fd < 0 || !size ||
	    size > (1ull << 32))
		return;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	z->smap = p;
	z->slen = (size_t)size;
}

/* What the back-end side keeps of a message the proxy sent it. */
static void fz_backend_sees(struct fz *z, const uint8_t *b, size_t len,
			    int *fds, unsigned nfds)
{
	uint32_t req = fz_le32(b), flags = fz_le32(b + 4);
	const uint8_t *pl = b + VSCSI_VU_HDR_SIZE;
	size_t plen = len - VSCSI_VU_HDR_SIZE;
	unsigned i, q;

	if (flags & VSCSI_VU_FLAG_REPLY)
		return;
	switch (req) {
	case VSCSI_VU_SET_MEM_TABLE:
		if (plen < 8)
			break;
		for (i = 0; i < fz_le32(pl) && i < nfds &&
			    8 + 32 * (size_t)(i + 1) <= plen; i++)
			fz_map_shadow(z, pl + 8 + 32 * i, fds[i]);
		break;
	case VSCSI_VU_ADD_MEM_REG:
		if (plen >= 40 && nfds)
			fz_map_shadow(z, pl + 8, fds[0]);
		break;
	case VSCSI_VU_SET_VRING_NUM:
		if (plen >= 8 && fz_le32(pl) < PX_MAX_VRINGS)
			z->snum[fz_le32(pl)] =
				(uint16_t)fz_le32(pl + 4);
		break;
	case VSCSI_VU_SET_VRING_BASE:
		if (plen >= 8 && fz_le32(pl) < PX_MAX_VRINGS)
			z->slast[fz_le32(pl)] =
				(uint16_t)fz_le32(pl + 4);
		break;
	case VSCSI_VU_SET_VRING_CALL:
		if (plen >= 8 && nfds) {
			q = (unsigned)(fz_le64(pl) & VSCSI_VU_IDX_MASK);
			fz_close(&z->scall[q]);
			z->scall[q] = fds[0];
			fds[0] = -1;
		}
		break;
	case VSCSI_VU_SET_BACKEND_REQ_FD:
		if (nfds) {
			fz_close(&z->chbe);
			z->chbe = fds[0];
			fds[0] = -1;
		}
		break;
	default:
		break;
	}
}

static void fz_drain_records(struct fz *z)
{
	static vscsi_cap_rec rec;
	pxq_ent e;

	if (!z->q)
		return;
	while (pxq_peek(z->q, &e)) {
		if (e.kind == PXQ_RECORD) {
			int rc = vscsi_cap_parse(e.body, e.len, &rec);

			if (rc != VSCSI_OK) {
				fprintf(stderr, "fuzz_proxy: the recorder "
					"queued a record that does not parse: "
					"%s\n", vscsi_strerror(rc));
				abort();
			}
		}
		pxq_pop(z->q);
	}
}

/* Read everything the proxy sent either peer. */
static void fz_drain(struct fz *z)
{
	static uint8_t b[FZ_MSG_MAX];
	int fds[VU_MAX_FDS];
	unsigned nfds, i, k;
	size_t len;

	for (k = 0; k < 64; k++) {
		unsigned got = 0;

		if ((len = fz_recv(z->be, b, fds, &nfds)) > 0) {
			fz_backend_sees(z, b, len, fds, nfds);
			got++;
		} else if ((len = fz_recv(z->fe, b, fds, &nfds)) > 0 ||
			   (len = fz_recv(z->chfe, b, fds, &nfds)) > 0 ||
			   (len = fz_recv(z->chbe, b, fds, &nfds)) > 0) {
			got++;
		}
		for (i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (!got)
			break;
	}
	fz_drain_records(z);
}

static void fz_pump(struct fz *z, int wait_ms, unsigned max_rounds)
{
	unsigned i;

	for (i = 0; i < max_rounds; i++) {
		int n = vu_loop_run_once(z->loop, wait_ms);

		fz_drain(z);
		if (n <= 0 && !wait_ms)
			break;
	}
}

/* ------------------------------------------------------------ the peers */

static void fz_gmem(struct fz *z)
{
	unsigned f = fz_u8() & 1;
	uint32_t off = fz_u32() % FZ_GMEM_SIZE;
	size_t len = fz_u16();
	const uint8_t *b = fz_bytes(&len);

	if (len > FZ_GMEM_SIZE - off)
		len = FZ_GMEM_SIZE - off;
	if (len)
		(void)pwrite(z->gmem[f], b, len, off);
}

static uint8_t *fz_sring(struct fz *z, unsigned q)
{
	if (!z->smap || (uint64_t)(q + 1) * PX_RING_STRIDE > z->slen)
		return NULL;
	return z->smap + (size_t)q * PX_RING_STRIDE;
}

/* A back-end that completes what its shadow ring holds. */
static void fz_done(struct fz *z)
{
	unsigned q = fz_u8(), n = fz_u8(), num;
	uint32_t len = fz_u32();
	uint8_t *s = fz_sring(z, q);
	uint16_t aidx, uidx;

	num = z->snum[q];
	if (!s || !num || num > PX_MAX_NUM || (num & (num - 1)))
		return;
	aidx = fz_le16(s + PX_AVAIL_OFF + 2);
	uidx = fz_le16(s + PX_USED_OFF + 2);
	while (n-- && z->slast[q] != aidx) {
		uint16_t head = fz_le16(s + PX_AVAIL_OFF + 4 +
					       2u * (z->slast[q] % num));
		uint8_t *e = s + PX_USED_OFF + 4 + 8u * (uidx % num);

		vscsi_put_le32(e, head);
		vscsi_put_le32(e + 4, len);
		uidx++;
		z->slast[q]++;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vscsi_put_le16(s + PX_USED_OFF + 2, uidx);
	if (z->scall[q] >= 0)
		vu_eventfd_signal(z->scall[q]);
}

static void fz_smem(struct fz *z)
{
	unsigned q = fz_u8(), off = fz_u16();
	size_t len = fz_u16();
	const uint8_t *b = fz_bytes(&len);
	uint8_t *s = fz_sring(z, q);

	if (!s)
		return;
	if (len > 65536u - off)
		len = 65536u - off;
	memcpy(s + off, b, len);
}

static int fz_memfd(void)
{
	int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, FZ_GMEM_SIZE))
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;
	unsigned cfg, fds_before, fds_after, q, ops = 0;
	int sfe[2], sbe[2];
	px_opts o;

	if (size < 1 || size > 64 * 1024)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	fds_before = fz_count_fds();
	fz_p = data;
	fz_left = size;
	cfg = fz_u8();

	memset(&z, 0, sizeof(z));
	z.chfe = z.chbe = -1;
	for (q = 0; q < PX_MAX_VRINGS; q++)
		z.kick[q] = z.scall[q] = -1;
	z.gmem[0] = fz_memfd();
	z.gmem[1] = fz_memfd();
	z.loop = vu_loop_new();
	if (!z.loop)
		abort();
	if (!(cfg & 0x40)) {
		z.q = pxq_new(cfg & 0x08 ? PXQ_MIN_BYTES : 256u * 1024u);
		z.rec = z.q ? px_rec_new(z.q, cfg & 0x10 ? 64u : 0u,
					 (cfg & 0x20) != 0)
			    : NULL;
		if (!z.rec)
			abort();
	}
	memset(&o, 0, sizeof(o));
	o.prog = "fuzz_proxy";
	o.rec = z.rec;
	o.notify = cfg & 0x01;
	o.poll_us = cfg & 0x02 ? 20 : 0;
	o.verbose = cfg & 0x04 ? 2 : 0;
	z.p = proxy_new(z.loop, &o);
	if (!z.p ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sfe) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sbe))
		abort();
	z.fe = sfe[0];
	z.be = sbe[0];
	if (proxy_add_conn(z.p, sfe[1], sbe[1]) != 1)
		abort();

	while (fz_left && ops++ < 4096) {
		unsigned op = fz_u8();

		switch (op & 0x0f) {
		case 0:
			fz_send(&z, z.fe, VSCSI_VU_FRONTEND, (op >> 4) & 3,
				op & 0x40, 1);
			break;
		case 1:
			fz_send(&z, z.be, VSCSI_VU_FRONTEND, (op >> 4) & 3,
				op & 0x40, 0);
			break;
		case 2:
			fz_send_tail(z.fe);
			break;
		case 3:
			fz_send_tail(z.be);
			break;
		case 4:
			fz_gmem(&z);
			break;
		case 5:
			q = fz_u8();
			if (z.kick[q] >= 0)
				vu_eventfd_signal(z.kick[q]);
			break;
		case 6:
			fz_done(&z);
			break;
		case 7:
			fz_smem(&z);
			break;
		case 8:
			fz_send(&z, z.chbe, VSCSI_VU_BACKEND, (op >> 4) & 3,
				op & 0x40, 0);
			break;
		case 9:
			fz_send(&z, z.chfe, VSCSI_VU_BACKEND, (op >> 4) & 3,
				op & 0x40, 1);
			break;
		case 11:
			fz_ring(&z);
			break;
		case 12:
			fz_ctl(&z);
			break;
		case 10:
			/* 0x0a only: waits are what makes an input slow */
			if (op == 10)
				fz_pump(&z, 2, 1);
			break;
		default:
			break;
		}
		fz_pump(&z, 0, 64);
	}

	/* both peers hang up; the proxy ends the connection */
	shutdown(z.fe, SHUT_WR);
	shutdown(z.be, SHUT_WR);
	fz_pump(&z, 0, 64);
	proxy_free(z.p);
	fz_drain(&z);
	vu_loop_free(z.loop);
	fz_close(&z.fe);
	fz_close(&z.be);
	fz_close(&z.chfe);
	fz_close(&z.chbe);
	fz_close(&z.gmem[0]);
	fz_close(&z.gmem[1]);
	for (q = 0; q < PX_MAX_VRINGS; q++) {
		fz_close(&z.kick[q]);
		fz_close(&z.scall[q]);
	}
	if (z.smap)
		munmap(z.smap, z.slen);
	px_rec_free(z.rec);
	pxq_free(z.q);
	fds_after = fz_count_fds();
	if (fds_after > fds_before) {
		fprintf(stderr, "fuzz_proxy: %u fds leaked\n",
			fds_after - fds_before);
		abort();
	}
	if (fz_count_maps()) {
		fprintf(stderr, "fuzz_proxy: %u memory mappings leaked\n",
			fz_count_maps());
		abort();
	}
	return 0;
}
