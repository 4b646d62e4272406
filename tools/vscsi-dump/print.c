/*
 * vscsi-dump: printing one event as text or JSON.
 *
 * Requests, completions, control messages and events are formatted by the
 * library (vscsi_fmt_*), so every tool prints them the same way; this file
 * adds the time as --time asks, the record's own facts with -v, hex dumps
 * with -vv, and the records the library has no formatter for (vhost-user
 * messages through vscsi_vu_msg_describe, sessions, loss notes,
 * notifications).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dump.h"

/*
 * Every line the formatters make is bounded (a CDB is at most 256 bytes, a
 * sense buffer 256, a hex dump DUMP_RAW_MAX), so one static buffer holds any
 * of them; a line that still did not fit is printed cut, never overrun.
 */
#define LINE_MAX_LEN (64 * 1024)
static char line[LINE_MAX_LEN];
static size_t line_len;
static int line_full;

static uint64_t print_t0;	/* first record */
static uint64_t print_prev;	/* previous line (--time delta) */
static int print_have_prev;

/* ---------------------------------------------------------------- the line */

static void pl_reset(void)
{
	line_len = 0;
	line_full = 0;
	line[0] = '\0';
}

static char *pl_tail(void)
{
	return line + line_len;
}

static size_t pl_room(void)
{
	return sizeof(line) - line_len;
}

/* A formatter wrote need bytes (snprintf semantics) at the tail. */
static void pl_advance(size_t need)
{
	if (need >= pl_room()) {
		line_len = sizeof(line) - 1;
		line_full = 1;
	} else {
		line_len += need;
	}
}

static void pl_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pl_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(pl_tail(), pl_room(), fmt, ap);
	va_end(ap);
	if (n > 0)
		pl_advance((size_t)n);
}

static void pl_puts(const char *s)
{
	pl_advance((size_t)snprintf(pl_tail(), pl_room(), "%s", s));
}

static void pl_putc(char c)
{
	if (pl_room() > 1) {
		line[line_len++] = c;
		line[line_len] = '\0';
	} else {
		line_full = 1;
	}
}

static void pl_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		pl_putc(digits[p[i] >> 4]);
		pl_putc(digits[p[i] & 15]);
	}
}

/* Untrusted text for a terminal: printable ASCII as is, the rest \xNN. */
static void pl_safe(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			pl_putc((char)s[i]);
		else
			pl_printf("\\x%02x", s[i]);
	}
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string: valid UTF-8 passes, anything else is escaped (a byte
 * that is not UTF-8 becomes the code point of the same value). */
static void pl_json_str(const uint8_t *s, size_t n)
{
	size_t i = 0;

	pl_putc('"');
	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);

		if (k == 1 && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
			pl_putc((char)s[i]);
		} else if (k == 1) {
			if (s[i] == '"' || s[i] == '\\')
				pl_printf("\\%c", s[i]);
			else
				pl_printf("\\u%04x", s[i]);
		} else if (k > 1) {
			size_t j;

			for (j = 0; j < k; j++)
				pl_putc((char)s[i + j]);
			i += k;
			continue;
		} else {
			pl_printf("\\u%04x", s[i]);
		}
		i++;
	}
	pl_putc('"');
}

static void pl_json_cstr(const char *s)
{
	pl_json_str((const uint8_t *)s, strlen(s));
}

static void pl_out(void)
{
	fwrite(line, 1, line_len, stdout);
	if (line_full)
		fputs(" [line cut]", stdout);
	fputc('\n', stdout);
}

/* JSON from a library formatter ends in '}': drop it to add members. */
static void pl_json_open(void)
{
	if (!line_full && line_len > 0 && line[line_len - 1] == '}')
		line[--line_len] = '\0';
}

/* ---------------------------------------------------------------- time */

void dump_print_start(uint64_t t0_ns)
{
	print_t0 = t0_ns;
	print_have_prev = 0;
}

static void pl_seconds(int neg, uint64_t ns)
{
	pl_printf("%s%" PRIu64 ".%09" PRIu64, neg ? "-" : "",
		  ns / 1000000000u, ns % 1000000000u);
}

/* A time as mode shows it, and a space; DELTA counts from prev. */
static void pl_time_as(int mode, uint64_t ts, uint64_t prev)
{
	switch (mode) {
	case DUMP_TIME_ABS: {
		time_t sec = (time_t)(ts / 1000000000u);
		struct tm tm;
		char buf[64];

		if (gmtime_r(&sec, &tm) &&
		    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
			pl_printf("%s.%09" PRIu64 " ", buf, ts % 1000000000u);
		else
			pl_printf("%" PRIu64 ".%09" PRIu64 " ",
				  ts / 1000000000u, ts % 1000000000u);
		break;
	}
	case DUMP_TIME_EPOCH:
		pl_seconds(0, ts);
		pl_putc(' ');
		break;
	case DUMP_TIME_DELTA:
		pl_seconds(ts < prev, ts < prev ? prev - ts : ts - prev);
		pl_putc(' ');
		break;
	case DUMP_TIME_NONE:
		break;
	default:
		pl_seconds(ts < print_t0, ts < print_t0 ? print_t0 - ts :
							   ts - print_t0);
		pl_putc(' ');
	}
}

/* The time of a text line, as --time asks, and a space. */
static void pl_time(const dump_opts *o, uint64_t ts)
{
	pl_time_as(o->time_mode, ts, print_have_prev ? print_prev : ts);
	print_prev = ts;
	print_have_prev = 1;
}

/* "TIME [cN] " for records the library does not format. */
static void pl_where(const dump_opts *o, const dump_ev *e)
{
	pl_time(o, e->w.ts_ns);
	if (e->rec->conn == VSCSI_CAP_CONN_NONE)
		pl_puts("c- ");
	else if (e->rec->conn || o->verbose)
		pl_printf("c%" PRIu32 " ", e->rec->conn);
}

/* "{"type":T,"ts_ns":N,"conn":C" for the same. */
static void pl_json_where(const dump_ev *e, const char *type)
{
	pl_printf("{\"type\":\"%s\",\"ts_ns\":%" PRIu64 ",\"conn\":", type,
		  e->w.ts_ns);
	if (e->rec->conn == VSCSI_CAP_CONN_NONE)
		pl_puts("null");
	else
		pl_printf("%" PRIu32, e->rec->conn);
}

/* ---------------------------------------------------------------- records */

static int rec_has_chain(const vscsi_cap_rec *r)
{
	return r->type == VSCSI_REC_REQUEST || r->type == VSCSI_REC_COMPLETION;
}

/* -v: the record's own facts. */
static void pl_rec_text(const dump_opts *o, const dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;

	if (e->cut)
		pl_puts(" [cut]");
	if (e->short_hdr)
		pl_puts(" [short header]");
	if (e->reused)
		pl_puts(" [head reused while in flight]");
	if (!o->verbose)
		return;
	pl_printf(" rec=%" PRIu64 " seq=%" PRIu64, r->recno, r->seq);
	if (rec_has_chain(r)) {
		uint64_t full = (uint64_t)r->hdr_len + r->data_len;

		pl_printf(" desc=%ur+%uw rd=%" PRIu32 " wr=%" PRIu32,
			  r->n_readable, r->n_writable, r->readable_bytes,
			  r->writable_bytes);
		if (r->flags & VSCSI_RECF_INDIRECT)
			pl_puts(" indirect");
		if (r->flags & VSCSI_RECF_PACKED)
			pl_puts(" packed");
		if (r->raw_len < full)
			pl_printf(" kept=%zu/%" PRIu64, r->raw_len, full);
		/* -vv: the records the data came in */
		if (r->pieces && o->verbose >= 2)
			pl_printf(" pieces=%u", r->pieces + 1);
		if (r->data_len)
			pl_printf(" digest=0x%016" PRIx64, r->digest);
	} else if (r->type == VSCSI_REC_VHOST_USER) {
		if (r->raw_len < r->vu.msg_len)
			pl_printf(" kept=%zu/%" PRIu32, r->raw_len,
				  r->vu.msg_len);
	}
}

static void pl_rec_json(const dump_opts *o, const dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;

	pl_printf(",\"recno\":%" PRIu64, r->recno);
	if (e->cut)
		pl_puts(",\"cut\":true");
	if (e->short_hdr)
		pl_puts(",\"short_header\":true");
	if (e->reused)
		pl_puts(",\"head_reused\":true");
	if (o->verbose) {
		pl_printf(",\"seq\":%" PRIu64 ",\"offset\":%" PRIu64, r->seq,
			  r->offset);
		if (rec_has_chain(r)) {
			pl_printf(",\"n_readable\":%u,\"n_writable\":%u,"
				  "\"readable_bytes\":%" PRIu32
				  ",\"writable_bytes\":%" PRIu32
				  ",\"vs_len\":%" PRIu32 ",\"data_len\":%" PRIu32
				  ",\"kept\":%zu,\"indirect\":%s,\"packed\":%s"
				  ",\"digest\":\"0x%016" PRIx64 "\"",
				  r->n_readable, r->n_writable,
				  r->readable_bytes, r->writable_bytes,
				  r->hdr_len, r->data_len, r->raw_len,
				  (r->flags & VSCSI_RECF_INDIRECT) ? "true" :
								      "false",
				  (r->flags & VSCSI_RECF_PACKED) ? "true" :
								    "false",
				  r->digest);
		}
	}
	if (o->verbose >= 2) {
		size_t n = r->raw_len < DUMP_RAW_MAX ? r->raw_len :
						       DUMP_RAW_MAX;

		if (r->pieces)
			pl_printf(",\"pieces\":%u", r->pieces + 1);

		pl_printf(",\"raw_len\":%zu,\"raw\":\"", r->raw_len);
		pl_hex(r->raw, n);
		pl_putc('"');
	}
}

static void pl_hexdump(const dump_opts *o, const uint8_t *raw, size_t n)
{
	if (o->verbose < 2 || o->json || !raw || !n)
		return;
	pl_reset();
	pl_advance(vscsi_fmt_hexdump(line, sizeof(line), raw, n, DUMP_RAW_MAX,
				     8));
	fwrite(line, 1, line_len, stdout);
}

/* Print the line and, with -vv, the record's bytes. */
static int pl_finish(const dump_opts *o, const dump_ev *e)
{
	if (o->json) {
		pl_rec_json(o, e);
		pl_putc('}');
	} else {
		pl_rec_text(o, e);
	}
	pl_out();
	pl_hexdump(o, e->rec->raw, e->rec->raw_len);
	return 1;
}

/* The where for the library's formatters: time left to pl_time. */
static unsigned pl_fmt_flags(const dump_opts *o)
{
	return VSCSI_FMT_NO_TIME | (o->verbose ? VSCSI_FMT_VERBOSE : 0);
}

int dump_show_cmd_req(const dump_opts *o, const dump_ev *e,
		      const vscsi_cmd_req *req)
{
	pl_reset();
	if (o->json) {
		pl_advance(vscsi_fmt_cmd_req_json(pl_tail(), pl_room(), &e->w,
						  req));
		pl_json_open();
	} else {
		pl_time(o, e->w.ts_ns);
		pl_advance(vscsi_fmt_cmd_req(pl_tail(), pl_room(), &e->w, req,
					     pl_fmt_flags(o)));
	}
	return pl_finish(o, e);
}

int dump_show_cmd_resp(const dump_opts *o, const dump_ev *e,
		       const vscsi_cmd_req *req, const vscsi_cmd_resp *resp,
		       uint32_t used_len, int64_t latency_ns)
{
	pl_reset();
	if (o->json) {
		pl_advance(vscsi_fmt_cmd_resp_json(pl_tail(), pl_room(), &e->w,
						   req, resp, used_len,
						   latency_ns));
		pl_json_open();
	} else {
		pl_time(o, e->w.ts_ns);
		pl_advance(vscsi_fmt_cmd_resp(pl_tail(), pl_room(), &e->w, req,
					      resp, used_len, latency_ns,
					      pl_fmt_flags(o)));
	}
	return pl_finish(o, e);
}

int dump_show_ctrl_req(const dump_opts *o, const dump_ev *e,
		       const vscsi_ctrl_req *req)
{
	pl_reset();
	if (o->json) {
		pl_advance(vscsi_fmt_ctrl_req_json(pl_tail(), pl_room(), &e->w,
						   req));
		pl_json_open();
	} else {
		pl_time(o, e->w.ts_ns);
		pl_advance(vscsi_fmt_ctrl_req(pl_tail(), pl_room(), &e->w, req,
					      pl_fmt_flags(o)));
	}
	return pl_finish(o, e);
}

int dump_show_ctrl_resp(const dump_opts *o, const dump_ev *e,
			const vscsi_ctrl_req *req, const vscsi_ctrl_resp *resp,
			int64_t latency_ns)
{
	pl_reset();
	if (o->json) {
		pl_advance(vscsi_fmt_ctrl_resp_json(pl_tail(), pl_room(),
						    &e->w, req, resp,
						    latency_ns));
		pl_json_open();
	} else {
		pl_time(o, e->w.ts_ns);
		pl_advance(vscsi_fmt_ctrl_resp(pl_tail(), pl_room(), &e->w,
					       req, resp, latency_ns,
					       pl_fmt_flags(o)));
	}
	return pl_finish(o, e);
}

int dump_show_event(const dump_opts *o, const dump_ev *e,
		    const vscsi_event *ev)
{
	pl_reset();
	if (o->json) {
		pl_advance(vscsi_fmt_event_json(pl_tail(), pl_room(), &e->w,
						ev));
		pl_json_open();
	} else {
		pl_time(o, e->w.ts_ns);
		pl_advance(vscsi_fmt_event(pl_tail(), pl_room(), &e->w, ev,
					   pl_fmt_flags(o)));
	}
	return pl_finish(o, e);
}

/* "[cN ]qV [hH ]" as the library's formatters write it. */
static void pl_queue(const dump_opts *o, const dump_ev *e)
{
	pl_where(o, e);
	pl_printf("q%u ", e->w.vq);
	if (o->verbose)
		pl_printf("h%u ", e->w.head);
}

int dump_show_event_buffer(const dump_opts *o, const dump_ev *e)
{
	if (!o->json && !o->verbose)
		return 0;
	pl_reset();
	if (o->json) {
		pl_json_where(e, "event_buffer");
		pl_printf(",\"vq\":%u,\"head\":%u,\"writable_bytes\":%" PRIu32,
			  e->w.vq, e->w.head, e->rec->writable_bytes);
	} else {
		pl_queue(o, e);
		pl_printf("> event buffer len=%" PRIu32,
			  e->rec->writable_bytes);
	}
	return pl_finish(o, e);
}

int dump_show_notify(const dump_opts *o, const dump_ev *e)
{
	const char *kind = e->rec->notify.kind == VSCSI_NOTIFY_KICK ? "kick" :
			   e->rec->notify.kind == VSCSI_NOTIFY_CALL ? "call" :
								       NULL;

	if (!o->json && !o->verbose)
		return 0;
	pl_reset();
	if (o->json) {
		pl_json_where(e, "notify");
		pl_printf(",\"vq\":%u,\"kind\":", e->w.vq);
		if (kind)
			pl_printf("\"%s\"", kind);
		else
			pl_printf("%u", e->rec->notify.kind);
	} else {
		pl_where(o, e);
		pl_printf("q%u ", e->w.vq);
		if (kind)
			pl_puts(kind);
		else
			pl_printf("notify kind=%u", e->rec->notify.kind);
	}
	return pl_finish(o, e);
}

int dump_show_undecodable(const dump_opts *o, const dump_ev *e,
			  const char *what, int err)
{
	pl_reset();
	if (o->json) {
		pl_json_where(e, "undecodable");
		pl_printf(",\"vq\":%u,\"head\":%u,\"record\":\"%s\","
			  "\"error\":\"%s\",\"bytes\":%zu", e->w.vq, e->w.head,
			  what, vscsi_errname(err), e->rec->raw_len);
	} else {
		pl_queue(o, e);
		pl_printf("%s %s: %s (%zu bytes)",
			  e->rec->type == VSCSI_REC_REQUEST ? ">" : "<", what,
			  vscsi_strerror(err), e->rec->raw_len);
	}
	return pl_finish(o, e);
}

static const char *vu_dir(unsigned dir)
{
	return dir == VSCSI_VU_TO_BACKEND ? "fe>be" : "be>fe";
}

int dump_show_vu(const dump_opts *o, const dump_ev *e, const vscsi_vu_msg *m,
		 int err)
{
	const vscsi_cap_rec *r = e->rec;
	int channel = r->vu.channel == VSCSI_VU_CHAN_BACKEND ?
			      VSCSI_VU_BACKEND : VSCSI_VU_FRONTEND;

	pl_reset();
	if (o->json) {
		pl_json_where(e, "vhost_user");
		pl_printf(",\"dir\":\"%s\",\"nfds\":%u,\"msg_len\":%" PRIu32,
			  r->vu.dir == VSCSI_VU_TO_BACKEND ? "to_backend" :
							      "to_frontend",
			  r->vu.nfds, r->vu.msg_len);
		if (m) {
			pl_putc(',');
			pl_advance(vscsi_vu_msg_describe_json(m, pl_tail(),
							      pl_room()));
		} else {
			vscsi_vu_hdr h;

			pl_printf(",\"channel\":\"%s\",\"error\":\"%s\"",
				  channel == VSCSI_VU_BACKEND ? "backend" :
								 "frontend",
				  vscsi_errname(err));
			if (vscsi_vu_hdr_parse(r->raw, r->raw_len, &h) !=
			    VSCSI_ERR_TRUNCATED) {
				const char *name = vscsi_vu_request_name(
					h.request, channel);

				pl_puts(",\"request\":");
				if (name)
					pl_json_cstr(name);
				else
					pl_puts("null");
				pl_printf(",\"request_code\":%" PRIu32
					  ",\"flags\":%" PRIu32
					  ",\"size\":%" PRIu32, h.request,
					  h.flags, h.size);
			}
			pl_puts(",\"data\":\"");
			pl_hex(r->raw, r->raw_len < DUMP_RAW_MAX ?
					       r->raw_len : DUMP_RAW_MAX);
			pl_putc('"');
		}
	} else {
		pl_where(o, e);
		pl_printf("vu %s ", vu_dir(r->vu.dir));
		if (m) {
			pl_advance(vscsi_vu_msg_describe(m, pl_tail(),
							 pl_room()));
		} else {
			vscsi_vu_hdr h;
			const char *name = NULL;

			if (vscsi_vu_hdr_parse(r->raw, r->raw_len, &h) !=
			    VSCSI_ERR_TRUNCATED) {
				name = vscsi_vu_request_name(h.request,
							     channel);
				if (name)
					pl_puts(name);
				else
					pl_printf("%s(%" PRIu32 ")",
						  channel == VSCSI_VU_BACKEND ?
						  "BACKEND_UNKNOWN" : "UNKNOWN",
						  h.request);
				if (h.flags & VSCSI_VU_FLAG_REPLY)
					pl_puts(" reply");
				pl_printf(" size=%" PRIu32 ": ", h.size);
			} else {
				pl_puts("message: ");
			}
			if (err == VSCSI_ERR_TRUNCATED &&
			    r->raw_len < r->vu.msg_len)
				pl_printf("cut at the snap length (%zu of %"
					  PRIu32 " bytes)", r->raw_len,
					  r->vu.msg_len);
			else
				pl_printf("malformed: %s", vscsi_strerror(err));
		}
		if (r->vu.nfds)
			pl_printf(" fds=%u", r->vu.nfds);
	}
	return pl_finish(o, e);
}

int dump_show_session(const dump_opts *o, const dump_ev *e)
{
	const vscsi_cap_session *s = &e->rec->session;
	const char *tool = s->tool ? s->tool : "";
	const char *ver = s->tool_version ? s->tool_version : "";
	char feat[1024], proto[1024];
	unsigned i, q0 = vscsi_cap_queue_size(s, 0);
	int same = 1;

	vscsi_vu_features_describe(s->features, 0, feat, sizeof(feat));
	vscsi_vu_features_describe(s->protocol_features, 1, proto,
				   sizeof(proto));
	pl_reset();
	if (o->json) {
		pl_json_where(e, "session");
		pl_printf(",\"features\":\"0x%" PRIx64 "\",\"feature_names\":",
			  s->features);
		pl_json_cstr(feat);
		pl_printf(",\"protocol_features\":\"0x%" PRIx64
			  "\",\"protocol_feature_names\":",
			  s->protocol_features);
		pl_json_cstr(proto);
		pl_printf(",\"cdb_size\":%" PRIu32 ",\"sense_size\":%" PRIu32
			  ",\"snaplen\":%" PRIu32 ",\"num_queues\":%u"
			  ",\"queue_sizes\":[", s->cdb_size, s->sense_size,
			  s->snaplen, s->num_queues);
		for (i = 0; i < s->num_queues; i++)
			pl_printf("%s%u", i ? "," : "",
				  vscsi_cap_queue_size(s, i));
		pl_printf("],\"legacy\":%s,\"big_endian\":%s,\"tool\":",
			  (s->flags & VSCSI_SESSF_LEGACY) ? "true" : "false",
			  (s->flags & VSCSI_SESSF_BIG_ENDIAN) ? "true" :
								 "false");
		pl_json_cstr(tool);
		pl_puts(",\"tool_version\":");
		pl_json_cstr(ver);
	} else {
		pl_where(o, e);
		pl_printf("SESSION features=0x%" PRIx64, s->features);
		if (feat[0])
			pl_printf(" (%s)", feat);
		pl_printf(" protocol=0x%" PRIx64, s->protocol_features);
		if (proto[0])
			pl_printf(" (%s)", proto);
		pl_printf(" cdb_size=%" PRIu32 " sense_size=%" PRIu32
			  " snaplen=%" PRIu32 " queues=", s->cdb_size,
			  s->sense_size, s->snaplen);
		for (i = 1; i < s->num_queues; i++)
			if (vscsi_cap_queue_size(s, i) != q0)
				same = 0;
		if (same)
			pl_printf("%ux%u", s->num_queues, q0);
		else
			for (i = 0; i < s->num_queues; i++)
				pl_printf("%s%u", i ? "," : "",
					  vscsi_cap_queue_size(s, i));
		if (s->flags & VSCSI_SESSF_LEGACY)
			pl_puts(" legacy");
		if (s->flags & VSCSI_SESSF_BIG_ENDIAN)
			pl_puts(" big-endian");
		pl_puts(" tool=");
		pl_safe((const uint8_t *)tool, strlen(tool));
		pl_putc(' ');
		pl_safe((const uint8_t *)ver, strlen(ver));
	}
	return pl_finish(o, e);
}

int dump_show_loss(const dump_opts *o, const dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	const char *reason = vscsi_cap_loss_reason_name(r->loss.reason);

	pl_reset();
	if (o->json) {
		pl_json_where(e, "loss");
		pl_printf(",\"count\":%" PRIu64 ",\"since_ns\":%" PRIu64
			  ",\"reason\":\"%s\",\"reason_code\":%u,\"text\":",
			  r->loss.count, r->loss.since_ns, reason,
			  r->loss.reason);
		pl_json_str(r->raw, r->raw_len);
	} else {
		pl_where(o, e);
		pl_printf("*** LOST %" PRIu64 " record%s (%s", r->loss.count,
			  r->loss.count == 1 ? "" : "s", reason);
		if (r->conn == VSCSI_CAP_CONN_NONE)
			pl_puts(", by the writer");
		pl_puts(") since ");
		/* a point in time, not a step: DELTA and NONE show it as REL */
		pl_time_as(o->time_mode == DUMP_TIME_ABS ||
			   o->time_mode == DUMP_TIME_EPOCH ? o->time_mode :
			   DUMP_TIME_REL, r->loss.since_ns, 0);
		if (line_len && line[line_len - 1] == ' ')
			line[--line_len] = '\0';
		if (r->raw_len) {
			pl_puts(": ");
			pl_safe(r->raw, r->raw_len);
		}
	}
	return pl_finish(o, e);
}

int dump_show_gap(const dump_opts *o, const dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;

	pl_reset();
	if (o->json) {
		pl_json_where(e, "gap");
		pl_printf(",\"missing\":%" PRIu64 ",\"before_recno\":%" PRIu64
			  "}", r->seq_missing, r->recno);
	} else {
		pl_where(o, e);
		pl_printf("*** LOST %" PRIu64 " record%s of this connection "
			  "before record %" PRIu64 " (sequence %" PRIu64
			  " follows %" PRIu64 ")", r->seq_missing,
			  r->seq_missing == 1 ? "" : "s", r->recno, r->seq,
			  r->seq - r->seq_missing - 1);
	}
	pl_out();
	return 1;
}

/* ---------------------------------------------------------------- demo */

static void print_hex(const dump_opts *o, const uint8_t *raw, size_t n)
{
	pl_hexdump(o, raw, n);
}

void dump_print_request(const dump_opts *o, const vscsi_fmt_where *w,
			const vscsi_cmd_req *req, const uint8_t *raw,
			size_t raw_len)
{
	unsigned flags = o->verbose ? VSCSI_FMT_VERBOSE : 0;

	pl_reset();
	if (o->json)
		pl_advance(vscsi_fmt_cmd_req_json(line, sizeof(line), w, req));
	else
		pl_advance(vscsi_fmt_cmd_req(line, sizeof(line), w, req,
					     flags));
	pl_out();
	print_hex(o, raw, raw_len);
}

void dump_print_completion(const dump_opts *o, const vscsi_fmt_where *w,
			   const vscsi_cmd_req *req,
			   const vscsi_cmd_resp *resp, uint32_t used_len,
			   int64_t latency_ns, const uint8_t *raw,
			   size_t raw_len)
{
	unsigned flags = o->verbose ? VSCSI_FMT_VERBOSE : 0;

	pl_reset();
	if (o->json)
		pl_advance(vscsi_fmt_cmd_resp_json(line, sizeof(line), w, req,
						   resp, used_len,
						   latency_ns));
	else
		pl_advance(vscsi_fmt_cmd_resp(line, sizeof(line), w, req, resp,
					      used_len, latency_ns, flags));
	pl_out();
	print_hex(o, raw, raw_len);
}
