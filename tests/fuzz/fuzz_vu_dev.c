/*
 * The vhost-user back-end core against whatever a front-end may send: the
 * input is written to one end of a socketpair as a byte stream (messages as
 * a peer would frame them, or garbage), the core handles messages until the
 * stream ends or it closes the connection. No input may crash it, hang it
 * (vu_recv is bounded by the end of the stream), leak fds, or make it touch
 * memory it did not map.
 *
 * The core logs every protocol error on stderr: tests/fuzz/vu_dev.flags
 * gives libFuzzer -close_fd_mask=2 (its own output survives).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vu_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vu_dev_cfg cfg;
	vu_dev_ops ops;
	vu_dev *d;
	int sv[2], rc, bufsz = 1 << 20;
	unsigned q, rounds = 0;

	if (size > 256 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	/* the whole stream fits the socket buffer, then end of stream */
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);

	memset(&cfg, 0, sizeof(cfg));
	cfg.prog = "fuzz_vu_dev";
	cfg.id = 1;
	cfg.features = 1ull << 32 | 1ull << 28 | 1ull << 29 | 1ull << 0;
	cfg.nqueues = 4;
	memset(&ops, 0, sizeof(ops));
	d = vu_dev_new(sv[0], NULL, &cfg, &ops);
	if (!d)
		abort();
	do {
		rc = vu_dev_dispatch(d);
		/* a ring that went live is kicked: the core pops nothing
		 * itself without a device, but must survive the kick */
		for (q = 0; q < cfg.nqueues; q++)
			if (vu_dev_queue_live(d, q))
				vu_dev_kick(d, q);
	} while (rc == 1 && ++rounds < 10000);
	vu_dev_free(d);
	close(sv[1]);
	return 0;
}
