/*
 * report: what a replay did and found, as text (stdout), JSON
 * (--report-json) and JUnit XML (--report-junit), and the plan of a dry
 * run. The JSON members are listed in vscsi-replay(1), REPORTS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

static const char *const rp_skip_name[RP_SKIP_COUNT] = {
	"issue", "filter", "window", "writes", "header cut", "unsupported",
};

static const char *rp_timing_name(const replay_opts *o)
{
	return o->timing == REPLAY_ASAP ? "asap" :
	       o->timing == REPLAY_ORIGINAL ? "original" : "scale";
}

static double rp_secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ------------------------------------------------------------ one op */

size_t rp_fmt_op(const replay *r, uint32_t opi, char *buf, size_t len)
{
	const rp_plan *p = &r->plan;
	const rp_op *op = &p->ops[opi];
	vscsi_fmt_where w;
	size_t n;
	int k;

	memset(&w, 0, sizeof(w));
	w.conn = p->conns[op->conn].id;
	w.vq = op->vq;
	k = snprintf(buf, len, "#%u +%.6fs ", opi + 1,
		     rp_secs(op->ts_ns - p->t_first));
	n = k > 0 ? (size_t)k : 0;
	if (n >= len)
		return n;
	if (op->kind == RP_CMD) {
		vscsi_cmd_req req;

		rp_op_req(p, op, &req);
		n += vscsi_fmt_cmd_req(buf + n, len - n, &w, &req,
				       VSCSI_FMT_NO_TIME);
	} else {
		vscsi_ctrl_req c;

		memset(&c, 0, sizeof(c));
		c.type = op->kind == RP_TMF ? VSCSI_T_TMF : (uint32_t)op->tag;
		c.subtype = op->arg;
		vscsi_lun_decode(op->lun, &c.lun);
		c.tag = op->tag;
		c.event_requested = op->arg;
		n += vscsi_fmt_ctrl_req(buf + n, len - n, &w, &c,
					VSCSI_FMT_NO_TIME);
	}
	return n;
}

/* ------------------------------------------------------------ plan */

void rp_report_plan(replay *r, FILE *f)
{
	const rp_plan *p = &r->plan;
	size_t i, issue = 0;

	fprintf(f, "# vscsi-replay plan of %s: %zu requests and TMFs, "
		"timing %s\n", p->path, p->nops, rp_timing_name(r->o));
	fprintf(f, "# one line each, in the order they are issued: index, "
		"recorded offset, action, the latest\n# request whose "
		"completion it waits for (happens-before), the request\n");
	for (i = 0; i < p->nops; i++) {
		const rp_op *op = &p->ops[i];
		char line[512], dep[32] = "-";

		if (op->dep)
			snprintf(dep, sizeof(dep), "#%u",
				 p->cidx_op[op->dep] + 1);
		rp_fmt_op(r, (uint32_t)i, line, sizeof(line));
		fprintf(f, "%-8s after %-7s %s\n",
			op->skip == RP_ISSUE ? "issue" :
			op->skip == RP_SKIP_WRITE ? "skip:wr" :
			op->skip == RP_SKIP_FILTER ? "skip:-f" :
			op->skip == RP_SKIP_WINDOW ? "skip:win" :
			op->skip == RP_SKIP_CUT ? "skip:cut" : "skip:uns",
			dep, line);
		if (op->skip == RP_ISSUE)
			issue++;
	}
	fprintf(f, "# %zu to issue, %zu skipped", issue, p->nops - issue);
	for (i = 1; i < RP_SKIP_COUNT; i++)
		if (p->skipped[i])
			fprintf(f, ", %llu (%s)", (unsigned long long)p->skipped[i],
				rp_skip_name[i]);
	fprintf(f, "; %llu would change the medium%s\n",
		(unsigned long long)p->writes,
		p->writes && !r->o->write ? " (needs --write)" : "");
}

/* ------------------------------------------------------------ text */

static void rp_dur(char *buf, size_t len, uint64_t ns)
{
	vscsi_fmt_duration(buf, len, ns);
}

static const char *rp_resp_name(unsigned resp, int ctrl)
{
	const char *n = vscsi_vs_response_name(resp, ctrl);

	return n ? n : "?";
}

static void rp_sense_str(char *buf, size_t len, int has, uint8_t key,
			 uint8_t asc, uint8_t ascq)
{
	const char *t;

	if (!has) {
		snprintf(buf, len, "no sense");
		return;
	}
	t = vscsi_asc_lookup(asc, ascq);
	snprintf(buf, len, "%s %02x/%02x%s%s", vscsi_sense_key_name(key), asc,
		 ascq, t ? " " : "", t ? t : "");
}

/* The lines that say what differs in d, each with prefix. */
static void rp_diff_lines(const replay *r, const rp_diff *d, FILE *f,
			  const char *prefix)
{
	const rp_op *op = &r->plan.ops[d->op];
	const rp_res *g = &d->got;
	char a[160], b[160];

	if (d->kinds & (1u << RP_D_ERROR))
		fprintf(f, "%serror: the target could not take or answer it "
			"(%s)\n", prefix, vscsi_strerror(g->err));
	if (d->kinds & (1u << RP_D_RESPONSE))
		fprintf(f, "%sresponse: recorded %s, replayed %s\n", prefix,
			rp_resp_name(op->r_response, 0),
			rp_resp_name(g->response, 0));
	if (d->kinds & (1u << RP_D_TMF))
		fprintf(f, "%sTMF response: recorded %s, replayed %s\n", prefix,
			rp_resp_name(op->r_response, 1),
			rp_resp_name(g->response, 1));
	if (d->kinds & (1u << RP_D_AN))
		fprintf(f, "%sAN: recorded %s event_actual %#x, replayed %s "
			"event_actual %#x\n", prefix,
			rp_resp_name(op->r_response, 1), op->r_event_actual,
			rp_resp_name(g->response, 1), g->event_actual);
	if (d->kinds & ((1u << RP_D_STATUS) | (1u << RP_D_SENSE))) {
		rp_sense_str(a, sizeof(a), (op->flags & RP_OPF_SENSE) != 0,
			     op->r_key, op->r_asc, op->r_ascq);
		rp_sense_str(b, sizeof(b), g->has_sense, g->key, g->asc,
			     g->ascq);
		fprintf(f, "%sstatus: recorded %s (%s), replayed %s (%s)\n",
			prefix, vscsi_status_name(op->r_status), a,
			vscsi_status_name(g->status), b);
	}
	if (d->kinds & (1u << RP_D_RESID))
		fprintf(f, "%sresidual: recorded %u, replayed %u\n", prefix,
			op->r_resid, g->resid);
	if (d->kinds & (1u << RP_D_DIN_LEN))
		fprintf(f, "%sdata-in: recorded %u bytes, replayed %u\n", prefix,
			op->r_din_len, g->din_len);
	if (d->kinds & (1u << RP_D_DIN)) {
		fprintf(f, "%sdata-in: %u bytes, digest recorded %016llx, "
			"replayed %016llx", prefix, g->din_len,
			(unsigned long long)op->r_din_digest,
			(unsigned long long)g->din_digest);
		if (d->note == RP_NOTE_PREDATES)
			fprintf(f, " (the data is older than the capture: is "
				"the image the one recorded?)");
		else if (d->note == RP_NOTE_DIVERGED)
			fprintf(f, " (the data was written by #%u, which "
				"differed)", d->note_op + 1);
		fputc('\n', f);
	}
}

static void rp_addr_str(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u:%u", a >> 16, a & 0xffff);
}

void rp_report_text(replay *r, FILE *f)
{
	const rp_plan *p = &r->plan;
	const replay_opts *o = r->o;
	uint64_t el = r->t_end > r->t0 ? r->t_end - r->t0 : 0;
	int st = rp_exit_status(r);
	size_t i;
	unsigned k;
	int any;

	if (o->quiet && !o->verbose)
		goto result;
	fprintf(f, "vscsi-replay: %s onto %s, timing %s", p->path,
		r->target_desc ? r->target_desc : "?", rp_timing_name(o));
	if (o->timing == REPLAY_SCALE)
		fprintf(f, " (x%g)", o->scale);
	if (r->nlanes > 1)
		fprintf(f, ", %u threads", r->nlanes);
	else if (r->lanes_why[0])
		fprintf(f, ", one thread (%s)", r->lanes_why);
	fputc('\n', f);
	fprintf(f, "capture: %llu records, %llu commands, %llu TMFs, %llu AN "
		"requests", (unsigned long long)p->records,
		(unsigned long long)p->cmds, (unsigned long long)p->tmfs,
		(unsigned long long)p->ans);
	if (p->nconns > 1)
		fprintf(f, ", %u connections", p->nconns);
	fputc('\n', f);
	if (p->events || p->lost || p->seq_missing || p->orphans ||
	    p->no_completion || p->reused || p->damaged || p->truncated ||
	    p->unknown_ctrl) {
		fprintf(f, "  not replayable:");
		any = 0;
#define NOTE(c, ...) do { if (c) { fprintf(f, "%s", any ? "," : ""); \
	fprintf(f, __VA_ARGS__); any = 1; } } while (0)
		NOTE(p->events, " %llu device event%s (the device's, not "
		     "replayed)", (unsigned long long)p->events,
		     p->events == 1 ? "" : "s");
		NOTE(p->lost || p->seq_missing, " %llu record%s lost by the "
		     "recorder", (unsigned long long)(p->lost > p->seq_missing ?
						     p->lost : p->seq_missing),
		     (p->lost > p->seq_missing ? p->lost : p->seq_missing) == 1 ?
			     "" : "s");
		NOTE(p->orphans, " %llu completion%s without a request",
		     (unsigned long long)p->orphans, p->orphans == 1 ? "" : "s");
		NOTE(p->no_completion, " %llu request%s never completed",
		     (unsigned long long)p->no_completion,
		     p->no_completion == 1 ? "" : "s");
		NOTE(p->reused, " %llu head%s reused while in flight",
		     (unsigned long long)p->reused, p->reused == 1 ? "" : "s");
		NOTE(p->damaged, " %llu damaged record%s",
		     (unsigned long long)p->damaged, p->damaged == 1 ? "" : "s");
		NOTE(p->unknown_ctrl, " %llu control request%s of unknown type",
		     (unsigned long long)p->unknown_ctrl,
		     p->unknown_ctrl == 1 ? "" : "s");
		NOTE(p->truncated, " the file is cut short");
#undef NOTE
		fputc('\n', f);
	}
	fprintf(f, "selection: %llu to issue", (unsigned long long)
		p->skipped[RP_ISSUE]);
	for (k = 1; k < RP_SKIP_COUNT; k++)
		if (p->skipped[k])
			fprintf(f, ", %llu skipped (%s)",
				(unsigned long long)p->skipped[k],
				rp_skip_name[k]);
	fputc('\n', f);
	if (p->writes_skipped)
		fprintf(f, "  --skip-writes: %llu command%s that change the "
			"medium not issued; reads of what they wrote are not "
			"verified\n", (unsigned long long)p->writes_skipped,
			p->writes_skipped == 1 ? "" : "s");
	for (k = 0; k < r->nmissing; k++) {
		char a[16];

		rp_addr_str(a, sizeof(a), r->missing[k]);
		fprintf(f, "  LUN %s is in the capture but not given with "
			"--lun: its commands fail\n", a);
	}
	fprintf(f, "replayed: %llu issued, %llu completed in %.3f s",
		(unsigned long long)r->issued, (unsigned long long)r->completed,
		rp_secs(el));
	if (el)
		fprintf(f, " (%.0f requests/s)",
			(double)r->completed * 1e9 / (double)el);
	fputc('\n', f);
	fprintf(f, "verified: %llu compared with the recording: %llu match, "
		"%llu differ\n", (unsigned long long)r->compared,
		(unsigned long long)r->matched, (unsigned long long)r->differ);
	for (k = 0; k < RP_U_COUNT; k++)
		if (r->unver[k])
			fprintf(f, "  not verified: %llu, %s\n",
				(unsigned long long)r->unver[k],
				rp_unver_name(k));
	if (r->dout_writes) {
		fprintf(f, "data-out: %llu requests: %llu as recorded",
			(unsigned long long)r->dout_writes,
			(unsigned long long)r->dout_exact);
		if (r->dout_fill)
			fprintf(f, ", %llu rebuilt by the fill (the capture "
				"kept a digest, and the fill matches it)",
				(unsigned long long)r->dout_fill);
		if (r->dout_inexact)
			fprintf(f, ", %llu COULD NOT BE REPRODUCED (the "
				"capture kept only a digest; a deterministic "
				"fill was written instead)",
				(unsigned long long)r->dout_inexact);
		fputc('\n', f);
	}
	if (o->timing != REPLAY_ASAP && r->issue_err.count) {
		char a[32], b[32], c[32];

		rp_dur(a, sizeof(a), vscsi_hist_quantile(&r->issue_err, 0.5));
		rp_dur(b, sizeof(b), vscsi_hist_quantile(&r->issue_err, 0.99));
		rp_dur(c, sizeof(c), r->issue_err.max);
		fprintf(f, "timing: issue-time error p50 %s, p99 %s, max %s "
			"(%llu requests)\n", a, b, c,
			(unsigned long long)r->issue_err.count);
	}
	if (r->nopstats) {
		fprintf(f, "latency per command, recorded -> replayed "
			"(p50 / p99):\n");
		for (i = 0; i < r->nopstats; i++) {
			const rp_opstat *s = &r->opstats[i];
			char a[32], b[32], c[32], d[32];

			if (!s->rep.count)
				continue;
			if (s->rec.count) {
				rp_dur(a, sizeof(a),
				       vscsi_hist_quantile(&s->rec, 0.5));
				rp_dur(b, sizeof(b),
				       vscsi_hist_quantile(&s->rec, 0.99));
			} else {
				snprintf(a, sizeof(a), "-");
				snprintf(b, sizeof(b), "-");
			}
			rp_dur(c, sizeof(c), vscsi_hist_quantile(&s->rep, 0.5));
			rp_dur(d, sizeof(d), vscsi_hist_quantile(&s->rep, 0.99));
			fprintf(f, "  %-34s %8llu  %9s / %-9s -> %9s / %-9s",
				s->name, (unsigned long long)s->rep.count, a, b,
				c, d);
			if (s->differ)
				fprintf(f, "  %llu differ",
					(unsigned long long)s->differ);
			fputc('\n', f);
		}
	}
	if (r->differ) {
		size_t n = r->ndiffs;

		if (o->max_diffs && n > o->max_diffs && !o->verbose)
			n = o->max_diffs;
		fprintf(f, "differences: %llu (", (unsigned long long)r->differ);
		any = 0;
		for (k = 0; k < RP_D_COUNT; k++)
			if (r->by_kind[k]) {
				fprintf(f, "%s%s %llu", any ? ", " : "",
					rp_dkind_name(k),
					(unsigned long long)r->by_kind[k]);
				any = 1;
			}
		fprintf(f, ")%s\n", n < r->differ ? "; the first:" : "");
		for (i = 0; i < n; i++) {
			char line[512];

			rp_fmt_op(r, r->diffs[i].op, line, sizeof(line));
			fprintf(f, "  %s\n", line);
			rp_diff_lines(r, &r->diffs[i], f, "      ");
		}
	}
	for (k = 0; k < r->nimages; k++) {
		const rp_image *im = &r->images[k];

		if (im->ok)
			fprintf(f, "image %s: digest %016llx (%s)\n", im->addr,
				(unsigned long long)im->digest, im->path);
		else
			fprintf(f, "image %s: %s\n", im->addr, im->err);
	}
result:
	if (st == 0)
		fprintf(f, "result: no difference in %llu compared (exit 0)\n",
			(unsigned long long)r->compared);
	else if (st == 1)
		fprintf(f, "result: %llu of %llu compared differ (exit 1)\n",
			(unsigned long long)r->differ,
			(unsigned long long)r->compared);
	else
		fprintf(f, "result: error: %s (exit 2)\n", r->fatal_msg);
}

/* ------------------------------------------------------------ JSON */

static void js_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void js_hist(FILE *f, const char *name, const vscsi_hist *h)
{
	fprintf(f, "\"%s\":{\"count\":%llu", name,
		(unsigned long long)h->count);
	if (h->count)
		fprintf(f, ",\"p50_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu",
			(unsigned long long)vscsi_hist_quantile(h, 0.5),
			(unsigned long long)vscsi_hist_quantile(h, 0.99),
			(unsigned long long)h->max);
	fputc('}', f);
}

static FILE *rp_open_out(const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int rp_close_out(FILE *f, const char *path, char *err, size_t errlen)
{
	int bad = ferror(f);

	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad) {
		snprintf(err, errlen, "%s: could not write", path);
		return VSCSI_ERR_IO;
	}
	return VSCSI_OK;
}

int rp_report_json(replay *r, const char *path, char *err, size_t errlen)
{
	const rp_plan *p = &r->plan;
	const replay_opts *o = r->o;
	uint64_t el = r->t_end > r->t0 ? r->t_end - r->t0 : 0;
	FILE *f = rp_open_out(path, err, errlen);
	size_t i;
	unsigned k;

	if (!f)
		return VSCSI_ERR_IO;
	fprintf(f, "{\"tool\":\"vscsi-replay\",\"version\":");
	js_str(f, vscsi_version());
	fprintf(f, ",\"capture\":");
	js_str(f, p->path);
	fprintf(f, ",\"target\":");
	js_str(f, o->vhost_user ? "vhost-user" : "emulation");
	fprintf(f, ",\"target_desc\":");
	js_str(f, r->target_desc ? r->target_desc : "");
	fprintf(f, ",\"timing\":\"%s\",\"scale\":%g", rp_timing_name(o),
		o->timing == REPLAY_SCALE ? o->scale : 1.0);
	fprintf(f, ",\"threads\":%u", r->nlanes ? r->nlanes : 1);
	fprintf(f, ",\"capture_facts\":{\"records\":%llu,\"commands\":%llu,"
		"\"tmfs\":%llu,\"an\":%llu,\"connections\":%u,\"events\":%llu,"
		"\"lost_records\":%llu,\"seq_missing\":%llu,\"orphan_completions\""
		":%llu,\"never_completed\":%llu,\"reused_heads\":%llu,"
		"\"damaged\":%llu,\"truncated\":%s,\"snaplen\":%u}",
		(unsigned long long)p->records, (unsigned long long)p->cmds,
		(unsigned long long)p->tmfs, (unsigned long long)p->ans,
		p->nconns, (unsigned long long)p->events,
		(unsigned long long)p->lost, (unsigned long long)p->seq_missing,
		(unsigned long long)p->orphans,
		(unsigned long long)p->no_completion,
		(unsigned long long)p->reused, (unsigned long long)p->damaged,
		p->truncated ? "true" : "false", p->snaplen);
	fprintf(f, ",\"selection\":{\"issue\":%llu,\"skipped_filter\":%llu,"
		"\"skipped_window\":%llu,\"skipped_writes\":%llu,"
		"\"skipped_cut\":%llu,\"skipped_unsupported\":%llu}",
		(unsigned long long)p->skipped[RP_ISSUE],
		(unsigned long long)p->skipped[RP_SKIP_FILTER],
		(unsigned long long)p->skipped[RP_SKIP_WINDOW],
		(unsigned long long)p->skipped[RP_SKIP_WRITE],
		(unsigned long long)p->skipped[RP_SKIP_CUT],
		(unsigned long long)p->skipped[RP_SKIP_UNSUPPORTED]);
	fprintf(f, ",\"missing_luns\":[");
	for (k = 0; k < r->nmissing; k++) {
		char a[16];

		rp_addr_str(a, sizeof(a), r->missing[k]);
		fprintf(f, "%s", k ? "," : "");
		js_str(f, a);
	}
	fprintf(f, "],\"replayed\":{\"issued\":%llu,\"completed\":%llu,"
		"\"elapsed_ns\":%llu,\"rate\":%.1f}",
		(unsigned long long)r->issued, (unsigned long long)r->completed,
		(unsigned long long)el,
		el ? (double)r->completed * 1e9 / (double)el : 0.0);
	fprintf(f, ",\"verification\":{\"compared\":%llu,\"match\":%llu,"
		"\"differ\":%llu,\"by_kind\":{",
		(unsigned long long)r->compared, (unsigned long long)r->matched,
		(unsigned long long)r->differ);
	for (k = 0; k < RP_D_COUNT; k++) {
		static const char *const key[RP_D_COUNT] = {
			"response", "status", "sense", "residual",
			"data_in_length", "data_in", "tmf", "an", "error",
		};

		fprintf(f, "%s\"%s\":%llu", k ? "," : "", key[k],
			(unsigned long long)r->by_kind[k]);
	}
	fprintf(f, "},\"not_verified\":{\"no_completion\":%llu,\"timing\":"
		"%llu,\"unreproduced_data\":%llu,\"skipped_writer\":%llu,"
		"\"after_loss\":%llu}}",
		(unsigned long long)r->unver[RP_U_NO_COMPLETION],
		(unsigned long long)r->unver[RP_U_TIMING],
		(unsigned long long)r->unver[RP_U_UNREPRODUCED],
		(unsigned long long)r->unver[RP_U_SKIPPED_WRITE],
		(unsigned long long)r->unver[RP_U_AFTER_LOSS]);
	fprintf(f, ",\"data_out\":{\"requests\":%llu,\"as_recorded\":%llu,"
		"\"fill_matched\":%llu,\"not_reproduced\":%llu}",
		(unsigned long long)r->dout_writes,
		(unsigned long long)r->dout_exact,
		(unsigned long long)r->dout_fill,
		(unsigned long long)r->dout_inexact);
	fprintf(f, ",");
	js_hist(f, "issue_error", &r->issue_err);
	fprintf(f, ",\"latency\":[");
	for (i = 0; i < r->nopstats; i++) {
		const rp_opstat *s = &r->opstats[i];

		fprintf(f, "%s{\"op\":", i ? "," : "");
		js_str(f, s->name);
		fprintf(f, ",\"issued\":%llu,\"compared\":%llu,\"differ\":%llu,",
			(unsigned long long)s->issued,
			(unsigned long long)s->compared,
			(unsigned long long)s->differ);
		js_hist(f, "recorded", &s->rec);
		fputc(',', f);
		js_hist(f, "replayed", &s->rep);
		fputc('}', f);
	}
	fprintf(f, "],\"differences\":[");
	for (i = 0; i < r->ndiffs; i++) {
		const rp_diff *d = &r->diffs[i];
		const rp_op *op = &p->ops[d->op];
		char line[512];
		int first = 1;

		rp_fmt_op(r, d->op, line, sizeof(line));
		fprintf(f, "%s{\"index\":%u,\"recno\":%llu,\"request\":",
			i ? "," : "", d->op + 1, (unsigned long long)op->recno);
		js_str(f, line);
		fprintf(f, ",\"kinds\":[");
		for (k = 0; k < RP_D_COUNT; k++)
			if (d->kinds & (1u << k)) {
				fprintf(f, "%s", first ? "" : ",");
				js_str(f, rp_dkind_name(k));
				first = 0;
			}
		fprintf(f, "],\"recorded\":{\"response\":%u,\"status\":%u,"
			"\"sense\":%s,\"key\":%u,\"asc\":%u,\"ascq\":%u,"
			"\"resid\":%u,\"din_len\":%u,\"din_digest\":\"%016llx\"}",
			op->r_response, op->r_status,
			(op->flags & RP_OPF_SENSE) ? "true" : "false", op->r_key,
			op->r_asc, op->r_ascq, op->r_resid, op->r_din_len,
			(unsigned long long)op->r_din_digest);
		fprintf(f, ",\"replayed\":{\"error\":%d,\"response\":%u,"
			"\"status\":%u,\"sense\":%s,\"key\":%u,\"asc\":%u,"
			"\"ascq\":%u,\"resid\":%u,\"din_len\":%u,\"din_digest\":"
			"\"%016llx\"}", d->got.err, d->got.response,
			d->got.status, d->got.has_sense ? "true" : "false",
			d->got.key, d->got.asc, d->got.ascq, d->got.resid,
			d->got.din_len, (unsigned long long)d->got.din_digest);
		if (d->note == RP_NOTE_PREDATES)
			fprintf(f, ",\"note\":\"older_than_capture\"");
		else if (d->note == RP_NOTE_DIVERGED)
			fprintf(f, ",\"note\":\"writer_differed\",\"writer\":%u",
				d->note_op + 1);
		fputc('}', f);
	}
	fprintf(f, "],\"differences_listed\":%zu,\"images\":[", r->ndiffs);
	for (k = 0; k < r->nimages; k++) {
		const rp_image *im = &r->images[k];

		fprintf(f, "%s{\"lun\":\"%s\",\"spec\":", k ? "," : "",
			im->addr);
		js_str(f, im->path);
		if (im->ok)
			fprintf(f, ",\"digest\":\"%016llx\"}",
				(unsigned long long)im->digest);
		else {
			fprintf(f, ",\"error\":");
			js_str(f, im->err);
			fputc('}', f);
		}
	}
	fprintf(f, "],\"error\":");
	js_str(f, r->fatal ? r->fatal_msg : "");
	fprintf(f, ",\"exit\":%d}\n", rp_exit_status(r));
	return rp_close_out(f, path, err, errlen);
}

/* ------------------------------------------------------------ JUnit */

static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' ||
			    *s == '\t')
				fputc(*s, f);
		}
	}
}

/*
 * One test case per command (opcode or TMF) the replay issued, failing
 * when any of its completions differed, with the differences as the
 * failure's text; a case "replay" for a replay that could not finish.
 */
int rp_report_junit(replay *r, const char *path, char *err, size_t errlen)
{
	const rp_plan *p = &r->plan;
	uint64_t el = r->t_end > r->t0 ? r->t_end - r->t0 : 0;
	FILE *f = rp_open_out(path, err, errlen);
	const char *base = strrchr(p->path, '/');
	size_t i, j, nfail = 0, ncase = r->nopstats + 1;

	if (!f)
		return VSCSI_ERR_IO;
	base = base ? base + 1 : p->path;
	for (i = 0; i < r->nopstats; i++)
		if (r->opstats[i].differ)
			nfail++;
	if (r->fatal)
		nfail++;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"vscsi-replay\" tests=\"%zu\" "
		"failures=\"%zu\" time=\"%.6f\">\n", ncase, nfail, rp_secs(el));
	fprintf(f, "  <testsuite name=\"");
	xml_str(f, base);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		"skipped=\"0\" time=\"%.6f\">\n", ncase, nfail, rp_secs(el));
	fprintf(f, "    <properties>\n      <property name=\"capture\" "
		"value=\"");
	xml_str(f, p->path);
	fprintf(f, "\"/>\n      <property name=\"target\" value=\"");
	xml_str(f, r->target_desc ? r->target_desc : "");
	fprintf(f, "\"/>\n      <property name=\"timing\" value=\"%s\"/>\n"
		"    </properties>\n", rp_timing_name(r->o));
	fprintf(f, "    <testcase classname=\"vscsi-replay.");
	xml_str(f, base);
	fprintf(f, "\" name=\"replay\" time=\"%.6f\">", rp_secs(el));
	if (r->fatal) {
		fprintf(f, "\n      <failure type=\"error\" message=\"");
		xml_str(f, r->fatal_msg);
		fprintf(f, "\"/>\n    ");
	}
	fprintf(f, "</testcase>\n");
	for (i = 0; i < r->nopstats; i++) {
		const rp_opstat *s = &r->opstats[i];
		double t = s->rep.count ? (double)s->rep.sum / 1e9 : 0;

		fprintf(f, "    <testcase classname=\"vscsi-replay.");
		xml_str(f, base);
		fprintf(f, "\" name=\"");
		xml_str(f, s->name);
		fprintf(f, "\" time=\"%.6f\">", t);
		if (s->differ) {
			fprintf(f, "\n      <failure type=\"divergence\" "
				"message=\"%llu of %llu compared differ\">",
				(unsigned long long)s->differ,
				(unsigned long long)s->compared);
			for (j = 0; j < r->ndiffs; j++) {
				const rp_diff *d = &r->diffs[j];
				char line[512];
				char *buf = NULL;
				size_t blen = 0;
				FILE *m;

				if (rp_opstat_get(r, &p->ops[d->op]) != s)
					continue;
				rp_fmt_op(r, d->op, line, sizeof(line));
				xml_str(f, line);
				fputc('\n', f);
				m = open_memstream(&buf, &blen);
				if (m) {
					rp_diff_lines(r, d, m, "    ");
					fclose(m);
					xml_str(f, buf);
				}
				free(buf);
			}
			fprintf(f, "</failure>\n    ");
		}
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	return rp_close_out(f, path, err, errlen);
}
