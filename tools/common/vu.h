/*
 * vhost-user framing over a unix socket (QEMU docs/interop/vhost-user.rst,
 * "Communication"): a 12-byte header, a payload of exactly `size` bytes, and
 * file descriptors as SCM_RIGHTS ancillary data on the header.
 *
 * Every message is checked for its exact size for its request before its
 * payload is used (the library's vscsi_vu_hdr_check / vscsi_vu_msg_parse),
 * and for the number of fds it must carry. Any violation is an error return
 * with every received fd closed; the caller logs it and closes the
 * connection. Nothing here aborts.
 *
 * Sockets are blocking with a receive/send timeout, so a peer that sends a
 * header and then stalls cannot hang a tool: the read fails after
 * VU_IO_TIMEOUT_MS.
 */
#ifndef VSCSI_TOOLS_VU_H
#define VSCSI_TOOLS_VU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vscsi/vhost_user.h"

#define VU_MAX_FDS 16		/* more than SET_MEM_TABLE's 8 */
#define VU_MAX_MSG (VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD)
#define VU_IO_TIMEOUT_MS 5000

/* A received message: raw bytes (for forwarding unchanged), the decoded
 * form, and the fds that came with it (owned by the holder). */
typedef struct vu_msg {
	vscsi_vu_msg m;
	uint8_t raw[VU_MAX_MSG];
	size_t raw_len;
	int fds[VU_MAX_FDS];
	unsigned nfds;
} vu_msg;

/*
 * Listen on a unix socket path with permissions `mode` (0600 unless told
 * otherwise). A stale socket file (nobody listening) is replaced; a path
 * another process is listening on is refused (EADDRINUSE). Returns the fd or
 * -1 with errno set.
 */
int vu_listen(const char *path, mode_t mode);
/* Accept one connection on a listening fd (CLOEXEC, timeouts set). */
int vu_accept(int lfd);
/* Connect to a listening path; -1 with errno set. */
int vu_connect(const char *path);
/* Set the send/receive timeouts of a connected socket (0 = none). */
int vu_set_timeout(int fd, unsigned ms);

/*
 * Receive one message sent on `channel` (VSCSI_VU_FRONTEND when the peer is
 * a front-end sending requests or a back-end replying to them).
 *   1   a message in *out (fds owned by the caller now)
 *   0   the peer closed the connection cleanly (between messages)
 *   <0  VSCSI_ERR_CLOSED (closed mid-message), VSCSI_ERR_IO (errno set:
 *       EAGAIN means a timeout), VSCSI_ERR_INVALID / MSG_SIZE / TRUNCATED
 *       (a malformed message: the library's verdict), VSCSI_ERR_FDS (wrong
 *       number of fds for the request). On errors no fd is left open.
 * protocol_features: the negotiated protocol features (fd rules depend on
 * them).
 */
int vu_recv(int fd, int channel, uint64_t protocol_features, vu_msg *out);
/* Send a decoded message (built with vscsi_vu_msg_build) with fds. */
int vu_send(int fd, const vscsi_vu_msg *m, const int *fds, unsigned nfds);
/* Send bytes as they are (a proxy forwarding a message unchanged). */
int vu_send_raw(int fd, const void *buf, size_t len, const int *fds,
		unsigned nfds);
/* Close every fd a message holds and forget them. */
void vu_msg_close_fds(vu_msg *m);

/* Shorthands for replies and requests. */
int vu_reply_u64(int fd, uint32_t request, uint64_t value);
int vu_request_u64(int fd, uint32_t request, uint64_t value,
		   uint32_t flags);

#endif
