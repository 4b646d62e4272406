/*
 * vscsi-dump --demo: a guest and a device in one process. The "guest" posts
 * virtio-scsi chains on real split rings in a two-region memory map, the way
 * the Linux driver lays them out (one header descriptor, data-out, one
 * response descriptor, data-in); the "device" pops them with the library's
 * walker, decodes and answers them; every request and completion is printed
 * as vscsi-dump prints a capture. The last chain is malformed (it loops) to
 * show what a hostile guest gets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "vscsi.h"
#include "vscsi/format.h"
#include "vscsi/gmem.h"
#include "vscsi/vring.h"

#define DEMO_MEM (256u * 1024u)
#define DEMO_RING 64u
#define DEMO_BLOCK 512u

typedef struct demo_vq {
	vscsi_vq *drv, *dev;
	uint64_t ring_gpa;
} demo_vq;

typedef struct demo {
	uint8_t *mem;		/* guest RAM, two regions */
	vscsi_gmem *gmem;
	uint64_t next_gpa;	/* bump allocator for buffers */
	demo_vq q[3];		/* control, event, request */
	vscsi_vs_cfg cfg;
	uint64_t now;		/* a fake clock, ns */
	const dump_opts *opts;
} demo;

static uint64_t demo_alloc(demo *d, uint32_t len)
{
	uint64_t gpa = d->next_gpa;

	d->next_gpa += (len + 63u) & ~63u;
	if (d->next_gpa > DEMO_MEM) {
		fprintf(stderr, "vscsi-dump: demo: out of guest memory\n");
		exit(2);
	}
	return gpa;
}

static void *demo_ptr(demo *d, uint64_t gpa)
{
	return d->mem + gpa;
}

static int demo_setup_vq(demo *d, demo_vq *q)
{
	size_t ds, as, us;
	uint64_t desc, avail, used;

	vscsi_vring_split_sizes(DEMO_RING, &ds, &as, &us);
	desc = demo_alloc(d, (uint32_t)ds);
	avail = demo_alloc(d, (uint32_t)as);
	used = demo_alloc(d, (uint32_t)us);
	q->drv = vscsi_vq_new();
	q->dev = vscsi_vq_new();
	if (!q->drv || !q->dev)
		return VSCSI_ERR_NOMEM;
	q->ring_gpa = desc;
	if (vscsi_vq_drv_setup_split(q->drv, DEMO_RING, demo_ptr(d, desc),
				     demo_ptr(d, avail), demo_ptr(d, used),
				     VSCSI_VQ_INDIRECT) ||
	    vscsi_vq_setup_split(q->dev, DEMO_RING, demo_ptr(d, desc),
				 demo_ptr(d, avail), demo_ptr(d, used),
				 VSCSI_VQ_INDIRECT))
		return VSCSI_ERR_ARG;
	return VSCSI_OK;
}

/* What the toy device answers: status, sense and data for one command. */
typedef struct demo_answer {
	uint8_t response;
	uint8_t status;
	uint8_t key, asc, ascq;
	uint32_t data_in;	/* bytes of data-in produced */
	uint32_t latency;	/* ns */
} demo_answer;

/* The device side: pop, decode, print, answer, push. */
static void demo_device(demo *d, const demo_answer *a)
{
	demo_vq *q = &d->q[2];
	struct iovec iov[64];
	vscsi_chain c;
	vscsi_cmd_req req;
	vscsi_cmd_resp resp;
	vscsi_fmt_where w = { d->now, 0, 2, 0 };
	uint8_t hdr[12 + VSCSI_SENSE_MAX];
	uint8_t raw[DUMP_RAW_MAX];
	size_t nraw;
	int rc, n;

	vscsi_chain_init(&c, iov, 64);
	rc = vscsi_vq_pop(q->dev, d->gmem, &c);
	if (rc < 0) {
		printf("%" PRIu64 ".%09" PRIu64 " q2 chain error: %s "
		       "(the device marks the queue broken)\n",
		       d->now / 1000000000u, d->now % 1000000000u,
		       vscsi_strerror(rc));
		return;
	}
	if (rc == 0)
		return;
	w.head = c.head;
	if (vscsi_vs_cmd_req_parse_iov(&d->cfg, c.iov, c.n_out, &req)) {
		printf("q2 bad request header\n");
		return;
	}
	nraw = vscsi_iov_gather(c.iov, c.n_out, 0, raw, sizeof(raw));
	dump_print_request(d->opts, &w, &req, raw, nraw);

	memset(&resp, 0, sizeof(resp));
	resp.response = a->response;
	resp.status = a->status;
	if (a->key) {
		n = vscsi_sense_build_simple(resp.sense, sizeof(resp.sense), 0,
					     a->key, a->asc, a->ascq);
		resp.sense_copied = (uint16_t)(n > 0 ? n : 0);
		resp.sense_len = resp.sense_copied;
	}
	/* the response header goes to the first writable bytes, then data */
	n = vscsi_vs_cmd_resp_build(&d->cfg, &resp, hdr, sizeof(hdr));
	vscsi_iov_scatter(c.iov + c.n_out, c.n_in, 0, hdr, (size_t)n);
	if (a->data_in) {
		uint8_t *fill = calloc(1, a->data_in);

		if (fill) {
			memset(fill, 0xa5, a->data_in);
			vscsi_iov_scatter(c.iov + c.n_out, c.n_in, (size_t)n,
					  fill, a->data_in);
			free(fill);
		}
	}
	d->now += a->latency;
	w.ts_ns = d->now;
	vscsi_vq_push(q->dev, c.head, c.ndesc, (uint32_t)n + a->data_in);

	/* The guest side reads the completion back from its own memory. */
	{
		uint16_t id;
		uint32_t used;
		vscsi_cmd_resp got;
		struct iovec in[64];
		unsigned nin = 0, i;

		if (vscsi_vq_drv_get_used(q->drv, &id, &used) != 1)
			return;
		for (i = 0; i < c.n_in && nin < 64; i++)
			in[nin++] = c.iov[c.n_out + i];
		if (vscsi_vs_cmd_resp_parse_iov(&d->cfg, in, nin, &got))
			return;
		nraw = vscsi_iov_gather(in, nin, 0, raw, sizeof(raw));
		dump_print_completion(d->opts, &w, &req, &got, used,
				      (int64_t)a->latency, raw, nraw);
	}
}

/* The guest side: lay out a command chain the way Linux does and post it. */
static void demo_guest_cmd(demo *d, uint8_t lun, const uint8_t *cdb,
			   size_t cdb_len, uint8_t attr, uint32_t data_out,
			   uint32_t data_in, int split_data)
{
	struct vscsi_desc desc[6];
	vscsi_cmd_req req;
	unsigned n = 0;
	uint16_t id;
	uint32_t hsize = vscsi_vs_cmd_req_size(&d->cfg);
	uint32_t rsize = vscsi_vs_cmd_resp_size(&d->cfg);
	uint64_t gpa;
	static uint64_t tag = 0x100;

	memset(&req, 0, sizeof(req));
	vscsi_lun_encode(req.lun.raw, 0, lun, 1);
	req.tag = tag++;
	req.task_attr = attr;
	req.cdb_size = (uint16_t)d->cfg.cdb_size;
	memcpy(req.cdb, cdb, cdb_len);

	gpa = demo_alloc(d, hsize);
	vscsi_vs_cmd_req_build(&d->cfg, &req, demo_ptr(d, gpa), hsize);
	desc[n++] = (struct vscsi_desc){ gpa, hsize, 0 };
	if (data_out) {
		gpa = demo_alloc(d, data_out);
		memset(demo_ptr(d, gpa), 0x5a, data_out);
		desc[n++] = (struct vscsi_desc){ gpa, data_out, 0 };
	}
	gpa = demo_alloc(d, rsize);
	desc[n++] = (struct vscsi_desc){ gpa, rsize, VSCSI_VRING_DESC_F_WRITE };
	if (data_in && split_data) {
		/* a buffer that straddles the two memory regions */
		gpa = DEMO_MEM / 2 - data_in / 2;
		desc[n++] = (struct vscsi_desc){ gpa, data_in,
						 VSCSI_VRING_DESC_F_WRITE };
	} else if (data_in) {
		gpa = demo_alloc(d, data_in);
		desc[n++] = (struct vscsi_desc){ gpa, data_in,
						 VSCSI_VRING_DESC_F_WRITE };
	}
	vscsi_vq_drv_add(d->q[2].drv, desc, n, &id);
	d->now += 1500;
}

/* A chain whose last descriptor points back at its head. */
static void demo_guest_loop(demo *d)
{
	struct vscsi_desc desc[2];
	uint8_t *table = demo_ptr(d, d->q[2].ring_gpa);
	uint64_t gpa = demo_alloc(d, 64);
	uint16_t id;

	desc[0] = (struct vscsi_desc){ gpa, 51, 0 };
	desc[1] = (struct vscsi_desc){ gpa + 51, 13, 0 };
	vscsi_vq_drv_add(d->q[2].drv, desc, 2, &id);
	/* the guest rewrites the second descriptor: NEXT back to the head */
	{
		vscsi_rd r;
		uint16_t next;
		uint8_t *second;

		vscsi_rd_init(&r, table + 16u * id + 14u, 2);
		next = vscsi_rd_le16(&r);
		second = table + 16u * (next % DEMO_RING);

		vscsi_put_le16(second + 12, VSCSI_VRING_DESC_F_NEXT);
		vscsi_put_le16(second + 14, id);
	}
	d->now += 1500;
}

int dump_demo(const dump_opts *opts)
{
	static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t rcap16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 32, 0, 0 };
	static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0,
					    8, 0 };
	static const uint8_t write10_fua[10] = { 0x2a, 0x08, 0, 0, 0x10, 0,
						 0, 0, 8, 0 };
	static const uint8_t read16_bad[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0x12,
						0x34, 0x56, 0, 0, 0, 8, 0, 0 };
	static const uint8_t sync10[10] = { 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	static const uint8_t wsame16[16] = { 0x93, 0x08, 0, 0, 0, 0, 0, 1, 0,
					     0, 0, 0, 0x10, 0, 0, 0 };
	static const uint8_t report_luns[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0,
						 0, 0x10, 0, 0 };
	static const uint8_t tur[6] = { 0, 0, 0, 0, 0, 0 };
	static const demo_answer ok = { 0, 0, 0, 0, 0, 0, 12000 };
	demo d;
	demo_answer a;
	int rc = 0;
	unsigned i;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	vscsi_vs_cfg_default(&d.cfg);
	d.cfg.features |= 1ull << VSCSI_F_RING_INDIRECT_DESC;
	d.mem = calloc(1, DEMO_MEM);
	d.gmem = vscsi_gmem_new();
	if (!d.mem || !d.gmem) {
		fprintf(stderr, "vscsi-dump: demo: out of memory\n");
		return 2;
	}
	/* two regions, as a guest with memory above and below a hole has */
	vscsi_gmem_add(d.gmem, 0, DEMO_MEM / 2, 0x7f0000000000ull, d.mem);
	vscsi_gmem_add(d.gmem, DEMO_MEM / 2, DEMO_MEM / 2,
		       0x7f0000000000ull + DEMO_MEM / 2, d.mem + DEMO_MEM / 2);
	d.next_gpa = 4096;
	for (i = 0; i < 3; i++)
		if (demo_setup_vq(&d, &d.q[i])) {
			fprintf(stderr, "vscsi-dump: demo: ring set-up failed\n");
			return 2;
		}
	d.now = 1000000000ull;

	/* the boot-time scan: INQUIRY, REPORT LUNS, READ CAPACITY(16) */
	demo_guest_cmd(&d, 0, inquiry, sizeof(inquiry), 0, 0, 96, 0);
	a = ok;
	a.data_in = 96;
	demo_device(&d, &a);
	demo_guest_cmd(&d, 0, report_luns, sizeof(report_luns), 0, 0, 16, 0);
	a.data_in = 16;
	demo_device(&d, &a);
	demo_guest_cmd(&d, 0, rcap16, sizeof(rcap16), 0, 0, 32, 0);
	a.data_in = 32;
	demo_device(&d, &a);
	/* I/O: a read whose buffer straddles two memory regions, a FUA write */
	demo_guest_cmd(&d, 0, read10, sizeof(read10), 0, 0, 8 * DEMO_BLOCK, 1);
	a.data_in = 8 * DEMO_BLOCK;
	a.latency = 85000;
	demo_device(&d, &a);
	demo_guest_cmd(&d, 0, write10_fua, sizeof(write10_fua), 0,
		       8 * DEMO_BLOCK, 0, 0);
	a = ok;
	a.latency = 1250000;
	demo_device(&d, &a);
	/* a read that fails on the medium */
	demo_guest_cmd(&d, 0, read16_bad, sizeof(read16_bad), 0, 0,
		       8 * DEMO_BLOCK, 0);
	a = (demo_answer){ 0, 2, 0x3, 0x11, 0x00, 0, 40000 };
	demo_device(&d, &a);
	/* discard and flush */
	demo_guest_cmd(&d, 0, unmap, sizeof(unmap), 0, 24, 0, 0);
	a = ok;
	demo_device(&d, &a);
	demo_guest_cmd(&d, 0, wsame16, sizeof(wsame16), 0, DEMO_BLOCK, 0, 0);
	demo_device(&d, &a);
	demo_guest_cmd(&d, 0, sync10, sizeof(sync10), VSCSI_TASK_ORDERED, 0,
		       0, 0);
	a.latency = 2000000;
	demo_device(&d, &a);
	/* a LUN that does not exist */
	demo_guest_cmd(&d, 5, tur, sizeof(tur), 0, 0, 0, 0);
	a = (demo_answer){ 0, 2, 0x5, 0x25, 0x00, 0, 9000 };
	demo_device(&d, &a);
	/* a hostile guest: a chain that loops */
	demo_guest_loop(&d);
	a = ok;
	demo_device(&d, &a);

	for (i = 0; i < 3; i++) {
		vscsi_vq_free(d.q[i].drv);
		vscsi_vq_free(d.q[i].dev);
	}
	vscsi_gmem_free(d.gmem);
	free(d.mem);
	return rc;
}
