/*
 * pxo: the capture proxy's writer thread. It takes records from the record
 * queue (proxy_q.h) and
 *   - writes them to the capture file through the library's writer
 *     (vscsi_cap_write_raw: zstd frames ended at least once a second, write
 *     errors dropped, counted and told by a loss note when the disk takes
 *     writes again), rotating to a new file by size (-C) or time (-G);
 *   - sends them to every client of the monitor socket: the capture format
 *     uncompressed (the pcap file header once, then pcap records), through a
 *     bounded buffer per client with non-blocking writes; a record that does
 *     not fit a client's buffer is dropped for that client, and a loss note
 *     (queue-full) telling how many goes to it before the next record that
 *     fits.
 * Neither a slow disk nor a slow client ever blocks the I/O thread: the
 * queue between them drops instead (proxy_rec.h).
 *
 * Each file and each monitor client starts with the last session record of
 * every connection still open, and numbers each connection's records from
 * 0 (a record's seq is rebased per file and per client), so a rotated file
 * or a late client reads on its own without false sequence gaps.
 *
 * With opts.idle the thread runs under SCHED_IDLE: on CPU time no other
 * thread wants, so on a busy machine the guest's I/O path always gets the
 * CPU first (and records are dropped when there is none left for them).
 * With opts.idle 2 (vscsi-capture's default) it does so while it keeps
 * up, and competes at normal priority while it is behind: a busy machine
 * then gives recording the little CPU it needs (about 0.3 us a record)
 * rather than losing records.
 *
 * Threads: pxo_start/pxo_stop from one thread; pxo_get_stats from any.
 */
#ifndef VSCSI_TOOLS_PROXY_OUT_H
#define VSCSI_TOOLS_PROXY_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proxy_q.h"

typedef struct pxo_opts {
	const char *prog;	/* log prefix */
	const char *path;	/* capture file, "-" stdout; NULL: none */
	int overwrite;		/* replace existing files */
	unsigned compress;	/* VSCSI_CAP_COMPRESS_* */
	int level;		/* zstd level; 0: the library's default */
	uint64_t rotate_bytes;	/* new file after this many bytes; 0: never */
	unsigned rotate_secs;	/* new file every this many seconds; 0: never */
	const char *monitor;	/* monitor socket path; NULL: none */
	mode_t mode;		/* its permissions */
	size_t monitor_buf;	/* bytes buffered per client (0: 4 MiB) */
	int idle;		/* run the thread under SCHED_IDLE; 2: and
				 * at normal priority while more than 1/8
				 * of the queue waits (until under 1/64) */
	int nice;		/* else: this nice value (0: unchanged) */
	int verbose;
} pxo_opts;

typedef struct pxo_stats {
	uint64_t records;	/* records taken from the queue */
	uint64_t file_records;	/* records given to the file writer */
	uint64_t file_dropped;	/* of which lost to write errors */
	uint64_t bytes_out;	/* bytes written to files */
	uint64_t write_errors;
	int last_errno;
	unsigned files;		/* files opened */
	unsigned clients;	/* monitor clients connected now */
	uint64_t clients_total;
	uint64_t mon_records;	/* records queued to monitor clients */
	uint64_t mon_dropped;	/* records dropped for slow clients */
	uint64_t mon_notes;	/* loss notes sent to clients */
	uint64_t boosts;	/* idle 2: times it left SCHED_IDLE */
	char path[4096];	/* the file being written */
} pxo_stats;

typedef struct pxo pxo;

/*
 * Open the first file and the monitor socket, then start the thread.
 * Errors (an existing file without overwrite, a socket in use) are told in
 * err and give NULL; nothing is left open.
 */
pxo *pxo_start(pxq *q, const pxo_opts *o, char *err, size_t errlen);
/*
 * Drain the queue, end the file (it reads to its end), close the monitor
 * clients and the socket (unlinked), join the thread, free. Returns 0, or
 * -1 when the file could not be finished cleanly (records lost that no loss
 * note in the file tells; stats say how many).
 */
int pxo_stop(pxo *o, pxo_stats *final);
void pxo_get_stats(pxo *o, pxo_stats *st);
/* Wake the thread now (the producer saw the queue fill up). */
void pxo_wake(pxo *o);

/*
 * The name of file number k (0 the first) for path, at time t with -G:
 * strftime(3) conversions of path are expanded when rotate_secs is set, and
 * ".k" goes before a ".pcap.zst" or ".pcap" ending (after the name
 * otherwise) for k > 0. Exposed for the tests. Returns 0, or -1 when the
 * name does not fit len.
 */
int pxo_file_name(const char *path, unsigned k, int64_t t,
		  unsigned rotate_secs, char *out, size_t len);

#endif
