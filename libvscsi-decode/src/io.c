/* vscsi_io: the flat per-event summary; see io.h. */
#include <string.h>

#include "vscsi/cdb.h"
#include "vscsi/io.h"
#include "vscsi/sense.h"
#include "cdb_int.h"
#include "mem_int.h"

#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CONDITION_MET 0x04

static const char *const io_type_names[] = {
	"request", "completion", "ctrl", "ctrl_done", "event", "vhost_user",
	"other",
};

const char *vscsi_io_type_name(unsigned type)
{
	return type < sizeof(io_type_names) / sizeof(io_type_names[0]) ?
		       io_type_names[type] : NULL;
}

static void io_base(vscsi_io *io, unsigned type, uint32_t conn, uint16_t vq,
		    uint16_t head, uint64_t ts_ns)
{
	vscsi__zero(io, sizeof(*io));
	io->type = (uint8_t)type;
	io->conn = conn;
	io->vq = vq;
	io->head = head;
	io->ts_ns = ts_ns;
}

static void io_lun(vscsi_io *io, const vscsi_lun *lun)
{
	io->has |= VSCSI_IO_HAS_LUN;
	io->lun_kind = lun->kind;
	io->target = lun->target;
	io->lun = lun->lun;
}

/* The request's facts: LUN, tag, command, LBA, length, data-out. */
static void io_req(vscsi_io *io, const vscsi_cmd_req *req)
{
	vscsi__cdb_brief ci;

	io_lun(io, &req->lun);
	io->tag = req->tag;
	io->task_attr = req->task_attr;
	io->bytes_out = req->data_out_len;
	vscsi__cdb_brief_decode(req->cdb, req->cdb_size, &ci);
	io->has |= VSCSI_IO_HAS_CDB;
	io->opcode = ci.opcode;
	io->has_sa = ci.has_sa;
	io->sa = ci.service_action;
	io->op_class = ci.op_class;
	if (ci.fields & VSCSI_CDB_HAS_LBA) {
		io->has |= VSCSI_IO_HAS_LBA;
		io->lba = ci.lba;
	}
	if (ci.fields & VSCSI_CDB_HAS_XFER) {
		io->has |= VSCSI_IO_HAS_LEN;
		io->xfer_len = ci.xfer_len;
	}
}

static void io_submit_time(vscsi_io *io, uint64_t submit_ns)
{
	io->has |= VSCSI_IO_HAS_SUBMIT | VSCSI_IO_HAS_LATENCY;
	io->ts_submit_ns = submit_ns;
	io->latency_ns = io->ts_ns > submit_ns ? io->ts_ns - submit_ns : 0;
}

void vscsi_io_from_request(vscsi_io *io, uint32_t conn, uint16_t vq,
			   uint16_t head, uint64_t ts_ns,
			   const vscsi_cmd_req *req)
{
	io_base(io, VSCSI_IO_REQUEST, conn, vq, head, ts_ns);
	io_req(io, req);
	io->has |= VSCSI_IO_HAS_SUBMIT;
	io->ts_submit_ns = ts_ns;
}

void vscsi_io_from_completion(vscsi_io *io, uint32_t conn, uint16_t vq,
			      uint16_t head, uint64_t ts_ns,
			      const vscsi_cmd_req *req, uint64_t submit_ns,
			      const vscsi_cmd_resp *resp, uint32_t used_len)
{
	vscsi_sense_info si;

	io_base(io, VSCSI_IO_COMPLETION, conn, vq, head, ts_ns);
	if (req) {
		io_req(io, req);
		io_submit_time(io, submit_ns);
	}
	io->has |= VSCSI_IO_HAS_RESP;
	io->response = resp->response;
	io->status = resp->status;
	io->resid = resp->resid;
	io->bytes_in = used_len > resp->hdr_len ? used_len - resp->hdr_len : 0;
	if (resp->sense_copied &&
	    vscsi_sense_decode(resp->sense, resp->sense_copied, &si) !=
		    VSCSI_ERR_EMPTY &&
	    !si.incomplete && si.response_code >= 0x70 &&
	    si.response_code <= 0x73) {
		io->has |= VSCSI_IO_HAS_SENSE;
		io->sense_key = si.key;
		io->asc = si.asc;
		io->ascq = si.ascq;
	}
}

void vscsi_io_from_ctrl(vscsi_io *io, uint32_t conn, uint16_t vq,
			uint16_t head, uint64_t ts_ns,
			const vscsi_ctrl_req *req)
{
	io_base(io, VSCSI_IO_CTRL, conn, vq, head, ts_ns);
	io_lun(io, &req->lun);
	io->ctrl_type = req->type;
	if (req->type == VSCSI_T_TMF) {
		io->has |= VSCSI_IO_HAS_TMF;
		io->tmf = req->subtype;
		io->tag = req->tag;
	}
	io->has |= VSCSI_IO_HAS_SUBMIT;
	io->ts_submit_ns = ts_ns;
}

void vscsi_io_from_ctrl_done(vscsi_io *io, uint32_t conn, uint16_t vq,
			     uint16_t head, uint64_t ts_ns,
			     const vscsi_ctrl_req *req, uint64_t submit_ns,
			     const vscsi_ctrl_resp *resp)
{
	if (req) {
		vscsi_io_from_ctrl(io, conn, vq, head, ts_ns, req);
		io_submit_time(io, submit_ns);
	} else {
		io_base(io, VSCSI_IO_CTRL, conn, vq, head, ts_ns);
		io->ctrl_type = resp->type;
	}
	io->type = VSCSI_IO_CTRL_DONE;
	io->has |= VSCSI_IO_HAS_RESP;
	io->response = resp->response;
}

void vscsi_io_from_event(vscsi_io *io, uint32_t conn, uint16_t vq,
			 uint16_t head, uint64_t ts_ns, const vscsi_event *ev)
{
	io_base(io, VSCSI_IO_EVENT, conn, vq, head, ts_ns);
	io_lun(io, &ev->lun);
	io->event = ev->event;
	io->event_reason = ev->reason;
}

int vscsi_io_is_error(const vscsi_io *io)
{
	if (!(io->has & VSCSI_IO_HAS_RESP))
		return 0;
	if (io->type == VSCSI_IO_CTRL_DONE)
		return io->response != VSCSI_S_FUNCTION_COMPLETE &&
		       io->response != VSCSI_S_FUNCTION_SUCCEEDED;
	return io->response != VSCSI_S_OK ||
	       (io->status != SCSI_STATUS_GOOD &&
		io->status != SCSI_STATUS_CONDITION_MET);
}
