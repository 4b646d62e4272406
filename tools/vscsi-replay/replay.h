/*
 * vscsi-replay: shared declarations of the tool's files.
 *
 *   main.c   options, usage
 *   sdev.c   the vhost-user-scsi device of one connection (vu_dev + emu)
 *   serve.c  --serve: the listening socket, one thread per connection,
 *            the LUN registry, signals, the control socket
 *   ctl.c    the control protocol: command parsing, the client
 *   replay*.c, verify.c, report.c
 *            replaying a capture file and verifying it (replay_int.h)
 */
#ifndef VSCSI_REPLAY_H
#define VSCSI_REPLAY_H

#include <stdint.h>

#include "emu.h"
#include "vu_dev.h"
#include "vu_loop.h"

#define REPLAY_PROG "vscsi-replay"

/* ------------------------------------------------------------ sdev */

/* Request queues offered by default (GET_QUEUE_NUM answers 2 + this). */
#define SDEV_DEFAULT_QUEUES 16
#define SDEV_MAX_QUEUES (VU_DEV_MAX_QUEUES - 2)
/* Polling after a busy round, by default (--poll-us). */
#define SDEV_DEFAULT_POLL_US 0

/* Feature bits offered: VERSION_1, INOUT, HOTPLUG, CHANGE, indirect
 * descriptors, event index, packed rings. */
uint64_t sdev_features(void);

typedef struct sdev sdev;

typedef struct sdev_cfg {
	unsigned id;		/* connection number (logs) */
	unsigned queues;	/* request queues, 1..SDEV_MAX_QUEUES */
	uint64_t poll_ns;	/* after a busy round, poll the rings this
				 * long before sleeping (0: never) */
	int verbose;
	/* The connection ended; called from the loop (do not free s here,
	 * stop the loop and free after). */
	void (*closed)(sdev *s, void *arg);
	void *arg;
} sdev_cfg;

/*
 * A device on the connected socket fd (taken over), with its own SCSI
 * emulation (no LUN yet: add them with emu_lun_add(sdev_emu(s), ...)).
 * loop may be NULL (tests: feed with vu_dev_dispatch(sdev_vu(s)) and
 * sdev_poll()). NULL on failure (logged; fd closed).
 */
sdev *sdev_new(int fd, vu_loop *loop, const sdev_cfg *cfg);
void sdev_free(sdev *s);
emu_dev *sdev_emu(sdev *s);
vu_dev *sdev_vu(sdev *s);
/* Run completions and signal the guest (what the loop does when the
 * emulation's fd fires). */
void sdev_poll(sdev *s);
/* While sdev_busy says 1 the caller's loop must not sleep and must call
 * sdev_work again: polling (cfg.poll_ns; kicks are off), which polls the
 * request rings for at most a millisecond a call, or request rings left
 * with chains (each ring gets a bounded batch in turn, so that a driver
 * keeping one full does not starve the others). */
void sdev_work(sdev *s);
int sdev_busy(const sdev *s);
/* Stop taking requests, let those in flight complete and be answered. */
void sdev_shutdown(sdev *s);

/* Counters, for tests and logs. */
typedef struct sdev_stats {
	uint64_t cmds, tmfs, ans, events, events_missed, failures;
} sdev_stats;
void sdev_get_stats(const sdev *s, sdev_stats *out);

/* ------------------------------------------------------------ serve */

typedef struct serve_opts {
	const char *socket;
	const char *ctl;	/* NULL: no control socket */
	const char **luns;
	unsigned nluns;
	unsigned queues;
	unsigned poll_us;
	const unsigned *cpus;	/* --cpus: connection k runs on cpus[k % n] */
	unsigned ncpus;		/* 0: threads go where the kernel puts them */
	int verbose;
} serve_opts;

/* Run the back-end until SIGINT/SIGTERM. Returns the exit status. */
int serve_main(const serve_opts *o);

/* ------------------------------------------------------------ ctl */

/* Send one command to a control socket and print the reply on stdout.
 * Returns the exit status: 0 for "ok", 1 for "error" or a failure. */
int ctl_client(const char *path, int argc, char **argv);

/* Split "T:L" into target and LUN; 0 or -1. */
int ctl_parse_addr(const char *s, uint8_t *target, uint16_t *lun);

/* ------------------------------------------------------------ replay */

enum replay_timing {
	REPLAY_ASAP = 0,	/* as fast as ordering allows */
	REPLAY_ORIGINAL = 1,	/* at the recorded offsets */
	REPLAY_SCALE = 2,	/* recorded offsets times scale */
};

typedef struct replay_opts {
	const char *file;	/* the capture */
	const char **luns;	/* --lun specs: the built-in emulation */
	unsigned nluns;
	const char *vhost_user;	/* or a vhost-user back-end's socket */
	const char **maps;	/* --map T:L=T:L */
	unsigned nmaps;
	unsigned timing;	/* enum replay_timing */
	double scale;		/* REPLAY_SCALE */
	const char *filter;	/* -f */
	const char *start, *end; /* --start/--end, seconds */
	int write;		/* --write */
	int skip_writes;	/* --skip-writes */
	int dry_run;		/* -n */
	const char *report_json;
	const char *report_junit;
	const char *record;	/* --record FILE */
	int digest_images;	/* --digest-images */
	unsigned max_diffs;	/* differences listed in the text (0: all) */
	int jobs;		/* --jobs: threads of a replay; -1 auto */
	int quiet;
	int verbose;
} replay_opts;

/* Replay o->file and report. Returns the exit status: 0 no difference,
 * 1 differences, 2 an error. */
int replay_main(const replay_opts *o);

#endif
