/* vscsi-dump: printing one event as text or JSON. */
#include <stdio.h>

#include "dump.h"

/*
 * Every line the formatters make is bounded (a CDB is at most 256 bytes, a
 * sense buffer 256, a hex dump DUMP_RAW_MAX), so one static buffer holds any
 * of them; a line that still did not fit is printed cut, never overrun.
 */
static char line[64 * 1024];

static void print_out(size_t need, int newline)
{
	fputs(line, stdout);
	if (need >= sizeof(line))
		fputs(" [line cut]", stdout);
	if (newline)
		fputc('\n', stdout);
}

static void print_hex(const dump_opts *o, const uint8_t *raw, size_t n)
{
	if (o->verbose < 2 || !raw || !n || o->json)
		return;
	print_out(vscsi_fmt_hexdump(line, sizeof(line), raw, n, DUMP_RAW_MAX,
				    8), 0);
}

void dump_print_request(const dump_opts *o, const vscsi_fmt_where *w,
			const vscsi_cmd_req *req, const uint8_t *raw,
			size_t raw_len)
{
	unsigned flags = o->verbose ? VSCSI_FMT_VERBOSE : 0;
	size_t need;

	if (o->json)
		need = vscsi_fmt_cmd_req_json(line, sizeof(line), w, req);
	else
		need = vscsi_fmt_cmd_req(line, sizeof(line), w, req, flags);
	print_out(need, 1);
	print_hex(o, raw, raw_len);
}

void dump_print_completion(const dump_opts *o, const vscsi_fmt_where *w,
			   const vscsi_cmd_req *req,
			   const vscsi_cmd_resp *resp, uint32_t used_len,
			   int64_t latency_ns, const uint8_t *raw,
			   size_t raw_len)
{
	unsigned flags = o->verbose ? VSCSI_FMT_VERBOSE : 0;
	size_t need;

	if (o->json)
		need = vscsi_fmt_cmd_resp_json(line, sizeof(line), w, req,
					       resp, used_len, latency_ns);
	else
		need = vscsi_fmt_cmd_resp(line, sizeof(line), w, req, resp,
					  used_len, latency_ns, flags);
	print_out(need, 1);
	print_hex(o, raw, raw_len);
}
