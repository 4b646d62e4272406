/*
 * Filter compiler: arbitrary text. On success the filter is described, the
 * description compiled again (it must compile unless it outgrew the length
 * limit) and both are matched against a few fixed events: they must agree,
 * and describing the second gives the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"
#include "vscsi/filter.h"
#include "vscsi/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_EVENTS 5

static vscsi_io events[N_EVENTS];
static int events_ready;

static void make_events(void)
{
	static const uint8_t read10[] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 8, 0 };
	static const uint8_t rc16[] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0x20, 0, 0 };
	vscsi_cmd_req req;
	vscsi_cmd_resp resp;
	vscsi_ctrl_req creq;

	memset(&req, 0, sizeof(req));
	vscsi_lun_encode(req.lun.raw, 0, 1, 1);
	vscsi_lun_decode(req.lun.raw, &req.lun);
	req.tag = 0x1234;
	req.cdb_size = VSCSI_CDB_DEFAULT;
	memcpy(req.cdb, read10, sizeof(read10));
	req.hdr_len = 51;
	vscsi_io_from_request(&events[0], 3, 2, 7, 1000, &req);

	memset(&resp, 0, sizeof(resp));
	resp.status = 2;
	resp.hdr_len = 108;
	resp.sense[0] = 0x70;
	resp.sense[2] = 0x03;
	resp.sense[7] = 10;
	resp.sense[12] = 0x11;
	resp.sense_len = resp.sense_copied = 18;
	vscsi_io_from_completion(&events[1], 3, 2, 7, 2501000, &req, 1000,
				 &resp, 108 + 4096);

	memcpy(req.cdb, rc16, sizeof(rc16));
	vscsi_lun_encode_report_luns(req.lun.raw, 0);
	vscsi_lun_decode(req.lun.raw, &req.lun);
	vscsi_io_from_request(&events[2], 0, 3, 1, 5000, &req);

	memset(&creq, 0, sizeof(creq));
	creq.type = VSCSI_T_TMF;
	creq.subtype = 5;
	vscsi_lun_encode(creq.lun.raw, 1, 2, 0);
	vscsi_lun_decode(creq.lun.raw, &creq.lun);
	vscsi_io_from_ctrl(&events[3], 0, 0, 0, 6000, &creq);

	memset(&events[4], 0, sizeof(events[4]));
	events[4].type = VSCSI_IO_VHOST_USER;
	events_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *d1, *d2;
	char small[16], err[128];
	vscsi_filter *f = NULL, *g = NULL;
	size_t n, col = 0;
	int rc, i;

	if (!events_ready)
		make_events();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = vscsi_filter_compile(text, &f, err, sizeof(err), &col);
	if (rc != VSCSI_OK) {
		if (rc == VSCSI_ERR_SYNTAX &&
		    (col < 1 || col > strlen(text) + 1 ||
		     strncmp(err, "column ", 7) != 0))
			abort();
		free(text);
		return 0;
	}
	n = vscsi_filter_describe(f, NULL, 0);
	if (vscsi_filter_describe(f, small, sizeof(small)) != n ||
	    strlen(small) != (n < sizeof(small) ? n : sizeof(small) - 1))
		abort();
	d1 = malloc(n + 1);
	d2 = malloc(n + 1);
	if (!d1 || !d2)
		abort();
	if (vscsi_filter_describe(f, d1, n + 1) != n || strlen(d1) != n)
		abort();
	rc = vscsi_filter_compile(d1, &g, err, sizeof(err), &col);
	if (rc != VSCSI_OK && n <= VSCSI_FILTER_MAX_LEN)
		abort();	/* a description must compile again */
	if (rc == VSCSI_OK) {
		if (vscsi_filter_describe(g, d2, n + 1) != n ||
		    strcmp(d1, d2) != 0)
			abort();
		for (i = 0; i < N_EVENTS; i++)
			if (vscsi_filter_match(f, &events[i]) !=
			    vscsi_filter_match(g, &events[i]))
				abort();
	} else {
		for (i = 0; i < N_EVENTS; i++)
			(void)vscsi_filter_match(f, &events[i]);
	}
	vscsi_filter_free(g);
	vscsi_filter_free(f);
	free(d1);
	free(d2);
	free(text);
	return 0;
}
