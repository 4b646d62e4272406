/*
 * vscsi-replay: the replay of capture files (internal declarations).
 *
 *   replay_load.c  the capture read into a plan: one rp_op per request and
 *                  TMF, its recorded answer, its happens-before bound, and
 *                  what the selection (-f, window, writes) decided
 *   replay_fill.c  the deterministic fill of data-out the capture cut, the
 *                  list of commands that change the medium, the sparse
 *                  image digest, LUN addresses and --map
 *   replay_hash.c  XXH3 of payloads on the CPU's fastest code path
 *   replay_emu.c   the built-in target: one SCSI emulation per recorded
 *                  connection over the --lun files
 *   replay_vfe.c   the vhost-user target: one front-end connection (vfe)
 *                  per recorded connection
 *   replay.c       the engine: issue in order under happens-before and the
 *                  timing, reap completions, hand them to verification
 *   replay_rec.c   --record: a capture of what the replay sent and got
 *   verify.c       one completion against the recording; the map of blocks
 *                  the capture wrote (which reads verify exactly)
 *   report.c       text summary, JSON and JUnit reports
 *
 * Everything runs on one thread.
 */
#ifndef VSCSI_REPLAY_INT_H
#define VSCSI_REPLAY_INT_H

#include <stdint.h>
#include <stdio.h>

#include "replay.h"
#include "vscsi.h"

/* CDB bytes kept per request (emu and vfe look at no more). */
#define RP_CDB_MAX 32
/* Recorded connections a replay follows. */
#define RP_MAX_CONNS 64
/* Distinct LUN addresses the block map tells apart. */
#define RP_MAX_LUNS 1024
/* Differences kept for the reports (all are counted). */
#define RP_DIFFS_KEPT 10000
/* Largest data-out + data-in of one request the replay issues. */
#define RP_DATA_MAX (64u << 20)

enum rp_kind { RP_CMD = 0, RP_TMF = 1, RP_AN = 2 };

/* Why an op is not issued (rp_op.skip). */
enum rp_skip {
	RP_ISSUE = 0,
	RP_SKIP_FILTER,		/* -f did not match */
	RP_SKIP_WINDOW,		/* outside --start/--end */
	RP_SKIP_WRITE,		/* --skip-writes */
	RP_SKIP_CUT,		/* the request header was cut at the snap
				 * length: no CDB to send */
	RP_SKIP_UNSUPPORTED,	/* T10 PI, a CDB over 32 bytes, a response
				 * buffer too small, data over RP_DATA_MAX */
	RP_SKIP_COUNT
};

/* rp_op.flags */
#define RP_OPF_WRITE 0x0001u	/* changes the medium (rp_changes_medium) */
#define RP_OPF_RACY 0x0002u	/* a TMF was in flight with it (recording) */
#define RP_OPF_LOSS 0x0004u	/* records were lost before it */
#define RP_OPF_DONE 0x0008u	/* a completion is recorded */
#define RP_OPF_STATUS 0x0010u	/* recorded response, status, residual
				 * known (the response header reached
				 * byte 12) */
#define RP_OPF_SENSE 0x0020u	/* recorded sense key/ASC/ASCQ known */
#define RP_OPF_CUT 0x0040u	/* data-out cut at the snap length */
#define RP_OPF_SEL_DONE 0x0080u	/* the filter was decided on the
				 * completion */
#define RP_OPF_NOSENSE 0x0100u	/* the recorded sense length is 0 */

/*
 * One request or control-queue request of the capture, in file order.
 * The recorded answer fields (r_*) hold when RP_OPF_DONE (and STATUS,
 * SENSE for those fields).
 */
typedef struct rp_op {
	uint64_t ts_ns;		/* made available */
	uint64_t done_ns;	/* completed (RP_OPF_DONE) */
	uint64_t recno;		/* pcap record number of the request */
	uint64_t done_recno;
	uint64_t tag;		/* commands: the id; TMF: the task named */
	uint64_t dout_off;	/* kept data-out bytes in the arena */
	uint64_t dout_digest;	/* XXH3 of the full data-out */
	uint64_t r_din_digest;	/* XXH3 of the recorded data-in */
	uint64_t lba;		/* blocks the command reads or writes: */
	uint32_t nblk;		/* [lba, lba + nblk) (0: none known) */
	uint32_t opkey;		/* rp_opstat.key */
	uint32_t dep;		/* completion indices that must be done
				 * first: the completions recorded before
				 * this request */
	uint32_t cidx;		/* this op's completion index (1-based;
				 * 0: none recorded) */
	uint32_t dout_len;	/* full data-out bytes */
	uint32_t dout_kept;
	uint32_t din_alloc;	/* data-in buffer bytes */
	uint32_t r_resid;
	uint32_t r_din_len;
	uint32_t arg;		/* TMF subtype; AN event_requested */
	uint32_t r_event_actual; /* AN */
	uint32_t flags;		/* RP_OPF_* */
	uint16_t conn;		/* index into rp_plan.conns */
	uint16_t vq;
	uint8_t kind;		/* enum rp_kind */
	uint8_t opclass;	/* enum vscsi_op_class */
	uint8_t skip;		/* enum rp_skip */
	uint8_t task_attr, prio, crn;
	uint8_t cdb_len;	/* bytes of the CDB field kept (<= 32) */
	uint8_t r_response, r_status, r_key, r_asc, r_ascq;
	uint8_t lun[8];		/* as recorded */
	uint8_t cdb[RP_CDB_MAX];
} rp_op;

typedef struct rp_conn {
	uint32_t id;		/* the capture's connection id */
	vscsi_vs_cfg cfg;
	uint16_t max_vq;	/* highest request virtqueue seen */
	uint32_t max_qd;	/* most requests in flight on one queue */
	uint64_t ops;		/* requests and TMFs */
} rp_conn;

/* LUN address after --map: target << 16 | lun, or RP_LUN_NONE. */
#define RP_LUN_NONE 0xffffffffu

typedef struct rp_map {
	uint8_t from_t, to_t;
	uint16_t from_l, to_l;
} rp_map;

/* What the selection is (rp_load's input). */
typedef struct rp_sel {
	const vscsi_filter *filter;	/* NULL: everything */
	int has_start, has_end;
	uint64_t start_ns, end_ns;	/* from the capture's first record */
	int skip_writes;
} rp_sel;

typedef struct rp_plan {
	const char *path;
	rp_op *ops;
	size_t nops, cap;
	uint8_t *arena;		/* kept data-out bytes */
	size_t arena_len, arena_cap;
	uint32_t *cidx_op;	/* completion index -> op index */
	size_t cidx_cap;
	uint32_t ncompl;
	rp_conn conns[RP_MAX_CONNS];
	unsigned nconns;
	uint64_t t_first;	/* the first record's time */
	uint64_t t_last;
	uint32_t max_qd;	/* over every queue */
	uint32_t max_data;	/* largest data-out + data-in issued */
	uint32_t snaplen;	/* from the pcap header */

	/* the capture's facts */
	uint64_t records;
	uint64_t cmds, tmfs, ans;
	uint64_t events;	/* event queue completions (device events) */
	uint64_t vu_msgs;
	uint64_t lost;		/* records the loss notes count */
	uint64_t seq_missing;	/* records missing by sequence number */
	uint64_t orphans;	/* completions whose request is not there */
	uint64_t reused;	/* a head made available while in flight */
	uint64_t damaged;
	uint64_t unknown_ctrl;	/* control requests of an unknown type */
	uint64_t no_completion;	/* requests never completed */
	int truncated;
	uint64_t skipped[RP_SKIP_COUNT];
	uint64_t writes;	/* selected ops that change the medium */
	uint64_t writes_skipped;
} rp_plan;

/* ------------------------------------------------------------ load */

/* Read the capture at path into p (zeroed by the caller or not: it is
 * initialised here), deciding the selection. VSCSI_OK, or an error with a
 * sentence in err. */
int rp_load(const char *path, const rp_sel *sel, rp_plan *p, char *err,
	    size_t errlen);
void rp_plan_free(rp_plan *p);
/* The kept data-out bytes of op. */
const uint8_t *rp_op_dout(const rp_plan *p, const rp_op *op);
/* A vscsi_cmd_req of op (for printing). */
void rp_op_req(const rp_plan *p, const rp_op *op, vscsi_cmd_req *req);
/* "READ(10)", "TMF ABORT_TASK", "AN QUERY". */
const char *rp_op_name(const rp_op *op);

/* ------------------------------------------------------------ fill */

uint64_t rp_fill_seed(const uint8_t lun[8], const uint8_t *cdb, size_t n);
/* The fill's bytes at data-out offsets [off, off + len) into buf. */
void rp_fill(uint64_t seed, uint8_t *buf, uint64_t off, size_t len);
/* 1 when the command may change the medium or the device's persistent
 * state (everything not known to be harmless). */
int rp_changes_medium(const uint8_t *cdb, size_t len);
/* XXH3-64 of n bytes (replay_hash.c: the fastest code path the CPU
 * has). */
uint64_t rp_hash(const void *p, size_t n);
#ifndef RP_HASH_HAVE_AVX512	/* (a unit test that includes the .c files
				 * may set it to 0) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RP_HASH_HAVE_AVX512 1
/* rp_hash compiled for AVX-512 F+BW (replay_hash512.c) */
uint64_t rp_hash_avx512(const void *p, size_t n);
#else
#define RP_HASH_HAVE_AVX512 0
#endif
#endif
/* The sparse image digest of a file (see vscsi-replay(1)). */
int rp_image_digest(const char *path, uint64_t *out, char *err,
		    size_t errlen);
/* "T:L" into target and LUN; 0 or -1. */
int rp_parse_addr(const char *s, uint8_t *t, uint16_t *l);
/* "T:L=T:L"; 0 or -1. */
int rp_parse_map(const char *s, rp_map *m);
/* Apply the maps to a raw LUN field (normal LUNs only). */
void rp_map_lun(const rp_map *maps, unsigned n, const uint8_t in[8],
		uint8_t out[8]);
/* target << 16 | lun of a raw field, or RP_LUN_NONE (W-LUN, malformed). */
uint32_t rp_lun_addr(const uint8_t raw[8]);

/* ------------------------------------------------------------ targets */

/* A request in flight: what the engine hands a target. */
typedef struct rp_slot {
	struct replay *r;
	uint32_t op;		/* index into the plan */
	uint32_t id;		/* slot number (a head for --record) */
	uint64_t issue_ns;
	uint8_t lun[8];		/* after --map */
	uint8_t *dout;		/* dout_len bytes */
	uint8_t *din;		/* din_alloc bytes (built-in target) */
	uint32_t cap;		/* bytes at dout (dout, then din) */
	uint8_t discard;	/* a lane's copy of a barrier op: completes
				 * uncounted (replay_lanes.c) */
	struct rp_slot *next;	/* free list */
} rp_slot;

/* A target's answer. */
typedef struct rp_res {
	int err;		/* VSCSI_OK, or the transport failed */
	uint8_t response, status;
	uint8_t has_sense, key, asc, ascq;
	uint16_t sense_len;
	uint32_t resid;
	uint32_t din_len;
	uint64_t din_digest;
	uint32_t event_actual;
	const uint8_t *din;	/* data-in bytes (first piece) */
	const struct iovec *din_iov;
	unsigned din_cnt;
	uint8_t sense[VSCSI_SENSE_DEFAULT];
} rp_res;

typedef struct rp_target rp_target;
typedef struct replay replay;

typedef struct rp_target_vt {
	const char *name;
	/* VSCSI_OK, VSCSI_ERR_NOSPACE (retry after a completion), or an
	 * error (the op is answered with it) */
	int (*cmd)(rp_target *t, const rp_op *op, rp_slot *s);
	int (*tmf)(rp_target *t, const rp_op *op, rp_slot *s);
	int (*an)(rp_target *t, const rp_op *op, rp_slot *s);
	/* Reap completions (rp_complete); when none came and timeout_ns is
	 * not 0, wait up to timeout_ns (-1: until one comes). Returns the
	 * count or an error (the connection died). */
	int (*wait)(rp_target *t, int64_t timeout_ns);
	/* Shortest wait the target can sleep for; below it the engine
	 * spins on wait(t, 0). */
	int64_t (*granularity)(const rp_target *t);
	void (*close)(rp_target *t);
} rp_target_vt;

struct rp_target {
	const rp_target_vt *vt;
	replay *r;
};

/* The built-in emulation over the --lun files (locked exclusively). */
int rp_emu_open(replay *r, rp_target **out, char *err, size_t errlen);
/* A vhost-user back-end at path. */
int rp_vfe_open(replay *r, const char *path, rp_target **out, char *err,
		size_t errlen);

/* Targets call this for every completion of a slot. */
void rp_complete(replay *r, rp_slot *s, const rp_res *res);

/* ------------------------------------------------------------ verify */

/* What a difference is (bits of rp_diff.kinds). */
enum rp_dkind {
	RP_D_RESPONSE = 0,	/* virtio response */
	RP_D_STATUS,		/* SCSI status */
	RP_D_SENSE,		/* sense key / ASC / ASCQ */
	RP_D_RESID,		/* residual */
	RP_D_DIN_LEN,		/* data-in length */
	RP_D_DIN,		/* data-in bytes (digest) */
	RP_D_TMF,		/* TMF response */
	RP_D_AN,		/* AN response or event_actual */
	RP_D_ERROR,		/* the target failed to take or answer it */
	RP_D_COUNT
};
const char *rp_dkind_name(unsigned k);

/* Why a data-in difference may not be the device's fault. */
enum rp_note {
	RP_NOTE_NONE = 0,
	RP_NOTE_PREDATES,	/* data older than the capture */
	RP_NOTE_DIVERGED,	/* written by a request that differed */
};

typedef struct rp_diff {
	uint32_t op;
	uint32_t kinds;		/* 1 << enum rp_dkind */
	uint8_t note;		/* enum rp_note */
	uint32_t note_op;	/* the writer, for RP_NOTE_DIVERGED */
	rp_res got;		/* what the replay got (din pointers NULL) */
} rp_diff;

/* Outcomes that are not differences. */
enum rp_unver {
	RP_U_NO_COMPLETION = 0,	/* nothing recorded to compare with */
	RP_U_TIMING,		/* aborted or reset by a TMF, on one side */
	RP_U_UNREPRODUCED,	/* data written by a request whose data-out
				 * the capture did not keep */
	RP_U_SKIPPED_WRITE,	/* data written by a request not replayed */
	RP_U_AFTER_LOSS,	/* records were lost before it */
	RP_U_COUNT
};
const char *rp_unver_name(unsigned k);

typedef struct rp_vmap rp_vmap;	/* blocks written during the capture */

rp_vmap *rp_vmap_new(void);
void rp_vmap_free(rp_vmap *m);
/* Blocks [lba, lba + n) of LUN index lun were last written by op+1
 * (writer 0 would mean none). */
int rp_vmap_set(rp_vmap *m, unsigned lun, uint64_t lba, uint64_t n,
		uint32_t writer);
/* Every writer of [lba, lba + n): calls fn(arg, writer) for each block
 * (writer 0: not written); stops when fn returns nonzero. */
void rp_vmap_scan(const rp_vmap *m, unsigned lun, uint64_t lba, uint64_t n,
		  int (*fn)(void *arg, uint32_t writer), void *arg);

/* Verify a completion against op's recorded answer and account for it. */
void rp_verify(replay *r, uint32_t opi, const rp_res *res);
/* A write was skipped (not replayed): later reads of its blocks cannot be
 * sure. */
void rp_verify_skipped(replay *r, uint32_t opi);

/* ------------------------------------------------------------ engine */

/* Per-opcode figures. */
typedef struct rp_opstat {
	uint32_t key;		/* kind << 24 | opcode << 16 | sa, or TMF
				 * subtype */
	const char *name;
	uint64_t issued, compared, differ;
	vscsi_hist rec, rep;	/* latency, ns */
} rp_opstat;

#define RP_OPF_DOUT_EXACT 0x1u	/* rp_state.oflags: data-out exact */
#define RP_OPF_DOUT_FILL 0x2u	/* ... by the fill (digest matched) */
#define RP_OPF_DIVERGED 0x4u	/* its completion differed */
#define RP_OPF_SKIPPED 0x8u	/* not replayed */
#define RP_OPF_ISSUED 0x10u

typedef struct rp_image {
	char addr[16];		/* "T:L" */
	const char *path;
	uint64_t digest;
	int ok;
	char err[128];
} rp_image;

struct replay {
	const replay_opts *o;
	rp_plan plan;
	rp_target *t;
	vscsi_filter *filter;
	rp_map maps[64];
	unsigned nmaps;

	/* the engine */
	size_t next;		/* next op to issue */
	uint8_t *done;		/* by completion index */
	uint32_t watermark;	/* every completion index <= it is done */
	uint32_t inflight;
	uint8_t *oflags;	/* per op: RP_OPF_DOUT_* ... */
	rp_slot *free_slots;
	rp_slot **slots;	/* all slots, by id */
	uint32_t nslots;
	uint64_t t0;		/* replay start, CLOCK_MONOTONIC ns */
	uint64_t t_end;
	uint64_t base_ts;	/* capture time of the first issued op */
	double scale;		/* timing: wall ns per capture ns */
	int fatal;		/* a transport error ended the replay */
	char fatal_msg[256];

	/* verification */
	rp_vmap *vmap;
	/* writes are logged, and put in the map only once a read differs
	 * (a replay with no difference never builds it) */
	struct rp_wlog {
		uint64_t lba, n;
		uint32_t writer;
		uint16_t lun;
	} *wlog;
	size_t nwlog, capwlog;
	int vmap_built;
	uint32_t luns[RP_MAX_LUNS];	/* LUN index -> address */
	unsigned nluns;
	int lun_unknown[RP_MAX_LUNS];	/* writes of unknown extent seen */
	uint64_t issued, completed, compared, matched, differ;
	uint64_t by_kind[RP_D_COUNT];
	uint64_t unver[RP_U_COUNT];
	uint64_t dout_writes, dout_exact, dout_fill, dout_inexact;
	rp_diff *diffs;
	size_t ndiffs;
	vscsi_hist issue_err;	/* timed modes */
	rp_opstat *opstats;
	size_t nopstats, capopstats;
	size_t last_opstat;
	FILE *plan_out;

	/* --record */
	vscsi_cap_writer *rec;
	uint64_t rec_records;
	uint64_t rec_lost;

	/* --digest-images */
	rp_image *images;
	unsigned nimages;
	/* LUNs the capture addresses that no --lun gives (built-in) */
	uint32_t missing[16];
	unsigned nmissing;
	const char *target_desc;	/* "the built-in emulation (2 LUNs)" */
	char target_buf[256];

	/* lanes (replay_lanes.c): NULL for a serial replay */
	struct rp_lanes *lanes;
	unsigned lane_id;	/* 0: the main thread, on this struct */
	const uint32_t *lops;	/* the lane's ops, in file order */
	size_t lcount, lpos;
	unsigned nlanes;	/* lanes the replay ran on (1: serial) */
	char lanes_why[160];	/* why serial, when --jobs asked for more */
};

/* The engine's parts (replay.c) that the lanes use too. */
rp_slot *rp_slot_get(replay *r, uint32_t need);
void rp_slot_put(replay *r, rp_slot *s);
void rp_slots_free(replay *r);
/* The data-out of op into s->dout: the kept bytes, then the fill. */
void rp_dout(replay *r, const rp_op *op, rp_slot *s);
/* Issue op: 0 issued (or answered at once with an error),
 * VSCSI_ERR_NOSPACE (retry after a completion), another error. */
int rp_issue(replay *r, uint32_t opi, uint64_t now);
/* An op the selection leaves out: accounted for, marked done. */
void rp_skip(replay *r, uint32_t opi);
/* op's completion index is done; the watermark moves. */
void rp_mark_done(replay *r, const rp_op *op);

/* ------------------------------------------------------------ lanes */

/*
 * Decide whether r (loaded, its target open) can replay on more than one
 * thread and set them up: r->nlanes, or r->lanes_why. VSCSI_OK, or an
 * error with a sentence in err (a lane's target could not open).
 */
int rp_lanes_setup(replay *r, char *err, size_t errlen);
/* Run the lanes to the end (r->t0 set by the caller); r gets every lane's
 * figures. */
int rp_lanes_run(replay *r);
void rp_lanes_free(replay *r);
/* Completion index cidx of the lane's is done. */
void rp_lanes_done(replay *r, uint32_t cidx);
/* When opi is a barrier: mark(lane, opi) for every other lane. */
void rp_lanes_mark(replay *r, uint32_t opi,
		   void (*mark)(replay *, uint32_t));

/* The stat row of an op (made when new). */
rp_opstat *rp_opstat_get(replay *r, const rp_op *op);
uint64_t rp_now_ns(void);

/* ------------------------------------------------------------ record */

int rp_rec_open(replay *r, const char *path, char *err, size_t errlen);
void rp_rec_request(replay *r, const rp_op *op, const rp_slot *s);
void rp_rec_completion(replay *r, const rp_op *op, const rp_slot *s,
		       const rp_res *res);
int rp_rec_close(replay *r);

/* ------------------------------------------------------------ report */

/* The dry run's plan on f. */
void rp_report_plan(replay *r, FILE *f);
void rp_report_text(replay *r, FILE *f);
int rp_report_json(replay *r, const char *path, char *err, size_t errlen);
int rp_report_junit(replay *r, const char *path, char *err,
		    size_t errlen);
/* One line for op: "#12 [c0] q2 0:0 tag=0x.. > READ(10) lba=.. len=..". */
size_t rp_fmt_op(const replay *r, uint32_t opi, char *buf, size_t len);

/* The exit status of a finished replay: 0, 1 or 2. */
int rp_exit_status(const replay *r);

#endif
