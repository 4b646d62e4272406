/*
 * vscsi-replay --serve: a vhost-user-scsi back-end over file-backed LUNs.
 *
 * The main thread owns the listening socket, the control socket, the
 * signals and the LUN registry (an emulation of its own that opens every
 * LUN once, to check it and to answer "list"). Each accepted connection
 * (one guest) runs on a thread of its own with its own event loop, its
 * own vu_dev and its own emulation holding the registry's LUNs: one guest
 * is one initiator, a stalled peer stalls only its thread, and two guests
 * run on two cores. Control commands change the registry, then go to every
 * connection's mailbox (a list under a mutex and an eventfd); each thread
 * applies them to its emulation, which raises the unit attentions and the
 * events for its guest.
 *
 * SIGINT/SIGTERM: no more connections; each thread stops taking requests,
 * lets what is in flight complete and be answered, and ends; exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay.h"
#include "vu.h"

enum conn_op_kind { OP_ADD, OP_REMOVE, OP_RESIZE };

struct conn_op {
	int kind;
	emu_lun_cfg cfg;	/* OP_ADD */
	uint8_t target;
	uint16_t lun;
	struct conn_op *next;
};

struct lun_ent {
	emu_lun_cfg cfg;
	struct lun_ent *next;
};

struct srv;

struct conn {
	struct srv *srv;
	unsigned id;
	int fd;			/* handed to the thread */
	pthread_t thr;
	sem_t started;		/* the thread has its own file table, or
				 * not (own_files) */
	int own_files;
	vu_loop *loop;		/* the thread's */
	int wake;		/* eventfd: mailbox or stop */
	pthread_mutex_t mu;
	struct conn_op *head, *tail;
	int stop;
	atomic_int done;
	emu_lun_cfg *luns;	/* the registry when it started */
	unsigned nluns;
	struct conn *next;
};

#define CTL_LINE_MAX 8192

struct ctl_client {
	struct srv *srv;
	int fd;
	char buf[CTL_LINE_MAX];
	size_t len;
	struct ctl_client *next;
};

struct srv {
	const serve_opts *o;
	vu_loop *loop;
	int lfd, cfd, sfd, reap_fd;
	emu_dev *reg;
	struct lun_ent *luns;
	unsigned nluns;
	struct conn *conns;
	unsigned next_id;
	struct ctl_client *clients;
};

static void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void srv_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", REPLAY_PROG, line);
}

/* ------------------------------------------------------------ connection */

static void conn_closed(sdev *s, void *arg)
{
	struct conn *c = arg;

	(void)s;
	vu_loop_stop(c->loop);
}

static void conn_apply(struct conn *c, sdev *s, const struct conn_op *op)
{
	char err[256];
	int rc;

	err[0] = 0;
	switch (op->kind) {
	case OP_ADD:
		rc = emu_lun_add(sdev_emu(s), &op->cfg, EMU_HOTPLUG, err,
				 sizeof(err));
		if (rc)
			srv_log("connection %u: cannot add LUN %u:%u: %s",
				c->id, op->cfg.target, op->cfg.lun,
				err[0] ? err : vscsi_strerror(rc));
		break;
	case OP_REMOVE:
		emu_lun_remove(sdev_emu(s), op->target, op->lun);
		break;
	case OP_RESIZE:
		rc = emu_lun_resize(sdev_emu(s), op->target, op->lun, 0);
		if (rc)
			srv_log("connection %u: cannot resize LUN %u:%u: %s",
				c->id, op->target, op->lun, vscsi_strerror(rc));
		break;
	}
}

struct conn_ctx {
	struct conn *c;
	sdev *s;
};

static void conn_wake_cb(void *arg, int fd, uint32_t events)
{
	struct conn_ctx *x = arg;
	struct conn *c = x->c;
	struct conn_op *ops;
	int stop;

	(void)events;
	vu_eventfd_drain(fd);
	pthread_mutex_lock(&c->mu);
	ops = c->head;
	c->head = c->tail = NULL;
	stop = c->stop;
	pthread_mutex_unlock(&c->mu);
	while (ops) {
		struct conn_op *n = ops->next;

		conn_apply(c, x->s, ops);
		free(ops);
		ops = n;
	}
	sdev_poll(x->s);
	if (stop)
		vu_loop_stop(c->loop);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * A file table of the thread's own. With the table shared by several
 * threads, every read takes and drops a reference on the LUN's file
 * (fdget's shared path: two atomic operations a command, about 2% of
 * the IOPS at queue depth 32); a table with one user skips them. The copy
 * holds every descriptor the process had: keep stderr, this connection's
 * socket, mailbox and loop, and the reaper's eventfd; close the rest
 * (other connections' sockets, the listening sockets), or their peers
 * would not see them close. What the thread opens from here on (LUN
 * files, guest memory and ring eventfds from the front-end) is its alone,
 * and closes with the table when the thread ends. On failure the thread
 * goes on with the shared table.
 */
static int conn_own_files(struct conn *c)
{
	int keep[7], n = 0, i, lo = 0;

	if (unshare(CLONE_FILES))
		return -1;
	keep[n++] = 0;
	keep[n++] = 1;
	keep[n++] = 2;
	keep[n++] = c->fd;
	keep[n++] = c->wake;
	keep[n++] = vu_loop_fd(c->loop);
	keep[n++] = c->srv->reap_fd;
	qsort(keep, (size_t)n, sizeof(keep[0]), cmp_int);
	for (i = 0; i < n; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo)
			close_range((unsigned)lo, (unsigned)keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	close_range((unsigned)lo, ~0u, 0);
	return 0;
}

/* --cpus: this connection's thread on the next CPU of the list. */
static void conn_pin(const struct conn *c)
{
	const serve_opts *o = c->srv->o;
	unsigned cpu;
	cpu_set_t set;
	int rc;

	if (!o->ncpus)
		return;
	cpu = o->cpus[(c->id - 1) % o->ncpus];
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc)
		srv_log("connection %u: cannot run on CPU %u only: %s", c->id,
			cpu, strerror(rc));
	else if (o->verbose)
		srv_log("connection %u: on CPU %u", c->id, cpu);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct conn_ctx x;
	sdev_cfg sc;
	unsigned i;

	c->own_files = conn_own_files(c) == 0;
	sem_post(&c->started);
	conn_pin(c);
	x.c = c;
	x.s = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.id = c->id;
	sc.queues = c->srv->o->queues;
	sc.poll_ns = (uint64_t)c->srv->o->poll_us * 1000u;
	sc.verbose = c->srv->o->verbose;
	sc.closed = conn_closed;
	sc.arg = c;
	x.s = sdev_new(c->fd, c->loop, &sc);
	c->fd = -1;
	if (!x.s)
		goto out;
	for (i = 0; i < c->nluns; i++) {
		char err[256];
		int rc;

		err[0] = 0;
		rc = emu_lun_add(sdev_emu(x.s), &c->luns[i], 0, err,
				 sizeof(err));
		if (rc)
			srv_log("connection %u: cannot open LUN %u:%u: %s",
				c->id, c->luns[i].target, c->luns[i].lun,
				err[0] ? err : vscsi_strerror(rc));
	}
	if (vu_loop_add(c->loop, c->wake, EPOLLIN, conn_wake_cb, &x)) {
		srv_log("connection %u: %s", c->id, strerror(errno));
		goto out;
	}
	/* what the mailbox got before the loop watched it */
	conn_wake_cb(&x, c->wake, EPOLLIN);
	if (c->srv->o->verbose)
		srv_log("connection %u: open", c->id);
	while (!vu_loop_stopped(c->loop)) {
		int busy = sdev_busy(x.s);

		if (vu_loop_run_once(c->loop, busy ? 0 : -1) < 0)
			break;
		if (busy && !vu_loop_stopped(c->loop))
			sdev_work(x.s);
	}
	pthread_mutex_lock(&c->mu);
	if (c->stop)
		sdev_shutdown(x.s);
	pthread_mutex_unlock(&c->mu);
	vu_loop_del(c->loop, c->wake);
out:
	sdev_free(x.s);
	if (c->srv->o->verbose)
		srv_log("connection %u: closed", c->id);
	atomic_store(&c->done, 1);
	vu_eventfd_signal(c->srv->reap_fd);
	return NULL;
}

static void conn_free(struct conn *c)
{
	struct conn_op *op = c->head;

	while (op) {
		struct conn_op *n = op->next;

		free(op);
		op = n;
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->wake >= 0)
		close(c->wake);
	vu_loop_free(c->loop);
	sem_destroy(&c->started);
	pthread_mutex_destroy(&c->mu);
	free(c->luns);
	free(c);
}

static void conn_post(struct conn *c, const struct conn_op *op)
{
	struct conn_op *n = malloc(sizeof(*n));

	if (!n) {
		srv_log("connection %u: out of memory: a LUN change is lost",
			c->id);
		return;
	}
	*n = *op;
	n->next = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = n;
	else
		c->head = n;
	c->tail = n;
	pthread_mutex_unlock(&c->mu);
	vu_eventfd_signal(c->wake);
}

static void srv_broadcast(struct srv *S, const struct conn_op *op)
{
	struct conn *c;

	for (c = S->conns; c; c = c->next)
		if (!atomic_load(&c->done))
			conn_post(c, op);
}

static void srv_accept_cb(void *arg, int fd, uint32_t events)
{
	struct srv *S = arg;
	struct lun_ent *e;
	struct conn *c;
	unsigned i;
	int cfd;

	(void)events;
	cfd = vu_accept(fd);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			srv_log("%s: accept: %s", S->o->socket,
				strerror(errno));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->srv = S;
	c->id = ++S->next_id;
	c->fd = cfd;
	c->wake = vu_eventfd();
	pthread_mutex_init(&c->mu, NULL);
	sem_init(&c->started, 0, 0);
	c->loop = vu_loop_new();
	c->luns = S->nluns ? calloc(S->nluns, sizeof(*c->luns)) : NULL;
	if (c->wake < 0 || !c->loop || (S->nluns && !c->luns)) {
		conn_free(c);
		srv_log("cannot take a connection: %s", strerror(errno));
		return;
	}
	for (e = S->luns, i = 0; e; e = e->next)
		c->luns[i++] = e->cfg;
	c->nluns = i;
	if (pthread_create(&c->thr, NULL, conn_main, c)) {
		srv_log("cannot start a thread for a connection");
		conn_free(c);
		return;
	}
	/* the thread copied the file table: this one's copy of the socket
	 * goes, so that the socket closes when the thread closes it */
	while (sem_wait(&c->started) && errno == EINTR)
		;
	if (c->own_files)
		close(cfd);
	c->next = S->conns;
	S->conns = c;
	return;
fail:
	close(cfd);
	srv_log("out of memory for a connection");
}

static void srv_reap_cb(void *arg, int fd, uint32_t events)
{
	struct srv *S = arg;
	struct conn **pc = &S->conns;

	(void)events;
	vu_eventfd_drain(fd);
	while (*pc) {
		struct conn *c = *pc;

		if (atomic_load(&c->done)) {
			pthread_join(c->thr, NULL);
			*pc = c->next;
			conn_free(c);
		} else {
			pc = &c->next;
		}
	}
}

/* ------------------------------------------------------------ registry */

static struct lun_ent *srv_find(struct srv *S, uint8_t t, uint16_t l,
				struct lun_ent ***prev)
{
	struct lun_ent **pe;

	for (pe = &S->luns; *pe; pe = &(*pe)->next)
		if ((*pe)->cfg.target == t && (*pe)->cfg.lun == l) {
			if (prev)
				*prev = pe;
			return *pe;
		}
	return NULL;
}

/* Add a LUN to the registry (opening its file). 0, or -1 with err. */
static int srv_lun_add(struct srv *S, const char *spec, emu_lun_cfg *cfg,
		       char *err, size_t errlen)
{
	struct lun_ent *e, **pe;
	int rc;

	if (emu_lun_parse(spec, cfg, err, errlen))
		return -1;
	if (srv_find(S, cfg->target, cfg->lun, NULL)) {
		snprintf(err, errlen, "LUN %u:%u is already in use",
			 cfg->target, cfg->lun);
		return -1;
	}
	err[0] = 0;
	rc = emu_lun_add(S->reg, cfg, 0, err, errlen);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", vscsi_strerror(rc));
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		emu_lun_remove(S->reg, cfg->target, cfg->lun);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->cfg = *cfg;
	/* keep the list sorted by target, then LUN */
	for (pe = &S->luns; *pe; pe = &(*pe)->next)
		if ((*pe)->cfg.target > cfg->target ||
		    ((*pe)->cfg.target == cfg->target &&
		     (*pe)->cfg.lun > cfg->lun))
			break;
	e->next = *pe;
	*pe = e;
	S->nluns++;
	return 0;
}

static void srv_capacity(struct srv *S, uint8_t t, uint16_t l, FILE *f)
{
	uint64_t blocks = 0;
	uint32_t bs = 0;

	emu_lun_capacity(S->reg, t, l, &blocks, &bs);
	fprintf(f, "%llu blocks of %u bytes", (unsigned long long)blocks, bs);
}

/* ------------------------------------------------------------ control */

static const char ctl_help[] =
	"add T:L=PATH[,ro][,bs=512|4096][,serial=S][,cdrom][,direct]"
	"[,io=auto|inline|uring]\n"
	"remove T:L\n"
	"resize T:L\n"
	"list\n"
	"help\n";

/* Run one command; the answer goes to f. */
static void srv_ctl_exec(struct srv *S, char *line, FILE *f)
{
	char *cmd, *arg, *rest, err[512];
	struct conn_op op;
	uint8_t t;
	uint16_t l;

	cmd = strtok_r(line, " \t\r", &rest);
	arg = strtok_r(NULL, " \t\r", &rest);
	if (!cmd)
		return;
	memset(&op, 0, sizeof(op));
	if (strcmp(cmd, "help") == 0) {
		fputs(ctl_help, f);
		fputs("ok\n", f);
		return;
	}
	if (strcmp(cmd, "list") == 0) {
		struct lun_ent *e;
		struct conn *c;
		unsigned nc = 0;

		for (c = S->conns; c; c = c->next)
			nc += !atomic_load(&c->done);
		for (e = S->luns; e; e = e->next) {
			fprintf(f, "%u:%u %s ", e->cfg.target, e->cfg.lun,
				e->cfg.path);
			srv_capacity(S, e->cfg.target, e->cfg.lun, f);
			if (e->cfg.flags & EMU_LUN_CDROM)
				fputs(" cdrom", f);
			else if (e->cfg.flags & EMU_LUN_RO)
				fputs(" ro", f);
			fputc('\n', f);
		}
		fprintf(f, "ok %u LUN%s, %u connection%s\n", S->nluns,
			S->nluns == 1 ? "" : "s", nc, nc == 1 ? "" : "s");
		return;
	}
	if (!arg || strtok_r(NULL, " \t\r", &rest)) {
		if (strcmp(cmd, "add") && strcmp(cmd, "remove") &&
		    strcmp(cmd, "resize"))
			goto unknown;
		fprintf(f, "error %s takes one argument\n", cmd);
		return;
	}
	if (strcmp(cmd, "add") == 0) {
		op.kind = OP_ADD;
		if (srv_lun_add(S, arg, &op.cfg, err, sizeof(err))) {
			fprintf(f, "error %s: %s\n", arg, err);
			return;
		}
		srv_broadcast(S, &op);
		fprintf(f, "ok added %u:%u, ", op.cfg.target, op.cfg.lun);
		srv_capacity(S, op.cfg.target, op.cfg.lun, f);
		fputc('\n', f);
		srv_log("LUN %u:%u added: %s", op.cfg.target, op.cfg.lun,
			op.cfg.path);
		return;
	}
	if (strcmp(cmd, "remove") && strcmp(cmd, "resize"))
		goto unknown;
	if (ctl_parse_addr(arg, &t, &l)) {
		fprintf(f, "error %s: not a TARGET:LUN address\n", arg);
		return;
	}
	op.target = t;
	op.lun = l;
	if (strcmp(cmd, "remove") == 0) {
		struct lun_ent *e, **pe = NULL;

		e = srv_find(S, t, l, &pe);
		if (!e) {
			fprintf(f, "error no LUN %u:%u\n", t, l);
			return;
		}
		emu_lun_remove(S->reg, t, l);
		*pe = e->next;
		free(e);
		S->nluns--;
		op.kind = OP_REMOVE;
		srv_broadcast(S, &op);
		fprintf(f, "ok removed %u:%u\n", t, l);
		srv_log("LUN %u:%u removed", t, l);
		return;
	}
	if (!srv_find(S, t, l, NULL)) {
		fprintf(f, "error no LUN %u:%u\n", t, l);
		return;
	}
	if (emu_lun_resize(S->reg, t, l, 0)) {
		fprintf(f, "error %u:%u: cannot read the size: %s\n", t, l,
			strerror(errno));
		return;
	}
	op.kind = OP_RESIZE;
	srv_broadcast(S, &op);
	fprintf(f, "ok %u:%u: ", t, l);
	srv_capacity(S, t, l, f);
	fputc('\n', f);
	return;
unknown:
	fprintf(f, "error unknown command '%s' (add, remove, resize, list, "
		"help)\n", cmd);
}

static void ctl_client_close(struct srv *S, struct ctl_client *cl)
{
	struct ctl_client **pc;

	for (pc = &S->clients; *pc; pc = &(*pc)->next)
		if (*pc == cl) {
			*pc = cl->next;
			break;
		}
	vu_loop_del(S->loop, cl->fd);
	close(cl->fd);
	free(cl);
}

static int ctl_reply(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void ctl_client_cb(void *arg, int fd, uint32_t events)
{
	struct ctl_client *cl = arg;
	struct srv *S = cl->srv;
	ssize_t r;
	char *nl;

	(void)events;
	r = recv(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		ctl_client_close(S, cl);
		return;
	}
	cl->len += (size_t)r;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t ll = (size_t)(nl - cl->buf) + 1;
		char *out = NULL;
		size_t outlen = 0;
		FILE *f;

		*nl = 0;
		f = open_memstream(&out, &outlen);
		if (!f) {
			ctl_client_close(S, cl);
			return;
		}
		srv_ctl_exec(S, cl->buf, f);
		fclose(f);
		if (outlen && ctl_reply(fd, out, outlen)) {
			free(out);
			ctl_client_close(S, cl);
			return;
		}
		free(out);
		memmove(cl->buf, cl->buf + ll, cl->len - ll);
		cl->len -= ll;
	}
	if (cl->len == sizeof(cl->buf)) {
		static const char msg[] = "error line too long\n";

		ctl_reply(fd, msg, sizeof(msg) - 1);
		ctl_client_close(S, cl);
	}
}

static void ctl_accept_cb(void *arg, int fd, uint32_t events)
{
	struct srv *S = arg;
	struct ctl_client *cl;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->srv = S;
	cl->fd = cfd;
	if (vu_loop_add(S->loop, cfd, EPOLLIN, ctl_client_cb, cl)) {
		close(cfd);
		free(cl);
		return;
	}
	cl->next = S->clients;
	S->clients = cl;
}

/* ------------------------------------------------------------ main */

static void srv_signal_cb(void *arg, int fd, uint32_t events)
{
	struct srv *S = arg;
	int sig;

	(void)events;
	while ((sig = vu_signalfd_read(fd)) > 0) {
		if (S->o->verbose)
			srv_log("signal %d: stopping", sig);
		vu_loop_stop(S->loop);
	}
}

static void srv_reg_cmd_done(void *arg, void *opaque, const emu_result *res)
{
	(void)arg;
	(void)opaque;
	(void)res;
}

static void srv_reg_tmf_done(void *arg, void *opaque, uint8_t response)
{
	(void)arg;
	(void)opaque;
	(void)response;
}

static void srv_unlink(const char *path)
{
	struct stat st;

	if (path && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

int serve_main(const serve_opts *o)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct srv S;
	emu_ops rops;
	unsigned i;
	int status = 1, rc;

	memset(&S, 0, sizeof(S));
	S.o = o;
	S.lfd = S.cfd = S.sfd = S.reap_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	memset(&rops, 0, sizeof(rops));
	rops.cmd_done = srv_reg_cmd_done;
	rops.tmf_done = srv_reg_tmf_done;
	rc = emu_create(&rops, &S.reg);
	if (rc) {
		srv_log("cannot create the SCSI emulation: %s",
			vscsi_strerror(rc));
		return 1;
	}
	for (i = 0; i < o->nluns; i++) {
		emu_lun_cfg cfg;
		char err[512];

		if (srv_lun_add(&S, o->luns[i], &cfg, err, sizeof(err))) {
			srv_log("--lun %s: %s", o->luns[i], err);
			goto out;
		}
	}
	/* signals are blocked before any thread starts, so only the
	 * signalfd sees them */
	S.sfd = vu_signalfd(sigs, 2);
	S.loop = vu_loop_new();
	S.reap_fd = vu_eventfd();
	if (S.sfd < 0 || !S.loop || S.reap_fd < 0) {
		srv_log("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	S.lfd = vu_listen(o->socket, 0600);
	if (S.lfd < 0) {
		srv_log("%s: cannot listen: %s", o->socket, strerror(errno));
		goto out;
	}
	if (o->ctl) {
		S.cfd = vu_listen(o->ctl, 0600);
		if (S.cfd < 0) {
			srv_log("%s: cannot listen: %s", o->ctl,
				strerror(errno));
			goto out;
		}
		if (vu_loop_add(S.loop, S.cfd, EPOLLIN, ctl_accept_cb, &S))
			goto loopfail;
	}
	if (vu_loop_add(S.loop, S.lfd, EPOLLIN, srv_accept_cb, &S) ||
	    vu_loop_add(S.loop, S.sfd, EPOLLIN, srv_signal_cb, &S) ||
	    vu_loop_add(S.loop, S.reap_fd, EPOLLIN, srv_reap_cb, &S))
		goto loopfail;
	if (o->verbose)
		srv_log("serving %u LUN%s on %s", S.nluns,
			S.nluns == 1 ? "" : "s", o->socket);
	if (vu_loop_run(S.loop)) {
		srv_log("event loop: %s", strerror(errno));
		goto out;
	}
	status = 0;
	goto out;
loopfail:
	srv_log("cannot watch the sockets: %s", strerror(errno));
out:
	/* stop every connection: in-flight I/O completes first */
	{
		struct conn *c;

		for (c = S.conns; c; c = c->next) {
			pthread_mutex_lock(&c->mu);
			c->stop = 1;
			pthread_mutex_unlock(&c->mu);
			vu_eventfd_signal(c->wake);
		}
		while (S.conns) {
			c = S.conns;
			pthread_join(c->thr, NULL);
			S.conns = c->next;
			conn_free(c);
		}
	}
	while (S.clients)
		ctl_client_close(&S, S.clients);
	if (S.lfd >= 0) {
		close(S.lfd);
		srv_unlink(o->socket);
	}
	if (S.cfd >= 0) {
		close(S.cfd);
		srv_unlink(o->ctl);
	}
	if (S.sfd >= 0)
		close(S.sfd);
	if (S.reap_fd >= 0)
		close(S.reap_fd);
	vu_loop_free(S.loop);
	while (S.luns) {
		struct lun_ent *e = S.luns;

		S.luns = e->next;
		free(e);
	}
	emu_destroy(S.reg);
	return status;
}
