/*
 * Text and JSON forms of virtio-scsi events; see format.h for the line
 * layout. The CDB, sense and name texts come from their own modules so that
 * every tool prints a command the same way.
 */
#include <inttypes.h>
#include <string.h>

#include "sense_int.h"
#include "strbuf.h"
#include "vscsi/cdb.h"
#include "vscsi/format.h"
#include "vscsi/sense.h"

#define SCSI_STATUS_CHECK_CONDITION 0x02

/* --------------------------------------------------------------- pieces */

static void put_time(vscsi_sb *sb, const vscsi_fmt_where *w, unsigned flags)
{
	if (!(flags & VSCSI_FMT_NO_TIME))
		vscsi__sb_printf(sb, "%" PRIu64 ".%09" PRIu64 " ",
				 w->ts_ns / 1000000000u, w->ts_ns % 1000000000u);
}

static void put_lun(vscsi_sb *sb, const vscsi_lun *lun)
{
	switch (lun->kind) {
	case VSCSI_LUN_NORMAL:
		vscsi__sb_printf(sb, "%u:%u", lun->target, lun->lun);
		break;
	case VSCSI_LUN_REPORT_LUNS:
		vscsi__sb_printf(sb, "%u:wlun", lun->target);
		break;
	default:
		vscsi__sb_puts(sb, "lun=");
		vscsi__sb_hex(sb, lun->raw, sizeof(lun->raw));
	}
}

/* "TIME [cN] qV [hH] T:L" */
static void put_where(vscsi_sb *sb, const vscsi_fmt_where *w,
		      const vscsi_lun *lun, unsigned flags)
{
	put_time(sb, w, flags);
	if (w->conn || (flags & VSCSI_FMT_VERBOSE))
		vscsi__sb_printf(sb, "c%" PRIu32 " ", w->conn);
	vscsi__sb_printf(sb, "q%u ", w->vq);
	if (flags & VSCSI_FMT_VERBOSE)
		vscsi__sb_printf(sb, "h%u ", w->head);
	if (lun) {
		put_lun(sb, lun);
		vscsi__sb_putc(sb, ' ');
	}
}

static void put_duration(vscsi_sb *sb, uint64_t ns)
{
	if (ns < 1000u)
		vscsi__sb_printf(sb, "%" PRIu64 "ns", ns);
	else if (ns < 1000000u)
		vscsi__sb_printf(sb, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000u)
		vscsi__sb_printf(sb, "%.2fms", (double)ns / 1e6);
	else
		vscsi__sb_printf(sb, "%.3fs", (double)ns / 1e9);
}

static void put_latency(vscsi_sb *sb, int64_t latency_ns)
{
	if (latency_ns >= 0) {
		vscsi__sb_puts(sb, " lat=");
		put_duration(sb, (uint64_t)latency_ns);
	}
}

static void put_cdb(vscsi_sb *sb, const vscsi_cmd_req *req, unsigned flags)
{
	vscsi_cdb_info ci;

	vscsi_cdb_decode(req->cdb, req->cdb_size, &ci);
	vscsi__sb_advance(sb, vscsi_cdb_describe(&ci, vscsi__sb_tail(sb),
					  vscsi__sb_tail_len(sb)));
	if (flags & VSCSI_FMT_VERBOSE) {
		size_t n = ci.cdb_len && ci.cdb_len <= req->cdb_size ?
			   ci.cdb_len : req->cdb_size;

		vscsi__sb_puts(sb, " cdb=");
		vscsi__sb_hex(sb, req->cdb, n);
	}
}

static const char *cdb_name(const vscsi_cmd_req *req)
{
	vscsi_cdb_info ci;

	vscsi_cdb_decode(req->cdb, req->cdb_size, &ci);
	return ci.name;
}

static void put_sense(vscsi_sb *sb, const vscsi_cmd_resp *resp)
{
	vscsi_sense_info si;

	if (vscsi_sense_decode(resp->sense, resp->sense_copied, &si) ==
	    VSCSI_ERR_EMPTY)
		return;
	vscsi__sb_putc(sb, ' ');
	vscsi__sb_advance(sb, vscsi_sense_describe(&si, vscsi__sb_tail(sb),
					  vscsi__sb_tail_len(sb)));
}

static const char *name_or(const char *name, const char *fallback)
{
	return name ? name : fallback;
}

static void put_status(vscsi_sb *sb, uint8_t status)
{
	const char *name = vscsi_status_name(status);

	if (name)
		vscsi__sb_puts(sb, name);
	else
		vscsi__sb_printf(sb, "status=0x%02x", status);
}

static void put_response(vscsi_sb *sb, unsigned response, int ctrl)
{
	const char *name = vscsi_vs_response_name(response, ctrl);

	if (name)
		vscsi__sb_puts(sb, name);
	else
		vscsi__sb_printf(sb, "response=%u", response);
}

static void put_an_classes(vscsi_sb *sb, uint32_t mask)
{
	uint32_t bit;
	int first = 1;

	if (!mask) {
		vscsi__sb_puts(sb, "none");
		return;
	}
	for (bit = 1; bit; bit <<= 1) {
		const char *name;

		if (!(mask & bit))
			continue;
		name = vscsi_an_class_name(bit);
		if (!first)
			vscsi__sb_putc(sb, '|');
		first = 0;
		if (name)
			vscsi__sb_puts(sb, name);
		else
			vscsi__sb_printf(sb, "0x%" PRIx32, bit);
	}
}

static uint32_t data_in_len(const vscsi_cmd_resp *resp, uint32_t used_len)
{
	return used_len > resp->hdr_len ? used_len - resp->hdr_len : 0;
}

/* --------------------------------------------------------------- text */

size_t vscsi_fmt_cmd_req(char *buf, size_t len, const vscsi_fmt_where *w,
			 const vscsi_cmd_req *req, unsigned flags)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	put_where(&sb, w, &req->lun, flags);
	vscsi__sb_printf(&sb, "tag=0x%" PRIx64 " > ", req->tag);
	put_cdb(&sb, req, flags);
	if (req->task_attr != VSCSI_TASK_SIMPLE)
		vscsi__sb_printf(&sb, " %s",
				 name_or(vscsi_task_attr_name(req->task_attr),
					 "attr?"));
	if (req->data_out_len)
		vscsi__sb_printf(&sb, " out=%" PRIu64, req->data_out_len);
	if (req->has_pi)
		vscsi__sb_printf(&sb, " pi_out=%" PRIu32 " pi_in=%" PRIu32,
				 req->pi_bytesout, req->pi_bytesin);
	if (flags & VSCSI_FMT_VERBOSE)
		vscsi__sb_printf(&sb, " prio=%u crn=%u", req->prio, req->crn);
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_cmd_resp(char *buf, size_t len, const vscsi_fmt_where *w,
			  const vscsi_cmd_req *req, const vscsi_cmd_resp *resp,
			  uint32_t used_len, int64_t latency_ns, unsigned flags)
{
	vscsi_sb sb;
	uint32_t in = data_in_len(resp, used_len);

	vscsi__sb_init(&sb, buf, len);
	put_where(&sb, w, req ? &req->lun : NULL, flags);
	if (req)
		vscsi__sb_printf(&sb, "tag=0x%" PRIx64 " < %s ", req->tag,
				 cdb_name(req));
	else
		vscsi__sb_puts(&sb, "< ");
	put_response(&sb, resp->response, 0);
	/* status and sense mean something only when the response is OK
	 * (virtio 1.2 5.6.6.1) */
	if (resp->response == VSCSI_S_OK) {
		vscsi__sb_putc(&sb, ' ');
		put_status(&sb, resp->status);
		if (resp->status == SCSI_STATUS_CHECK_CONDITION ||
		    resp->sense_copied)
			put_sense(&sb, resp);
	}
	if (in)
		vscsi__sb_printf(&sb, " in=%" PRIu32, in);
	if (resp->resid)
		vscsi__sb_printf(&sb, " resid=%" PRIu32, resp->resid);
	if (flags & VSCSI_FMT_VERBOSE)
		vscsi__sb_printf(&sb, " used=%" PRIu32 " sense_len=%" PRIu32
				 " qualifier=0x%04x", used_len,
				 resp->sense_len, resp->status_qualifier);
	put_latency(&sb, latency_ns);
	return vscsi__sb_done(&sb);
}

static void put_ctrl_body(vscsi_sb *sb, const vscsi_ctrl_req *req)
{
	switch (req->type) {
	case VSCSI_T_TMF:
		vscsi__sb_printf(sb, "TMF %s",
				 name_or(vscsi_tmf_name(req->subtype), "?"));
		if (!vscsi_tmf_name(req->subtype))
			vscsi__sb_printf(sb, "(%" PRIu32 ")", req->subtype);
		if (req->subtype == VSCSI_TMF_ABORT_TASK ||
		    req->subtype == VSCSI_TMF_QUERY_TASK)
			vscsi__sb_printf(sb, " tag=0x%" PRIx64, req->tag);
		break;
	case VSCSI_T_AN_QUERY:
	case VSCSI_T_AN_SUBSCRIBE:
		vscsi__sb_printf(sb, "%s classes=",
				 vscsi_ctrl_type_name(req->type));
		put_an_classes(sb, req->event_requested);
		break;
	default:
		vscsi__sb_printf(sb, "CTRL type=%" PRIu32, req->type);
	}
}

size_t vscsi_fmt_ctrl_req(char *buf, size_t len, const vscsi_fmt_where *w,
			  const vscsi_ctrl_req *req, unsigned flags)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	put_where(&sb, w, &req->lun, flags);
	vscsi__sb_puts(&sb, "> ");
	put_ctrl_body(&sb, req);
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_ctrl_resp(char *buf, size_t len, const vscsi_fmt_where *w,
			   const vscsi_ctrl_req *req,
			   const vscsi_ctrl_resp *resp, int64_t latency_ns,
			   unsigned flags)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	put_where(&sb, w, req ? &req->lun : NULL, flags);
	vscsi__sb_puts(&sb, "< ");
	if (req) {
		put_ctrl_body(&sb, req);
		vscsi__sb_putc(&sb, ' ');
	}
	put_response(&sb, resp->response, resp->type == VSCSI_T_TMF);
	if (resp->type == VSCSI_T_AN_QUERY ||
	    resp->type == VSCSI_T_AN_SUBSCRIBE) {
		vscsi__sb_puts(&sb, " actual=");
		put_an_classes(&sb, resp->event_actual);
	}
	put_latency(&sb, latency_ns);
	return vscsi__sb_done(&sb);
}

static void put_param_change(vscsi_sb *sb, uint32_t reason)
{
	uint8_t asc = (uint8_t)reason, ascq = (uint8_t)(reason >> 8);

	vscsi__sb_printf(sb, " %02x/%02x ", asc, ascq);
	vscsi__sb_asc_lower(sb, asc, ascq);
}

size_t vscsi_fmt_event(char *buf, size_t len, const vscsi_fmt_where *w,
		       const vscsi_event *ev, unsigned flags)
{
	vscsi_sb sb;
	uint32_t type = ev->event & ~VSCSI_EVT_EVENTS_MISSED;
	const char *name = vscsi_event_name(ev->event);

	vscsi__sb_init(&sb, buf, len);
	put_where(&sb, w, type == VSCSI_EVT_NO_EVENT ? NULL : &ev->lun, flags);
	vscsi__sb_puts(&sb, "EVENT ");
	if (name)
		vscsi__sb_puts(&sb, name);
	else
		vscsi__sb_printf(&sb, "event=%" PRIu32, type);
	switch (type) {
	case VSCSI_EVT_TRANSPORT_RESET:
		vscsi__sb_printf(&sb, " %s",
				 name_or(vscsi_reset_reason_name(ev->reason),
					 "reason?"));
		break;
	case VSCSI_EVT_ASYNC_NOTIFY:
		vscsi__sb_putc(&sb, ' ');
		put_an_classes(&sb, ev->reason);
		break;
	case VSCSI_EVT_PARAM_CHANGE:
		put_param_change(&sb, ev->reason);
		break;
	default:
		break;
	}
	if (ev->event & VSCSI_EVT_EVENTS_MISSED)
		vscsi__sb_puts(&sb, " EVENTS_MISSED");
	return vscsi__sb_done(&sb);
}

/* --------------------------------------------------------------- JSON */

static void json_where(vscsi_sb *sb, const vscsi_fmt_where *w,
		       const char *type)
{
	vscsi__sb_printf(sb, "{\"type\":\"%s\",\"ts_ns\":%" PRIu64
			 ",\"conn\":%" PRIu32 ",\"vq\":%u,\"head\":%u", type,
			 w->ts_ns, w->conn, w->vq, w->head);
}

static void json_lun(vscsi_sb *sb, const vscsi_lun *lun)
{
	vscsi__sb_puts(sb, ",\"lun\":{");
	switch (lun->kind) {
	case VSCSI_LUN_NORMAL:
		vscsi__sb_printf(sb, "\"target\":%u,\"lun\":%u", lun->target,
				 lun->lun);
		break;
	case VSCSI_LUN_REPORT_LUNS:
		vscsi__sb_printf(sb, "\"target\":%u,\"wlun\":\"REPORT LUNS\"",
				 lun->target);
		break;
	default:
		vscsi__sb_puts(sb, "\"malformed\":true");
	}
	vscsi__sb_puts(sb, ",\"raw\":\"");
	vscsi__sb_hex(sb, lun->raw, sizeof(lun->raw));
	vscsi__sb_puts(sb, "\"}");
}

static void json_name(vscsi_sb *sb, const char *key, const char *name,
		      unsigned code)
{
	vscsi__sb_printf(sb, ",\"%s\":", key);
	if (name)
		vscsi__sb_json_str(sb, name);
	else
		vscsi__sb_printf(sb, "%u", code);
}

static void json_cdb(vscsi_sb *sb, const vscsi_cmd_req *req)
{
	vscsi_cdb_info ci;
	size_t n;

	vscsi_cdb_decode(req->cdb, req->cdb_size, &ci);
	vscsi__sb_putc(sb, ',');
	vscsi__sb_advance(sb, vscsi_cdb_describe_json(&ci, vscsi__sb_tail(sb),
					  vscsi__sb_tail_len(sb)));
	n = ci.cdb_len && ci.cdb_len <= req->cdb_size ? ci.cdb_len :
							 req->cdb_size;
	vscsi__sb_puts(sb, ",\"cdb\":\"");
	vscsi__sb_hex(sb, req->cdb, n);
	vscsi__sb_putc(sb, '"');
}

static void json_latency(vscsi_sb *sb, int64_t latency_ns)
{
	if (latency_ns >= 0)
		vscsi__sb_printf(sb, ",\"latency_ns\":%" PRId64, latency_ns);
}

size_t vscsi_fmt_cmd_req_json(char *buf, size_t len, const vscsi_fmt_where *w,
			      const vscsi_cmd_req *req)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	json_where(&sb, w, "request");
	json_lun(&sb, &req->lun);
	vscsi__sb_printf(&sb, ",\"tag\":%" PRIu64, req->tag);
	json_name(&sb, "task_attr", vscsi_task_attr_name(req->task_attr),
		  req->task_attr);
	vscsi__sb_printf(&sb, ",\"prio\":%u,\"crn\":%u", req->prio, req->crn);
	json_cdb(&sb, req);
	vscsi__sb_printf(&sb, ",\"data_out\":%" PRIu64, req->data_out_len);
	if (req->has_pi)
		vscsi__sb_printf(&sb, ",\"pi_bytesout\":%" PRIu32
				 ",\"pi_bytesin\":%" PRIu32,
				 req->pi_bytesout, req->pi_bytesin);
	vscsi__sb_putc(&sb, '}');
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_cmd_resp_json(char *buf, size_t len,
			       const vscsi_fmt_where *w,
			       const vscsi_cmd_req *req,
			       const vscsi_cmd_resp *resp, uint32_t used_len,
			       int64_t latency_ns)
{
	vscsi_sb sb;
	vscsi_sense_info si;

	vscsi__sb_init(&sb, buf, len);
	json_where(&sb, w, "completion");
	if (req) {
		json_lun(&sb, &req->lun);
		vscsi__sb_printf(&sb, ",\"tag\":%" PRIu64, req->tag);
		json_name(&sb, "op", cdb_name(req), 0);
	}
	json_name(&sb, "response", vscsi_vs_response_name(resp->response, 0),
		  resp->response);
	vscsi__sb_printf(&sb, ",\"status_code\":%u", resp->status);
	json_name(&sb, "status", vscsi_status_name(resp->status),
		  resp->status);
	vscsi__sb_printf(&sb, ",\"resid\":%" PRIu32 ",\"sense_len\":%" PRIu32
			 ",\"status_qualifier\":%u,\"used_len\":%" PRIu32
			 ",\"data_in\":%" PRIu32, resp->resid,
			 resp->sense_len, resp->status_qualifier, used_len,
			 data_in_len(resp, used_len));
	if (resp->sense_copied &&
	    vscsi_sense_decode(resp->sense, resp->sense_copied, &si) !=
		    VSCSI_ERR_EMPTY) {

		vscsi__sb_puts(&sb, ",\"sense\":{");
		vscsi__sb_advance(&sb, vscsi_sense_describe_json(&si, vscsi__sb_tail(&sb),
						   vscsi__sb_tail_len(&sb)));
		vscsi__sb_puts(&sb, ",\"raw\":\"");
		vscsi__sb_hex(&sb, resp->sense, resp->sense_copied);
		vscsi__sb_puts(&sb, "\"}");
	}
	json_latency(&sb, latency_ns);
	vscsi__sb_putc(&sb, '}');
	return vscsi__sb_done(&sb);
}

static void json_ctrl_body(vscsi_sb *sb, const vscsi_ctrl_req *req)
{
	json_name(sb, "ctrl", vscsi_ctrl_type_name(req->type), req->type);
	if (req->type == VSCSI_T_TMF) {
		json_name(sb, "tmf", vscsi_tmf_name(req->subtype),
			  req->subtype);
		vscsi__sb_printf(sb, ",\"tag\":%" PRIu64, req->tag);
	} else if (req->type == VSCSI_T_AN_QUERY ||
		   req->type == VSCSI_T_AN_SUBSCRIBE) {
		vscsi__sb_printf(sb, ",\"event_requested\":%" PRIu32,
				 req->event_requested);
	}
}

size_t vscsi_fmt_ctrl_req_json(char *buf, size_t len,
			       const vscsi_fmt_where *w,
			       const vscsi_ctrl_req *req)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	json_where(&sb, w, "ctrl_request");
	json_lun(&sb, &req->lun);
	json_ctrl_body(&sb, req);
	vscsi__sb_putc(&sb, '}');
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_ctrl_resp_json(char *buf, size_t len,
				const vscsi_fmt_where *w,
				const vscsi_ctrl_req *req,
				const vscsi_ctrl_resp *resp,
				int64_t latency_ns)
{
	vscsi_sb sb;
	int tmf = resp->type == VSCSI_T_TMF;

	vscsi__sb_init(&sb, buf, len);
	json_where(&sb, w, "ctrl_completion");
	if (req) {
		json_lun(&sb, &req->lun);
		json_ctrl_body(&sb, req);
	}
	json_name(&sb, "response",
		  vscsi_vs_response_name(resp->response, tmf), resp->response);
	if (!tmf)
		vscsi__sb_printf(&sb, ",\"event_actual\":%" PRIu32,
				 resp->event_actual);
	json_latency(&sb, latency_ns);
	vscsi__sb_putc(&sb, '}');
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_event_json(char *buf, size_t len, const vscsi_fmt_where *w,
			    const vscsi_event *ev)
{
	vscsi_sb sb;
	uint32_t type = ev->event & ~VSCSI_EVT_EVENTS_MISSED;

	vscsi__sb_init(&sb, buf, len);
	json_where(&sb, w, "event");
	json_lun(&sb, &ev->lun);
	json_name(&sb, "event", vscsi_event_name(ev->event), type);
	vscsi__sb_printf(&sb, ",\"events_missed\":%s,\"reason\":%" PRIu32,
			 ev->event & VSCSI_EVT_EVENTS_MISSED ? "true" : "false",
			 ev->reason);
	if (type == VSCSI_EVT_TRANSPORT_RESET)
		json_name(&sb, "reset_reason",
			  vscsi_reset_reason_name(ev->reason), ev->reason);
	else if (type == VSCSI_EVT_PARAM_CHANGE)
		vscsi__sb_printf(&sb, ",\"asc\":%u,\"ascq\":%u",
				 ev->reason & 0xffu, (ev->reason >> 8) & 0xffu);
	vscsi__sb_putc(&sb, '}');
	return vscsi__sb_done(&sb);
}

/* --------------------------------------------------------------- small */

size_t vscsi_fmt_lun(char *buf, size_t len, const vscsi_lun *lun)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	put_lun(&sb, lun);
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_duration(char *buf, size_t len, uint64_t ns)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	put_duration(&sb, ns);
	return vscsi__sb_done(&sb);
}

size_t vscsi_fmt_hexdump(char *buf, size_t len, const void *data, size_t n,
			 size_t max, unsigned indent)
{
	const uint8_t *p = data;
	vscsi_sb sb;
	size_t off, i, show = max && max < n ? max : n;

	vscsi__sb_init(&sb, buf, len);
	for (off = 0; off < show; off += 16) {
		size_t k = show - off < 16 ? show - off : 16;

		vscsi__sb_printf(&sb, "%*s0x%04zx: ", (int)indent, "", off);
		for (i = 0; i < 16; i++) {
			if (i < k)
				vscsi__sb_printf(&sb, " %02x", p[off + i]);
			else
				vscsi__sb_puts(&sb, "   ");
		}
		vscsi__sb_puts(&sb, "  ");
		for (i = 0; i < k; i++) {
			uint8_t c = p[off + i];

			vscsi__sb_putc(&sb, c >= 0x20 && c < 0x7f ? (char)c :
								     '.');
		}
		vscsi__sb_putc(&sb, '\n');
	}
	if (show < n)
		vscsi__sb_printf(&sb, "%*s... %zu more bytes\n", (int)indent,
				 "", n - show);
	return vscsi__sb_done(&sb);
}
