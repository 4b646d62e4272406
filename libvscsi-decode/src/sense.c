/*
 * SCSI status codes (SAM-5 5.3), sense keys and sense data (SPC-5 4.4):
 * names, the decoder, the text and JSON describers, and the builders a
 * device uses. The ASC/ASCQ list lives in asc_table.c.
 */
#include <inttypes.h>
#include <string.h>

#include "vscsi/reader.h"
#include "vscsi/sense.h"
#include "sense_int.h"
#include "strbuf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ names */

/* SAM-5 5.3.1, table "Status codes". */
static const struct {
	uint8_t code;
	const char *name;
} sense_status_names[] = {
	{ VSCSI_STATUS_GOOD, "GOOD" },
	{ VSCSI_STATUS_CHECK_CONDITION, "CHECK CONDITION" },
	{ VSCSI_STATUS_CONDITION_MET, "CONDITION MET" },
	{ VSCSI_STATUS_BUSY, "BUSY" },
	{ VSCSI_STATUS_INTERMEDIATE, "INTERMEDIATE" },
	{ VSCSI_STATUS_INTERMEDIATE_CONDITION_MET, "INTERMEDIATE-CONDITION MET" },
	{ VSCSI_STATUS_RESERVATION_CONFLICT, "RESERVATION CONFLICT" },
	{ VSCSI_STATUS_COMMAND_TERMINATED, "COMMAND TERMINATED" },
	{ VSCSI_STATUS_TASK_SET_FULL, "TASK SET FULL" },
	{ VSCSI_STATUS_ACA_ACTIVE, "ACA ACTIVE" },
	{ VSCSI_STATUS_TASK_ABORTED, "TASK ABORTED" },
};

const char *vscsi_status_name(uint8_t status)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(sense_status_names); i++)
		if (sense_status_names[i].code == status)
			return sense_status_names[i].name;
	return NULL;
}

const char *vscsi_status_str(uint8_t status)
{
	const char *s = vscsi_status_name(status);

	return s ? s : "RESERVED";
}

/* SPC-5 4.4, table "Sense key descriptions". */
static const char *const sense_key_names[16] = {
	"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
	"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
	"BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED", "ABORTED COMMAND",
	"EQUAL", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED",
};

const char *vscsi_sense_key_name(unsigned key)
{
	return key < 16 ? sense_key_names[key] : NULL;
}

const char *vscsi_sense_key_str(unsigned key)
{
	return key < 16 ? sense_key_names[key] : "RESERVED";
}

/* ------------------------------------------------------------ decoding */

/* Which sense-key-specific format a sense key uses (SPC-5 4.4.2, table "Sense key
 * specific field definitions"). */
static uint8_t sense_sks_kind_for(uint8_t key)
{
	switch (key) {
	case VSCSI_SK_ILLEGAL_REQUEST:
		return VSCSI_SKS_FIELD_POINTER;
	case VSCSI_SK_NO_SENSE:
	case VSCSI_SK_NOT_READY:
		return VSCSI_SKS_PROGRESS;
	case VSCSI_SK_RECOVERED_ERROR:
	case VSCSI_SK_MEDIUM_ERROR:
	case VSCSI_SK_HARDWARE_ERROR:
		return VSCSI_SKS_RETRY_COUNT;
	case VSCSI_SK_COPY_ABORTED:
		return VSCSI_SKS_SEGMENT_POINTER;
	case VSCSI_SK_UNIT_ATTENTION:
		return VSCSI_SKS_UA_QUEUE_OVERFLOW;
	default:
		return VSCSI_SKS_NONE;
	}
}

/*
 * The three sense-key-specific bytes (SPC-5 4.4.2, sense key specific
 * sense data descriptor; the same bytes are fixed format bytes 15-17), read by the key in
 * out->key:
 *   byte 0: SKSV(7) | key specific
 *     field pointer:   C/D(6) reserved(5-4) BPV(3) BIT POINTER(2-0)
 *     segment pointer: reserved(6) SD(5) reserved(4) BPV(3) BIT POINTER(2-0)
 *     UA queue overflow: reserved(6-1) OVERFLOW(0)
 *   bytes 1-2: FIELD POINTER / PROGRESS INDICATION / ACTUAL RETRY COUNT
 */
static void sense_sks(vscsi_sense_info *out, const uint8_t *p)
{
	uint16_t v = (uint16_t)(p[1] << 8 | p[2]);

	memcpy(out->sks, p, 3);
	out->sks_valid = (p[0] & 0x80) ? 1 : 0;
	out->sks_kind = VSCSI_SKS_NONE;
	if (!out->sks_valid)
		return;
	out->sks_kind = sense_sks_kind_for(out->key);
	switch (out->sks_kind) {
	case VSCSI_SKS_FIELD_POINTER:
		out->fp_cd = (p[0] >> 6) & 1;
		out->fp_bpv = (p[0] >> 3) & 1;
		out->fp_bit = p[0] & 7;
		out->fp_field = v;
		break;
	case VSCSI_SKS_SEGMENT_POINTER:
		out->seg_sd = (p[0] >> 5) & 1;
		out->fp_bpv = (p[0] >> 3) & 1;
		out->fp_bit = p[0] & 7;
		out->fp_field = v;
		break;
	case VSCSI_SKS_PROGRESS:
		out->progress = v;
		break;
	case VSCSI_SKS_RETRY_COUNT:
		out->retry_count = v;
		break;
	case VSCSI_SKS_UA_QUEUE_OVERFLOW:
		out->ua_overflow = p[0] & 1;
		break;
	default:
		break;
	}
}

/*
 * Fixed format (SPC-5 4.4.3), layout in sense.h. p/n: the sense data up to
 * where it ends (by the buffer or by the additional sense length).
 */
static int sense_fixed(vscsi_sense_info *out, const uint8_t *p, size_t n)
{
	if (n > 2) {
		out->filemark = (p[2] >> 7) & 1;
		out->eom = (p[2] >> 6) & 1;
		out->ili = (p[2] >> 5) & 1;
		out->sdat_ovfl = (p[2] >> 4) & 1;
		out->key = p[2] & 0x0f;
	}
	if (n >= 7) {
		out->information = vscsi_get_be(p + 3, 4);
		out->has_info = out->valid;
	}
	if (n >= 12) {
		out->csi = vscsi_get_be(p + 8, 4);
		out->has_csi = out->csi != 0;
	}
	if (n > 12)
		out->asc = p[12];
	if (n > 13)
		out->ascq = p[13];
	if (n > 14)
		out->fru = p[14];
	if (n >= 18)
		sense_sks(out, p + 15);
	return n >= 14 ? VSCSI_OK : VSCSI_ERR_TRUNCATED;
}

static void sense_note_desc(vscsi_sense_info *out, uint8_t type)
{
	out->n_desc++;
	if (type < 32)
		out->desc_seen |= (uint32_t)1 << type;
	else if (type >= 0x80 && out->n_vendor_desc < UINT8_MAX)
		out->n_vendor_desc++;
	if (out->n_desc_types < VSCSI_SENSE_DESC_TYPES_MAX)
		out->desc_types[out->n_desc_types++] = type;
}

/* The smallest ADDITIONAL LENGTH each descriptor type allows (SPC-5
 * 4.4.2, SBC-4, SAT-4); 0 where any length is acceptable. */
static uint8_t sense_desc_min(uint8_t type)
{
	switch (type) {
	case VSCSI_SDESC_INFORMATION:
	case VSCSI_SDESC_COMMAND_SPECIFIC:
		return 0x0A;
	case VSCSI_SDESC_SENSE_KEY_SPECIFIC:
	case VSCSI_SDESC_PROGRESS_INDICATION:
	case VSCSI_SDESC_MICROCODE_ACTIVATION:
		return 0x06;
	case VSCSI_SDESC_FRU:
	case VSCSI_SDESC_STREAM_COMMANDS:
	case VSCSI_SDESC_BLOCK_COMMANDS:
	case VSCSI_SDESC_USER_DATA_SEGMENT_REFERRAL:
	case VSCSI_SDESC_FORWARDED_SENSE:
	case VSCSI_SDESC_DEVICE_DESIGNATION:
		return 0x02;
	case VSCSI_SDESC_ATA_STATUS_RETURN:
		return 0x0C;
	case VSCSI_SDESC_DIRECT_ACCESS_BLOCK:
		return 0x1C;
	default:
		return 0;
	}
}

/*
 * One sense data descriptor, d[0] type, d[1] additional length, whole
 * (n = 2 + d[1] bytes). A repeated type keeps the first one's values.
 * Returns VSCSI_ERR_INVALID when the descriptor is too short for its type.
 *
 *   00h information      2: VALID(7)  4-11: INFORMATION
 *   01h command-specific 4-11: COMMAND-SPECIFIC INFORMATION
 *   02h sense key spec.  4-6: SKSV | SENSE KEY SPECIFIC
 *   03h FRU              3: FIELD REPLACEABLE UNIT CODE
 *   04h stream commands  3: FILEMARK(7) EOM(6) ILI(5)
 *   05h block commands   3: ILI(5)
 *   09h ATA status ret.  2: EXTEND(0) 3: ERROR 4-5: COUNT 15:0
 *                        6: LBA 31:24 7: LBA 7:0 8: LBA 39:32
 *                        9: LBA 15:8 10: LBA 47:40 11: LBA 23:16
 *                        12: DEVICE 13: STATUS
 *   0Ah progress ind.    2: SENSE KEY 3: ASC 4: ASCQ 6-7: PROGRESS
 *   0Bh UDS referral     2: NOT_ALL_R(0), referral descriptors follow
 *   0Ch forwarded sense  2: FSDT(7) SENSE DATA SOURCE(3-0) 3: STATUS
 *                        4-n: the forwarded sense data
 *   0Dh direct-access    2: VALID(7) ILI(5) 4-6: SKS 7: FRU
 *       block device     8-15: INFORMATION 16-23: CSI 24-31: LBA
 *   0Fh microcode act.   6-7: MICROCODE ACTIVATION TIME
 */
static int sense_desc(vscsi_sense_info *out, const uint8_t *d, size_t n)
{
	uint8_t type = d[0];

	sense_note_desc(out, type);
	if (d[1] < sense_desc_min(type))
		return VSCSI_ERR_INVALID;

	switch (type) {
	case VSCSI_SDESC_INFORMATION:
		if (!out->has_info) {
			out->valid = (d[2] >> 7) & 1;
			out->information = vscsi_get_be(d + 4, 8);
			out->has_info = out->valid;
		}
		break;
	case VSCSI_SDESC_COMMAND_SPECIFIC:
		if (!out->has_csi) {
			out->csi = vscsi_get_be(d + 4, 8);
			out->has_csi = 1;
		}
		break;
	case VSCSI_SDESC_SENSE_KEY_SPECIFIC:
		if (!out->sks_valid)
			sense_sks(out, d + 4);
		break;
	case VSCSI_SDESC_FRU:
		if (!out->fru)
			out->fru = d[3];
		break;
	case VSCSI_SDESC_STREAM_COMMANDS:
		out->filemark |= (d[3] >> 7) & 1;
		out->eom |= (d[3] >> 6) & 1;
		out->ili |= (d[3] >> 5) & 1;
		break;
	case VSCSI_SDESC_BLOCK_COMMANDS:
		out->ili |= (d[3] >> 5) & 1;
		break;
	case VSCSI_SDESC_ATA_STATUS_RETURN:
		if (out->has_ata)
			break;
		out->has_ata = 1;
		out->ata_extend = d[2] & 1;
		out->ata_error = d[3];
		out->ata_count = (uint16_t)(d[4] << 8 | d[5]);
		out->ata_lba = (uint64_t)d[10] << 40 | (uint64_t)d[8] << 32 |
			       (uint64_t)d[6] << 24 | (uint64_t)d[11] << 16 |
			       (uint64_t)d[9] << 8 | d[7];
		out->ata_device = d[12];
		out->ata_status = d[13];
		break;
	case VSCSI_SDESC_PROGRESS_INDICATION:
		if (out->has_pi)
			break;
		out->has_pi = 1;
		out->pi_key = d[2] & 0x0f;
		out->pi_asc = d[3];
		out->pi_ascq = d[4];
		out->pi_progress = (uint16_t)(d[6] << 8 | d[7]);
		break;
	case VSCSI_SDESC_USER_DATA_SEGMENT_REFERRAL:
		if (out->has_udsr)
			break;
		out->has_udsr = 1;
		out->udsr_not_all_r = d[2] & 1;
		break;
	case VSCSI_SDESC_FORWARDED_SENSE:
		if (out->has_fwd)
			break;
		out->has_fwd = 1;
		out->fwd_fsdt = (d[2] >> 7) & 1;
		out->fwd_source = d[2] & 0x0f;
		out->fwd_status = d[3];
		out->fwd_len = (uint8_t)(n - 4);
		break;
	case VSCSI_SDESC_DIRECT_ACCESS_BLOCK:
		/* It repeats descriptors 00h-03h and 05h; the separate ones,
		 * when also sent, take precedence. */
		if (out->has_dabd)
			break;
		out->has_dabd = 1;
		out->ili |= (d[2] >> 5) & 1;
		if (!out->sks_valid)
			sense_sks(out, d + 4);
		if (!out->fru)
			out->fru = d[7];
		if (!out->has_info) {
			out->valid = (d[2] >> 7) & 1;
			out->information = vscsi_get_be(d + 8, 8);
			out->has_info = out->valid;
		}
		if (!out->has_csi) {
			/* always there: present when not zero, as in fixed
			 * format */
			out->csi = vscsi_get_be(d + 16, 8);
			out->has_csi = out->csi != 0;
		}
		if (d[1] >= 0x1E)
			out->dabd_lba = vscsi_get_be(d + 24, 8);
		break;
	case VSCSI_SDESC_MICROCODE_ACTIVATION:
		if (out->has_mcact)
			break;
		out->has_mcact = 1;
		out->mcact_time = (uint16_t)(d[6] << 8 | d[7]);
		break;
	default:
		/* OSD (06h-08h), device designation (0Eh), reserved and vendor
		 * specific types: counted, not decoded. */
		break;
	}
	return VSCSI_OK;
}

/*
 * Descriptor format (SPC-5 4.4.2), layout in sense.h. p/n: the bytes the
 * device returned; lim: where the additional sense length ends them.
 */
static int sense_descriptor(vscsi_sense_info *out, const uint8_t *p,
			    size_t n, size_t lim)
{
	const uint8_t *end, *q;
	int rc = VSCSI_OK;

	if (n > 1)
		out->key = p[1] & 0x0f;
	if (n > 2)
		out->asc = p[2];
	if (n > 3)
		out->ascq = p[3];
	if (n > 4)
		out->sdat_ovfl = (p[4] >> 7) & 1;
	if (n < 4)
		return VSCSI_ERR_TRUNCATED;
	if (n <= 8)
		return VSCSI_OK;

	/* Walk [8, min(n, lim)). A descriptor must end within lim (else the
	 * device contradicts itself: INVALID); if it ends past n the device
	 * just sent fewer bytes than it described (truncated, not invalid). */
	end = p + (n < lim ? n : lim);
	q = p + 8;
	while (q < end) {
		size_t left_lim = lim - (size_t)(q - p);
		size_t left = (size_t)(end - q);
		size_t dn;
		int r;

		if (left_lim < 2)
			return VSCSI_ERR_INVALID;
		if (left < 2)
			break;		/* header cut by the buffer */
		dn = (size_t)q[1] + 2;
		if (dn > left_lim)
			return VSCSI_ERR_INVALID;
		if (dn > left)
			break;		/* body cut by the buffer */
		r = sense_desc(out, q, dn);
		if (r && !rc)
			rc = r;
		q += dn;
	}
	return rc;
}

int vscsi_sense_decode(const uint8_t *buf, size_t len, vscsi_sense_info *out)
{
	size_t full, n;
	uint8_t rc;
	int r;

	if (!out)
		return VSCSI_ERR_ARG;
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return VSCSI_ERR_EMPTY;
	if (!buf)
		return VSCSI_ERR_ARG;

	rc = buf[0] & 0x7f;
	out->response_code = rc;
	if (rc < VSCSI_SENSE_FIXED_CURRENT || rc > VSCSI_SENSE_DESC_DEFERRED)
		return VSCSI_ERR_INVALID;
	out->descriptor = rc >= VSCSI_SENSE_DESC_CURRENT;
	out->deferred = (rc & 1) ? 1 : 0;
	if (!out->descriptor)
		out->valid = (buf[0] >> 7) & 1;

	/* How long the device says the sense data is, and how much of it
	 * arrived. Without byte 7 the length is unknown: truncated. */
	if (len > 7) {
		out->additional_len = buf[7];
		full = (size_t)buf[7] + 8;
	} else {
		full = SIZE_MAX;
	}
	n = len < full ? len : full;
	out->truncated = len < full;
	out->sense_len = (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);

	if (out->descriptor)
		r = sense_descriptor(out, buf, n, full);
	else
		r = sense_fixed(out, buf, n);
	out->incomplete = r == VSCSI_ERR_TRUNCATED;
	return r;
}

/* ------------------------------------------------------------ describing */

static unsigned sense_pct(uint16_t progress)
{
	return (unsigned)((uint32_t)progress * 100u / 65536u);
}

/* The ASC text lower-cased (T10's list is upper case; the printer's line
 * keeps upper case for the key name only). */
void vscsi__sb_asc_lower(vscsi_sb *sb, uint8_t asc, uint8_t ascq)
{
	char tmp[160];
	size_t i;

	vscsi_asc_describe(asc, ascq, tmp, sizeof(tmp));
	for (i = 0; tmp[i]; i++) {
		char c = tmp[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		vscsi__sb_putc(sb, c);
	}
}

static int sense_known_format(const vscsi_sense_info *si)
{
	return si->response_code >= VSCSI_SENSE_FIXED_CURRENT &&
	       si->response_code <= VSCSI_SENSE_DESC_DEFERRED;
}

/* Whether the key byte arrived (only an incomplete decode can lack it). */
static int sense_has_key(const vscsi_sense_info *si)
{
	return !si->incomplete || si->sense_len > (si->descriptor ? 1u : 2u);
}

size_t vscsi_sense_describe(const vscsi_sense_info *si, char *buf, size_t len)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	if (!si)
		return 0;
	if (!sense_known_format(si)) {
		vscsi__sb_printf(&sb, "sense response code 0x%02x",
				 si->response_code);
		return vscsi__sb_done(&sb);
	}
	if (si->incomplete) {
		vscsi__sb_printf(&sb, "%s --/--", sense_has_key(si) ?
				 vscsi_sense_key_str(si->key) : "?");
	} else {
		vscsi__sb_printf(&sb, "%s %02X/%02X ",
				 vscsi_sense_key_str(si->key), si->asc,
				 si->ascq);
		vscsi__sb_asc_lower(&sb, si->asc, si->ascq);
	}
	if (si->filemark)
		vscsi__sb_puts(&sb, " filemark");
	if (si->eom)
		vscsi__sb_puts(&sb, " eom");
	if (si->ili)
		vscsi__sb_puts(&sb, " ili");
	if (si->deferred)
		vscsi__sb_puts(&sb, " deferred");
	if (si->has_info)
		vscsi__sb_printf(&sb, " info=0x%" PRIx64, si->information);
	if (si->has_csi)
		vscsi__sb_printf(&sb, " csi=0x%" PRIx64, si->csi);
	if (si->fru)
		vscsi__sb_printf(&sb, " fru=0x%02x", si->fru);
	if (si->sks_valid) {
		switch (si->sks_kind) {
		case VSCSI_SKS_FIELD_POINTER:
		case VSCSI_SKS_SEGMENT_POINTER:
			if (si->sks_kind == VSCSI_SKS_FIELD_POINTER)
				vscsi__sb_printf(&sb, " field=%s",
						 si->fp_cd ? "cdb" : "param");
			else
				vscsi__sb_printf(&sb, " segment=%s",
						 si->seg_sd ? "desc" : "param");
			vscsi__sb_printf(&sb, " byte %u", si->fp_field);
			if (si->fp_bpv)
				vscsi__sb_printf(&sb, " bit %u", si->fp_bit);
			break;
		case VSCSI_SKS_PROGRESS:
			vscsi__sb_printf(&sb, " progress=%u%%",
					 sense_pct(si->progress));
			break;
		case VSCSI_SKS_RETRY_COUNT:
			vscsi__sb_printf(&sb, " retries=%u", si->retry_count);
			break;
		case VSCSI_SKS_UA_QUEUE_OVERFLOW:
			if (si->ua_overflow)
				vscsi__sb_puts(&sb, " ua_overflow");
			break;
		default:
			vscsi__sb_printf(&sb, " sks=0x%02x%02x%02x", si->sks[0],
					 si->sks[1], si->sks[2]);
			break;
		}
	}
	if (si->has_pi && !(si->sks_valid && si->sks_kind == VSCSI_SKS_PROGRESS))
		vscsi__sb_printf(&sb, " progress=%u%%", sense_pct(si->pi_progress));
	if (si->has_ata)
		vscsi__sb_printf(&sb, " ata_status=0x%02x ata_error=0x%02x",
				 si->ata_status, si->ata_error);
	if (si->has_dabd)
		vscsi__sb_printf(&sb, " lba=0x%" PRIx64, si->dabd_lba);
	if (si->truncated)
		vscsi__sb_puts(&sb, " truncated");
	return vscsi__sb_done(&sb);
}

static void sense_json_bool(vscsi_sb *sb, const char *name, int v)
{
	vscsi__sb_printf(sb, ",\"%s\":%s", name, v ? "true" : "false");
}

size_t vscsi_sense_describe_json(const vscsi_sense_info *si, char *buf,
				 size_t len)
{
	vscsi_sb sb;
	char text[160];
	unsigned i;

	vscsi__sb_init(&sb, buf, len);
	if (!si)
		return 0;
	vscsi__sb_printf(&sb, "\"response_code\":%u,\"format\":\"%s\"",
			 si->response_code,
			 !sense_known_format(si) ? "unknown" :
			 si->descriptor ? "descriptor" : "fixed");
	if (!sense_known_format(si))
		return vscsi__sb_done(&sb);
	sense_json_bool(&sb, "deferred", si->deferred);
	if (sense_has_key(si)) {
		vscsi__sb_printf(&sb, ",\"sense_key\":%u,\"sense_key_name\":",
				 si->key);
		vscsi__sb_json_str(&sb, vscsi_sense_key_str(si->key));
	}
	if (si->incomplete) {
		sense_json_bool(&sb, "incomplete", 1);
	} else {
		vscsi__sb_printf(&sb, ",\"asc\":%u,\"ascq\":%u,\"asc_text\":",
				 si->asc, si->ascq);
		vscsi_asc_describe(si->asc, si->ascq, text, sizeof(text));
		vscsi__sb_json_str(&sb, text);
	}
	if (si->has_info)
		vscsi__sb_printf(&sb, ",\"info\":%" PRIu64, si->information);
	if (si->has_csi)
		vscsi__sb_printf(&sb, ",\"csi\":%" PRIu64, si->csi);
	if (si->fru)
		vscsi__sb_printf(&sb, ",\"fru\":%u", si->fru);
	if (si->filemark)
		sense_json_bool(&sb, "filemark", 1);
	if (si->eom)
		sense_json_bool(&sb, "eom", 1);
	if (si->ili)
		sense_json_bool(&sb, "ili", 1);
	if (si->sdat_ovfl)
		sense_json_bool(&sb, "sdat_ovfl", 1);
	if (si->sks_valid) {
		switch (si->sks_kind) {
		case VSCSI_SKS_FIELD_POINTER:
			vscsi__sb_printf(&sb, ",\"field_pointer\":{\"cdb\":%s,"
					 "\"byte\":%u", si->fp_cd ? "true" : "false",
					 si->fp_field);
			if (si->fp_bpv)
				vscsi__sb_printf(&sb, ",\"bit\":%u", si->fp_bit);
			vscsi__sb_putc(&sb, '}');
			break;
		case VSCSI_SKS_SEGMENT_POINTER:
			vscsi__sb_printf(&sb, ",\"segment_pointer\":{\"sd\":%s,"
					 "\"byte\":%u", si->seg_sd ? "true" : "false",
					 si->fp_field);
			if (si->fp_bpv)
				vscsi__sb_printf(&sb, ",\"bit\":%u", si->fp_bit);
			vscsi__sb_putc(&sb, '}');
			break;
		case VSCSI_SKS_PROGRESS:
			vscsi__sb_printf(&sb, ",\"progress\":%u,\"progress_pct\":%u",
					 si->progress, sense_pct(si->progress));
			break;
		case VSCSI_SKS_RETRY_COUNT:
			vscsi__sb_printf(&sb, ",\"retry_count\":%u",
					 si->retry_count);
			break;
		case VSCSI_SKS_UA_QUEUE_OVERFLOW:
			sense_json_bool(&sb, "ua_overflow", si->ua_overflow);
			break;
		default:
			vscsi__sb_printf(&sb, ",\"sks\":[%u,%u,%u]", si->sks[0],
					 si->sks[1], si->sks[2]);
			break;
		}
	}
	if (si->has_pi)
		vscsi__sb_printf(&sb, ",\"another_progress\":{\"sense_key\":%u,"
				 "\"asc\":%u,\"ascq\":%u,\"progress\":%u,"
				 "\"progress_pct\":%u}", si->pi_key, si->pi_asc,
				 si->pi_ascq, si->pi_progress,
				 sense_pct(si->pi_progress));
	if (si->has_ata)
		vscsi__sb_printf(&sb, ",\"ata_status_return\":{\"extend\":%s,"
				 "\"error\":%u,\"count\":%u,\"lba\":%" PRIu64
				 ",\"device\":%u,\"status\":%u}",
				 si->ata_extend ? "true" : "false", si->ata_error,
				 si->ata_count, si->ata_lba, si->ata_device,
				 si->ata_status);
	if (si->has_fwd)
		vscsi__sb_printf(&sb, ",\"forwarded_sense\":{\"fsdt\":%s,"
				 "\"source\":%u,\"status\":%u,\"len\":%u}",
				 si->fwd_fsdt ? "true" : "false", si->fwd_source,
				 si->fwd_status, si->fwd_len);
	if (si->has_dabd)
		vscsi__sb_printf(&sb, ",\"lba\":%" PRIu64, si->dabd_lba);
	if (si->has_mcact)
		vscsi__sb_printf(&sb, ",\"microcode_activation_time\":%u",
				 si->mcact_time);
	if (si->n_desc_types) {
		vscsi__sb_puts(&sb, ",\"descriptor_types\":[");
		for (i = 0; i < si->n_desc_types; i++)
			vscsi__sb_printf(&sb, "%s%u", i ? "," : "",
					 si->desc_types[i]);
		vscsi__sb_putc(&sb, ']');
	}
	if (si->truncated)
		sense_json_bool(&sb, "truncated", 1);
	return vscsi__sb_done(&sb);
}

/* ------------------------------------------------------------ building */

void vscsi_sense_init(vscsi_sense_info *si, int descriptor, uint8_t key,
		      uint8_t asc, uint8_t ascq)
{
	if (!si)
		return;
	memset(si, 0, sizeof(*si));
	si->descriptor = descriptor ? 1 : 0;
	si->response_code = descriptor ? VSCSI_SENSE_DESC_CURRENT :
					 VSCSI_SENSE_FIXED_CURRENT;
	si->key = key;
	si->asc = asc;
	si->ascq = ascq;
}

void vscsi_sense_set_info(vscsi_sense_info *si, uint64_t info)
{
	if (!si)
		return;
	si->information = info;
	si->has_info = 1;
	si->valid = 1;
}

void vscsi_sense_set_field_pointer(vscsi_sense_info *si, int in_cdb,
				   uint16_t byte, int bit)
{
	if (!si)
		return;
	si->sks_valid = 1;
	si->sks_kind = VSCSI_SKS_FIELD_POINTER;
	si->fp_cd = in_cdb ? 1 : 0;
	si->fp_bpv = bit >= 0 ? 1 : 0;
	si->fp_bit = bit >= 0 ? (uint8_t)(bit & 7) : 0;
	si->fp_field = byte;
	si->sks[0] = (uint8_t)(0x80 | si->fp_cd << 6 | si->fp_bpv << 3 |
			       si->fp_bit);
	vscsi_put_be16(si->sks + 1, byte);
}

void vscsi_sense_set_progress(vscsi_sense_info *si, uint16_t progress)
{
	if (!si)
		return;
	si->sks_valid = 1;
	si->sks_kind = VSCSI_SKS_PROGRESS;
	si->progress = progress;
	si->sks[0] = 0x80;
	vscsi_put_be16(si->sks + 1, progress);
}

/* The three sense-key-specific bytes for si (SPC-5 4.4.2), SKSV set. */
static void sense_sks_encode(const vscsi_sense_info *si, uint8_t out[3])
{
	uint8_t bits = (uint8_t)((si->fp_bpv ? 0x08 : 0) | (si->fp_bit & 7));

	switch (si->sks_kind) {
	case VSCSI_SKS_FIELD_POINTER:
		out[0] = (uint8_t)(0x80 | (si->fp_cd ? 0x40 : 0) | bits);
		vscsi_put_be16(out + 1, si->fp_field);
		break;
	case VSCSI_SKS_SEGMENT_POINTER:
		out[0] = (uint8_t)(0x80 | (si->seg_sd ? 0x20 : 0) | bits);
		vscsi_put_be16(out + 1, si->fp_field);
		break;
	case VSCSI_SKS_PROGRESS:
		out[0] = 0x80;
		vscsi_put_be16(out + 1, si->progress);
		break;
	case VSCSI_SKS_RETRY_COUNT:
		out[0] = 0x80;
		vscsi_put_be16(out + 1, si->retry_count);
		break;
	case VSCSI_SKS_UA_QUEUE_OVERFLOW:
		out[0] = (uint8_t)(0x80 | (si->ua_overflow & 1));
		out[1] = 0;
		out[2] = 0;
		break;
	default:
		out[0] = (uint8_t)(0x80 | (si->sks[0] & 0x7f));
		out[1] = si->sks[1];
		out[2] = si->sks[2];
		break;
	}
}

/* Fixed format, 18 bytes (SPC-5 4.4.3). */
static int sense_build_fixed(const vscsi_sense_info *si, uint8_t *buf,
			     size_t len)
{
	if (si->has_csi && si->csi > UINT32_MAX)
		return VSCSI_ERR_ARG;
	if (len < VSCSI_SENSE_FIXED_LEN)
		return VSCSI_ERR_NOSPACE;
	memset(buf, 0, VSCSI_SENSE_FIXED_LEN);
	buf[0] = si->deferred ? VSCSI_SENSE_FIXED_DEFERRED :
				VSCSI_SENSE_FIXED_CURRENT;
	if (si->has_info && si->information <= UINT32_MAX) {
		buf[0] |= 0x80;
		vscsi_put_be32(buf + 3, (uint32_t)si->information);
	}
	buf[2] = (uint8_t)((si->filemark ? 0x80 : 0) | (si->eom ? 0x40 : 0) |
			   (si->ili ? 0x20 : 0) | si->key);
	buf[7] = VSCSI_SENSE_FIXED_LEN - 8;
	if (si->has_csi)
		vscsi_put_be32(buf + 8, (uint32_t)si->csi);
	buf[12] = si->asc;
	buf[13] = si->ascq;
	buf[14] = si->fru;
	if (si->sks_valid)
		sense_sks_encode(si, buf + 15);
	return VSCSI_SENSE_FIXED_LEN;
}

/* Descriptor format (SPC-5 4.4.2): header and descriptors 00h-05h. */
static int sense_build_desc(const vscsi_sense_info *si, uint8_t *buf,
			    size_t len)
{
	size_t need = 8;
	uint8_t *d;

	need += si->has_info ? 12 : 0;
	need += si->has_csi ? 12 : 0;
	need += si->sks_valid ? 8 : 0;
	need += si->fru ? 4 : 0;
	need += (si->filemark || si->eom || si->ili) ? 4 : 0;
	if (len < need)
		return VSCSI_ERR_NOSPACE;
	memset(buf, 0, need);
	buf[0] = si->deferred ? VSCSI_SENSE_DESC_DEFERRED :
				VSCSI_SENSE_DESC_CURRENT;
	buf[1] = si->key;
	buf[2] = si->asc;
	buf[3] = si->ascq;
	buf[7] = (uint8_t)(need - 8);
	d = buf + 8;
	if (si->has_info) {
		d[0] = VSCSI_SDESC_INFORMATION;
		d[1] = 0x0A;
		d[2] = 0x80;	/* VALID */
		vscsi_put_be64(d + 4, si->information);
		d += 12;
	}
	if (si->has_csi) {
		d[0] = VSCSI_SDESC_COMMAND_SPECIFIC;
		d[1] = 0x0A;
		vscsi_put_be64(d + 4, si->csi);
		d += 12;
	}
	if (si->sks_valid) {
		d[0] = VSCSI_SDESC_SENSE_KEY_SPECIFIC;
		d[1] = 0x06;
		sense_sks_encode(si, d + 4);
		d += 8;
	}
	if (si->fru) {
		d[0] = VSCSI_SDESC_FRU;
		d[1] = 0x02;
		d[3] = si->fru;
		d += 4;
	}
	if (si->filemark || si->eom) {
		d[0] = VSCSI_SDESC_STREAM_COMMANDS;
		d[1] = 0x02;
		d[3] = (uint8_t)((si->filemark ? 0x80 : 0) |
				 (si->eom ? 0x40 : 0) | (si->ili ? 0x20 : 0));
	} else if (si->ili) {
		d[0] = VSCSI_SDESC_BLOCK_COMMANDS;
		d[1] = 0x02;
		d[3] = 0x20;
	}
	return (int)need;
}

int vscsi_sense_build(const vscsi_sense_info *si, uint8_t *buf, size_t len)
{
	if (!si || (!buf && len))
		return VSCSI_ERR_ARG;
	if (si->key > 15)
		return VSCSI_ERR_ARG;
	if (si->descriptor)
		return sense_build_desc(si, buf, len);
	return sense_build_fixed(si, buf, len);
}

int vscsi_sense_build_simple(uint8_t *buf, size_t len, int descriptor,
			     uint8_t key, uint8_t asc, uint8_t ascq)
{
	vscsi_sense_info si;

	vscsi_sense_init(&si, descriptor, key, asc, ascq);
	return vscsi_sense_build(&si, buf, len);
}
