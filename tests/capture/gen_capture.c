/*
 * Test-only generator: write a sample capture with every record type.
 * Usage: gen_capture FILE PAIRS
 * Writes a session, a vhost-user message, PAIRS request/completion pairs
 * (every third with 4 KiB of data, cut at a snap length of 256), a kick
 * and a call per pair, and a loss note; ends a frame every 50 pairs.
 * Prints the number of records written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/capture.h"

int main(int argc, char **argv)
{
	static const uint16_t qs[3] = { 128, 128, 128 };
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	vscsi_cap_session s;
	vscsi_cap_chain c;
	uint8_t req[51], resp[108], data[4096], msg[20];
	struct iovec iov[2];
	unsigned long pairs, i, records = 0;
	uint64_t ts = 1700000000000000000ull;
	int err, bad = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_capture FILE PAIRS\n");
		return 2;
	}
	pairs = strtoul(argv[2], NULL, 10);
	memset(&o, 0, sizeof(o));
	o.snaplen = 256;
	o.flags = VSCSI_CAP_W_OVERWRITE;
	w = vscsi_cap_writer_open(argv[1], &o, &err);
	if (!w) {
		fprintf(stderr, "gen_capture: %s: %s\n", argv[1],
			vscsi_strerror(err));
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.features = 0x100000007ull;
	s.cdb_size = 32;
	s.sense_size = 96;
	s.snaplen = 256;
	s.num_queues = 3;
	s.queue_sizes = qs;
	s.tool = "gen_capture";
	s.tool_version = "test";
	bad |= vscsi_cap_write_session(w, 1, &s, ts++);
	records++;
	memset(msg, 0, sizeof(msg));
	msg[0] = 1;	/* GET_FEATURES */
	bad |= vscsi_cap_write_vhost_user(w, 1, VSCSI_VU_TO_BACKEND,
					  VSCSI_VU_CHAN_MAIN, msg, 12, 0, ts++);
	records++;

	memset(req, 0, sizeof(req));
	memset(resp, 0, sizeof(resp));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	for (i = 0; i < pairs; i++) {
		int with_data = i % 3 == 0;

		memset(&c, 0, sizeof(c));
		c.conn = 1;
		c.vq = 2;
		c.head = (uint32_t)(i % 128);
		c.n_readable = with_data ? 2 : 1;
		c.n_writable = with_data ? 1 : 2;
		c.readable_bytes = 51 + (with_data ? 4096 : 0);
		c.writable_bytes = 108 + (with_data ? 0 : 4096);
		req[0] = 1;
		req[19] = with_data ? 0x2a : 0x28;	/* WRITE(10) / READ(10) */
		iov[0].iov_base = req;
		iov[0].iov_len = sizeof(req);
		iov[1].iov_base = data;
		iov[1].iov_len = sizeof(data);
		bad |= vscsi_cap_write_notify(w, 1, 2, VSCSI_NOTIFY_KICK, ts++);
		bad |= vscsi_cap_write_request(w, &c, iov, with_data ? 2 : 1,
					       51, ts++);
		iov[0].iov_base = resp;
		iov[0].iov_len = sizeof(resp);
		bad |= vscsi_cap_write_completion(w, &c,
				with_data ? 108 : 108 + 4096, iov,
				with_data ? 1 : 2, 108, ts++);
		bad |= vscsi_cap_write_notify(w, 1, 2, VSCSI_NOTIFY_CALL, ts++);
		records += 4;
		if (i % 50 == 49)
			bad |= vscsi_cap_writer_flush(w);
	}
	bad |= vscsi_cap_write_loss(w, 1, 0, VSCSI_LOSS_SHUTDOWN, ts, "end",
				    ts + 1);
	records++;
	bad |= vscsi_cap_writer_close(w);
	if (bad) {
		fprintf(stderr, "gen_capture: a write failed\n");
		return 1;
	}
	printf("%lu\n", records);
	return 0;
}
