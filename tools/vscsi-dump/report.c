/*
 * vscsi-dump --stats: the summary tables, for the whole capture or per
 * interval of capture time (--interval, as iostat prints them).
 *
 * The numbers come from the library's statistics module (vscsi_stats):
 * rows per LUN, per opcode and the total, with latency histograms and
 * queue-depth integrals. Rates divide by the span of the I/O seen (the
 * whole capture) or by the interval's length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump.h"

#define REPORT_INFLIGHT_MAX 32	/* requests listed as still in flight */
#define NO_SA 0xffffu

struct dump_report {
	const dump_opts *o;
	const char *path;
	vscsi_stats *s;
	uint64_t t0;		/* first record */
	uint64_t start;		/* this interval's start */
	uint64_t index;		/* this interval's number, from 0 */
	uint64_t events;	/* events added since the last reset */
	uint64_t empty_from;	/* first of a run of empty intervals */
	uint64_t empty_n;	/* its length */
};

dump_report *dump_report_new(const dump_opts *o)
{
	dump_report *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	rp->o = o;
	rp->s = vscsi_stats_new();
	if (!rp->s) {
		free(rp);
		return NULL;
	}
	return rp;
}

void dump_report_free(dump_report *rp)
{
	if (!rp)
		return;
	vscsi_stats_free(rp->s);
	free(rp);
}

static void report_utc(char *buf, size_t len, uint64_t ns);
static void report_secs(char *buf, size_t len, uint64_t ns);
static void report_json_path(const char *path);

void dump_report_start(dump_report *rp, uint64_t t0_ns, const char *path)
{
	char a[64], b[40];

	rp->t0 = t0_ns;
	rp->start = t0_ns;
	rp->path = path;
	vscsi_stats_reset(rp->s, t0_ns);
	if (!rp->o->interval_ns)
		return;
	/* intervals print as they end: the header comes first */
	if (rp->o->json) {
		printf("{\"table\":\"capture\",\"path\":");
		report_json_path(path);
		printf(",\"first_ns\":%" PRIu64 ",\"interval_ns\":%" PRIu64
		       "}\n", t0_ns, rp->o->interval_ns);
		return;
	}
	report_utc(a, sizeof(a), t0_ns);
	report_secs(b, sizeof(b), rp->o->interval_ns);
	printf("capture  %s\nstart    %s; intervals of %s s\n\n", path, a, b);
}

/* ---------------------------------------------------------------- pieces */

static void report_dur(char *buf, size_t len, const vscsi_hist *h, double q)
{
	if (!h->count)
		snprintf(buf, len, "-");
	else
		vscsi_fmt_duration(buf, len, vscsi_hist_quantile(h, q));
}

static void report_secs(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u,
		 ns % 1000000000u);
}

static void report_utc(char *buf, size_t len, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	char d[40];

	if (gmtime_r(&sec, &tm) &&
	    strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%s.%09" PRIu64 " UTC", d, ns % 1000000000u);
	else
		report_secs(buf, len, ns);
}

static void report_lun_name(char *buf, size_t len, uint64_t key)
{
	snprintf(buf, len, "%u:%u", (unsigned)(key >> 16 & 0xff),
		 (unsigned)(key & 0xffff));
}

static void report_op_name(char *buf, size_t len, uint64_t key)
{
	uint8_t op = (uint8_t)(key >> 16);
	uint16_t sa = (uint16_t)key;

	snprintf(buf, len, "%s", vscsi_cdb_name(op, sa, sa != NO_SA));
}

/* The sense text the event lines use, from key, ASC and ASCQ. */
static void report_sense(char *buf, size_t len, const vscsi_stats_err *e)
{
	uint8_t sense[VSCSI_SENSE_BUILD_MAX];
	vscsi_sense_info si;
	int n;

	n = vscsi_sense_build_simple(sense, sizeof(sense), 0, e->sense_key,
				     e->asc, e->ascq);
	if (n <= 0 || vscsi_sense_decode(sense, (size_t)n, &si) < 0) {
		snprintf(buf, len, "%02x/%02x/%02x", e->sense_key, e->asc,
			 e->ascq);
		return;
	}
	vscsi_sense_describe(&si, buf, len);
}

/* ---------------------------------------------------------------- tables */

typedef void (*report_name_fn)(char *buf, size_t len, uint64_t key);

static const char *const report_cols[] = {
	"IOs", "IOPS", "rd MB/s", "wr MB/s", "p50", "p90", "p99", "p99.9",
	"max", "qd avg", "qd max", "errors",
};
static const int report_width[] = { 8, 10, 9, 9, 9, 9, 9, 9, 9, 8, 7, 7 };

static void report_row_text(int namew, const char *name,
			    const vscsi_stats_row *r, uint64_t span_ns)
{
	double s = (double)span_ns / 1e9;
	char p[5][16], iops[32], rd[32], wr[32], qd[32];

	report_dur(p[0], sizeof(p[0]), &r->lat, 0.50);
	report_dur(p[1], sizeof(p[1]), &r->lat, 0.90);
	report_dur(p[2], sizeof(p[2]), &r->lat, 0.99);
	report_dur(p[3], sizeof(p[3]), &r->lat, 0.999);
	report_dur(p[4], sizeof(p[4]), &r->lat, 1.0);
	if (span_ns) {
		snprintf(iops, sizeof(iops), "%.1f", (double)r->ios / s);
		snprintf(rd, sizeof(rd), "%.2f",
			 (double)r->bytes_read / 1e6 / s);
		snprintf(wr, sizeof(wr), "%.2f",
			 (double)r->bytes_written / 1e6 / s);
		snprintf(qd, sizeof(qd), "%.2f",
			 (double)r->qd_area / (double)span_ns);
	} else {
		strcpy(iops, "-");
		strcpy(rd, "-");
		strcpy(wr, "-");
		strcpy(qd, "-");
	}
	printf("  %-*s %*" PRIu64 " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*"
	       PRIu32 " %*" PRIu64 "\n", namew, name,
	       report_width[0], r->ios, report_width[1], iops,
	       report_width[2], rd, report_width[3], wr,
	       report_width[4], p[0], report_width[5], p[1],
	       report_width[6], p[2], report_width[7], p[3],
	       report_width[8], p[4], report_width[9], qd,
	       report_width[10], r->qd_max, report_width[11], r->errors);
}

static void report_json_head(const dump_report *rp, const char *table,
			     uint64_t start, uint64_t span_ns)
{
	printf("{\"table\":\"%s\"", table);
	if (rp->o->interval_ns)
		printf(",\"interval\":%" PRIu64, rp->index);
	printf(",\"start_ns\":%" PRIu64 ",\"span_ns\":%" PRIu64, start,
	       span_ns);
}

static void report_row_json(const dump_report *rp, const char *table,
			    const char *key, const char *name,
			    const vscsi_stats_row *r, uint64_t start,
			    uint64_t span_ns)
{
	double s = (double)span_ns / 1e9;

	report_json_head(rp, table, start, span_ns);
	if (key)
		printf(",\"%s\":\"%s\"", key, name);
	printf(",\"ios\":%" PRIu64 ",\"reads\":%" PRIu64 ",\"writes\":%" PRIu64
	       ",\"bytes_read\":%" PRIu64 ",\"bytes_written\":%" PRIu64,
	       r->ios, r->reads, r->writes, r->bytes_read, r->bytes_written);
	if (span_ns)
		printf(",\"iops\":%.3f,\"read_mbps\":%.3f,\"write_mbps\":%.3f"
		       ",\"qd_avg\":%.3f", (double)r->ios / s,
		       (double)r->bytes_read / 1e6 / s,
		       (double)r->bytes_written / 1e6 / s,
		       (double)r->qd_area / (double)span_ns);
	printf(",\"qd_max\":%" PRIu32 ",\"errors\":%" PRIu64, r->qd_max,
	       r->errors);
	if (r->lat.count)
		printf(",\"lat_p50_ns\":%" PRIu64 ",\"lat_p90_ns\":%" PRIu64
		       ",\"lat_p99_ns\":%" PRIu64 ",\"lat_p999_ns\":%" PRIu64
		       ",\"lat_max_ns\":%" PRIu64 ",\"lat_mean_ns\":%" PRIu64,
		       vscsi_hist_quantile(&r->lat, 0.50),
		       vscsi_hist_quantile(&r->lat, 0.90),
		       vscsi_hist_quantile(&r->lat, 0.99),
		       vscsi_hist_quantile(&r->lat, 0.999), r->lat.max,
		       vscsi_hist_mean(&r->lat));
	printf("}\n");
}

/* A row of an interval with nothing in it (rows outlive their I/O). */
static int report_row_empty(const vscsi_stats_row *r)
{
	return !r->ios && !r->qd_max && !r->qd_area;
}

/* One table: a group's rows (the total first when total is set). */
static void report_table(const dump_report *rp, const char *title,
			 const char *table, unsigned group,
			 report_name_fn name_fn, int with_total,
			 uint64_t start, uint64_t span_ns)
{
	const vscsi_stats_row *rows, *tot;
	size_t n = vscsi_stats_rows(rp->s, group, &rows), i;
	size_t ntot = vscsi_stats_rows(rp->s, VSCSI_GROUP_TOTAL, &tot);
	char name[128];
	int namew = (int)strlen(title);
	unsigned c;

	if (rp->o->json) {
		if (with_total && ntot)
			report_row_json(rp, "total", NULL, NULL, &tot[0], start,
					span_ns);
		for (i = 0; i < n; i++) {
			if (report_row_empty(&rows[i]))
				continue;
			name_fn(name, sizeof(name), rows[i].key);
			report_row_json(rp, table, table, name, &rows[i],
					start, span_ns);
		}
		return;
	}
	if (!n && (!with_total || !ntot)) {
		printf("  %s: no I/O\n", title);
		return;
	}
	if (with_total && namew < 3)
		namew = 3;
	for (i = 0; i < n; i++) {
		if (report_row_empty(&rows[i]))
			continue;
		name_fn(name, sizeof(name), rows[i].key);
		if ((int)strlen(name) > namew)
			namew = (int)strlen(name);
	}
	printf("  %-*s", namew, title);
	for (c = 0; c < sizeof(report_cols) / sizeof(report_cols[0]); c++)
		printf(" %*s", report_width[c], report_cols[c]);
	printf("\n");
	if (with_total && ntot)
		report_row_text(namew, "all", &tot[0], span_ns);
	for (i = 0; i < n; i++) {
		if (report_row_empty(&rows[i]))
			continue;
		name_fn(name, sizeof(name), rows[i].key);
		report_row_text(namew, name, &rows[i], span_ns);
	}
}

static void report_errors(const dump_report *rp, uint64_t start,
			  uint64_t span_ns)
{
	const vscsi_stats_err *errs;
	size_t n = vscsi_stats_errors(rp->s, &errs), i;
	char sense[256];

	if (!n)
		return;
	if (!rp->o->json)
		printf("\n  errors by status and sense\n  %8s  %-18s %-22s %s\n",
		       "count", "response", "status", "sense");
	for (i = 0; i < n; i++) {
		const vscsi_stats_err *e = &errs[i];
		const char *resp = vscsi_vs_response_name(e->response, 0);
		const char *status = vscsi_status_str(e->status);
		int ok = e->response == VSCSI_S_OK;

		if (e->has_sense)
			report_sense(sense, sizeof(sense), e);
		if (rp->o->json) {
			report_json_head(rp, "errors", start, span_ns);
			printf(",\"count\":%" PRIu64 ",\"response\":",
			       e->count);
			if (resp)
				printf("\"%s\"", resp);
			else
				printf("%u", e->response);
			if (ok)
				printf(",\"status\":\"%s\",\"status_code\":%u",
				       status, e->status);
			if (e->has_sense)
				printf(",\"sense_key\":%u,\"asc\":%u,"
				       "\"ascq\":%u,\"sense\":\"%s\"",
				       e->sense_key, e->asc, e->ascq, sense);
			printf("}\n");
			continue;
		}
		printf("  %8" PRIu64 "  ", e->count);
		if (resp)
			printf("%-18s", resp);
		else
			printf("response=%-9u", e->response);
		if (e->has_sense)
			printf(" %-22s %s\n", ok ? status : "-", sense);
		else
			printf(" %s\n", ok ? status : "-");
	}
}

/* The tables of the whole capture, or of one interval. */
static void report_tables(dump_report *rp, uint64_t start, uint64_t span_ns)
{
	report_table(rp, "LUN", "lun", VSCSI_GROUP_LUN, report_lun_name, 1,
		     start, span_ns);
	if (!rp->o->json)
		printf("\n");
	report_table(rp, "command", "command", VSCSI_GROUP_OPCODE,
		     report_op_name, 0, start, span_ns);
	report_errors(rp, start, span_ns);
}

/* ---------------------------------------------------------------- intervals */

static void report_empty_flush(dump_report *rp)
{
	char a[40], b[40];
	uint64_t from, to;

	if (!rp->empty_n)
		return;
	from = rp->empty_from * rp->o->interval_ns;
	to = (rp->empty_from + rp->empty_n) * rp->o->interval_ns;
	report_secs(a, sizeof(a), from);
	report_secs(b, sizeof(b), to);
	if (rp->o->json) {
		printf("{\"table\":\"idle\",\"interval\":%" PRIu64
		       ",\"intervals\":%" PRIu64 ",\"start_ns\":%" PRIu64
		       ",\"span_ns\":%" PRIu64 "}\n", rp->empty_from,
		       rp->empty_n, rp->t0 + from, to - from);
	} else if (rp->empty_n == 1) {
		printf("interval %" PRIu64 "  +%s .. +%s s: no I/O\n\n",
		       rp->empty_from, a, b);
	} else {
		printf("intervals %" PRIu64 "..%" PRIu64 "  +%s .. +%s s: "
		       "no I/O\n\n", rp->empty_from,
		       rp->empty_from + rp->empty_n - 1, a, b);
	}
	rp->empty_n = 0;
}

/* Print the interval that ends at end and start the next one. */
static void report_interval(dump_report *rp, uint64_t end)
{
	uint64_t span = end - rp->start;
	char a[40], b[40];

	if (!rp->events) {
		if (!rp->empty_n)
			rp->empty_from = rp->index;
		rp->empty_n++;
	} else {
		report_empty_flush(rp);
		vscsi_stats_settle(rp->s, end);
		if (!rp->o->json) {
			report_secs(a, sizeof(a), rp->start - rp->t0);
			report_secs(b, sizeof(b), end - rp->t0);
			printf("interval %" PRIu64 "  +%s .. +%s s\n",
			       rp->index, a, b);
		}
		report_tables(rp, rp->start, span);
		if (!rp->o->json)
			printf("\n");
	}
	vscsi_stats_reset(rp->s, end);
	rp->start = end;
	rp->index++;
	rp->events = 0;
}

void dump_report_add(dump_report *rp, const vscsi_io *io)
{
	uint64_t iv = rp->o->interval_ns;

	if (iv && io->ts_ns >= rp->start + iv) {
		report_interval(rp, rp->start + iv);
		/* jump over whole intervals with nothing in them */
		if (io->ts_ns >= rp->start + iv) {
			uint64_t k = (io->ts_ns - rp->start) / iv;

			if (!rp->empty_n)
				rp->empty_from = rp->index;
			rp->empty_n += k;
			rp->index += k;
			rp->start += k * iv;
			vscsi_stats_reset(rp->s, rp->start);
		}
	}
	rp->events++;
	vscsi_stats_add(rp->s, io);
}

/* ---------------------------------------------------------------- the end */

static void report_inflight(const dump_report *rp, const dump_totals *tot,
			    const vscsi_tracker *t)
{
	const vscsi_inflight *in[REPORT_INFLIGHT_MAX];
	size_t total = vscsi_tracker_count(t), n, i;
	char age[32], lun[64], cmd[512], tag[32];

	n = vscsi_tracker_oldest(t, in, REPORT_INFLIGHT_MAX);
	if (!rp->o->json) {
		printf("in flight at the end: %zu request%s", total,
		       total == 1 ? "" : "s");
		if (tot->event_buffers)
			printf(" (and %" PRIu64 " event buffer%s posted)",
			       tot->event_buffers,
			       tot->event_buffers == 1 ? "" : "s");
		printf("\n");
		if (n)
			printf("  %9s  %-8s %5s  %-6s %-18s  %s\n", "age",
			       "queue", "head", "LUN", "tag", "command");
	}
	for (i = 0; i < n; i++) {
		const vscsi_inflight *f = in[i];
		const vscsi_lun *l = f->is_ctrl ? &f->req.ctrl.lun :
						  &f->req.cmd.lun;
		uint64_t a = tot->last_ns > f->ts_ns ? tot->last_ns - f->ts_ns :
						       0;
		char q[32];

		vscsi_fmt_duration(age, sizeof(age), a);
		vscsi_fmt_lun(lun, sizeof(lun), l);
		if (f->is_ctrl) {
			const char *tn = vscsi_tmf_name(f->req.ctrl.subtype);

			if (f->req.ctrl.type == VSCSI_T_TMF)
				snprintf(cmd, sizeof(cmd), "TMF %s",
					 tn ? tn : "?");
			else
				snprintf(cmd, sizeof(cmd), "%s",
					 vscsi_ctrl_type_name(f->req.ctrl.type) ?
					 vscsi_ctrl_type_name(f->req.ctrl.type) :
					 "CTRL");
			snprintf(tag, sizeof(tag), "0x%" PRIx64,
				 f->req.ctrl.tag);
		} else {
			vscsi_cdb_info ci;

			vscsi_cdb_decode(f->req.cmd.cdb, f->req.cmd.cdb_size,
					 &ci);
			vscsi_cdb_describe(&ci, cmd, sizeof(cmd));
			snprintf(tag, sizeof(tag), "0x%" PRIx64,
				 f->req.cmd.tag);
		}
		if (rp->o->json) {
			printf("{\"table\":\"inflight\",\"age_ns\":%" PRIu64
			       ",\"ts_ns\":%" PRIu64 ",\"conn\":%" PRIu32
			       ",\"vq\":%u,\"head\":%u,\"lun\":\"%s\","
			       "\"tag\":\"%s\",\"command\":\"%s\"}\n", a,
			       f->ts_ns, f->key.conn, f->key.vq, f->key.head,
			       lun, tag, cmd);
			continue;
		}
		if (f->key.conn)
			snprintf(q, sizeof(q), "c%" PRIu32 " q%u", f->key.conn,
				 f->key.vq);
		else
			snprintf(q, sizeof(q), "q%u", f->key.vq);
		printf("  %9s  %-8s %5u  %-6s %-18s  %s\n", age, q,
		       f->key.head, lun, tag, cmd);
	}
	if (!rp->o->json && total > n)
		printf("  ... and %zu more\n", total - n);
}

static void report_lost(const dump_report *rp, const dump_totals *tot,
			const vscsi_tracker *t, const vscsi_cap_rstats *rst)
{
	vscsi_tracker_counts tc;

	vscsi_tracker_counters(t, &tc);
	if (rp->o->json) {
		printf("{\"table\":\"lost\",\"loss_notes\":%" PRIu64
		       ",\"loss_records\":%" PRIu64 ",\"seq_gaps\":%" PRIu64
		       ",\"seq_missing\":%" PRIu64 ",\"damaged\":%" PRIu64
		       ",\"unknown\":%" PRIu64 ",\"newer\":%" PRIu64
		       ",\"truncated\":%s,\"heads_reused\":%" PRIu64
		       ",\"unmatched\":%" PRIu64 ",\"untracked\":%" PRIu64
		       "}\n", tot->loss_notes, tot->loss_records,
		       rst->seq_gaps, rst->seq_missing, rst->damaged,
		       rst->unknown, rst->newer,
		       tot->truncated ? "true" : "false", tc.reused,
		       tc.unmatched, tc.overflow);
		return;
	}
	printf("\nrecords lost\n");
	printf("  loss notes       %" PRIu64 " note%s, %" PRIu64
	       " record%s lost\n", tot->loss_notes,
	       tot->loss_notes == 1 ? "" : "s", tot->loss_records,
	       tot->loss_records == 1 ? "" : "s");
	printf("  sequence gaps    %" PRIu64 " gap%s, %" PRIu64
	       " record%s missing\n", rst->seq_gaps,
	       rst->seq_gaps == 1 ? "" : "s", rst->seq_missing,
	       rst->seq_missing == 1 ? "" : "s");
	printf("  damaged          %" PRIu64 " record%s%s\n", rst->damaged,
	       rst->damaged == 1 ? "" : "s",
	       tot->truncated ? "; the file is truncated" : "");
	printf("  skipped          %" PRIu64 " of unknown types, %" PRIu64
	       " of newer versions\n", rst->unknown, rst->newer);
	printf("  pairing          %" PRIu64 " head%s reused in flight, %"
	       PRIu64 " completion%s without a request\n", tc.reused,
	       tc.reused == 1 ? "" : "s", tc.unmatched,
	       tc.unmatched == 1 ? "" : "s");
}

static void report_json_path(const char *path)
{
	size_t i;

	putchar('"');
	for (i = 0; path[i]; i++) {
		unsigned char ch = (unsigned char)path[i];

		if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void report_summary(const dump_report *rp, const dump_totals *tot,
			   const vscsi_cap_rstats *rst)
{
	static const char *const names[] = {
		NULL, "requests", "completions", "vhost-user", "session",
		"loss", "notify", NULL,
	};
	uint64_t first, last, all = 0;
	char a[64], b[64], c[64];
	unsigned i;

	for (i = 0; i < 8; i++)
		all += tot->by_type[i];
	if (rp->o->json) {
		printf("{\"table\":\"%s\"", rp->o->interval_ns ? "records" :
							      "capture");
		if (!rp->o->interval_ns) {
			printf(",\"path\":");
			report_json_path(tot->path);
		}
		printf(",\"records\":%" PRIu64 ",\"continued\":%" PRIu64
		       ",\"pieces\":%" PRIu64 ",\"first_ns\":%" PRIu64
		       ",\"last_ns\":%" PRIu64 "}\n", all, rst->continued,
		       rst->pieces, tot->t0_ns, tot->last_ns);
		return;
	}
	if (!rp->o->interval_ns || !rp->path)
		printf("capture  %s\n", tot->path);
	printf("records  %" PRIu64, all);
	for (i = 1; i < 7; i++)
		printf("%s %" PRIu64 " %s", i == 1 ? ":" : ",", tot->by_type[i],
		       names[i]);
	printf("\n");
	/* data parts put back together from data continuation records */
	if (rst->pieces)
		printf("pieces   %" PRIu64 " data continuation record%s put "
		       "back into %" PRIu64 " record%s\n", rst->pieces,
		       rst->pieces == 1 ? "" : "s", rst->continued,
		       rst->continued == 1 ? "" : "s");
	vscsi_stats_span(rp->s, NULL, &first, &last);
	if (!all) {
		printf("\n");
		return;
	}
	report_utc(a, sizeof(a), tot->t0_ns);
	report_secs(b, sizeof(b), tot->last_ns - tot->t0_ns);
	printf("time     %s, %s s\n", a, b);
	if (!rp->o->interval_ns && last >= first && (first || last)) {
		report_secs(a, sizeof(a), first - tot->t0_ns);
		report_secs(b, sizeof(b), last - tot->t0_ns);
		report_secs(c, sizeof(c), last - first);
		printf("I/O      +%s .. +%s s (%s s: the span of the rates)\n",
		       a, b, c);
	}
	printf("\n");
}

void dump_report_finish(dump_report *rp, const dump_totals *tot,
			const vscsi_tracker *t, const vscsi_cap_rstats *rst)
{
	uint64_t first, last;

	if (!rp->o->interval_ns) {
		report_summary(rp, tot, rst);
		vscsi_stats_span(rp->s, NULL, &first, &last);
		vscsi_stats_settle(rp->s, last);
		report_tables(rp, first, last > first ? last - first : 0);
		if (!rp->o->json)
			printf("\n");
	} else {
		/* the last interval ends with the capture */
		if (rp->events) {
			uint64_t end = tot->last_ns > rp->start ? tot->last_ns :
								  rp->start;
			uint64_t full = rp->start + rp->o->interval_ns;

			report_interval(rp, end < full ? end : full);
		}
		report_empty_flush(rp);
		report_summary(rp, tot, rst);
	}
	report_inflight(rp, tot, t);
	report_lost(rp, tot, t, rst);
}
