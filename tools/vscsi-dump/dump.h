/* vscsi-dump: shared between its files. */
#ifndef VSCSI_DUMP_H
#define VSCSI_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "vscsi.h"
#include "vscsi/format.h"

/* Bytes of a record shown by -vv. */
#define DUMP_RAW_MAX 512

typedef struct dump_opts {
	int json;	/* -j: JSON lines */
	int verbose;	/* -v: 1, -vv: 2 (hex dumps) */
} dump_opts;

/* raw: the device-readable (request) or device-writable (completion)
 * bytes, shown as a hex dump with -vv; may be NULL. */
void dump_print_request(const dump_opts *o, const vscsi_fmt_where *w,
			const vscsi_cmd_req *req, const uint8_t *raw,
			size_t raw_len);
void dump_print_completion(const dump_opts *o, const vscsi_fmt_where *w,
			   const vscsi_cmd_req *req,
			   const vscsi_cmd_resp *resp, uint32_t used_len,
			   int64_t latency_ns, const uint8_t *raw,
			   size_t raw_len);

int dump_demo(const dump_opts *o);

#endif
