/*
 * emu internals shared by the emu_*.c files (not for users of emu.h).
 */
#ifndef VSCSI_EMU_INT_H
#define VSCSI_EMU_INT_H

#include <liburing.h>
#include <stdbool.h>

#include "emu.h"

/* ------------------------------------------------------------ lists */

typedef struct emu_link {
	struct emu_link *prev, *next;
} emu_link;

static inline void emu_list_init(emu_link *h) { h->prev = h->next = h; }
static inline bool emu_list_empty(const emu_link *h) { return h->next == h; }
static inline void emu_list_add_tail(emu_link *h, emu_link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void emu_list_del(emu_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define emu_container(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* An entry of dev->runq, dev->frozen_q or dev->done: commands and TMFs
 * share the done queue so that their callbacks keep their order. */
typedef struct emu_qitem {
	emu_link link;
	bool is_tmf;
} emu_qitem;

/* ------------------------------------------------------------ sense */

/* Sense keys (SPC-5 4.4.8 table 52). */
#define SK_NO_SENSE 0x0
#define SK_RECOVERED_ERROR 0x1
#define SK_NOT_READY 0x2
#define SK_MEDIUM_ERROR 0x3
#define SK_HARDWARE_ERROR 0x4
#define SK_ILLEGAL_REQUEST 0x5
#define SK_UNIT_ATTENTION 0x6
#define SK_DATA_PROTECT 0x7
#define SK_ABORTED_COMMAND 0xb
#define SK_MISCOMPARE 0xe

/* One condition: key, additional sense code and qualifier (asc << 8 |
 * ascq), with optional information and sense-key-specific field pointer. */
typedef struct emu_sense {
	uint8_t key;
	uint16_t code;		/* asc << 8 | ascq */
	uint8_t has_info;
	uint8_t has_fp;		/* field pointer valid */
	uint8_t fp_cd;		/* 1: CDB, 0: parameter list */
	uint8_t fp_bit;		/* bit 0..7, or 8 for no bit pointer */
	uint16_t fp_byte;
	uint64_t info;
} emu_sense;

/* asc/ascq used here (SPC-5 Annex F / T10 ASC list) */
#define ASC_NO_ADDITIONAL 0x0000
#define ASC_NOT_READY_INIT_REQUIRED 0x0402
#define ASC_WRITE_ERROR 0x0c00
#define ASC_UNRECOVERED_READ 0x1100
#define ASC_PARAM_LIST_LENGTH 0x1a00
#define ASC_MISCOMPARE_VERIFY 0x1d00
#define ASC_INVALID_OPCODE 0x2000
#define ASC_LBA_OUT_OF_RANGE 0x2100
#define ASC_INVALID_FIELD_CDB 0x2400
#define ASC_LUN_NOT_SUPPORTED 0x2500
#define ASC_INVALID_FIELD_PARAM 0x2600
#define ASC_WRITE_PROTECTED 0x2700
#define ASC_SPACE_ALLOC_FAILED 0x2707
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x2800
#define ASC_POWER_ON 0x2900
#define ASC_BUS_DEVICE_RESET 0x2903
#define ASC_IT_NEXUS_LOSS 0x2907
#define ASC_CAPACITY_CHANGED 0x2a09
#define ASC_SAVING_NOT_SUPPORTED 0x3900
#define ASC_MEDIUM_NOT_PRESENT 0x3a00
#define ASC_LUNS_CHANGED 0x3f0e
#define ASC_INTERNAL_TARGET_FAILURE 0x4400
#define ASC_INVALID_MESSAGE 0x4900
#define ASC_REMOVAL_PREVENTED 0x5302

/* Build sense data (fixed format 70h, or descriptor format 72h when desc)
 * into buf (at least 32 bytes). Returns the length. */
uint32_t emu_sense_build(const emu_sense *s, int desc, uint8_t *buf,
			 size_t len);

/* ------------------------------------------------------------ LUNs */

#define EMU_MAX_UA 8

typedef struct emu_mode {
	uint8_t wce;		/* caching page: write cache enabled */
	uint8_t d_sense;	/* control page: descriptor sense */
} emu_mode;

typedef struct emu_lun {
	emu_link node;		/* in dev->luns, ordered by (target, lun) */
	struct emu_dev *dev;
	uint8_t target;
	uint16_t lun;
	unsigned flags;		/* EMU_LUN_* */
	uint8_t io_mode;	/* resolved: EMU_IO_INLINE or EMU_IO_URING,
				 * or EMU_IO_AUTO for "nowait first" */
	bool is_blkdev;
	bool removed;		/* unlinked; freed when the last cmd goes */
	bool read_nowait_bad;	/* preadv2 RWF_NOWAIT said EOPNOTSUPP */
	bool write_nowait_bad;
	bool can_punch;		/* fallocate PUNCH_HOLE worked or may */
	bool stopped;		/* START STOP UNIT stopped it */
	bool no_medium;		/* cdrom: ejected */
	bool prevent;		/* PREVENT ALLOW MEDIUM REMOVAL */
	uint8_t media_event;	/* cdrom GESN: pending media event code */
	int fd;
	uint32_t bs;		/* logical block size */
	uint8_t bs_shift;
	uint8_t phys_exp;	/* logical blocks per physical block, log2 */
	uint32_t dio_align;	/* memory alignment for O_DIRECT */
	uint64_t blocks;	/* capacity */
	char serial[EMU_SERIAL_MAX + 1];
	char path[EMU_PATH_MAX];
	uint64_t naa;		/* stable identifier (VPD 83h) */
	emu_mode mode;		/* current mode parameters */

	/* pending unit attentions, oldest first */
	uint16_t ua[EMU_MAX_UA];
	unsigned n_ua;

	/* the task set: every command accepted for this LUN and not yet
	 * finished, in arrival order */
	emu_link cmds;
	unsigned n_active;
	unsigned n_oh;		/* ORDERED + HEAD OF QUEUE among them */
	unsigned n_blocked;	/* waiting for their task attribute */
	unsigned n_rangewait;	/* waiting for the range lock */
	unsigned n_excl;	/* holding or awaiting an exclusive range */
	unsigned refs;		/* commands pointing at this LUN */
} emu_lun;

/* ------------------------------------------------------------ commands */

enum emu_cmd_state {
	CS_FREE = 0,
	CS_BLOCKED,	/* waiting for older commands (task attribute) */
	CS_START,	/* enabled, queued to be checked and started */
	CS_RANGE,	/* waiting for the range lock */
	CS_FROZEN,	/* ready, held by emu_freeze */
	CS_EXEC,	/* queued to execute */
	CS_RUN,		/* executing (I/O may be in the kernel) */
	CS_DONE,	/* finished, waiting in the done queue */
};

enum emu_io_op {
	IO_NONE = 0,
	IO_READ,
	IO_WRITE,
	IO_FSYNC,
	IO_FALLOC,
};

struct emu_cmd;
typedef void (*emu_cont_fn)(struct emu_cmd *c, long res);

#define EMU_IOV_INLINE 8

/* One I/O in progress for a command. */
typedef struct emu_io {
	uint8_t op;		/* enum emu_io_op */
	int rwflags;		/* RWF_DSYNC for FUA */
	int falloc_mode;
	uint64_t off;		/* file offset of the next byte */
	uint64_t len;		/* bytes left (read/write), or range */
	uint64_t done;		/* bytes moved so far */
	struct iovec *iov;	/* working iovecs (advanced on short I/O) */
	unsigned iovcnt;
} emu_io;

typedef struct emu_cmd {
	emu_link node;		/* in lun->cmds */
	emu_qitem q;		/* in dev->runq, frozen_q, sqe_wait or done */
	struct emu_dev *dev;
	emu_lun *lun;		/* NULL for commands answered at once */
	void *opaque;
	uint64_t tag;
	uint8_t attr;
	uint8_t state;		/* enum emu_cmd_state */
	uint8_t cdb_len;
	uint8_t cdb[EMU_CDB_MAX];
	const struct emu_cmd_def *def;

	/* copies of the caller's iovec arrays (in iov_store or the heap) */
	struct iovec *din;
	unsigned din_cnt;
	uint64_t din_len;
	struct iovec *dout;
	unsigned dout_cnt;
	uint64_t dout_len;
	uint64_t dout_used;	/* data-out bytes consumed */
	struct iovec *iov_heap;
	struct iovec iov_store[EMU_IOV_INLINE];
	uint8_t target;		/* for commands with no LUN */
	uint8_t lunless;	/* 0, EMU_NOLUN_MISSING or EMU_NOLUN_WLUN */
	bool range_held;

	/* range lock */
	bool has_range;
	bool excl;
	uint64_t r_lba, r_last;	/* inclusive */

	/* command parameters decoded by the handlers */
	uint64_t lba;
	uint64_t nblk;
	uint8_t fua;
	uint8_t bytchk;
	uint8_t aux;		/* handler-specific */
	uint32_t step;		/* handler-specific progress */
	uint32_t ndesc;		/* UNMAP descriptors */
	void (*fill_then)(struct emu_cmd *c); /* after a fill/punch range */

	/* I/O */
	emu_io io;
	emu_cont_fn cont;
	bool io_busy, io_again;
	bool in_kernel;		/* an SQE is outstanding */
	void *bounce;
	size_t bounce_len;
	struct iovec bounce_iov;
	/* O_DIRECT read through the bounce buffer: where the bytes go */
	struct iovec *bounce_dst;
	unsigned bounce_dst_cnt;
	struct iovec *work;	/* working iovec array */
	unsigned work_cap;
	struct iovec work_inline[EMU_IOV_INLINE];

	/* aborted by a TMF: the response it gets */
	uint8_t killed;		/* 0, VSCSI_S_ABORTED or VSCSI_S_RESET */
	struct emu_tmfreq *tmf;	/* the TMF waiting for it */

	emu_result res;
	uint64_t xfer;		/* bytes moved (data-in or data-out) */
} emu_cmd;

#define EMU_NOLUN_MISSING 1
#define EMU_NOLUN_WLUN 2

/* A command's handler table row. */
typedef struct emu_cmd_def {
	uint8_t opcode;
	uint16_t sa;		/* service action, or 0xffff for none */
	uint8_t cdb_len;
	uint8_t flags;		/* EMU_DEF_* */
	/* bits the device accepts in each CDB byte (byte 0 is the opcode);
	 * also the usage data of REPORT SUPPORTED OPERATION CODES */
	uint8_t usage[16];
	/* run the command: finish it (emu_cmd_finish) or start I/O */
	void (*exec)(emu_cmd *c);
	/* decode the CDB, return false after failing the command; may set
	 * the range lock (c->has_range) */
	bool (*prep)(emu_cmd *c);
} emu_cmd_def;

#define EMU_DEF_NO_UA 0x01	/* INQUIRY, REPORT LUNS, REQUEST SENSE */
#define EMU_DEF_MEDIUM 0x02	/* needs the medium ready (not stopped) */
#define EMU_DEF_WRITE 0x04	/* changes the medium: DATA PROTECT if ro */
#define EMU_DEF_DISK 0x10	/* in the disk command set */
#define EMU_DEF_CD 0x20		/* in the cdrom command set */
#define EMU_DEF_WLUN 0x40	/* the REPORT LUNS well-known LU answers it */

/* ------------------------------------------------------------ TMF */

typedef struct emu_tmfreq {
	emu_qitem q;		/* in dev->done once complete */
	void *opaque;
	uint8_t response;
	unsigned waiting;	/* killed commands still in the kernel */
} emu_tmfreq;

/* ------------------------------------------------------------ device */

struct emu_dev {
	emu_ops ops;
	int efd;
	bool kicked;		/* efd written and not yet read */
	bool no_kick;		/* emu_set_kick(dev, 0) */
	bool ring_ok;
	bool frozen;
	bool running;		/* inside emu_run() */
	struct io_uring ring;
	unsigned in_kernel;	/* SQEs outstanding */
	unsigned sq_pending;	/* SQEs prepared, not submitted */

	emu_link luns;
	emu_link runq;		/* commands to start or execute */
	emu_link frozen_q;
	emu_link done;		/* commands and TMFs to call back */
	emu_link sqe_wait;	/* commands waiting for an SQE */
	emu_link free;		/* free commands */
	unsigned n_cmds;	/* allocated commands */
	unsigned inflight;	/* accepted, not yet called back */
	emu_stats stats;
};


/* ------------------------------------------------------------ emu.c */

void emu_cmd_finish(emu_cmd *c);
/* Queue a finished command or TMF for its callback. */
void emu_done_push(emu_dev *dev, emu_qitem *q);
/* Fail with CHECK CONDITION and this sense. */
void emu_cmd_check(emu_cmd *c, const emu_sense *s);
void emu_cmd_fail(emu_cmd *c, uint8_t key, uint16_t code);
/* INVALID FIELD IN CDB (24/00) pointing at byte/bit (bit 8: no bit). */
void emu_cmd_bad_field(emu_cmd *c, unsigned byte, unsigned bit);
/* INVALID FIELD IN PARAMETER LIST (26/00). */
void emu_cmd_bad_param(emu_cmd *c, unsigned byte, unsigned bit);
void emu_cmd_good(emu_cmd *c);
/* Copy up to alloc bytes of buf into data-in; status GOOD; finish. */
void emu_cmd_data_in(emu_cmd *c, const void *buf, size_t len, uint64_t alloc);
/* Gather data-out bytes [off, off+len) into dst; returns bytes copied. */
size_t emu_dout_gather(const emu_cmd *c, size_t off, void *dst, size_t len);
void emu_ua_add(emu_lun *l, uint16_t code);
void emu_ua_clear(emu_lun *l);
bool emu_ua_take(emu_lun *l, uint16_t *code);
void emu_dev_event(emu_dev *dev, uint32_t event, uint8_t target,
		   uint16_t lun, uint32_t reason);
emu_lun *emu_lun_find(emu_dev *dev, uint8_t target, uint16_t lun);
bool emu_target_exists(emu_dev *dev, uint8_t target);
void emu_lun_put(emu_lun *l);
/* Queue a command to be started/executed and run the queue. */
void emu_run(emu_dev *dev);

/* ------------------------------------------------------------ emu_io.c */

int emu_io_init(emu_dev *dev);
void emu_io_fini(emu_dev *dev);
/* Start c->io; c->cont(c, result) is called when it is done (bytes or
 * -errno), possibly before emu_io_start returns. */
void emu_io_start(emu_cmd *c);
/* Reap completions; returns how many. */
unsigned emu_io_reap(emu_dev *dev);
/* Submit prepared SQEs. */
void emu_io_flush(emu_dev *dev);
/* Block for one completion (drain); returns false if none can come. */
bool emu_io_wait(emu_dev *dev);
/* Set up c->io for a read or write of len bytes at file offset off
 * through the working copy of iov (which must cover len bytes). Uses a
 * bounce buffer when O_DIRECT alignment requires. Returns false (and fails
 * the command) on allocation failure. */
bool emu_io_rw(emu_cmd *c, uint8_t op, uint64_t off, const struct iovec *iov,
	       unsigned cnt, uint64_t len, int rwflags);
/* Set up a read into (or write from) c's bounce buffer of len bytes. */
bool emu_io_bounce(emu_cmd *c, uint8_t op, uint64_t off, uint64_t len);
void emu_io_cmd_free(emu_cmd *c);
/* Copy bytes [off, off+len) of an iovec array into a new array.
 * Returns the count, or -1 when the array would need more than cap. */
int emu_iov_slice(struct iovec *dst, unsigned cap, const struct iovec *src,
		  unsigned cnt, uint64_t off, uint64_t len);
/* Make sure c->work holds n entries. */
bool emu_work_reserve(emu_cmd *c, unsigned n);

/* ------------------------------------------------------------ tables */

extern const emu_cmd_def emu_spc_defs[];
extern const size_t emu_spc_ndefs;
extern const emu_cmd_def emu_sbc_defs[];
extern const size_t emu_sbc_ndefs;
extern const emu_cmd_def emu_mmc_defs[];
extern const size_t emu_mmc_ndefs;
/* The row for an opcode/service action in a LUN's command set; *sa_bad set
 * when the opcode exists but not the service action. */
const emu_cmd_def *emu_cmd_lookup(unsigned set, const uint8_t *cdb,
				  size_t len, bool *sa_bad);
/* every row of a command set, in opcode order, for RSOC */
size_t emu_cmd_list(unsigned set, const emu_cmd_def **out, size_t cap);

/* mode pages (emu_mode.c) */
void emu_mode_default(emu_lun *l);
void emu_mode_sense(emu_cmd *c);
void emu_mode_select(emu_cmd *c);

/* emu_spc.c */
uint32_t emu_max_xfer_blocks(const emu_lun *l);
#define EMU_MAX_XFER_BYTES (8u << 20)
#define EMU_MAX_UNMAP_DESC 256u
#define EMU_MAX_CAW_BLOCKS 128u
#define EMU_MAX_WS_BYTES ((uint64_t)1 << 30)

/* TMF (emu_tmf.c) */
void emu_tmf_cmd_released(emu_cmd *c);

/* ------------------------------------------------------------ bytes */

static inline void emu_put16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void emu_put32(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline void emu_put64(uint8_t *p, uint64_t v)
{
	emu_put32(p, v >> 32);
	emu_put32(p + 4, v);
}
static inline uint32_t emu_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}
static inline uint32_t emu_get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t emu_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t emu_get64(const uint8_t *p)
{
	return (uint64_t)emu_get32(p) << 32 | emu_get32(p + 4);
}

#endif
