/* vscsi-dump: shared between its files. */
#ifndef VSCSI_DUMP_H
#define VSCSI_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "vscsi.h"
#include "vscsi/format.h"
#include "capio.h"

/* Bytes of a record shown by -vv. */
#define DUMP_RAW_MAX 512

/* Exit statuses (vscsi-dump(1), EXIT STATUS). */
#define DUMP_EXIT_OK 0
#define DUMP_EXIT_DATA 1	/* --strict: the file is damaged or truncated */
#define DUMP_EXIT_FAIL 2	/* usage, open, read or filter errors */

/* How times are shown (--time). */
enum dump_time {
	DUMP_TIME_REL,		/* seconds since the first record */
	DUMP_TIME_ABS,		/* UTC date and time */
	DUMP_TIME_EPOCH,	/* seconds since the epoch */
	DUMP_TIME_DELTA,	/* seconds since the previous line */
	DUMP_TIME_NONE,
};

typedef struct dump_opts {
	int json;		/* -j: JSON lines */
	int verbose;		/* -v: 1, -vv: 2 (hex dumps) */
	int time_mode;		/* enum dump_time */
	int stats;		/* --stats */
	uint64_t interval_ns;	/* --interval, 0: none */
	uint64_t count;		/* -c: stop after this many events; 0: all */
	int strict;		/* --strict */
	int follow;		/* --follow */
	const char *path;	/* the capture, "-" for standard input */
	vscsi_filter *filter;	/* -f, or NULL */
	const char *filter_text; /* its text, or NULL */
	const char *report;	/* --report FILE (html.c), or NULL */
	int export_kind;	/* --export (export.c): enum dump_export */
} dump_opts;

enum dump_export { DUMP_EXPORT_NONE, DUMP_EXPORT_FIO, DUMP_EXPORT_CSV };

/* ---------------------------------------------------------------- demo */

/* raw: the device-readable (request) or device-writable (completion)
 * bytes, shown as a hex dump with -vv; may be NULL. The time printed is
 * w->ts_ns as it is. */
void dump_print_request(const dump_opts *o, const vscsi_fmt_where *w,
			const vscsi_cmd_req *req, const uint8_t *raw,
			size_t raw_len);
void dump_print_completion(const dump_opts *o, const vscsi_fmt_where *w,
			   const vscsi_cmd_req *req,
			   const vscsi_cmd_resp *resp, uint32_t used_len,
			   int64_t latency_ns, const uint8_t *raw,
			   size_t raw_len);

int dump_demo(const dump_opts *o);

/* ---------------------------------------------------------------- files */

/* One event of a capture, as the printers see it. */
typedef struct dump_ev {
	vscsi_fmt_where w;		/* ts_ns: ns since the epoch */
	const vscsi_cap_rec *rec;	/* the record it came from */
	int cut;			/* the header was cut at the snap length */
	int short_hdr;			/* fewer bytes than a header: the guest's */
	int reused;			/* its head was still in flight */
} dump_ev;

/* Time of the first record (relative times count from it). */
void dump_print_start(uint64_t t0_ns);

/*
 * Each returns 1 when it printed a line, 0 when the event is not shown in
 * this mode (notifications and event buffers show with -v or -j).
 */
int dump_show_cmd_req(const dump_opts *o, const dump_ev *e,
		      const vscsi_cmd_req *req);
int dump_show_cmd_resp(const dump_opts *o, const dump_ev *e,
		       const vscsi_cmd_req *req, const vscsi_cmd_resp *resp,
		       uint32_t used_len, int64_t latency_ns);
int dump_show_ctrl_req(const dump_opts *o, const dump_ev *e,
		       const vscsi_ctrl_req *req);
int dump_show_ctrl_resp(const dump_opts *o, const dump_ev *e,
			const vscsi_ctrl_req *req, const vscsi_ctrl_resp *resp,
			int64_t latency_ns);
int dump_show_event(const dump_opts *o, const dump_ev *e,
		    const vscsi_event *ev);
int dump_show_event_buffer(const dump_opts *o, const dump_ev *e);
/* m is NULL when the message did not parse (err says why). */
int dump_show_vu(const dump_opts *o, const dump_ev *e, const vscsi_vu_msg *m,
		 int err);
int dump_show_session(const dump_opts *o, const dump_ev *e);
int dump_show_loss(const dump_opts *o, const dump_ev *e);
int dump_show_gap(const dump_opts *o, const dump_ev *e);
int dump_show_notify(const dump_opts *o, const dump_ev *e);
/* what: "request", "completion", ...; err: why it did not decode. */
int dump_show_undecodable(const dump_opts *o, const dump_ev *e,
			  const char *what, int err);

/* Read the capture o->path and print or summarise it. Returns the exit
 * status. */
int dump_file(const dump_opts *o);

/* ---------------------------------------------------------------- report */

/* What the statistics tables need besides vscsi_stats. */
typedef struct dump_totals {
	const char *path;
	uint64_t t0_ns;			/* first record */
	uint64_t last_ns;		/* last record */
	uint64_t by_type[8];		/* records by VSCSI_REC_* */
	uint64_t loss_notes, loss_records;
	uint64_t event_buffers;		/* posted, not yet filled */
	int truncated;
} dump_totals;

typedef struct dump_report dump_report;

/* Tables for the whole capture (interval_ns 0) or per interval. NULL on
 * allocation failure. */
dump_report *dump_report_new(const dump_opts *o);
void dump_report_free(dump_report *rp);
/* The first record's time (intervals count from it) and the capture's
 * name. */
void dump_report_start(dump_report *rp, uint64_t t0_ns, const char *path);
/* Feed one event that passed the filter. */
void dump_report_add(dump_report *rp, const vscsi_io *io);
/* The capture ended: print the (last) tables, what is still in flight and
 * what was lost. */
void dump_report_finish(dump_report *rp, const dump_totals *tot,
			const vscsi_tracker *t, const vscsi_cap_rstats *rst);

/* ---------------------------------------------------------------- walk */

/*
 * The reading loop of --report and --export (export.c): each record of
 * o->path through a capio, as file.c reads (damaged records skipped with a
 * message, or the end with --strict). fn gets the record, its event and
 * capio_record()'s result; it returns 0 to go on, 1 to stop, -1 to fail.
 * inflight_fn (may be NULL) is then called for each command or control
 * request still in flight at the end, oldest first. Returns the exit
 * status; *end says what was read.
 */
typedef int (*dump_walk_fn)(void *arg, const vscsi_cap_rec *rec,
			    const capio_ev *ev, int rc);
typedef void (*dump_walk_inflight_fn)(void *arg, const vscsi_inflight *in);
typedef struct dump_walk_end {
	uint64_t records;
	uint64_t t0_ns, last_ns;	/* first and last record */
	uint64_t loss_records;		/* told by loss notes */
	vscsi_cap_rstats rst;
	capio_counts cc;
	vscsi_tracker_counts tc;
} dump_walk_end;
int dump_walk(const dump_opts *o, dump_walk_fn fn,
	      dump_walk_inflight_fn inflight_fn, void *arg, dump_walk_end *end);

/* A good READ CAPACITY(10) or (16) completion whose data is in the
 * capture: 1 with the block length and the number of blocks; else 0. */
int dump_capacity(const vscsi_cap_rec *rec, const capio_ev *ev,
		  uint32_t *block, uint64_t *blocks);
/* The block size a good READ or WRITE's bytes and blocks tell (a power of
 * two from 512 to 64 KiB), or 0. */
uint32_t dump_block_guess(const vscsi_io *io);

/* --export: o->export_kind to standard output. Returns the exit status. */
int dump_export(const dump_opts *o);

/* ---------------------------------------------------------------- html */

/* --report: the HTML page to o->report ("-": standard output). Returns the
 * exit status. */
int dump_html(const dump_opts *o);

#endif
