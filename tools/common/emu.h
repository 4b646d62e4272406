/*
 * emu: the SCSI target emulation over file-backed LUNs, shared by the live
 * vhost-user back-end (vscsi-replay --serve) and the replay.
 *
 * It takes parsed virtio-scsi requests (LUN, tag, task attribute, CDB,
 * data-out and data-in iovecs) and completes them asynchronously through a
 * callback with the virtio response, SCSI status, sense, residual and the
 * data-in length. It knows nothing of rings or vhost-user: whoever parsed the
 * request calls emu_submit(), and the callback writes the answer back.
 *
 * Model (SAM-5, SPC-5, SBC-4, MMC-6):
 *   - one initiator; one task set per logical unit;
 *   - task attributes: SIMPLE runs concurrently, ORDERED waits for every
 *     older command of its LUN and holds every younger one, HEAD OF QUEUE is
 *     enabled at once; ACA is refused (NACA is not supported);
 *   - commands on overlapping LBA ranges run in the order they arrived, one
 *     writer at a time (a per-LUN range lock). This makes COMPARE AND WRITE
 *     atomic and the whole emulation deterministic: a given order of requests
 *     gives the same statuses, sense data, data-in bytes and file contents,
 *     whatever order the kernel completes the I/O in;
 *   - data moves once: reads go straight from the file into the data-in
 *     iovecs (preadv2), writes straight from the data-out iovecs (pwritev2).
 *     A bounce buffer appears only for O_DIRECT with a misaligned guest
 *     buffer and for the commands that compare (VERIFY, COMPARE AND WRITE).
 *
 * Engine: data already in the page cache is read inline (preadv2 with
 * RWF_NOWAIT); what would block goes to io_uring. Files on memory file
 * systems (tmpfs, ramfs) are read and written inline, since they never wait
 * for a disk. Flushes (fdatasync) and hole punching (fallocate) go through
 * io_uring unless the LUN is inline. Without io_uring (disabled kernel)
 * everything runs inline.
 *
 * Completion: callbacks are never called from inside emu_submit(),
 * emu_tmf() or the LUN functions; they are called from emu_process() and
 * emu_drain(). When a completion is ready the fd from emu_fd() becomes
 * readable, so a caller's epoll loop waits on that fd and calls
 * emu_process(). Callbacks may submit new requests.
 *
 * Threads: an emu_dev is used by one thread at a time; nothing is shared
 * between two emu_dev.
 *
 * Errors are the negative codes of vscsi/common.h. Allocation failure
 * returns VSCSI_ERR_NOMEM.
 */
#ifndef VSCSI_EMU_H
#define VSCSI_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vscsi/common.h"
#include "vscsi/virtio_scsi.h"

typedef struct emu_dev emu_dev;

/* Sense bytes kept per completion (fixed format is 18 bytes, our longest
 * descriptor-format sense 32). The transport cuts to its sense_size. */
#define EMU_SENSE_MAX 64
/* CDB bytes looked at; longer CDBs are accepted, the rest is ignored. */
#define EMU_CDB_MAX 32

/* SCSI status codes (SAM-5 5.3.1). */
#define EMU_GOOD 0x00
#define EMU_CHECK_CONDITION 0x02
#define EMU_CONDITION_MET 0x04
#define EMU_BUSY 0x08
#define EMU_TASK_SET_FULL 0x28

/* One command's answer. */
typedef struct emu_result {
	uint8_t response;	/* enum vscsi_vs_response: OK, BAD_TARGET,
				 * OVERRUN, ABORTED, RESET */
	uint8_t status;		/* SCSI status, when response is OK */
	uint16_t status_qualifier; /* always 0 */
	uint32_t sense_len;	/* bytes valid in sense[] (0: no sense) */
	/* Bytes of the data buffer not transferred: of data-in when the
	 * request had data-in iovecs, otherwise of data-out. */
	uint32_t resid;
	uint32_t data_in_len;	/* bytes written into the data-in iovecs */
	uint8_t sense[EMU_SENSE_MAX];
} emu_result;

/*
 * A parsed request. The emulation copies what it keeps (the CDB, the iovec
 * arrays) during emu_submit(); the buffers the iovecs point to must stay
 * valid until the completion callback. Data-out buffers are only read,
 * data-in buffers only written.
 */
typedef struct emu_request {
	vscsi_lun lun;		/* decoded (vscsi_lun_decode) */
	uint64_t tag;		/* the virtio id; TMFs find commands by it */
	uint8_t task_attr;	/* enum vscsi_task_attr */
	const uint8_t *cdb;
	size_t cdb_len;		/* the request's cdb_size */
	const struct iovec *dout;	/* device-readable data */
	unsigned dout_cnt;
	const struct iovec *din;	/* device-writable data */
	unsigned din_cnt;
} emu_request;

/* The transport's side. All are called on the thread that called
 * emu_process()/emu_drain() (event: the thread that changed the LUN). */
typedef struct emu_ops {
	/* A command completed; res is valid during the call only. */
	void (*cmd_done)(void *arg, void *opaque, const emu_result *res);
	/* A TMF completed, after every command it aborted or reset;
	 * response is a vscsi_vs_response (FUNCTION_COMPLETE, ...). */
	void (*tmf_done)(void *arg, void *opaque, uint8_t response);
	/* A LUN was added, removed or resized after start-up: an event for
	 * the virtio-scsi event queue (may be NULL). */
	void (*event)(void *arg, const vscsi_event *ev);
	void *arg;
} emu_ops;

/* Create an emulation with no LUN. ops is copied; cmd_done and tmf_done are
 * required. Returns VSCSI_OK, VSCSI_ERR_ARG, VSCSI_ERR_NOMEM or
 * VSCSI_ERR_IO (eventfd failed). */
int emu_create(const emu_ops *ops, emu_dev **out);
/* Complete everything in flight (emu_drain), close the LUNs, free. NULL is
 * ignored. */
void emu_destroy(emu_dev *dev);

/* ------------------------------------------------------------ LUNs */

#define EMU_LUN_RO 0x1u		/* read-only: writes get DATA PROTECT */
#define EMU_LUN_CDROM 0x2u	/* MMC CD-ROM (read-only, 2048-byte blocks) */
#define EMU_LUN_DIRECT 0x4u	/* open with O_DIRECT */

enum emu_io_mode {
	EMU_IO_AUTO = 0,	/* inline on memory file systems, else
				 * RWF_NOWAIT first and io_uring after */
	EMU_IO_INLINE = 1,	/* every I/O inline (blocking) */
	EMU_IO_URING = 2,	/* every I/O through io_uring */
};

#define EMU_PATH_MAX 4096
#define EMU_SERIAL_MAX 32

/* One LUN's configuration, the parsed form of
 *   TARGET:LUN=PATH[,ro][,bs=512|4096][,serial=S][,cdrom][,direct]
 *                  [,io=auto|inline|uring]                           */
typedef struct emu_lun_cfg {
	uint8_t target;		/* 0..255 */
	uint16_t lun;		/* 0..16383 */
	unsigned flags;		/* EMU_LUN_* */
	uint32_t block_size;	/* 0: 512 (disk) or 2048 (cdrom) */
	uint8_t io_mode;	/* enum emu_io_mode */
	char serial[EMU_SERIAL_MAX + 1]; /* "" : derived from the path */
	char path[EMU_PATH_MAX];
} emu_lun_cfg;

/*
 * Parse a LUN specification. On error returns VSCSI_ERR_SYNTAX (or
 * VSCSI_ERR_ARG for NULL arguments) and writes a sentence into err (errlen
 * bytes, may be 0). The path ends at the first comma; it is not opened here.
 */
int emu_lun_parse(const char *spec, emu_lun_cfg *cfg, char *err,
		  size_t errlen);

/* emu_lun_add flags */
#define EMU_HOTPLUG 0x1u	/* added at run time: raise 3F/0E on the other
				 * LUNs of the target and a TRANSPORT_RESET
				 * RESCAN event */
#define EMU_NO_LOCK 0x2u	/* take no lock on the file: the caller holds
				 * one (vscsi-replay holds LOCK_EX itself) */

/*
 * Open the file or block device and add the LUN. The file must exist; the
 * capacity is its size rounded down to whole blocks. The new LUN holds a
 * POWER ON unit attention (29/00). Unless flags has EMU_NO_LOCK, the open
 * file takes a shared flock(2) lock (LOCK_SH | LOCK_NB) for as long as the
 * LUN is open: several servers may share a file, but a file that another
 * process holds exclusively (a replay writing to it) is refused, and a
 * replay is refused a file a server holds. Returns VSCSI_OK, VSCSI_ERR_ARG
 * (address in use, bad block size), VSCSI_ERR_IO (open/stat failed, or the
 * file is locked: see err), VSCSI_ERR_NOMEM.
 */
int emu_lun_add(emu_dev *dev, const emu_lun_cfg *cfg, unsigned flags,
		char *err, size_t errlen);
/*
 * Remove a LUN: new commands to it get LOGICAL UNIT NOT SUPPORTED; the ones
 * in flight complete normally; the file is closed after the last one. The
 * other LUNs of the target get 3F/0E and the transport a TRANSPORT_RESET
 * REMOVED event. Returns VSCSI_OK or VSCSI_ERR_ARG (no such LUN).
 */
int emu_lun_remove(emu_dev *dev, uint8_t target, uint16_t lun);
/*
 * Resize a LUN. bytes == 0: re-read the size of the file or device (it was
 * grown or shrunk outside); otherwise truncate the regular file to bytes.
 * When the capacity changes the LUN gets 2A/09 CAPACITY DATA HAS CHANGED
 * and the transport a PARAM_CHANGE event (reason 0x2A | 0x09 << 8).
 * Returns VSCSI_OK, VSCSI_ERR_ARG (no such LUN, read-only LUN), VSCSI_ERR_IO.
 */
int emu_lun_resize(emu_dev *dev, uint8_t target, uint16_t lun,
		   uint64_t bytes);
/* Capacity in blocks and block size of a LUN; VSCSI_ERR_ARG if absent. */
int emu_lun_capacity(emu_dev *dev, uint8_t target, uint16_t lun,
		     uint64_t *blocks, uint32_t *block_size);

/* ------------------------------------------------------------ requests */

/*
 * Submit a command. Returns VSCSI_OK: the callback will be called exactly
 * once with opaque (never from inside this call). Returns VSCSI_ERR_ARG
 * (NULL, no CDB) or VSCSI_ERR_NOMEM with no callback. A request to a missing
 * target or a malformed LUN is accepted and completes with BAD_TARGET.
 */
int emu_submit(emu_dev *dev, const emu_request *req, void *opaque);

/*
 * Submit a task management function (virtio 5.6.6.2, SAM-5 7): subtype is a
 * vscsi_tmf, tag the command it names (ABORT TASK, QUERY TASK). Commands it
 * aborts complete with ABORTED (ABORT TASK, ABORT TASK SET, CLEAR TASK SET)
 * or RESET (LOGICAL UNIT RESET, I_T NEXUS RESET) before tmf_done is called;
 * commands whose I/O is in the kernel are waited for. Responses:
 * FUNCTION_COMPLETE, FUNCTION_SUCCEEDED (QUERY TASK / QUERY TASK SET that
 * found a command), FUNCTION_REJECTED (unknown subtype), INCORRECT_LUN
 * (missing LUN on an existing target), BAD_TARGET. Returns VSCSI_OK or
 * VSCSI_ERR_ARG/NOMEM (no callback then).
 */
int emu_tmf(emu_dev *dev, const vscsi_lun *lun, uint32_t subtype,
	    uint64_t tag, void *opaque);

/* ------------------------------------------------------------ loop */

/* The fd to wait on for readability (an eventfd, also signalled by
 * io_uring); owned by the emulation. */
int emu_fd(const emu_dev *dev);
/*
 * Reap finished I/O, advance commands and call the callbacks of what
 * completed. Never blocks. Returns the number of callbacks called.
 */
int emu_process(emu_dev *dev);
/*
 * Block until no command or TMF is in flight, calling callbacks as they
 * complete. Returns VSCSI_OK, or VSCSI_ERR_ARG when frozen commands would
 * never complete (see emu_freeze).
 */
int emu_drain(emu_dev *dev);
/*
 * Kicks (on by default): a completion made without io_uring (inline I/O,
 * errors, TMFs) writes the eventfd so that a caller asleep in epoll wakes.
 * A caller that calls emu_process() after each batch of its own
 * submissions anyway (a ring-processing loop) may turn them off and save
 * two system calls per batch; io_uring completions signal the fd always.
 */
void emu_set_kick(emu_dev *dev, int on);
/* True when completions wait for emu_process(). */
bool emu_pending(const emu_dev *dev);
/* Commands and TMFs accepted and not yet called back. */
unsigned emu_inflight(const emu_dev *dev);

/*
 * Freeze (on != 0): commands that are ready to execute are held, in order,
 * instead of executing; unfreezing starts them in that order. Ordering,
 * range locks, TMFs and unit attentions work as usual meanwhile. For tests
 * (commands in flight at a known point) and for a replay that wants to
 * stage a queue before it runs.
 */
void emu_freeze(emu_dev *dev, int on);

/*
 * Run one command and wait for it: for tests and tools. Its result goes to
 * res, not to cmd_done; other commands' callbacks are not called (they stay
 * queued for emu_process()). VSCSI_ERR_ARG while frozen.
 */
int emu_exec_sync(emu_dev *dev, const emu_request *req, emu_result *res);

/* Counters since emu_create(), for tools and tests. */
typedef struct emu_stats {
	uint64_t cmds;		/* commands accepted */
	uint64_t tmfs;		/* TMFs accepted */
	uint64_t io_inline;	/* operations finished inline */
	uint64_t io_uring;	/* operations (or remainders) sent to io_uring */
	uint64_t nowait_miss;	/* RWF_NOWAIT attempts that would block */
	uint64_t bounced;	/* O_DIRECT transfers through a bounce buffer */
} emu_stats;
void emu_get_stats(const emu_dev *dev, emu_stats *out);

/* The name of an I/O mode ("auto", "inline", "uring"). */
const char *emu_io_mode_name(unsigned mode);

#endif
