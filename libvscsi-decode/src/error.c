/* Error strings and the run-time version. */
#include "vscsi/common.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int code;
	const char *name;
	const char *text;
} err_table[] = {
	{ VSCSI_OK, "OK", "success" },
	{ VSCSI_ERR_TRUNCATED, "TRUNCATED", "input truncated" },
	{ VSCSI_ERR_INVALID, "INVALID", "invalid input" },
	{ VSCSI_ERR_NOMEM, "NOMEM", "out of memory" },
	{ VSCSI_ERR_ARG, "ARG", "invalid argument" },
	{ VSCSI_ERR_IO, "IO", "I/O error" },
	{ VSCSI_ERR_UNSUPPORTED, "UNSUPPORTED", "not supported" },
	{ VSCSI_ERR_NOSPACE, "NOSPACE", "output buffer too small" },
	{ VSCSI_ERR_EMPTY, "EMPTY", "nothing available" },
	{ VSCSI_ERR_DESC_INDEX, "DESC_INDEX", "descriptor index out of range" },
	{ VSCSI_ERR_DESC_LOOP, "DESC_LOOP", "descriptor chain loops" },
	{ VSCSI_ERR_INDIRECT_LEN, "INDIRECT_LEN", "indirect table has a bad length" },
	{ VSCSI_ERR_INDIRECT_NESTED, "INDIRECT_NESTED", "indirect descriptor inside an indirect table" },
	{ VSCSI_ERR_ADDR, "ADDR", "buffer outside guest memory" },
	{ VSCSI_ERR_DESC_ORDER, "DESC_ORDER", "device-readable descriptor after a device-writable one" },
	{ VSCSI_ERR_CHAIN_LONG, "CHAIN_LONG", "descriptor chain longer than the ring" },
	{ VSCSI_ERR_IOV_FULL, "IOV_FULL", "chain has more segments than the iovec array holds" },
	{ VSCSI_ERR_AVAIL_IDX, "AVAIL_IDX", "available index moved ahead by more than the ring size" },
	{ VSCSI_ERR_HEAD, "HEAD", "chain head outside the ring" },
	{ VSCSI_ERR_RING_BROKEN, "RING_BROKEN", "virtqueue marked broken" },
	{ VSCSI_ERR_INDIRECT_OFF, "INDIRECT_OFF", "indirect descriptor without INDIRECT_DESC negotiated" },
	{ VSCSI_ERR_LUN, "LUN", "malformed LUN" },
	{ VSCSI_ERR_INOUT, "INOUT", "data in both directions without INOUT negotiated" },
	{ VSCSI_ERR_CDB_SIZE, "CDB_SIZE", "cdb_size or sense_size out of range" },
	{ VSCSI_ERR_NOT_CAPTURE, "NOT_CAPTURE", "not a vscsi-trace capture file" },
	{ VSCSI_ERR_VERSION, "VERSION", "capture record version not understood" },
	{ VSCSI_ERR_DAMAGED, "DAMAGED", "damaged capture record" },
	{ VSCSI_ERR_COMPRESS, "COMPRESS", "zstd compression error" },
	{ VSCSI_ERR_PCAP, "PCAP", "libpcap error" },
	{ VSCSI_ERR_SYNTAX, "SYNTAX", "filter syntax error" },
	{ VSCSI_ERR_MSG_SIZE, "MSG_SIZE", "vhost-user payload size wrong for its request" },
	{ VSCSI_ERR_PROTO, "PROTO", "vhost-user protocol violation" },
	{ VSCSI_ERR_CLOSED, "CLOSED", "peer closed the connection" },
	{ VSCSI_ERR_FDS, "FDS", "wrong number of file descriptors" },
};

static int err_index(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(err_table); i++)
		if (err_table[i].code == err)
			return (int)i;
	return -1;
}

const char *vscsi_strerror(int err)
{
	int i = err_index(err);

	return i < 0 ? "unknown error" : err_table[i].text;
}

const char *vscsi_errname(int err)
{
	int i = err_index(err);

	return i < 0 ? "UNKNOWN" : err_table[i].name;
}

const char *vscsi_version(void)
{
	return VSCSI_VERSION_STRING;
}

unsigned vscsi_version_number(void)
{
	return VSCSI_VERSION_NUMBER;
}
