/* The capture proxy's writer thread: file, rotation, monitor clients; see
 * proxy_out.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy_out.h"
#include "proxy_rec.h"
#include "vscsi/capture.h"
#include "vscsi/reader.h"
#include "vu.h"
#include "vu_loop.h"

#define PXO_MAX_CLIENTS 16
#define PXO_CLIENT_BUF (4u << 20)
#define PXO_BATCH 4096		/* entries taken between polls */
#define PXO_IDLE_MS 10		/* sleep when the queue is empty */
#define PXO_PCAP_REC 16u
#define PXO_SEQ_OFF 16		/* seq in the record header */
#define PXO_CONN_OFF 8

/* A connection's last session record, repeated at the start of every new
 * file and to every new monitor client. */
struct pxo_sess {
	uint32_t conn;
	uint8_t *rec;
	uint32_t len;
};

/* Per sink (file, client): each connection's seq is rebased to start at
 * 0 where the sink starts. */
struct pxo_seq {
	uint32_t conn;
	uint64_t base;
	int pending;		/* a session copy went out as seq 0: the next
				 * record becomes seq 1 */
};

struct pxo_seqmap {
	struct pxo_seq *e;
	size_t n, cap;
};

struct pxo_client {
	int fd;
	uint8_t *buf;
	size_t off, len, cap;
	uint64_t drop_pend, drop_since;
	struct pxo_seqmap seq;
	int skip_data;		/* drop data continuations until the next
				 * other record: 1 after a drop (counted),
				 * 2 when just connected (not counted) */
};

struct pxo {
	pxq *q;
	pxo_opts o;
	pthread_t th;
	int started;
	_Atomic int stop;
	int wake_fd;

	/* the file */
	vscsi_cap_writer *w;
	char path[4096];
	unsigned k;		/* number of the current file */
	int64_t t_open;		/* when it was opened (time(2)) */
	char base[4096];	/* strftime'd name of the current period */
	int rotate_failed;	/* logged once */
	struct pxo_seqmap fseq;
	vscsi_cap_wstats wprev;	/* counters of the files closed before */

	/* monitor */
	int lfd;
	struct pxo_client cl[PXO_MAX_CLIENTS];
	unsigned ncl;

	struct pxo_sess *sess;
	size_t nsess, capsess;

	pxo_stats st;		/* the thread's own counters */
	pthread_mutex_t lock;	/* guards pub */
	pxo_stats pub;		/* st as of the last round */
	int close_rc;
};

/* ------------------------------------------------------------ helpers */

static void pxo_log(const pxo *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pxo_log(const pxo *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", o->o.prog ? o->o.prog : "vscsi-capture",
		line);
}

int pxo_file_name(const char *path, unsigned k, int64_t t,
		  unsigned rotate_secs, char *out, size_t len)
{
	static const char *const ends[] = { ".pcap.zst", ".pcap" };
	char base[4096];
	size_t bl, el = 0;
	unsigned i;
	int n;

	if (rotate_secs && strchr(path, '%')) {
		time_t tt = (time_t)t;
		struct tm tm;

		size_t got;

		if (!localtime_r(&tt, &tm))
			return -1;
		/* the user's -w name is the format, as with tcpdump -G */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		got = strftime(base, sizeof(base), path, &tm);
#pragma GCC diagnostic pop
		if (got == 0)
			return -1;
	} else {
		if (strlen(path) >= sizeof(base))
			return -1;
		strcpy(base, path);
	}
	if (k == 0) {
		if (strlen(base) >= len)
			return -1;
		strcpy(out, base);
		return 0;
	}
	bl = strlen(base);
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t l = strlen(ends[i]);

		if (bl > l && strcmp(base + bl - l, ends[i]) == 0) {
			el = l;
			break;
		}
	}
	n = snprintf(out, len, "%.*s.%u%s", (int)(bl - el), base, k,
		     base + bl - el);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static uint64_t pxo_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t pxo_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static struct pxo_seq *pxo_seq_find(struct pxo_seqmap *m, uint32_t conn,
				    int make)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].conn == conn)
			return &m->e[i];
	if (!make)
		return NULL;
	if (m->n == m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 8;
		struct pxo_seq *ne = realloc(m->e, nc * sizeof(*ne));

		if (!ne)
			return NULL;
		m->e = ne;
		m->cap = nc;
	}
	m->e[m->n].conn = conn;
	m->e[m->n].base = 0;
	m->e[m->n].pending = 0;
	return &m->e[m->n++];
}

static void pxo_seq_forget(struct pxo_seqmap *m, uint32_t conn)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].conn == conn) {
			m->e[i] = m->e[--m->n];
			return;
		}
}

static void pxo_seq_free(struct pxo_seqmap *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* The record's seq as this sink numbers it: a connection's first record in
 * a sink (records before it went to another sink) is 0, or 1 after the
 * session copy the sink started with. */
static uint64_t pxo_seq_map(struct pxo_seqmap *m, const uint8_t *rec)
{
	uint32_t conn = pxo_le32(rec + PXO_CONN_OFF);
	uint64_t seq = pxo_le64(rec + PXO_SEQ_OFF);
	struct pxo_seq *s;

	if (conn == VSCSI_CAP_CONN_NONE)
		return seq;
	s = pxo_seq_find(m, conn, 0);
	if (!s) {
		s = pxo_seq_find(m, conn, 1);
		if (!s)
			return seq;
		s->base = seq;
	} else if (s->pending) {
		s->base = seq ? seq - 1 : 0;
		s->pending = 0;
	}
	return seq >= s->base ? seq - s->base : seq;
}

/* A session copy opens a connection in a sink as seq 0. */
static void pxo_seq_session_copy(struct pxo_seqmap *m, uint32_t conn)
{
	struct pxo_seq *s = pxo_seq_find(m, conn, 1);

	if (s) {
		s->base = 0;
		s->pending = 1;
	}
}

/* ------------------------------------------------------------ sessions */

static void pxo_sess_put(pxo *o, const uint8_t *rec, uint32_t len)
{
	uint32_t conn = pxo_le32(rec + PXO_CONN_OFF);
	struct pxo_sess *s = NULL;
	uint8_t *copy;
	size_t i;

	for (i = 0; i < o->nsess; i++)
		if (o->sess[i].conn == conn)
			s = &o->sess[i];
	if (!s) {
		if (o->nsess == o->capsess) {
			size_t nc = o->capsess ? 2 * o->capsess : 8;
			struct pxo_sess *ns = realloc(o->sess,
						      nc * sizeof(*ns));

			if (!ns)
				return;
			o->sess = ns;
			o->capsess = nc;
		}
		s = &o->sess[o->nsess++];
		s->conn = conn;
		s->rec = NULL;
	}
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, rec, len);
	free(s->rec);
	s->rec = copy;
	s->len = len;
}

static void pxo_sess_forget(pxo *o, uint32_t conn)
{
	size_t i;

	for (i = 0; i < o->nsess; i++)
		if (o->sess[i].conn == conn) {
			free(o->sess[i].rec);
			o->sess[i] = o->sess[--o->nsess];
			return;
		}
}

/* ------------------------------------------------------------ the file */

static void pxo_stats_file(pxo *o)
{
	vscsi_cap_wstats ws;

	if (!o->w)
		return;
	vscsi_cap_writer_stats(o->w, &ws);
	o->st.file_dropped = o->wprev.dropped + ws.dropped;
	o->st.bytes_out = o->wprev.bytes_out + ws.bytes_out;
	o->st.write_errors = o->wprev.write_errors + ws.write_errors;
	if (ws.last_errno)
		o->st.last_errno = ws.last_errno;
}

/* Write rec (len bytes) to the file with this sink's seq. rec is the
 * queue entry, ours until it is popped: its seq is patched in place (the
 * monitor clients patch their own copies afterwards). */
static void pxo_file_put(pxo *o, uint8_t *rec, uint32_t len, uint64_t ts,
			 uint64_t seq)
{
	if (!o->w)
		return;
	px_rec_set_seq(rec, len, seq);
	vscsi_cap_write_raw(o->w, rec, len, ts);
	o->st.file_records++;
}

static vscsi_cap_writer *pxo_open(pxo *o, const char *name, int *err)
{
	vscsi_cap_wopts wo;

	memset(&wo, 0, sizeof(wo));
	wo.compress = o->o.compress;
	/* half a second: with the queue's lag, a crash still loses at most
	 * about the last second */
	wo.frame_ns = 500000000ull;
	wo.level = o->o.level;
	wo.flags = o->o.overwrite ? VSCSI_CAP_W_OVERWRITE : 0;
	return vscsi_cap_writer_open(name, &wo, err);
}

/* Start a new file: the session records of the open connections first. */
static void pxo_file_begin(pxo *o)
{
	size_t i;
	uint64_t now = px_rec_now();

	pxo_seq_free(&o->fseq);
	for (i = 0; i < o->nsess; i++) {
		pxo_seq_session_copy(&o->fseq, o->sess[i].conn);
		pxo_file_put(o, o->sess[i].rec, o->sess[i].len, now, 0);
	}
}

static void pxo_rotate(pxo *o, int64_t now)
{
	char name[4096];
	vscsi_cap_writer *nw;
	vscsi_cap_wstats ws;
	unsigned k = o->k + 1;
	int err = 0;

	if (o->o.rotate_secs && strchr(o->o.path, '%')) {
		char base[4096];

		if (pxo_file_name(o->o.path, 0, now, o->o.rotate_secs, base,
				  sizeof(base)) == 0 &&
		    strcmp(base, o->base) != 0) {
			k = 0;
			strcpy(o->base, base);
		}
	}
	if (pxo_file_name(o->o.path, k, now, o->o.rotate_secs, name,
			  sizeof(name))) {
		if (!o->rotate_failed)
			pxo_log(o, "%s: file name %u too long: not rotating",
				o->o.path, k);
		o->rotate_failed = 1;
		o->t_open = now;
		return;
	}
	nw = pxo_open(o, name, &err);
	if (!nw) {
		if (!o->rotate_failed)
			pxo_log(o, "cannot open %s: %s; writing on in %s",
				name, err == VSCSI_ERR_IO ? strerror(errno)
							  : vscsi_strerror(err),
				o->path);
		o->rotate_failed = 1;
		o->t_open = now;
		return;
	}
	o->rotate_failed = 0;
	vscsi_cap_writer_stats(o->w, &ws);
	if (vscsi_cap_writer_close(o->w) != VSCSI_OK)
		pxo_log(o, "%s: not finished cleanly (%llu records lost to "
			"write errors)", o->path,
			(unsigned long long)ws.dropped);
	o->wprev.dropped += ws.dropped;
	o->wprev.bytes_out += ws.bytes_out;
	o->wprev.write_errors += ws.write_errors;
	o->w = nw;
	o->k = k;
	o->t_open = now;
	snprintf(o->path, sizeof(o->path), "%s", name);
	o->st.files++;
	snprintf(o->st.path, sizeof(o->st.path), "%s", name);
	if (o->o.verbose)
		pxo_log(o, "writing %s", name);
	pxo_file_begin(o);
}

static void pxo_rotate_check(pxo *o)
{
	int64_t now;

	if (!o->w || (!o->o.rotate_bytes && !o->o.rotate_secs))
		return;
	now = (int64_t)time(NULL);
	if (o->o.rotate_secs && now - o->t_open >= (int64_t)o->o.rotate_secs) {
		pxo_rotate(o, now);
		return;
	}
	if (o->o.rotate_bytes) {
		vscsi_cap_wstats ws;

		vscsi_cap_writer_stats(o->w, &ws);
		/* a failed attempt is retried after as many bytes again */
		if (ws.bytes_out >= o->o.rotate_bytes &&
		    (!o->rotate_failed ||
		     ws.bytes_out >= 2 * o->o.rotate_bytes))
			pxo_rotate(o, now);
	}
}

/* ------------------------------------------------------------ monitor */

static void pxo_client_close(pxo *o, unsigned i)
{
	struct pxo_client *c = &o->cl[i];

	close(c->fd);
	free(c->buf);
	pxo_seq_free(&c->seq);
	o->cl[i] = o->cl[--o->ncl];
	o->st.clients = o->ncl;
}

/* Append one pcap record (header + rec with seq) to a client's buffer. */
static int pxo_client_append(struct pxo_client *c, const uint8_t *rec,
			     uint32_t len, uint64_t ts, uint64_t seq,
			     size_t reserve)
{
	size_t need = PXO_PCAP_REC + len;
	uint8_t *p;

	if (c->off && c->len + need + reserve > c->cap) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len + need + reserve > c->cap)
		return -1;
	p = c->buf + c->len;
	vscsi_put_le32(p, (uint32_t)(ts / 1000000000u));
	vscsi_put_le32(p + 4, (uint32_t)(ts % 1000000000u));
	vscsi_put_le32(p + 8, len);
	vscsi_put_le32(p + 12, len);
	memcpy(p + PXO_PCAP_REC, rec, len);
	px_rec_set_seq(p + PXO_PCAP_REC, len, seq);
	c->len += need;
	return 0;
}

/* Send what a client's socket takes now. -1: the client is gone. */
static int pxo_client_flush(struct pxo_client *c)
{
	while (c->len > c->off) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
	if (c->off == c->len)
		c->off = c->len = 0;
	return 0;
}

#define PXO_NOTE_TEXT "monitor client too slow"
#define PXO_NOTE_LEN (VSCSI_CAP_LOSS_HDR_LEN + sizeof(PXO_NOTE_TEXT) - 1)

/* The loss note a client is owed, before anything else goes to it. */
static int pxo_client_note(pxo *o, struct pxo_client *c, uint64_t now)
{
	uint8_t b[PXO_NOTE_LEN];
	struct iovec iov = { (void *)PXO_NOTE_TEXT,
			     sizeof(PXO_NOTE_TEXT) - 1 };
	vscsi_cap_rec rec;
	int len;

	if (!c->drop_pend)
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = VSCSI_CAP_CONN_NONE;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.loss.count = c->drop_pend;
	rec.loss.since_ns = c->drop_since;
	rec.loss.reason = VSCSI_LOSS_QUEUE_FULL;
	len = px_rec_encode(b, sizeof(b), &rec, &iov, 1, iov.iov_len, NULL);
	if (len < 0 || pxo_client_append(c, b, (uint32_t)len, now, 0, 0))
		return -1;
	c->drop_pend = 0;
	o->st.mon_notes++;
	return 0;
}

static void pxo_client_put(pxo *o, struct pxo_client *c, const uint8_t *rec,
			   uint32_t len, uint64_t ts)
{
	int piece = px_rec_is_piece(rec, len);
	uint64_t seq;
	int ok;

	/* the pieces of a record this client did not get */
	if (piece && c->skip_data) {
		if (c->skip_data == 1) {
			c->drop_pend++;
			o->st.mon_dropped++;
		}
		return;
	}
	seq = len >= 24 ? pxo_seq_map(&c->seq, rec) : 0;

	/* full: give the socket what it takes now, then try again */
	if (c->len + PXO_PCAP_REC + len + PXO_NOTE_LEN > c->cap)
		pxo_client_flush(c);
	ok = pxo_client_note(o, c, ts) == 0 &&
	     pxo_client_append(c, rec, len, ts, seq, 0) == 0;

	if (ok) {
		o->st.mon_records++;
		if (!piece)
			c->skip_data = 0;
	} else {
		if (!c->drop_pend)
			c->drop_since = ts;
		c->drop_pend++;
		o->st.mon_dropped++;
		c->skip_data = 1;
	}
}

static void pxo_accept(pxo *o)
{
	struct pxo_client *c;
	uint8_t hdr[24];
	uint64_t now = px_rec_now();
	size_t i;
	int fd = accept4(o->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (o->ncl == PXO_MAX_CLIENTS) {
		pxo_log(o, "monitor: %u clients already, refusing another",
			o->ncl);
		close(fd);
		return;
	}
	c = &o->cl[o->ncl];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->skip_data = 2;
	c->cap = o->o.monitor_buf ? o->o.monitor_buf : PXO_CLIENT_BUF;
	if (c->cap < VSCSI_CAP_MAX_RECORD + 4096)
		c->cap = VSCSI_CAP_MAX_RECORD + 4096;
	c->buf = malloc(c->cap);
	if (!c->buf) {
		close(fd);
		return;
	}
	o->ncl++;
	/* the pcap file header, as libpcap writes it on this machine */
	vscsi_put_le32(hdr, 0xa1b23c4du);
	vscsi_put_le16(hdr + 4, 2);
	vscsi_put_le16(hdr + 6, 4);
	vscsi_put_le32(hdr + 8, 0);
	vscsi_put_le32(hdr + 12, 0);
	vscsi_put_le32(hdr + 16, VSCSI_CAP_MAX_RECORD);
	vscsi_put_le32(hdr + 20, VSCSI_CAP_LINKTYPE);
	memcpy(c->buf, hdr, sizeof(hdr));
	c->len = sizeof(hdr);
	for (i = 0; i < o->nsess; i++) {
		pxo_seq_session_copy(&c->seq, o->sess[i].conn);
		pxo_client_append(c, o->sess[i].rec, o->sess[i].len, now, 0,
				  0);
	}
	o->st.clients = o->ncl;
	o->st.clients_total++;
	if (o->o.verbose)
		pxo_log(o, "monitor: client connected");
	pxo_client_flush(c);
}

/* ------------------------------------------------------------ the thread */

static void pxo_entry(pxo *o, const pxq_ent *e)
{
	unsigned i;

	switch (e->kind) {
	case PXQ_RECORD:
		if (e->len < 24)
			return;
		o->st.records++;
		if (e->body[1] == VSCSI_REC_SESSION &&
		    pxo_le32(e->body + PXO_CONN_OFF) != VSCSI_CAP_CONN_NONE)
			pxo_sess_put(o, e->body, e->len);
		if (o->w) {
			/* a new file before the record that finds the
			 * limit passed (so no empty file trails); never
			 * between a record and its continuations */
			if (!px_rec_is_piece(e->body, e->len))
				pxo_rotate_check(o);
			pxo_file_put(o, (uint8_t *)(uintptr_t)e->body, e->len,
				     e->ts_ns, pxo_seq_map(&o->fseq, e->body));
		}
		for (i = 0; i < o->ncl; i++)
			pxo_client_put(o, &o->cl[i], e->body, e->len,
				       e->ts_ns);
		break;
	case PXQ_CONN_END:
		if (e->len >= 4) {
			uint32_t conn = pxo_le32(e->body);

			pxo_sess_forget(o, conn);
			pxo_seq_forget(&o->fseq, conn);
			for (i = 0; i < o->ncl; i++)
				pxo_seq_forget(&o->cl[i].seq, conn);
		}
		break;
	case PXQ_FLUSH:
		if (o->w)
			vscsi_cap_writer_flush(o->w);
		break;
	default:
		break;
	}
}

/* Under SCHED_IDLE (on) or the normal policy at nice 0 (off). */
static void pxo_sched_idle(int on)
{
	struct sched_param sp;

	memset(&sp, 0, sizeof(sp));
	pthread_setschedparam(pthread_self(), on ? SCHED_IDLE : SCHED_OTHER,
			      &sp);
}

/* opts.idle 2: leave SCHED_IDLE while behind, go back once caught up. */
static void pxo_adapt(pxo *o, int *boosted)
{
	size_t used = pxq_used(o->q), size = pxq_size(o->q);

	if (!*boosted && used > size / 8) {
		pxo_sched_idle(0);
		*boosted = 1;
		o->st.boosts++;
	} else if (*boosted && used < size / 64) {
		pxo_sched_idle(1);
		*boosted = 0;
	}
}

static void *pxo_main(void *arg)
{
	pxo *o = arg;
	struct pollfd pf[2 + PXO_MAX_CLIENTS];
	int boosted = 0;

	if (o->o.idle) {
		/* SCHED_IDLE: the writer runs on CPU time nobody else wants,
		 * and any other thread (the I/O path, the guest's vCPUs, the
		 * back-end) takes the CPU from it at once */
		pxo_sched_idle(1);
	} else if (o->o.nice) {
		pid_t tid = (pid_t)syscall(SYS_gettid);

		setpriority(PRIO_PROCESS, (id_t)tid, o->o.nice);
	}
	for (;;) {
		pxq_ent e;
		unsigned n = 0, i, np = 0;
		int stopping = atomic_load(&o->stop);

		if (o->o.idle == 2)
			pxo_adapt(o, &boosted);

		while (n < PXO_BATCH && pxq_peek(o->q, &e)) {
			pxo_entry(o, &e);
			pxq_pop(o->q);
			n++;
			if (o->o.idle == 2 && n % 256 == 0)
				pxo_adapt(o, &boosted);
		}
		if (o->w) {
			vscsi_cap_writer_tick(o->w);
			pxo_stats_file(o);
		}
		for (i = 0; i < o->ncl;) {
			if (pxo_client_flush(&o->cl[i]))
				pxo_client_close(o, i);
			else
				i++;
		}
		pthread_mutex_lock(&o->lock);
		o->pub = o->st;
		pthread_mutex_unlock(&o->lock);
		if (stopping && n == 0 && pxq_used(o->q) == 0)
			break;
		pf[np].fd = o->wake_fd;
		pf[np++].events = POLLIN;
		if (o->lfd >= 0) {
			pf[np].fd = o->lfd;
			pf[np++].events = POLLIN;
		}
		for (i = 0; i < o->ncl; i++) {
			pf[np].fd = o->cl[i].fd;
			pf[np++].events = (short)(POLLIN |
				(o->cl[i].len > o->cl[i].off ? POLLOUT : 0));
		}
		if (poll(pf, np, n ? 0 : PXO_IDLE_MS) <= 0)
			continue;
		if (pf[0].revents)
			vu_eventfd_drain(o->wake_fd);
		np = 1;
		if (o->lfd >= 0 && pf[np++].revents)
			pxo_accept(o);
		/* clients, from the last (closing moves the last one down) */
		for (i = o->ncl; i-- > 0;) {
			short re = pf[np + i].revents;

			if (i >= o->ncl || o->cl[i].fd != pf[np + i].fd)
				continue;
			if (re & POLLIN) {
				char junk[256];
				ssize_t k = recv(o->cl[i].fd, junk, sizeof(junk),
						 MSG_DONTWAIT);

				if (k == 0 || (k < 0 && errno != EAGAIN &&
					       errno != EINTR)) {
					pxo_client_close(o, i);
					continue;
				}
			}
			if (re & (POLLERR | POLLHUP)) {
				pxo_client_close(o, i);
				continue;
			}
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ start/stop */

static void pxo_free(pxo *o)
{
	size_t i;

	while (o->ncl)
		pxo_client_close(o, 0);
	if (o->lfd >= 0) {
		close(o->lfd);
		if (o->o.monitor)
			unlink(o->o.monitor);
	}
	if (o->wake_fd >= 0)
		close(o->wake_fd);
	for (i = 0; i < o->nsess; i++)
		free(o->sess[i].rec);
	free(o->sess);
	pxo_seq_free(&o->fseq);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

pxo *pxo_start(pxq *q, const pxo_opts *opts, char *err, size_t errlen)
{
	pxo *o = calloc(1, sizeof(*o));
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->q = q;
	o->o = *opts;
	o->lfd = -1;
	pthread_mutex_init(&o->lock, NULL);
	atomic_init(&o->stop, 0);
	o->wake_fd = vu_eventfd();
	if (o->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		pxo_free(o);
		return NULL;
	}
	if (o->o.path) {
		int64_t now = (int64_t)time(NULL);
		int e = 0;

		if (pxo_file_name(o->o.path, 0, now, o->o.rotate_secs, o->path,
				  sizeof(o->path))) {
			snprintf(err, errlen, "%s: file name too long",
				 o->o.path);
			pxo_free(o);
			return NULL;
		}
		snprintf(o->base, sizeof(o->base), "%s", o->path);
		o->w = pxo_open(o, o->path, &e);
		if (!o->w) {
			if (e == VSCSI_ERR_IO && errno == EEXIST)
				snprintf(err, errlen, "%s: file exists (use "
					 "--overwrite to replace it)",
					 o->path);
			else
				snprintf(err, errlen, "%s: %s", o->path,
					 e == VSCSI_ERR_IO ? strerror(errno)
							   : vscsi_strerror(e));
			pxo_free(o);
			return NULL;
		}
		o->t_open = now;
		o->st.files = 1;
		snprintf(o->st.path, sizeof(o->st.path), "%s", o->path);
	}
	if (o->o.monitor) {
		o->lfd = vu_listen(o->o.monitor, o->o.mode);
		if (o->lfd < 0) {
			snprintf(err, errlen, "monitor socket %s: %s",
				 o->o.monitor, strerror(errno));
			o->o.monitor = NULL;	/* not ours to unlink */
			if (o->w)
				vscsi_cap_writer_close(o->w);
			if (o->o.path && !o->o.overwrite)
				unlink(o->path);
			pxo_free(o);
			return NULL;
		}
		fcntl(o->lfd, F_SETFL, fcntl(o->lfd, F_GETFL) | O_NONBLOCK);
	}
	o->pub = o->st;
	rc = pthread_create(&o->th, NULL, pxo_main, o);
	if (rc) {
		snprintf(err, errlen, "cannot start the writer thread: %s",
			 strerror(rc));
		if (o->w)
			vscsi_cap_writer_close(o->w);
		pxo_free(o);
		return NULL;
	}
	o->started = 1;
	return o;
}

void pxo_wake(pxo *o)
{
	if (o)
		vu_eventfd_signal(o->wake_fd);
}

void pxo_get_stats(pxo *o, pxo_stats *st)
{
	pthread_mutex_lock(&o->lock);
	*st = o->pub;
	pthread_mutex_unlock(&o->lock);
}

int pxo_stop(pxo *o, pxo_stats *final)
{
	int rc = 0;

	if (!o)
		return 0;
	atomic_store(&o->stop, 1);
	pxo_wake(o);
	if (o->started)
		pthread_join(o->th, NULL);
	/* the clients get what is buffered, as far as their sockets take
	 * it now */
	{
		unsigned i;

		for (i = 0; i < o->ncl; i++)
			pxo_client_flush(&o->cl[i]);
	}
	if (o->w) {
		vscsi_cap_wstats ws;

		vscsi_cap_writer_flush(o->w);
		vscsi_cap_writer_stats(o->w, &ws);
		o->st.file_dropped = o->wprev.dropped + ws.dropped;
		o->st.bytes_out = o->wprev.bytes_out + ws.bytes_out;
		o->st.write_errors = o->wprev.write_errors + ws.write_errors;
		if (ws.last_errno)
			o->st.last_errno = ws.last_errno;
		if (vscsi_cap_writer_close(o->w) != VSCSI_OK)
			rc = -1;
		o->w = NULL;
	}
	if (final)
		*final = o->st;
	pxo_free(o);
	return rc;
}
