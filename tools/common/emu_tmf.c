/*
 * emu_tmf: task management functions (SAM-5 7, virtio 5.6.6.2). The
 * commands a TMF aborts complete (ABORTED or RESET) before the TMF does;
 * the ones whose I/O is in the kernel are waited for (their data buffers
 * are not touched after the TMF completes).
 */
#include <stdlib.h>
#include <string.h>

#include "emu_int.h"

typedef struct tmf_ext {
	emu_tmfreq t;
	struct tmf_ext *chained;	/* a later TMF waiting for this one */
} tmf_ext;

static void tmf_complete(emu_dev *dev, emu_tmfreq *t)
{
	tmf_ext *x = (tmf_ext *)t;

	emu_done_push(dev, &t->q);
	if (x->chained) {
		emu_tmfreq *n = &x->chained->t;

		x->chained = NULL;
		if (--n->waiting == 0)
			tmf_complete(dev, n);
	}
}

void emu_tmf_cmd_released(emu_cmd *c)
{
	emu_tmfreq *t = c->tmf;

	c->tmf = NULL;
	if (--t->waiting == 0)
		tmf_complete(c->dev, t);
}

/* Abort or reset one command on behalf of t. */
static void kill_cmd(emu_cmd *c, uint8_t resp, emu_tmfreq *t)
{
	if (c->state == CS_DONE || c->state == CS_FREE)
		return;
	if (c->tmf) {
		/* already killed by an earlier TMF that waits for its I/O:
		 * this one completes after that one */
		tmf_ext *x = (tmf_ext *)c->tmf;

		while (x->chained && x->chained != (tmf_ext *)t)
			x = x->chained;
		if (!x->chained && &x->t != t) {
			x->chained = (tmf_ext *)t;
			t->waiting++;
		}
		return;
	}
	if (!c->killed)
		c->killed = resp;
	switch (c->state) {
	case CS_START:
	case CS_EXEC:
	case CS_FROZEN:
		emu_list_del(&c->q.link);
		emu_cmd_finish(c);
		return;
	case CS_BLOCKED:
	case CS_RANGE:
		emu_cmd_finish(c);
		return;
	case CS_RUN:
		if (c->in_kernel) {
			c->tmf = t;
			t->waiting++;
			return;
		}
		/* waiting for an SQE */
		emu_list_del(&c->q.link);
		emu_cmd_finish(c);
		return;
	}
}

/* Kill every command of l's task set (one: only the one with tag). A
 * command an earlier TMF killed and still waits for makes this TMF wait
 * for that one. Returns how many matched. */
static unsigned kill_set(emu_lun *l, uint8_t resp, emu_tmfreq *t, bool one,
			 uint64_t tag)
{
	emu_link *n;
	unsigned count = 0;

	for (n = l->cmds.next; n != &l->cmds; n = n->next) {
		emu_cmd *c = emu_container(n, emu_cmd, node);

		if (c->killed && c->tmf && (!one || c->tag == tag)) {
			kill_cmd(c, resp, t);
			count++;
		}
	}
	for (;;) {
		emu_cmd *c = NULL;

		for (n = l->cmds.next; n != &l->cmds; n = n->next) {
			emu_cmd *o = emu_container(n, emu_cmd, node);

			if (!o->killed && (!one || o->tag == tag)) {
				c = o;
				break;
			}
		}
		if (!c)
			break;
		kill_cmd(c, resp, t);
		count++;
		if (one)
			break;
	}
	return count;
}

static unsigned count_set(emu_lun *l, bool one, uint64_t tag)
{
	emu_link *n;
	unsigned count = 0;

	for (n = l->cmds.next; n != &l->cmds; n = n->next) {
		emu_cmd *c = emu_container(n, emu_cmd, node);

		if (c->killed)
			continue;
		if (!one || c->tag == tag)
			count++;
	}
	return count;
}

int emu_tmf(emu_dev *dev, const vscsi_lun *lun, uint32_t subtype,
	    uint64_t tag, void *opaque)
{
	tmf_ext *x;
	emu_tmfreq *t;
	emu_lun *l = NULL;
	emu_link *n;

	if (!dev || !lun)
		return VSCSI_ERR_ARG;
	x = calloc(1, sizeof(*x));
	if (!x)
		return VSCSI_ERR_NOMEM;
	t = &x->t;
	t->q.is_tmf = true;
	emu_list_init(&t->q.link);
	t->opaque = opaque;
	t->response = VSCSI_S_FUNCTION_COMPLETE;
	t->waiting = 1;		/* released at the end of this function */
	dev->inflight++;
	dev->stats.tmfs++;

	if (lun->kind == VSCSI_LUN_MALFORMED ||
	    !emu_target_exists(dev, lun->target)) {
		t->response = VSCSI_S_BAD_TARGET;
		goto out;
	}
	if (lun->kind == VSCSI_LUN_NORMAL)
		l = emu_lun_find(dev, lun->target, lun->lun);
	if (!l && subtype != VSCSI_TMF_I_T_NEXUS_RESET &&
	    subtype <= VSCSI_TMF_QUERY_TASK_SET) {
		t->response = VSCSI_S_INCORRECT_LUN;
		goto out;
	}
	switch (subtype) {
	case VSCSI_TMF_ABORT_TASK:
		/* FUNCTION COMPLETE whether or not the task existed */
		kill_set(l, VSCSI_S_ABORTED, t, true, tag);
		break;
	case VSCSI_TMF_ABORT_TASK_SET:
	case VSCSI_TMF_CLEAR_TASK_SET:
		/* one initiator: both abort the whole set, no UA for us
		 * (SAM-5 7.2, 7.4) */
		kill_set(l, VSCSI_S_ABORTED, t, false, 0);
		break;
	case VSCSI_TMF_LOGICAL_UNIT_RESET:
		/* SAM-5 7.7 / 6.3.3 */
		kill_set(l, VSCSI_S_RESET, t, false, 0);
		emu_mode_default(l);
		l->prevent = false;
		emu_ua_add(l, ASC_BUS_DEVICE_RESET);
		break;
	case VSCSI_TMF_I_T_NEXUS_RESET:
		/* SAM-5 7.6: every LUN of the target */
		for (n = dev->luns.next; n != &dev->luns; n = n->next) {
			emu_lun *o = emu_container(n, emu_lun, node);

			if (o->target != lun->target)
				continue;
			kill_set(o, VSCSI_S_RESET, t, false, 0);
			o->prevent = false;
			emu_ua_add(o, ASC_IT_NEXUS_LOSS);
		}
		break;
	case VSCSI_TMF_QUERY_TASK:
		if (count_set(l, true, tag))
			t->response = VSCSI_S_FUNCTION_SUCCEEDED;
		break;
	case VSCSI_TMF_QUERY_TASK_SET:
		if (count_set(l, false, 0))
			t->response = VSCSI_S_FUNCTION_SUCCEEDED;
		break;
	case VSCSI_TMF_CLEAR_ACA:
		/* NACA is refused, so no ACA condition exists: nothing to
		 * clear, the function is complete */
		break;
	default:
		t->response = VSCSI_S_FUNCTION_REJECTED;
		break;
	}
out:
	if (--t->waiting == 0)
		tmf_complete(dev, t);
	emu_run(dev);
	emu_io_flush(dev);
	return VSCSI_OK;
}
