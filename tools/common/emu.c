/*
 * emu: the device core. Requests come in through emu_submit(), enter their
 * LUN's task set (SAM-5 8.6, task attributes), pass the checks every command
 * gets (unit attention, operation code, reserved CDB bits, medium state,
 * write protection), take their LBA range lock and execute; results wait in
 * the done queue until emu_process() calls the callbacks.
 *
 * Everything moves through one run queue drained by emu_run(), so that no
 * state change ever recurses into another command's execution.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "emu_int.h"
#include "vscsi/sense.h"

/* ------------------------------------------------------------ sense */

uint32_t emu_sense_build(const emu_sense *s, int desc, uint8_t *buf,
			 size_t len)
{
	vscsi_sense_info si;
	int n;

	vscsi_sense_init(&si, desc, s->key, (uint8_t)(s->code >> 8),
			 (uint8_t)s->code);
	if (s->has_info)
		vscsi_sense_set_info(&si, s->info);
	if (s->has_fp)
		vscsi_sense_set_field_pointer(&si, s->fp_cd, s->fp_byte,
					      s->fp_bit > 7 ? -1 : s->fp_bit);
	n = vscsi_sense_build(&si, buf, len);
	return n > 0 ? (uint32_t)n : 0;
}

/* ------------------------------------------------------------ queues */

static void dev_kick(emu_dev *dev)
{
	uint64_t one = 1;

	if (dev->kicked || dev->no_kick)
		return;
	dev->kicked = true;
	if (write(dev->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write per read */
	}
}

void emu_done_push(emu_dev *dev, emu_qitem *q)
{
	emu_list_add_tail(&dev->done, &q->link);
	dev_kick(dev);
}

static void runq_push(emu_dev *dev, emu_cmd *c)
{
	emu_list_add_tail(&dev->runq, &c->q.link);
}

/* ------------------------------------------------------------ UA */

void emu_ua_add(emu_lun *l, uint16_t code)
{
	unsigned i;

	/* a reset or power-on condition replaces what was pending
	 * (SPC-5 5.14: it reports the more important event) */
	if ((code >> 8) == 0x29)
		l->n_ua = 0;
	for (i = 0; i < l->n_ua; i++)
		if (l->ua[i] == code)
			return;
	if (l->n_ua == EMU_MAX_UA)
		return;
	l->ua[l->n_ua++] = code;
}

void emu_ua_clear(emu_lun *l)
{
	l->n_ua = 0;
}

bool emu_ua_take(emu_lun *l, uint16_t *code)
{
	if (!l->n_ua)
		return false;
	*code = l->ua[0];
	memmove(l->ua, l->ua + 1, (l->n_ua - 1) * sizeof(l->ua[0]));
	l->n_ua--;
	return true;
}

void emu_dev_event(emu_dev *dev, uint32_t event, uint8_t target,
		   uint16_t lun, uint32_t reason)
{
	vscsi_event ev;

	if (!dev->ops.event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.lun.raw[0] = 1;
	ev.lun.raw[1] = target;
	if (lun < 256) {
		ev.lun.raw[3] = (uint8_t)lun;
	} else {
		ev.lun.raw[2] = (uint8_t)(0x40 | (lun >> 8));
		ev.lun.raw[3] = (uint8_t)lun;
	}
	ev.lun.kind = VSCSI_LUN_NORMAL;
	ev.lun.target = target;
	ev.lun.lun = lun;
	ev.reason = reason;
	dev->ops.event(dev->ops.arg, &ev);
}

/* ------------------------------------------------------------ results */

void emu_cmd_check(emu_cmd *c, const emu_sense *s)
{
	int desc = c->lun ? c->lun->mode.d_sense : 0;

	c->res.status = EMU_CHECK_CONDITION;
	c->res.sense_len = emu_sense_build(s, desc, c->res.sense,
					   sizeof(c->res.sense));
	emu_cmd_finish(c);
}

void emu_cmd_fail(emu_cmd *c, uint8_t key, uint16_t code)
{
	emu_sense s;

	memset(&s, 0, sizeof(s));
	s.key = key;
	s.code = code;
	emu_cmd_check(c, &s);
}

static void cmd_bad(emu_cmd *c, uint16_t code, int cd, unsigned byte,
		    unsigned bit)
{
	emu_sense s;

	memset(&s, 0, sizeof(s));
	s.key = SK_ILLEGAL_REQUEST;
	s.code = code;
	s.has_fp = 1;
	s.fp_cd = (uint8_t)cd;
	s.fp_byte = (uint16_t)byte;
	s.fp_bit = (uint8_t)bit;
	emu_cmd_check(c, &s);
}

void emu_cmd_bad_field(emu_cmd *c, unsigned byte, unsigned bit)
{
	cmd_bad(c, ASC_INVALID_FIELD_CDB, 1, byte, bit);
}

void emu_cmd_bad_param(emu_cmd *c, unsigned byte, unsigned bit)
{
	cmd_bad(c, ASC_INVALID_FIELD_PARAM, 0, byte, bit);
}

void emu_cmd_good(emu_cmd *c)
{
	c->res.status = EMU_GOOD;
	emu_cmd_finish(c);
}

void emu_cmd_data_in(emu_cmd *c, const void *buf, size_t len, uint64_t alloc)
{
	uint64_t n = len;

	if (n > alloc)
		n = alloc;
	if (n > c->din_len)
		n = c->din_len;
	c->res.data_in_len = (uint32_t)vscsi_iov_scatter(c->din, c->din_cnt, 0,
							 buf, (size_t)n);
	emu_cmd_good(c);
}

size_t emu_dout_gather(const emu_cmd *c, size_t off, void *dst, size_t len)
{
	return vscsi_iov_gather(c->dout, c->dout_cnt, off, dst, len);
}

/* ------------------------------------------------------------ ordering */

static bool overlap(const emu_cmd *a, const emu_cmd *b)
{
	return a->r_lba <= b->r_last && b->r_lba <= a->r_last;
}

/* An older command holds or awaits a range that c may not share. */
static bool range_conflict(emu_lun *l, emu_cmd *c)
{
	emu_link *n;

	if (!c->excl && l->n_excl == 0)
		return false;
	for (n = l->cmds.next; n != &c->node; n = n->next) {
		emu_cmd *o = emu_container(n, emu_cmd, node);

		if (o->range_held && (o->excl || c->excl) && overlap(o, c))
			return true;
	}
	return false;
}

/*
 * Enable what the task attributes now allow (SAM-5 8.6.3): SIMPLE once no
 * older ORDERED or HEAD OF QUEUE command is left, ORDERED once no older
 * command is left; then start range waiters that no older command blocks.
 * Only moves commands to the run queue.
 */
static void lun_scan(emu_lun *l)
{
	emu_dev *dev = l->dev;
	bool older = false, older_oh = false;
	emu_link *n;

	if (l->n_blocked) {
		for (n = l->cmds.next; n != &l->cmds; n = n->next) {
			emu_cmd *c = emu_container(n, emu_cmd, node);

			if (c->state == CS_BLOCKED &&
			    (c->attr == VSCSI_TASK_SIMPLE ? !older_oh : !older)) {
				c->state = CS_START;
				l->n_blocked--;
				runq_push(dev, c);
			}
			older = true;
			if (c->attr != VSCSI_TASK_SIMPLE)
				older_oh = true;
		}
	}
	if (l->n_rangewait) {
		for (n = l->cmds.next; n != &l->cmds; n = n->next) {
			emu_cmd *c = emu_container(n, emu_cmd, node);

			if (c->state == CS_RANGE && !range_conflict(l, c)) {
				c->state = dev->frozen ? CS_FROZEN : CS_EXEC;
				l->n_rangewait--;
				emu_list_add_tail(dev->frozen ? &dev->frozen_q
							      : &dev->runq,
						  &c->q.link);
			}
		}
	}
}

/* Take c out of its LUN's task set. */
static void lun_leave(emu_cmd *c)
{
	emu_lun *l = c->lun;

	if (!l)
		return;
	emu_list_del(&c->node);
	l->n_active--;
	if (c->attr != VSCSI_TASK_SIMPLE)
		l->n_oh--;
	if (c->state == CS_BLOCKED)
		l->n_blocked--;
	if (c->state == CS_RANGE)
		l->n_rangewait--;
	if (c->range_held && c->excl)
		l->n_excl--;
	c->range_held = false;
	if (l->n_blocked || l->n_rangewait)
		lun_scan(l);
	c->lun = NULL;
	emu_lun_put(l);
}

void emu_cmd_finish(emu_cmd *c)
{
	emu_dev *dev = c->dev;
	emu_result *r = &c->res;
	uint64_t resid;

	if (c->state == CS_DONE)
		return;
	if (c->killed) {
		r->response = c->killed;
		r->status = 0;
		r->sense_len = 0;
		r->data_in_len = 0;
		c->dout_used = 0;
	}
	if (c->din_cnt)
		resid = c->din_len - r->data_in_len;
	else
		resid = c->dout_len - c->dout_used;
	r->resid = resid > UINT32_MAX ? UINT32_MAX : (uint32_t)resid;
	lun_leave(c);
	c->state = CS_DONE;
	emu_done_push(dev, &c->q);
	if (c->tmf)
		emu_tmf_cmd_released(c);
}

/* ------------------------------------------------------------ commands */

static emu_cmd *cmd_alloc(emu_dev *dev)
{
	emu_cmd *c;

	if (!emu_list_empty(&dev->free)) {
		c = emu_container(dev->free.next, emu_cmd, q.link);
		emu_list_del(&c->q.link);
	} else {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		dev->n_cmds++;
	}
	memset(c, 0, sizeof(*c));
	c->dev = dev;
	emu_list_init(&c->node);
	emu_list_init(&c->q.link);
	c->work = c->work_inline;
	c->work_cap = EMU_IOV_INLINE;
	return c;
}

static void cmd_free(emu_cmd *c)
{
	emu_dev *dev = c->dev;

	emu_io_cmd_free(c);
	free(c->iov_heap);
	c->iov_heap = NULL;
	c->state = CS_FREE;
	emu_list_add_tail(&dev->free, &c->q.link);
}

static bool cmd_copy_iov(emu_cmd *c, const emu_request *req)
{
	unsigned n = req->din_cnt + req->dout_cnt;
	struct iovec *v = c->iov_store;

	if (n > EMU_IOV_INLINE) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return false;
		c->iov_heap = v;
	}
	if (req->dout_cnt)
		memcpy(v, req->dout, req->dout_cnt * sizeof(*v));
	if (req->din_cnt)
		memcpy(v + req->dout_cnt, req->din, req->din_cnt * sizeof(*v));
	c->dout = v;
	c->dout_cnt = req->dout_cnt;
	c->dout_len = vscsi_iov_len(c->dout, c->dout_cnt);
	c->din = v + req->dout_cnt;
	c->din_cnt = req->din_cnt;
	c->din_len = vscsi_iov_len(c->din, c->din_cnt);
	return true;
}

static unsigned lun_set(const emu_cmd *c)
{
	if (c->lunless == EMU_NOLUN_WLUN)
		return EMU_DEF_WLUN;
	if (c->lun && (c->lun->flags & EMU_LUN_CDROM))
		return EMU_DEF_CD;
	return EMU_DEF_DISK;
}

/* Reserved bits: every CDB bit the row does not accept is an invalid field
 * (SPC-5 4.2.3: reserved fields shall be zero; the bit pointer names the
 * highest offending bit). */
static bool cdb_check_usage(emu_cmd *c)
{
	const emu_cmd_def *d = c->def;
	unsigned i;

	for (i = 1; i < d->cdb_len; i++) {
		unsigned bad = c->cdb[i] & ~d->usage[i] & 0xffu;
		unsigned bit = 7;

		if (!bad)
			continue;
		while (!(bad & (1u << bit)))
			bit--;
		emu_cmd_bad_field(c, i, bit);
		return false;
	}
	return true;
}

/* Checks common to all commands, in SPC-5's order; false when c failed. */
static bool cmd_checks(emu_cmd *c)
{
	emu_lun *l = c->lun;
	bool sa_bad = false;
	uint16_t ua;

	c->def = emu_cmd_lookup(lun_set(c), c->cdb, c->cdb_len, &sa_bad);
	if (l && !(c->def && (c->def->flags & EMU_DEF_NO_UA)) &&
	    emu_ua_take(l, &ua)) {
		emu_cmd_fail(c, SK_UNIT_ATTENTION, ua);
		return false;
	}
	if (!c->def) {
		if (sa_bad)
			emu_cmd_bad_field(c, 1, 4);
		else
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return false;
	}
	if (c->cdb_len < c->def->cdb_len) {
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return false;
	}
	if (!cdb_check_usage(c))
		return false;
	if (l && (c->def->flags & EMU_DEF_MEDIUM)) {
		if (l->no_medium) {
			emu_cmd_fail(c, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
			return false;
		}
		if (l->stopped) {
			emu_cmd_fail(c, SK_NOT_READY,
				     ASC_NOT_READY_INIT_REQUIRED);
			return false;
		}
	}
	if (l && (c->def->flags & EMU_DEF_WRITE) && (l->flags & EMU_LUN_RO)) {
		emu_cmd_fail(c, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return false;
	}
	return true;
}

static void cmd_exec(emu_cmd *c)
{
	c->state = CS_RUN;
	c->def->exec(c);
}

static void cmd_start(emu_cmd *c)
{
	emu_dev *dev = c->dev;
	emu_lun *l = c->lun;

	c->state = CS_RUN;	/* checks may finish it */
	if (!cmd_checks(c))
		return;
	if (c->def->prep && !c->def->prep(c))
		return;
	if (c->has_range) {
		c->range_held = true;
		if (c->excl)
			l->n_excl++;
		if (range_conflict(l, c)) {
			c->state = CS_RANGE;
			l->n_rangewait++;
			return;
		}
	}
	if (dev->frozen) {
		c->state = CS_FROZEN;
		emu_list_add_tail(&dev->frozen_q, &c->q.link);
		return;
	}
	cmd_exec(c);
}

void emu_run(emu_dev *dev)
{
	if (dev->running)
		return;
	dev->running = true;
	while (!emu_list_empty(&dev->runq)) {
		emu_cmd *c = emu_container(dev->runq.next, emu_cmd, q.link);

		emu_list_del(&c->q.link);
		if (c->state == CS_START)
			cmd_start(c);
		else if (c->state == CS_EXEC)
			cmd_exec(c);
	}
	dev->running = false;
}

/* A command with no task set: missing LUN or the REPORT LUNS well-known LU
 * (SPC-5 5.11 / 8.2). Runs at once. */
static void cmd_lunless(emu_cmd *c)
{
	uint8_t op = c->cdb[0];

	c->state = CS_RUN;
	if (c->lunless == EMU_NOLUN_MISSING) {
		/* INQUIRY answers peripheral qualifier 3, REPORT LUNS the
		 * target's inventory, REQUEST SENSE the reason as data */
		if (op != 0x12 && op != 0xa0 && op != 0x03) {
			emu_cmd_fail(c, SK_ILLEGAL_REQUEST,
				     ASC_LUN_NOT_SUPPORTED);
			return;
		}
	}
	if (!cmd_checks(c))
		return;
	if (c->def->prep && !c->def->prep(c))
		return;
	c->def->exec(c);
}

int emu_submit(emu_dev *dev, const emu_request *req, void *opaque)
{
	emu_cmd *c;
	emu_lun *l = NULL;
	size_t n;

	if (!dev || !req || !req->cdb || !req->cdb_len ||
	    (req->din_cnt && !req->din) || (req->dout_cnt && !req->dout))
		return VSCSI_ERR_ARG;
	c = cmd_alloc(dev);
	if (!c)
		return VSCSI_ERR_NOMEM;
	if (!cmd_copy_iov(c, req)) {
		cmd_free(c);
		return VSCSI_ERR_NOMEM;
	}
	c->opaque = opaque;
	c->tag = req->tag;
	c->attr = req->task_attr;
	n = req->cdb_len < EMU_CDB_MAX ? req->cdb_len : EMU_CDB_MAX;
	memcpy(c->cdb, req->cdb, n);
	c->cdb_len = (uint8_t)n;
	c->target = req->lun.target;
	c->res.response = VSCSI_S_OK;
	dev->inflight++;
	dev->stats.cmds++;

	if (req->lun.kind == VSCSI_LUN_NORMAL)
		l = emu_lun_find(dev, req->lun.target, req->lun.lun);
	if (req->lun.kind == VSCSI_LUN_MALFORMED ||
	    !emu_target_exists(dev, req->lun.target)) {
		c->res.response = VSCSI_S_BAD_TARGET;
		c->state = CS_RUN;
		emu_cmd_finish(c);
		goto out;
	}
	if (!l) {
		c->lunless = req->lun.kind == VSCSI_LUN_REPORT_LUNS
				     ? EMU_NOLUN_WLUN
				     : EMU_NOLUN_MISSING;
		cmd_lunless(c);
		goto out;
	}
	if (c->attr > VSCSI_TASK_HEAD) {
		/* ACA (or an unknown attribute): no ACA condition can exist
		 * since NACA is refused (SAM-5 5.9); fixed-format sense */
		c->state = CS_RUN;
		emu_cmd_fail(c, SK_ILLEGAL_REQUEST, ASC_INVALID_MESSAGE);
		goto out;
	}

	/* enter the task set */
	c->lun = l;
	l->refs++;
	emu_list_add_tail(&l->cmds, &c->node);
	if ((c->attr == VSCSI_TASK_SIMPLE && l->n_oh == 0) ||
	    (c->attr == VSCSI_TASK_ORDERED && l->n_active == 0) ||
	    c->attr == VSCSI_TASK_HEAD) {
		c->state = CS_START;
		runq_push(dev, c);
	} else {
		c->state = CS_BLOCKED;
		l->n_blocked++;
	}
	l->n_active++;
	if (c->attr != VSCSI_TASK_SIMPLE)
		l->n_oh++;
	emu_run(dev);
out:
	emu_io_flush(dev);
	return VSCSI_OK;
}

/* ------------------------------------------------------------ device */

int emu_create(const emu_ops *ops, emu_dev **out)
{
	emu_dev *dev;

	if (!ops || !out || !ops->cmd_done || !ops->tmf_done)
		return VSCSI_ERR_ARG;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return VSCSI_ERR_NOMEM;
	dev->ops = *ops;
	emu_list_init(&dev->luns);
	emu_list_init(&dev->runq);
	emu_list_init(&dev->frozen_q);
	emu_list_init(&dev->done);
	emu_list_init(&dev->sqe_wait);
	emu_list_init(&dev->free);
	dev->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->efd < 0) {
		free(dev);
		return VSCSI_ERR_IO;
	}
	emu_io_init(dev);
	*out = dev;
	return VSCSI_OK;
}

void emu_destroy(emu_dev *dev)
{
	emu_link *n;

	if (!dev)
		return;
	dev->frozen = false;
	emu_freeze(dev, 0);
	emu_drain(dev);
	while (!emu_list_empty(&dev->luns)) {
		emu_lun *l = emu_container(dev->luns.next, emu_lun, node);

		/* no unit attentions, no events: the device goes away */
		emu_list_del(&l->node);
		l->removed = true;
		emu_lun_put(l);
	}
	while (!emu_list_empty(&dev->free)) {
		n = dev->free.next;
		emu_list_del(n);
		free(emu_container(n, emu_cmd, q.link));
	}
	emu_io_fini(dev);
	close(dev->efd);
	free(dev);
}

int emu_fd(const emu_dev *dev)
{
	return dev->efd;
}

unsigned emu_inflight(const emu_dev *dev)
{
	return dev->inflight;
}

/* Call back what is in the done queue now (not what callbacks add). */
static int deliver(emu_dev *dev)
{
	emu_link *last = dev->done.prev;
	int count = 0;

	while (!emu_list_empty(&dev->done)) {
		emu_link *n = dev->done.next;
		emu_qitem *q = emu_container(n, emu_qitem, link);
		bool was_last = n == last;

		emu_list_del(n);
		dev->inflight--;
		count++;
		if (q->is_tmf) {
			emu_tmfreq *t = emu_container(q, emu_tmfreq, q);

			dev->ops.tmf_done(dev->ops.arg, t->opaque, t->response);
			free(t);
		} else {
			emu_cmd *c = emu_container(q, emu_cmd, q);

			dev->ops.cmd_done(dev->ops.arg, c->opaque, &c->res);
			cmd_free(c);
		}
		if (was_last)
			break;
	}
	return count;
}

int emu_process(emu_dev *dev)
{
	uint64_t v;
	int count;

	/* the fd is read only when something signalled it: a kick, or
	 * io_uring (a CQE); what completes after the read signals again */
	if (emu_io_reap(dev) || dev->kicked) {
		if (read(dev->efd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nothing was signalled */
		}
		dev->kicked = false;
		emu_io_reap(dev);
	}
	emu_run(dev);
	emu_io_flush(dev);
	count = deliver(dev);
	emu_io_flush(dev);
	if (!emu_list_empty(&dev->done))
		dev_kick(dev);
	return count;
}

int emu_drain(emu_dev *dev)
{
	for (;;) {
		emu_process(dev);
		if (!dev->inflight)
			return VSCSI_OK;
		if (!emu_list_empty(&dev->done))
			continue;
		if (!emu_io_wait(dev)) {
			if (emu_list_empty(&dev->done))
				return VSCSI_ERR_ARG;	/* frozen */
		}
	}
}

void emu_set_kick(emu_dev *dev, int on)
{
	dev->no_kick = !on;
}

bool emu_pending(const emu_dev *dev)
{
	return !emu_list_empty(&dev->done);
}

void emu_freeze(emu_dev *dev, int on)
{
	if (on) {
		dev->frozen = true;
		return;
	}
	dev->frozen = false;
	while (!emu_list_empty(&dev->frozen_q)) {
		emu_cmd *c = emu_container(dev->frozen_q.next, emu_cmd, q.link);

		emu_list_del(&c->q.link);
		c->state = CS_EXEC;
		runq_push(dev, c);
	}
	emu_run(dev);
	emu_io_flush(dev);
}

/* ------------------------------------------------------------ sync */

/* The done-queue entry of the command whose opaque is key, or NULL. */
static emu_cmd *done_find(emu_dev *dev, const void *key)
{
	emu_link *n;

	for (n = dev->done.next; n != &dev->done; n = n->next) {
		emu_qitem *q = emu_container(n, emu_qitem, link);

		if (!q->is_tmf && emu_container(q, emu_cmd, q)->opaque == key)
			return emu_container(q, emu_cmd, q);
	}
	return NULL;
}

int emu_exec_sync(emu_dev *dev, const emu_request *req, emu_result *res)
{
	emu_cmd *c;
	char key;	/* a unique opaque: its address */
	int rc;

	if (!dev || !res || dev->frozen)
		return VSCSI_ERR_ARG;
	rc = emu_submit(dev, req, &key);
	if (rc < 0)
		return rc;
	/* our own result is taken from the done queue; the callbacks of
	 * other commands stay queued for emu_process() */
	while (!(c = done_find(dev, &key))) {
		emu_io_reap(dev);
		emu_run(dev);
		emu_io_flush(dev);
		if (!done_find(dev, &key) && !emu_io_wait(dev))
			return VSCSI_ERR_ARG;	/* frozen: it cannot finish */
	}
	emu_list_del(&c->q.link);
	dev->inflight--;
	*res = c->res;
	cmd_free(c);
	if (emu_list_empty(&dev->done) && dev->kicked) {
		uint64_t v;

		if (read(dev->efd, &v, sizeof(v)) < 0) {
			/* already clear */
		}
		dev->kicked = false;
	}
	return VSCSI_OK;
}

void emu_get_stats(const emu_dev *dev, emu_stats *out)
{
	*out = dev->stats;
}

const char *emu_io_mode_name(unsigned mode)
{
	switch (mode) {
	case EMU_IO_AUTO:
		return "auto";
	case EMU_IO_INLINE:
		return "inline";
	case EMU_IO_URING:
		return "uring";
	}
	return "?";
}
