/*
 * Fuzz the chain walkers and both sides of a queue over hostile ring memory.
 *
 * Input: a 33-byte header, then the bytes of 16 KiB of "guest memory"
 * (zero-filled when short). The descriptor table / packed ring is at the
 * start of that memory; a few regions map guest-physical ranges onto parts
 * of it, so buffers and indirect tables may cross regions, gaps and ends.
 *
 *   +0  u8    mode: bit 0 packed, bit 1 INDIRECT_DESC, bit 2 EVENT_IDX,
 *               bit 3 set the base from +4, bit 4 cap the iovecs at 4
 *   +1  u8    ring size: split 1 << (v % 9), packed v % 256 + 1
 *   +2  le16  head (split) / slot (packed) for the first walk
 *   +4  le32  base for vscsi_vq_set_base
 *   +8  u8    regions - 1 (low 2 bits)
 *   +9  4 x { le16 gpa / 16, le16 size - 1, le16 host offset }
 *   +33 memory
 *
 * Split rings: desc at 0, avail at 0x1000, used at 0x1400. Packed: desc at
 * 0, driver event at 0x1000, device event at 0x1004.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/gmem.h"
#include "vscsi/reader.h"
#include "vscsi/vring.h"

#define FZ_MEM 0x4000u
#define FZ_AVAIL 0x1000u
#define FZ_USED 0x1400u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t fz_mem[FZ_MEM] __attribute__((aligned(4096)));
static uint8_t fz_drv_mem[FZ_MEM] __attribute__((aligned(4096)));

static void fz_walks(const vscsi_gmem *g, int packed, uint16_t num,
		     uint16_t head, unsigned wf, unsigned cap)
{
	struct iovec iov[64];
	uint64_t addr[64];
	vscsi_chain c;
	unsigned i;

	vscsi_chain_init(&c, iov, cap);
	vscsi_chain_set_addr(&c, addr);
	if (packed)
		(void)vscsi_chain_walk_packed(fz_mem, num, head, g, wf, &c);
	else
		(void)vscsi_chain_walk_split(fz_mem, num, head, g, wf, &c);
	for (i = 0; i < num && i < 32; i++) {
		int r = packed ? vscsi_chain_walk_packed(fz_mem, num, (uint16_t)i, g, wf, &c)
			       : vscsi_chain_walk_split(fz_mem, num, (uint16_t)i, g, wf, &c);

		if (!packed) {
			/* the short path and the general walker agree */
			struct iovec giov[64];
			uint64_t gaddr[64];
			vscsi_chain gc;
			int gr;

			vscsi_chain_init(&gc, giov, cap);
			vscsi_chain_set_addr(&gc, gaddr);
			gr = vscsi_chain_walk_split(fz_mem, num, (uint16_t)i, g,
						    wf | VSCSI_WALK_GENERAL,
						    &gc);
			if (gr != r)
				abort();
			if (r == VSCSI_OK &&
			    (gc.head != c.head || gc.ndesc != c.ndesc ||
			     gc.flags != c.flags || gc.n_out != c.n_out ||
			     gc.n_in != c.n_in || gc.desc_out != c.desc_out ||
			     gc.desc_in != c.desc_in || gc.out_len != c.out_len ||
			     gc.in_len != c.in_len ||
			     memcmp(giov, c.iov, (c.n_out + c.n_in) *
						 sizeof(*giov)) ||
			     memcmp(gaddr, addr, (c.n_out + c.n_in) *
						 sizeof(*gaddr))))
				abort();
		}
		if (r == VSCSI_OK) {
			/* the chain's promises hold */
			uint64_t out = 0, in = 0;
			unsigned k;

			if (c.n_out + c.n_in > cap || c.desc_in + c.desc_out > num ||
			    c.out_len > UINT32_MAX || c.in_len > UINT32_MAX)
				abort();
			for (k = 0; k < c.n_out + c.n_in; k++) {
				if (c.iov[k].iov_len == 0 ||
				    vscsi_gmem_ptr(g, addr[k], c.iov[k].iov_len) !=
					    c.iov[k].iov_base)
					abort();
				if (k < c.n_out)
					out += c.iov[k].iov_len;
				else
					in += c.iov[k].iov_len;
			}
			if (out != c.out_len || in != c.in_len)
				abort();
		}
	}
}

/* Device side over the fuzzed rings. */
static void fz_device(const vscsi_gmem *g, int packed, uint16_t num,
		      unsigned vqf, int set_base, uint32_t base, unsigned cap)
{
	vscsi_vq *vq = vscsi_vq_new();
	struct iovec iov[64];
	vscsi_chain c;
	int i, r;

	if (!vq)
		return;
	if (set_base)
		vscsi_vq_set_base(vq, base);
	if (packed)
		r = vscsi_vq_setup_packed(vq, num, fz_mem, fz_mem + FZ_AVAIL,
					  fz_mem + FZ_AVAIL + 4, vqf);
	else
		r = vscsi_vq_setup_split(vq, num, fz_mem, fz_mem + FZ_AVAIL,
					 fz_mem + FZ_USED, vqf);
	if (r)
		abort();	/* the harness chose valid sizes */
	vscsi_chain_init(&c, iov, cap);
	for (i = 0; i < 16; i++) {
		r = vscsi_vq_pop(vq, g, &c);
		if (r < 0) {
			if (!vscsi_vq_broken(vq) ||
			    vscsi_vq_pop(vq, g, &c) != VSCSI_ERR_RING_BROKEN)
				abort();
			break;
		}
		if (r == 0) {
			vscsi_vq_notify_enable(vq, i & 1);
			continue;
		}
		/* plain and held-back answers mixed */
		if (i & 2)
			(void)vscsi_vq_push_lazy(vq, c.head, c.ndesc,
						 (uint32_t)c.in_len);
		else
			(void)vscsi_vq_push(vq, c.head, c.ndesc,
					    (uint32_t)c.in_len);
		if (vscsi_vq_held(vq) > num)
			abort();
		if (i % 3 == 0)
			(void)vscsi_vq_should_notify(vq);
	}
	(void)vscsi_vq_flush(vq);
	if (vscsi_vq_held(vq))
		abort();
	(void)vscsi_vq_get_base(vq);
	(void)vscsi_vq_inflight(vq);
	vscsi_vq_free(vq);
}

/* Driver side: add chains, then let the fuzz bytes play the device. */
static void fz_driver(int packed, uint16_t num, unsigned vqf,
		      const uint8_t *bytes, size_t n)
{
	vscsi_vq *vq = vscsi_vq_new();
	struct vscsi_desc d[3] = {
		{ 0x100, 16, 0 }, { 0x200, 16, VSCSI_VRING_DESC_F_WRITE },
		{ 0x300, 16, VSCSI_VRING_DESC_F_WRITE },
	};
	size_t area, off;
	int i, r;

	if (!vq)
		return;
	if (packed)
		r = vscsi_vq_drv_setup_packed(vq, num, fz_drv_mem, fz_drv_mem + FZ_AVAIL,
					      fz_drv_mem + FZ_AVAIL + 4, vqf);
	else
		r = vscsi_vq_drv_setup_split(vq, num, fz_drv_mem, fz_drv_mem + FZ_AVAIL,
					     fz_drv_mem + FZ_USED, vqf);
	if (r) {
		vscsi_vq_free(vq);
		return;
	}
	for (i = 0; i < 6; i++)
		(void)vscsi_vq_drv_add(vq, d, (unsigned)i % 3 + 1, NULL);
	(void)vscsi_vq_drv_should_kick(vq);
	/* the "device" overwrites what a device may write: the used ring, or
	 * the packed descriptors and the device event area */
	if (packed) {
		area = (size_t)16 * num;
		off = 0;
	} else {
		vscsi_vring_split_sizes(num, NULL, NULL, &area);
		off = FZ_USED;
	}
	if (n > area)
		n = area;
	if (n)
		memcpy(fz_drv_mem + off, bytes, n);
	if (packed && n >= 4)
		memcpy(fz_drv_mem + FZ_AVAIL + 4, bytes, 4);
	for (i = 0; i < 12; i++) {
		uint16_t id;
		uint32_t len;

		r = vscsi_vq_drv_get_used(vq, &id, &len);
		if (r <= 0)
			break;
		if (id >= num)
			abort();
		(void)vscsi_vq_drv_add(vq, d, 2, NULL);
	}
	(void)vscsi_vq_drv_should_kick(vq);
	vscsi_vq_free(vq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vscsi_rd r;
	vscsi_gmem *g;
	uint8_t mode, nb, nreg;
	uint16_t head, num, split_num, packed_num;
	uint32_t base;
	unsigned i, wf, vqf, cap;
	size_t hdr = 33, n;

	vscsi_rd_init(&r, data, size);
	mode = vscsi_rd_u8(&r);
	nb = vscsi_rd_u8(&r);
	head = vscsi_rd_le16(&r);
	base = vscsi_rd_le32(&r);
	nreg = (uint8_t)((vscsi_rd_u8(&r) & 3) + 1);

	g = vscsi_gmem_new();
	if (!g)
		return 0;
	for (i = 0; i < 4; i++) {
		uint64_t gpa = (uint64_t)vscsi_rd_le16(&r) * 16;
		uint64_t rs = (uint64_t)vscsi_rd_le16(&r) % FZ_MEM + 1;
		uint32_t ho = vscsi_rd_le16(&r) % FZ_MEM;

		if (rs > FZ_MEM - ho)
			rs = FZ_MEM - ho;
		if (i < nreg)
			(void)vscsi_gmem_add(g, gpa, rs, 0x10000000 + gpa, fz_mem + ho);
	}
	memset(fz_mem, 0, FZ_MEM);
	n = size > hdr ? size - hdr : 0;
	if (n > FZ_MEM)
		n = FZ_MEM;
	if (n)
		memcpy(fz_mem, data + hdr, n);

	split_num = (uint16_t)(1u << (nb % 9));
	packed_num = (uint16_t)(nb % 256 + 1);
	num = mode & 1 ? packed_num : split_num;
	wf = mode & 2 ? VSCSI_WALK_INDIRECT : 0;
	vqf = (mode & 2 ? VSCSI_VQ_INDIRECT : 0) | (mode & 4 ? VSCSI_VQ_EVENT_IDX : 0);
	cap = mode & 16 ? 4 : 64;

	fz_walks(g, mode & 1, num, head, wf, cap);
	fz_device(g, mode & 1, num, vqf, (mode & 8) != 0, base, cap);
	fz_driver(mode & 1, num, vqf, n ? data + hdr : NULL, n);
	vscsi_gmem_free(g);
	return 0;
}
