/*
 * replay_emu: the built-in target, the SCSI emulation over the --lun files
 * (the one --serve runs).
 *
 * Each recorded connection gets an emulation of its own, as each guest of
 * --serve does (its own unit attentions, task sets and mode pages), all
 * over the same files. The replay holds an exclusive flock(2) on every file
 * for its whole run and opens the LUNs with EMU_NO_LOCK: a file that a
 * running --serve holds (shared) is refused, and a --serve started on a
 * file the replay holds is refused too.
 *
 * AN requests are answered as --serve answers them: OK, no event class.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "replay_int.h"

typedef struct re_target {
	rp_target base;
	emu_dev *dev[RP_MAX_CONNS];
	unsigned ndev;
	int *lock_fd;
	unsigned nlock;
	struct pollfd pfd[RP_MAX_CONNS];
	rp_slot **ready;	/* answered at once (AN), delivered in wait */
	uint32_t *ready_resp;
	size_t nready, capready;
	unsigned kind[RP_MAX_CONNS];
} re_target;

static void re_sense(rp_res *res, const uint8_t *sense, uint32_t len)
{
	vscsi_sense_info si;

	if (len > sizeof(res->sense))
		len = sizeof(res->sense);
	memcpy(res->sense, sense, len);
	res->sense_len = (uint16_t)len;
	if (len && vscsi_sense_decode(sense, len, &si) == VSCSI_OK &&
	    !si.incomplete) {
		res->has_sense = 1;
		res->key = si.key;
		res->asc = si.asc;
		res->ascq = si.ascq;
	}
}

static void re_cmd_done(void *arg, void *opaque, const emu_result *er)
{
	re_target *t = arg;
	rp_slot *s = opaque;
	rp_res res;

	memset(&res, 0, sizeof(res));
	res.response = er->response;
	res.status = er->status;
	res.resid = er->resid;
	res.din_len = er->data_in_len;
	if (er->sense_len)
		re_sense(&res, er->sense, er->sense_len);
	if (res.din_len) {
		res.din = s->din;
		res.din_digest = rp_hash(s->din, res.din_len);
	}
	rp_complete(t->base.r, s, &res);
}

static void re_tmf_done(void *arg, void *opaque, uint8_t response)
{
	re_target *t = arg;
	rp_res res;

	memset(&res, 0, sizeof(res));
	res.response = response;
	rp_complete(t->base.r, opaque, &res);
}

static int re_cmd(rp_target *bt, const rp_op *op, rp_slot *s)
{
	re_target *t = (re_target *)bt;
	struct iovec dout, din;
	emu_request er;

	memset(&er, 0, sizeof(er));
	vscsi_lun_decode(s->lun, &er.lun);
	er.tag = op->tag;
	er.task_attr = op->task_attr;
	er.cdb = op->cdb;
	er.cdb_len = op->cdb_len;
	if (op->dout_len) {
		dout.iov_base = s->dout;
		dout.iov_len = op->dout_len;
		er.dout = &dout;
		er.dout_cnt = 1;
	}
	if (op->din_alloc) {
		din.iov_base = s->din;
		din.iov_len = op->din_alloc;
		er.din = &din;
		er.din_cnt = 1;
	}
	return emu_submit(t->dev[op->conn], &er, s);
}

static int re_tmf(rp_target *bt, const rp_op *op, rp_slot *s)
{
	re_target *t = (re_target *)bt;
	vscsi_lun lun;

	vscsi_lun_decode(s->lun, &lun);
	return emu_tmf(t->dev[op->conn], &lun, op->arg, op->tag, s);
}

static int re_an(rp_target *bt, const rp_op *op, rp_slot *s)
{
	re_target *t = (re_target *)bt;

	(void)op;
	if (t->nready == t->capready) {
		size_t n = t->capready ? t->capready * 2 : 16;
		rp_slot **q = realloc(t->ready, n * sizeof(*q));

		if (!q)
			return VSCSI_ERR_NOMEM;
		t->ready = q;
		t->capready = n;
	}
	t->ready[t->nready++] = s;
	return VSCSI_OK;
}

static int re_reap(re_target *t)
{
	int n = 0;
	unsigned i;

	if (t->nready) {
		size_t k, m = t->nready;

		t->nready = 0;
		for (k = 0; k < m; k++) {
			rp_res res;

			memset(&res, 0, sizeof(res));
			res.response = VSCSI_S_OK;
			res.event_actual = 0;
			rp_complete(t->base.r, t->ready[k], &res);
			n++;
		}
	}
	for (i = 0; i < t->ndev; i++)
		while (emu_pending(t->dev[i])) {
			int k = emu_process(t->dev[i]);

			if (k <= 0)
				break;
			n += k;
		}
	return n;
}

static int re_wait(rp_target *bt, int64_t timeout_ns)
{
	re_target *t = (re_target *)bt;
	struct timespec ts, *tp = NULL;
	unsigned i;
	int n;

	n = re_reap(t);
	if (n || timeout_ns == 0)
		return n;
	if (timeout_ns > 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		tp = &ts;
	}
	for (i = 0; i < t->ndev; i++) {
		t->pfd[i].fd = emu_fd(t->dev[i]);
		t->pfd[i].events = POLLIN;
		t->pfd[i].revents = 0;
	}
	if (ppoll(t->pfd, t->ndev, tp, NULL) < 0 && errno != EINTR)
		return VSCSI_ERR_IO;
	for (i = 0; i < t->ndev; i++)
		if (t->pfd[i].revents) {
			int k = emu_process(t->dev[i]);

			if (k > 0)
				n += k;
		}
	return n + re_reap(t);
}

static int64_t re_granularity(const rp_target *t)
{
	(void)t;
	return 60000;	/* a wake-up from ppoll is this late, or less */
}

static void re_close(rp_target *bt)
{
	re_target *t = (re_target *)bt;
	unsigned i;

	re_reap(t);
	for (i = 0; i < t->ndev; i++)
		emu_destroy(t->dev[i]);	/* completes what is in flight */
	t->ndev = 0;
	re_reap(t);
	for (i = 0; i < t->nlock; i++)
		if (t->lock_fd[i] >= 0)
			close(t->lock_fd[i]);
	free(t->lock_fd);
	free(t->ready);
	free(t);
}

static const rp_target_vt re_vt = {
	.name = "emulation",
	.cmd = re_cmd,
	.tmf = re_tmf,
	.an = re_an,
	.wait = re_wait,
	.granularity = re_granularity,
	.close = re_close,
};

/* Take the exclusive lock on path (one fd per distinct file). */
static int re_lock(re_target *t, const char *path, char *err, size_t errlen)
{
	struct stat st;
	unsigned i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VSCSI_ERR_IO;
	}
	/* the same file under two names: locked once */
	for (i = 0; i < t->nlock; i++) {
		struct stat o;

		if (fstat(t->lock_fd[i], &o) == 0 && o.st_dev == st.st_dev &&
		    o.st_ino == st.st_ino) {
			close(fd);
			return VSCSI_OK;
		}
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		snprintf(err, errlen, "%s: in use by another program (a "
			 "running vscsi-replay --serve, or another replay); "
			 "refusing to replay onto it", path);
		close(fd);
		return VSCSI_ERR_IO;
	}
	t->lock_fd[t->nlock++] = fd;
	return VSCSI_OK;
}

int rp_emu_open(replay *r, rp_target **out, char *err, size_t errlen)
{
	const replay_opts *o = r->o;
	emu_ops ops;
	re_target *t;
	unsigned i, c, nconn = r->plan.nconns ? r->plan.nconns : 1;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return VSCSI_ERR_NOMEM;
	t->base.vt = &re_vt;
	t->base.r = r;
	t->lock_fd = calloc(o->nluns ? o->nluns : 1, sizeof(int));
	if (!t->lock_fd) {
		free(t);
		return VSCSI_ERR_NOMEM;
	}
	memset(&ops, 0, sizeof(ops));
	ops.cmd_done = re_cmd_done;
	ops.tmf_done = re_tmf_done;
	ops.arg = t;
	for (i = 0; i < o->nluns; i++) {
		emu_lun_cfg cfg;

		rc = emu_lun_parse(o->luns[i], &cfg, err, errlen);
		/* a lane's emulation: lane 0 holds the locks */
		if (!rc && !r->lane_id)
			rc = re_lock(t, cfg.path, err, errlen);
		if (rc)
			goto fail;
	}
	for (c = 0; c < nconn; c++) {
		rc = emu_create(&ops, &t->dev[c]);
		if (rc) {
			snprintf(err, errlen, "the emulation: %s",
				 vscsi_strerror(rc));
			goto fail;
		}
		t->ndev++;
		emu_set_kick(t->dev[c], 0);
		for (i = 0; i < o->nluns; i++) {
			emu_lun_cfg cfg;
			char e[512];

			emu_lun_parse(o->luns[i], &cfg, NULL, 0);
			rc = emu_lun_add(t->dev[c], &cfg, EMU_NO_LOCK, e,
					 sizeof(e));
			if (rc) {
				snprintf(err, errlen, "--lun %s: %s", o->luns[i],
					 e);
				goto fail;
			}
		}
	}
	snprintf(r->target_buf, sizeof(r->target_buf),
		 "the built-in emulation (%u LUN%s%s)", o->nluns,
		 o->nluns == 1 ? "" : "s",
		 nconn > 1 ? ", one initiator per recorded connection" : "");
	r->target_desc = r->target_buf;
	*out = &t->base;
	return VSCSI_OK;
fail:
	re_close(&t->base);
	return rc ? rc : VSCSI_ERR_IO;
}
