/*
 * vscsi-replay --serve's request path (tools/vscsi-replay/sdev.c, compiled
 * in) against any chain a guest may post, as the ring walker hands it
 * over: the input gives the number of buffers, how many are readable, each
 * one's size, the request header and the data-out bytes. Each buffer is a
 * heap allocation of its own, so that a read or write past one is caught.
 * The device parses the chain, slices its buffers into data-out and
 * data-in, runs the command against a small image and builds the answer
 * (no ring is set up, so the push itself is refused). No input may crash
 * it, overflow a buffer, leak, or leave a command behind.
 *
 *   byte 0        buffers, 1..8 (mod 8, + 1)
 *   byte 1        readable ones, 0..buffers (mod buffers + 1)
 *   byte 2        features: bit 0 INOUT, bit 1 T10_PI; bit 2 clears the
 *                 power-on unit attention first
 *   then          a little-endian u16 per buffer: its size mod 9000
 *   then          the readable buffers' bytes, in order (zeros when the
 *                 input ends first)
 *
 * The device logs broken rings on stderr: tests/fuzz/serve.flags gives
 * libFuzzer -close_fd_mask=2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../tools/vscsi-replay/sdev.c"

#define FS_BUFS 8u
#define FS_LEN 9000u
#define FS_IMG (64u * 1024u)

/* The image's path: a memory file of this process, made once and never
 * closed (no file to clean up after a crash). */
static char fs_path[64];

static void fs_image(void)
{
	static uint8_t blk[4096];
	unsigned i;
	int fd;

	if (fs_path[0])
		return;
	fd = memfd_create("fuzz_serve", 0);
	if (fd < 0)
		abort();
	for (i = 0; i < sizeof(blk); i++)
		blk[i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < FS_IMG / sizeof(blk); i++)
		if (write(fd, blk, sizeof(blk)) != (ssize_t)sizeof(blk))
			abort();
	snprintf(fs_path, sizeof(fs_path), "/proc/self/fd/%d", fd);
}

static sdev *fs_device(int fd, uint8_t feat)
{
	static const uint8_t tur[6];
	sdev_cfg sc;
	emu_lun_cfg lc;
	emu_request rq;
	emu_result res;
	char spec[96], err[128];
	uint8_t raw[8];
	sdev *s;

	memset(&sc, 0, sizeof(sc));
	sc.id = 1;
	sc.queues = 1;
	s = sdev_new(fd, NULL, &sc);
	if (!s)
		abort();
	snprintf(spec, sizeof(spec), "0:0=%s", fs_path);
	if (emu_lun_parse(spec, &lc, err, sizeof(err)) ||
	    emu_lun_add(sdev_emu(s), &lc, 0, err, sizeof(err)))
		abort();
	s->vcfg.features = 1ull << VSCSI_F_VERSION_1 |
			   (feat & 1 ? 1ull << VSCSI_F_INOUT : 0) |
			   (feat & 2 ? 1ull << VSCSI_F_T10_PI : 0);
	if (feat & 4) {
		memset(&rq, 0, sizeof(rq));
		vscsi_lun_encode(raw, 0, 0, 1);
		vscsi_lun_decode(raw, &rq.lun);
		rq.cdb = tur;
		rq.cdb_len = sizeof(tur);
		emu_exec_sync(sdev_emu(s), &rq, &res);
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[FS_BUFS];
	vscsi_chain c;
	unsigned n, n_out, i;
	size_t pos;
	sdev *s;
	int sv[2];

	if (size < 3)
		return 0;
	n = data[0] % FS_BUFS + 1;
	n_out = data[1] % (n + 1);
	pos = 3;
	if (size < pos + 2 * (size_t)n)
		return 0;
	fs_image();
	vscsi_chain_init(&c, iov, FS_BUFS);
	c.n_out = c.desc_out = n_out;
	c.n_in = c.desc_in = n - n_out;
	c.ndesc = (uint16_t)n;
	for (i = 0; i < n; i++) {
		size_t len = (size_t)(data[pos] | data[pos + 1] << 8) % FS_LEN;

		pos += 2;
		iov[i].iov_len = len;
		iov[i].iov_base = malloc(len ? len : 1);
		if (!iov[i].iov_base)
			abort();
		if (i < n_out)
			c.out_len += len;
		else
			c.in_len += len;
	}
	for (i = 0; i < n; i++) {
		uint8_t *b = iov[i].iov_base;
		size_t len = iov[i].iov_len, k = 0;

		if (i >= n_out) {
			memset(b, 0xa5, len);
			continue;
		}
		if (pos < size) {
			k = size - pos < len ? size - pos : len;
			memcpy(b, data + pos, k);
			pos += k;
		}
		memset(b + k, 0, len - k);
	}

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	s = fs_device(sv[0], data[2]);
	sdev_cmd(s, VSCSI_VQ_REQUEST0, &c);
	if (emu_drain(sdev_emu(s)) != VSCSI_OK)
		abort();	/* a command the emulation cannot finish */
	sdev_poll(s);
	sdev_free(s);
	close(sv[1]);
	for (i = 0; i < n; i++)
		free(iov[i].iov_base);
	return 0;
}
