/*
 * vhost-user messages: parse the input as a message of each channel; on
 * success describe it (text and JSON, in a roomy and a tiny buffer), count
 * its fds, ask whether it wants a reply, build it again and parse the
 * result, which must say the same thing. A short cut of a good message must
 * be TRUNCATED.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/vhost_user.h"

static uint8_t fz_buf[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD];
static char fz_text[16384];

static void fz_check(int ok)
{
	if (!ok)
		abort();
}

static void fz_one(const uint8_t *data, size_t size, int channel)
{
	vscsi_vu_msg m, again;
	vscsi_vu_hdr h;
	char tiny[7];
	size_t n;
	int rc, built;

	rc = vscsi_vu_msg_parse(data, size, channel, &m);
	if (vscsi_vu_hdr_parse(data, size, &h) == VSCSI_OK) {
		int hc = vscsi_vu_hdr_check(&h, channel);

		/* a size hdr_check refuses never parses */
		fz_check(hc == VSCSI_OK || rc == VSCSI_ERR_MSG_SIZE);
	}
	if (rc != VSCSI_OK)
		return;
	fz_check(m.payload_kind < VSCSI_VU_P_COUNT);
	fz_check(size >= VSCSI_VU_HDR_SIZE + (size_t)m.hdr.size);

	n = vscsi_vu_msg_describe(&m, fz_text, sizeof(fz_text));
	fz_check(n < sizeof(fz_text) && n == strlen(fz_text));
	fz_check(vscsi_vu_msg_describe(&m, tiny, sizeof(tiny)) == n);
	fz_check(strlen(tiny) == (n < sizeof(tiny) ? n : sizeof(tiny) - 1));
	n = vscsi_vu_msg_describe_json(&m, fz_text, sizeof(fz_text));
	fz_check(n < sizeof(fz_text) && n == strlen(fz_text));
	fz_check(vscsi_vu_msg_describe_json(&m, tiny, sizeof(tiny)) == n);

	(void)vscsi_vu_msg_fds(&m);
	(void)vscsi_vu_msg_fds_pf(&m, ~0ull);
	(void)vscsi_vu_expects_reply(&m, ~0ull);
	(void)vscsi_vu_expects_reply(&m, 0);

	built = vscsi_vu_msg_build(&m, fz_buf, sizeof(fz_buf));
	fz_check(built == VSCSI_VU_HDR_SIZE + (int)m.hdr.size);
	fz_check(vscsi_vu_msg_parse(fz_buf, (size_t)built, channel, &again) ==
		 VSCSI_OK);
	fz_check(vscsi_vu_msg_equal(&m, &again));
	/* the header is copied exactly */
	fz_check(memcmp(fz_buf, data, VSCSI_VU_HDR_SIZE) == 0);

	fz_check(vscsi_vu_msg_parse(data, (size_t)built - 1, channel, &again) ==
		 VSCSI_ERR_TRUNCATED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_one(data, size, VSCSI_VU_FRONTEND);
	fz_one(data, size, VSCSI_VU_BACKEND);
	return 0;
}
