/*
 * vscsi-top: shared between its files.
 *
 *   main.c    options, the run modes
 *   source.c  the input (file, followed file, monitor socket), its reader
 *             thread and the clock the figures are measured on
 *   model.c   what the input adds up to: statistics sets, the latency
 *             histogram, recent notable events, loss counts; snapshots
 *   view.c    the six views and the header as lines of text (for the
 *             screen and for batch mode alike)
 *   fmt.c     numbers, durations, LUNs and opcodes as text, and back
 *   screen.c  the ncurses screen and its keys
 *   batch.c   batch mode
 *
 * Threads: the reader thread feeds the model; the main thread draws. Both
 * take the model's lock (model_lock()) around everything they touch of it
 * and of the source's clock; the main thread copies what it draws into a
 * snapshot and draws without the lock.
 */
#ifndef VSCSI_TOP_H
#define VSCSI_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "capio.h"
#include "vscsi.h"

#define TOP_NAME "vscsi-top"

/* ------------------------------------------------------------ options */

enum top_view {
	VIEW_LUNS,
	VIEW_QUEUES,
	VIEW_OPS,
	VIEW_INFLIGHT,
	VIEW_ERRORS,
	VIEW_LATENCY,
	VIEW_COUNT,
};

typedef struct top_opts {
	const char *file;	/* -r */
	const char *monitor;	/* --monitor */
	int follow;		/* --follow */
	double speed;		/* --speed: 1 own pace, 0 as fast as possible */
	int batch;		/* -b */
	long count;		/* -n: intervals in batch mode (0: until the
				 * input ends) */
	double delay;		/* -d: seconds between refreshes */
	unsigned views;		/* -v: batch views, bit per enum top_view */
	unsigned first_view;	/* the view the screen opens on */
	const char *filter;	/* -f */
	const char *lun;	/* -l T:N */
	const char *opcode;	/* -o NAME */
	const char *sort;	/* -s column of the first view */
	int reverse;		/* -R */
	int totals;		/* -t */
	int no_color;		/* --no-color */
	long rows;		/* --rows: rows of in-flight and errors in batch */
} top_opts;

/* ------------------------------------------------------------ snapshot */

/* A row of the LUN, queue and opcode tables. */
typedef struct snap_row {
	uint64_t key;		/* the vscsi_stats key of the group */
	uint64_t ios, reads, writes, errors;
	double iops, rps, wps;	/* per second */
	double rmbs, wmbs;	/* MB (10^6 bytes) per second */
	uint64_t avg, p50, p99, max; /* latency, ns (0: none) */
	double qd;		/* average queue depth (unfiltered), -1 none */
	double busy;		/* % of the time with I/O in flight, -1 none */
} snap_row;

/* A request in flight. */
typedef struct snap_fl {
	vscsi_io io;		/* the request as an event */
	uint64_t age;		/* ns */
} snap_fl;

/* Notable events kept for the errors view. */
enum note_kind {
	NOTE_ERROR,		/* a command completed with an error */
	NOTE_CTRL,		/* a TMF or AN request */
	NOTE_CTRL_DONE,		/* its answer */
	NOTE_EVENT,		/* an eventq event */
	NOTE_RESET,		/* vhost-user RESET_OWNER / RESET_DEVICE */
	NOTE_LOSS,		/* a loss note */
	NOTE_GAP,		/* records missing by sequence number */
	NOTE_DAMAGED,		/* a damaged record */
	NOTE_REUSED,		/* a head made available again while in
				 * flight */
};

typedef struct top_note {
	unsigned kind;		/* enum note_kind */
	vscsi_io io;
	uint64_t count;		/* LOSS, GAP: records */
	unsigned reason;	/* LOSS: VSCSI_LOSS_* */
} top_note;

enum sel_group { SEL_LUNS, SEL_QUEUES, SEL_OPS, SEL_GROUPS };

typedef struct snap {
	uint64_t now;		/* the clock, ns since the epoch */
	uint64_t span;		/* ns the figures cover */
	int totals;		/* figures since the start, not the interval */
	int paused;
	int data_clock;		/* the clock is the data's (no lag shown) */
	char source[160];	/* "file x.pcap.zst", "monitor /run/s" */
	char state[160];	/* "", "end of input", "error: ..." */
	double delay;		/* refresh interval, s */

	/* header (unfiltered) */
	uint64_t first_ts;	/* first record's time, 0: none yet */
	uint64_t conns;
	double iops, rps, wps, rmbs, wmbs;
	uint64_t errors;
	uint64_t inflight;
	uint64_t records;	/* records read, since the start */
	double rec_rate;	/* records per second in the interval */
	uint64_t lost, lost_notes, lost_gaps;
	uint64_t damaged, bad;
	int have_lag;
	uint64_t lag_max;	/* worst lag in the interval, ns */

	/* tables (filtered; LUN selection applies to queues and opcodes) */
	snap_row *rows[SEL_GROUPS];
	size_t nrows[SEL_GROUPS], caprows[SEL_GROUPS];
	snap_fl *fl;		/* in flight, oldest first */
	size_t nfl, capfl;
	uint64_t fl_match;	/* in flight that match, all of them */
	top_note *notes;	/* newest first */
	size_t nnotes, capnotes;
	vscsi_hist lat;		/* latency of the selected LUN and opcode */

	/* every LUN and opcode seen (for selection keys) */
	uint64_t *lun_keys, *op_keys;
	size_t nlun_keys, nop_keys, caplun_keys, capop_keys;

	/* what is selected */
	char filter[512];	/* "" when none */
	int sel_lun;		/* a LUN is selected */
	uint64_t lun_key;	/* target << 16 | lun */
	int sel_op;
	uint64_t op_key;	/* opcode << 16 | sa (0xffff: none) */
} snap;

void snap_free(snap *s);

/* ------------------------------------------------------------ model */

typedef struct model model;

model *model_new(void);
void model_free(model *m);
void model_lock(model *m);
void model_unlock(model *m);

/* Everything below: with the lock held. */

/* One record from the reader; now_ns > 0 is the clock when it was
 * processed (for the lag; 0 with the data clock). */
void model_record(model *m, const vscsi_cap_rec *rec, uint64_t now_ns);
/* Forget every record (the filter and the selections stay): before the
 * input is read again from the start. -1 when out of memory. */
int model_reset(model *m);
/* A damaged record (the reader went on). */
void model_damaged(model *m, uint64_t ts_ns);
/* The input's state line ("" while it runs). */
void model_set_state(model *m, const char *state);
/* Time of the last record seen (0: none). */
uint64_t model_last_ts(const model *m);
uint64_t model_first_ts(const model *m);

/*
 * Replace the filter with text (empty: none). Returns VSCSI_OK, or
 * VSCSI_ERR_SYNTAX with "column N: ..." in err and N in *col (the filter in
 * force stays). This and the two selection calls take the lock themselves
 * (call them without it). The filtered figures start again from here.
 */
int model_set_filter(model *m, const char *text, char *err, size_t errlen,
		     size_t *col);
/* Select a LUN (on = 0: all) and an opcode (on = 0: all). */
void model_select_lun(model *m, int on, uint64_t key);
void model_select_op(model *m, int on, uint64_t key);

/* Copy what the views show into s: the interval (totals = 0) or the
 * figures since the start, measured up to now_ns; at most max_fl requests
 * in flight (0: none listed, only counted). */
void model_snapshot(model *m, snap *s, uint64_t now_ns, int totals,
		    size_t max_fl);
/* Begin a new interval at now_ns. */
void model_roll(model *m, uint64_t now_ns);
/* Start of the interval in progress. */
uint64_t model_interval_start(const model *m);

/* ------------------------------------------------------------ source */

typedef struct source source;

/* Open the input the options name (a monitor socket is connected here; the
 * capture header is read by the reader). NULL with a message in err. */
source *src_open(const top_opts *o, model *m, char *err, size_t errlen);
/* Start the reader thread. Returns 0 or -1 (message in err). */
int src_start(source *s, char *err, size_t errlen);
/* Stop the reader thread (it ends its wait on the input) and free. */
void src_close(source *s);
/* A file read as fast as possible: it can be read again from the start
 * (src_rewind()) when the filter or a selection changes. */
int src_rewindable(const source *s);
/* Stop the reader, forget what the model counted, open the file again and
 * start reading it from the start. 0, or -1 with a message in err. */
int src_rewind(source *s, char *err, size_t errlen);
/* The clock, ns since the epoch (lock held). */
uint64_t src_now(source *s);
/* The clock is the data's own (files read as fast as possible). */
int src_data_clock(const source *s);
/* Pause (on = 1) or resume a recording played at its pace (lock held);
 * other inputs go on: the screen only stops changing. */
void src_pause(source *s, int on);
/* The input ended (lock held): end of file, monitor closed, error. */
int src_ended(const source *s);
/* "file x", "follow x", "monitor x". */
const char *src_name(const source *s);
/* Batch mode on the data clock: read synchronously; at every boundary
 * (first record + k * delay), call tick(arg, boundary), which returns
 * nonzero to stop. At the end, tick(arg, 0). Returns 0, or 1 on an input
 * error (message in err). */
int src_run_data(source *s, double delay, int (*tick)(void *arg, uint64_t t),
		 void *arg, char *err, size_t errlen);

/* ------------------------------------------------------------ views */

/* Line attributes. */
#define VA_TITLE 0x01u	/* a view's title (batch) */
#define VA_COLHDR 0x02u	/* column names */
#define VA_ERR 0x04u	/* an error row */
#define VA_SEL 0x08u	/* the selected LUN/opcode */
#define VA_CURSOR 0x10u	/* the cursor row */
#define VA_HEADER 0x20u	/* the header lines */
#define VA_WARN 0x40u	/* a header line with losses or an error */

#define VLINE_MAX 320

typedef struct tline {
	char text[VLINE_MAX];
	unsigned attr;
	int hl_x, hl_w;	/* the sort column in a column-name line */
} tline;

typedef struct vout {
	tline *l;
	size_t n, cap;
} vout;

void vout_clear(vout *o);
void vout_free(vout *o);
tline *vout_add(vout *o, unsigned attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef struct view_state {
	unsigned cur;			/* enum top_view */
	unsigned sort[VIEW_COUNT];	/* column */
	int rev[VIEW_COUNT];		/* reversed */
	long cursor[VIEW_COUNT];	/* -1: none */
} view_state;

void view_state_init(view_state *vs);
const char *view_name(unsigned view);		/* "LUNs" */
const char *view_key_name(unsigned view);	/* "luns" */
/* A view by name or number ("luns", "3"); -1 when unknown. */
int view_lookup(const char *name);
/* The sort column named (case-insensitive), -1 when the view has none
 * by that name. */
int view_sort_lookup(unsigned view, const char *col);
/* Columns of a view (0: it has no sort) and a column's name. */
unsigned view_ncols(unsigned view);
const char *view_col_name(unsigned view, unsigned col);
/* Whether a column sorts from the largest first. */
int view_col_desc(unsigned view, unsigned col);

/* The header (4 lines). */
void view_header(const snap *s, const view_state *vs, vout *o);
/*
 * A view: a title line (VA_TITLE) when with_title, a column-name line, then
 * the rows. width is the screen's (0: no limit). rows_max caps the rows
 * (0: all). Returns the number of data rows the view has (for the cursor).
 */
size_t view_render(unsigned view, const snap *s, const view_state *vs,
		   vout *o, int with_title, int width, size_t rows_max);
/* The key of the data row at index i of the last render of view (LUN or
 * opcode key) in *key; 0 when none. */
int view_row_key(unsigned view, const snap *s, const view_state *vs,
		 size_t i, uint64_t *key);

/* ------------------------------------------------------------ text (fmt.c) */

/* "123.4", "123456", "1.2M". */
void fmt_rate(char *buf, size_t len, double v);
/* A duration in at most 6 characters: "850ns", "15.2us", "1.25ms". */
void fmt_ns(char *buf, size_t len, uint64_t ns);
void fmt_lun_key(char *buf, size_t len, uint64_t key);
void fmt_op_key(char *buf, size_t len, uint64_t key);
void fmt_queue_key(char *buf, size_t len, uint64_t key);
/* "T:N" -> key; 0 or -1. */
int fmt_parse_lun(const char *s, uint64_t *key);
/* An opcode by name ("read10", "READ(10)") or number ("0x28", "0x9e/0x10")
 * -> key; 0 or -1. */
int fmt_parse_op(const char *s, uint64_t *key);

/* ------------------------------------------------------------ modes */

int screen_run(const top_opts *o, model *m, source *src);
int batch_run(const top_opts *o, model *m, source *src);
/* Apply -f, -l, -o to the model; 0, or -1 after printing why. */
int top_apply_selection(const top_opts *o, model *m);

#endif
