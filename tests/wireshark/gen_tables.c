/*
 * Test helper: print the name tables and CDB field layouts of
 * libvscsi-decode as Lua, for the generated block of
 * tools/wireshark/vscsi.lua. The dissector is plain Lua and cannot call the
 * library, so it carries a copy; tests/wireshark/run.sh regenerates the
 * block and fails when the copy is stale (run.sh --update-tables rewrites
 * it).
 *
 * CDB layouts are found by probing the decoder, not by reading its table:
 * for each command a disk decodes, every bit of the CDB is set alone and
 * the change in lba / xfer / alloc / page / flags tells which field the bit
 * belongs to and at which position. A layout is then checked against the
 * decoder on random CDBs; a field that does not follow a fixed bit layout
 * (READ CD MSF, ATA PASS-THROUGH lengths) is left out and named in a
 * comment, so the dissector never shows a value the library would not.
 *
 * Usage: gen_tables > block.lua
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/capture.h"
#include "vscsi/cdb.h"
#include "vscsi/sense.h"
#include "vscsi/vhost_user.h"
#include "vscsi/virtio_scsi.h"

#define NFIELDS 5
enum { FLD_LBA, FLD_XFER, FLD_ALLOC, FLD_PAGE, FLD_SUBPAGE };
static const char *const fld_name[NFIELDS] = {
	"lba", "xfer", "alloc", "page", "subpage"
};
static const uint32_t fld_has[NFIELDS] = {
	VSCSI_CDB_HAS_LBA, VSCSI_CDB_HAS_XFER, VSCSI_CDB_HAS_ALLOC,
	VSCSI_CDB_HAS_PAGE, VSCSI_CDB_HAS_SUBPAGE
};

/* The one-bit CDB fields, as vscsi_cdb_describe() names them. */
static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ VSCSI_CDBF_FUA, "fua" }, { VSCSI_CDBF_DPO, "dpo" },
	{ VSCSI_CDBF_FUA_NV, "fua_nv" }, { VSCSI_CDBF_UNMAP, "unmap" },
	{ VSCSI_CDBF_ANCHOR, "anchor" }, { VSCSI_CDBF_NDOB, "ndob" },
	{ VSCSI_CDBF_IMMED, "immed" }, { VSCSI_CDBF_EVPD, "evpd" },
	{ VSCSI_CDBF_SYNC_NV, "sync_nv" }, { VSCSI_CDBF_PMI, "pmi" },
	{ VSCSI_CDBF_DBD, "dbd" }, { VSCSI_CDBF_LLBAA, "llbaa" },
	{ VSCSI_CDBF_START, "start" }, { VSCSI_CDBF_LOEJ, "loej" },
	{ VSCSI_CDBF_PREVENT, "prevent" }, { VSCSI_CDBF_RELADR, "reladr" },
	{ VSCSI_CDBF_MSF, "msf" }, { VSCSI_CDBF_POLLED, "polled" },
	{ VSCSI_CDBF_SP, "sp" }, { VSCSI_CDBF_PF, "pf" },
	{ VSCSI_CDBF_PCR, "pcr" }, { VSCSI_CDBF_NO_FLUSH, "no_flush" },
	{ VSCSI_CDBF_SELFTEST, "selftest" }, { VSCSI_CDBF_DESC, "desc" },
	{ VSCSI_CDBF_PCV, "pcv" }, { VSCSI_CDBF_STREAMING, "streaming" },
	{ VSCSI_CDBF_RCTD, "rctd" }, { VSCSI_CDBF_FMTDATA, "fmtdata" },
	{ VSCSI_CDBF_CMPLST, "cmplst" }, { VSCSI_CDBF_RARC, "rarc" },
};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

/* Where bit b of CDB byte i goes: field f at bit pos, or a flag. */
struct probe {
	int16_t field[32][8];	/* FLD_* or -1 */
	uint8_t pos[32][8];
	int16_t flag[32][8];	/* index into flag_names or -1 */
};

static void lua_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static uint64_t field_val(const vscsi_cdb_info *ci, int f)
{
	switch (f) {
	case FLD_LBA: return ci->lba;
	case FLD_XFER: return ci->xfer_len;
	case FLD_ALLOC: return ci->alloc_len;
	case FLD_PAGE: return ci->page;
	default: return ci->subpage;
	}
}

static int popcount64(uint64_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static int ctz64(uint64_t v)
{
	int n = 0;

	while (!(v & 1)) {
		v >>= 1;
		n++;
	}
	return n;
}

/* The base CDB of a row: opcode, service action, length byte of 7Fh. */
static void row_base(const vscsi_cdb_desc *d, uint8_t *c)
{
	memset(c, 0, 32);
	c[0] = d->opcode;
	if (d->opcode == 0x7f) {
		c[7] = (uint8_t)(d->cdb_len - 8);
		c[8] = (uint8_t)(d->sa >> 8);
		c[9] = (uint8_t)d->sa;
	} else if (d->has_sa) {
		c[1] = (uint8_t)(d->sa & 0x1f);
	}
}

/* Bits of the CDB that select the row (never probed or randomised). */
static int fixed_bit(const vscsi_cdb_desc *d, unsigned i, unsigned b)
{
	if (i == 0)
		return 1;
	if (d->opcode == 0x7f)
		return i == 7 || i == 8 || i == 9;
	return d->has_sa && i == 1 && b < 5;
}

static uint64_t layout_val(const struct probe *p, const uint8_t *c,
			   unsigned len, int f)
{
	uint64_t v = 0;
	unsigned i, b;

	for (i = 1; i < len; i++)
		for (b = 0; b < 8; b++)
			if (p->field[i][b] == f && (c[i] >> b & 1))
				v |= (uint64_t)1 << p->pos[i][b];
	return v;
}

static uint32_t layout_flags(const struct probe *p, const uint8_t *c,
			     unsigned len)
{
	uint32_t v = 0;
	unsigned i, b;

	for (i = 1; i < len; i++)
		for (b = 0; b < 8; b++)
			if (p->flag[i][b] >= 0 && (c[i] >> b & 1))
				v |= flag_names[p->flag[i][b]].bit;
	return v;
}

/* Print {byte, mask, shift} runs of field f (shift: where bit 0 of the
 * masked byte lands; negative for a right shift). */
static void print_layout(const struct probe *p, unsigned len, int f)
{
	unsigned i, b;
	int first = 1;

	printf("%s={", fld_name[f]);
	for (i = 1; i < len; i++) {
		b = 0;
		while (b < 8) {
			unsigned mask = 0, e;
			int d;

			if (p->field[i][b] != f) {
				b++;
				continue;
			}
			d = (int)p->pos[i][b] - (int)b;
			for (e = b; e < 8 && p->field[i][e] == f &&
				    (int)p->pos[i][e] - (int)e == d; e++)
				mask |= 1u << e;
			printf("%s{%u,0x%02x,%d}", first ? "" : ",", i, mask, d);
			first = 0;
			b = e;
		}
	}
	printf("}");
}

static void gen_row(const vscsi_cdb_desc *d)
{
	struct probe p;
	uint8_t base[32], c[32];
	vscsi_cdb_info bi, ci;
	unsigned len = d->cdb_len, i, b, n, f;
	int bad[NFIELDS] = { 0 }, present[NFIELDS], badflags = 0;
	uint64_t zero_is = 0;
	int unmap_class = 0, badclass = 0;

	row_base(d, base);
	vscsi_cdb_decode(base, len, &bi);
	if (bi.desc != d) {
		printf("-- %s: the base CDB does not decode to its row\n",
		       d->name);
		return;
	}
	for (f = 0; f < NFIELDS; f++)
		present[f] = (bi.fields & fld_has[f]) != 0;
	if (present[FLD_XFER] && bi.xfer_len != 0)
		zero_is = bi.xfer_len;	/* READ(6)/WRITE(6): 0 means 256 */
	memset(&p, 0xff, sizeof(p));

	for (i = 1; i < len; i++) {
		for (b = 0; b < 8; b++) {
			uint32_t df;

			if (fixed_bit(d, i, b))
				continue;
			memcpy(c, base, 32);
			c[i] = (uint8_t)(c[i] | 1u << b);
			vscsi_cdb_decode(c, len, &ci);
			if (ci.desc != d)
				continue;
			for (f = 0; f < NFIELDS; f++) {
				uint64_t was = field_val(&bi, (int)f), diff;

				if (!present[f])
					continue;
				if (field_val(&ci, (int)f) == was)
					continue;
				if (f == FLD_XFER && zero_is)
					was = 0;
				diff = field_val(&ci, (int)f) ^ was;
				if (popcount64(diff) != 1 ||
				    p.field[i][b] != -1) {
					bad[f] = 1;
					continue;
				}
				p.field[i][b] = (int16_t)f;
				p.pos[i][b] = (uint8_t)ctz64(diff);
			}
			df = ci.flags ^ bi.flags;
			if (df) {
				for (n = 0; n < NFLAGS; n++)
					if (flag_names[n].bit == df)
						p.flag[i][b] = (int16_t)n;
				if (p.flag[i][b] < 0)
					badflags = 1;
			}
			if (ci.op_class != bi.op_class) {
				if (ci.op_class == VSCSI_OPC_UNMAP &&
				    (df & VSCSI_CDBF_UNMAP))
					unmap_class = 1;
				else
					badclass = 1;
			}
		}
	}

	/* check the layouts on random CDBs */
	for (n = 0; n < 4000; n++) {
		uint32_t fl;
		unsigned cls;

		memcpy(c, base, 32);
		for (i = 1; i < len; i++)
			for (b = 0; b < 8; b++)
				if (!fixed_bit(d, i, b) && (rand() & 1))
					c[i] = (uint8_t)(c[i] | 1u << b);
		vscsi_cdb_decode(c, len, &ci);
		if (ci.desc != d)
			continue;
		for (f = 0; f < NFIELDS; f++) {
			uint64_t v;

			if (!present[f] || bad[f])
				continue;
			v = layout_val(&p, c, len, (int)f);
			if (f == FLD_XFER && zero_is && v == 0)
				v = zero_is;
			if (!(ci.fields & fld_has[f]) ||
			    v != field_val(&ci, (int)f))
				bad[f] = 1;
		}
		fl = layout_flags(&p, c, len);
		if ((fl & ci.flags) != fl)
			badflags = 1;
		cls = bi.op_class;
		if (unmap_class && (fl & VSCSI_CDBF_UNMAP))
			cls = VSCSI_OPC_UNMAP;
		if (cls != ci.op_class)
			badclass = 1;
	}

	printf("{n=");
	lua_str(d->name);
	printf(",op=0x%02x", d->opcode);
	if (d->has_sa)
		printf(",sa=0x%x", d->sa);
	printf(",len=%u,class=%u,dir=%u", len, badclass ? 0u : bi.op_class,
	       bi.data_dir);
	if (unmap_class && !badclass)
		printf(",unmap_class=true");
	for (f = 0; f < NFIELDS; f++) {
		if (!present[f] || bad[f])
			continue;
		printf(",");
		print_layout(&p, len, (int)f);
	}
	if (present[FLD_XFER] && !bad[FLD_XFER]) {
		printf(",unit=%u", bi.xfer_unit);
		if (zero_is)
			printf(",zero_is=%llu", (unsigned long long)zero_is);
	}
	if (!badflags) {
		int first = 1;

		printf(",flags={");
		for (i = 1; i < len; i++)
			for (b = 0; b < 8; b++)
				if (p.flag[i][b] >= 0) {
					printf("%s{%u,0x%02x,", first ? "" : ",",
					       i, 1u << b);
					lua_str(flag_names[p.flag[i][b]].name);
					printf("}");
					first = 0;
				}
		printf("}");
	}
	printf("},");
	for (f = 0; f < NFIELDS; f++)
		if (present[f] && bad[f])
			printf(" -- %s: no fixed layout", fld_name[f]);
	if (badflags)
		printf(" -- flags: no fixed layout");
	if (badclass)
		printf(" -- class: depends on more than UNMAP");
	printf("\n");
}

static void gen_cdb(void)
{
	unsigned i, n = vscsi_cdb_table_count(), op;

	printf("T.cdb_rows = {\n");
	for (i = 0; i < n; i++) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);

		if (vscsi_cdb_table_find(d->opcode, d->sa, d->has_sa,
					 VSCSI_PTYPE_DISK) != (int)i)
			continue;	/* an MMC meaning of a disk opcode */
		gen_row(d);
	}
	printf("}\n");
	/* opcodes with service actions: the opcode's own name */
	printf("T.sa_ops = {\n");
	for (op = 0; op < 256; op++)
		if (vscsi_cdb_opcode_has_sa((uint8_t)op, VSCSI_PTYPE_DISK)) {
			printf("[0x%02x]=", op);
			lua_str(vscsi_cdb_name((uint8_t)op, 0, 0));
			printf(",\n");
		}
	printf("}\n");
}

#define NAMES(tbl, lo, hi, expr)                                  \
	do {                                                      \
		unsigned v_;                                      \
		printf("T.%s = {\n", tbl);                        \
		for (v_ = (lo); v_ <= (hi); v_++) {               \
			unsigned v = v_;                          \
			const char *s_ = (expr);                  \
			if (!s_)                                  \
				continue;                         \
			printf("[%u]=", v);                       \
			lua_str(s_);                              \
			printf(",\n");                            \
		}                                                 \
		printf("}\n");                                    \
	} while (0)

static void gen_asc(void)
{
	size_t i, n = vscsi_asc_table_count();
	uint8_t asc, lo, hi;
	const char *text;

	printf("T.asc = {\n");
	for (i = 0; i < n; i++) {
		vscsi_asc_table_entry(i, &asc, &lo, &hi, &text);
		if (lo != hi)
			continue;
		printf("[0x%02x%02x]=", asc, lo);
		lua_str(text);
		printf(",\n");
	}
	printf("}\nT.asc_ranges = {\n");
	for (i = 0; i < n; i++) {
		vscsi_asc_table_entry(i, &asc, &lo, &hi, &text);
		if (lo == hi)
			continue;
		printf("{0x%02x,0x%02x,0x%02x,", asc, lo, hi);
		lua_str(text);
		printf("},\n");
	}
	printf("}\n");
}

/* vhost-user payload layouts: the kind vscsi_vu_msg_parse() picks for
 * each (channel, request, reply, size), found by parsing messages of every
 * size up to VSCSI_VU_MAX_PAYLOAD. Fixed-size kinds are listed by size; the
 * kinds of variable size (mem_table: 8 + 32 n, n <= 8; config: 12 + n,
 * n <= 256; raw: anything) by name, tried in order after the sizes. */
static int vu_shape_fits(const char *k, unsigned size)
{
	if (!strcmp(k, "mem_table"))
		return size >= 8 && (size - 8) % 32 == 0 && (size - 8) / 32 <= 8;
	if (!strcmp(k, "config"))
		return size >= 12 && size - 12 <= 256;
	return size <= VSCSI_VU_MAX_PAYLOAD;
}

static int vu_is_shape(const char *k)
{
	return !strcmp(k, "mem_table") || !strcmp(k, "config") ||
	       !strcmp(k, "raw");
}

static const char *vu_probe(int ch, unsigned req, int reply, unsigned size)
{
	static uint8_t b[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD];
	vscsi_vu_msg m;
	unsigned v;

	memset(b, 0, VSCSI_VU_HDR_SIZE + size);
	b[0] = (uint8_t)req;
	b[4] = (uint8_t)(1 | (reply ? VSCSI_VU_FLAG_REPLY : 0));
	b[8] = (uint8_t)size;
	b[9] = (uint8_t)(size >> 8);
	/* what a memory table or a config space says of its own size */
	v = size >= 8 ? (size - 8) / 32 : 0;
	b[12] = (uint8_t)v;
	v = size >= 12 ? size - 12 : 0;
	b[16] = (uint8_t)v;
	b[17] = (uint8_t)(v >> 8);
	if (vscsi_vu_msg_parse(b, VSCSI_VU_HDR_SIZE + size, ch, &m) != VSCSI_OK)
		return NULL;
	return vscsi_vu_payload_kind_name(m.payload_kind);
}

static void gen_vu_kinds(void)
{
	static const char *got[VSCSI_VU_MAX_PAYLOAD + 1];
	int ch, reply;
	unsigned req, size, i, j;

	printf("T.vu_kinds = {\n");
	for (ch = 0; ch <= 1; ch++) {
		printf("[%d]={\n", ch);
		for (req = 0; req < 256; req++) {
			if (!vscsi_vu_request_name(req, ch))
				continue;
			printf("[%u]={", req);
			for (reply = 0; reply <= 1; reply++) {
				const char *shapes[3];
				unsigned ns = 0;
				int first = 1;

				for (size = 0; size <= VSCSI_VU_MAX_PAYLOAD; size++)
					got[size] = vu_probe(ch, req, reply, size);
				printf("[%d]={f={", reply);
				for (size = 0; size <= VSCSI_VU_MAX_PAYLOAD; size++) {
					if (!got[size])
						continue;
					if (vu_is_shape(got[size])) {
						for (j = 0; j < ns; j++)
							if (!strcmp(shapes[j], got[size]))
								break;
						if (j == ns && ns < 3)
							shapes[ns++] = got[size];
						continue;
					}
					printf("%s[%u]=\"%s\"", first ? "" : ",", size,
					       got[size]);
					first = 0;
				}
				printf("},s={");
				for (j = 0; j < ns; j++)
					printf("%s\"%s\"", j ? "," : "", shapes[j]);
				printf("}}%s", reply ? "" : ",");
				/* the rule the dissector applies gives the same */
				for (size = 0; size <= VSCSI_VU_MAX_PAYLOAD; size++) {
					const char *k = NULL;

					if (got[size] && !vu_is_shape(got[size]))
						continue;
					for (i = 0; i < ns && !k; i++)
						if (vu_shape_fits(shapes[i], size))
							k = shapes[i];
					if ((k == NULL) != (got[size] == NULL) ||
					    (k && strcmp(k, got[size]))) {
						fprintf(stderr, "gen_tables: vhost-user "
							"%d/%u/%d size %u: no simple "
							"rule\n", ch, req, reply,
							size);
						exit(1);
					}
				}
			}
			printf("},\n");
		}
		printf("},\n");
	}
	printf("}\n");
}

int main(void)
{
	srand(1);
	printf("-- BEGIN GENERATED TABLES (tests/wireshark/gen_tables.c from "
	       "libvscsi-decode %s; do not edit)\n", vscsi_version());
	printf("local T = {}\n");
	NAMES("rec_type", 1, 255,
	      strcmp(vscsi_rec_type_name(v), "unknown") ?
		      vscsi_rec_type_name(v) : NULL);
	NAMES("loss_reason", 0, 255,
	      (v == 0 || strcmp(vscsi_cap_loss_reason_name(v), "unknown")) ?
		      vscsi_cap_loss_reason_name(v) : NULL);
	NAMES("status", 0, 255, vscsi_status_name((uint8_t)v));
	NAMES("sense_key", 0, 15, vscsi_sense_key_name(v));
	NAMES("response", 0, 255, vscsi_vs_response_name(v, 0));
	NAMES("tmf_response", 0, 255, vscsi_vs_response_name(v, 1));
	NAMES("task_attr", 0, 255, vscsi_task_attr_name(v));
	NAMES("ctrl_type", 0, 255, vscsi_ctrl_type_name(v));
	NAMES("tmf", 0, 255, vscsi_tmf_name(v));
	NAMES("event", 0, 255, vscsi_event_name(v));
	NAMES("reset_reason", 0, 255, vscsi_reset_reason_name(v));
	NAMES("an_class", 0, 31, vscsi_an_class_name(1u << v));
	NAMES("feature", 0, 63, vscsi_vu_feature_name(v));
	NAMES("vu_request", 0, 255, vscsi_vu_request_name(v, VSCSI_VU_FRONTEND));
	NAMES("vu_backend_request", 0, 255,
	      vscsi_vu_request_name(v, VSCSI_VU_BACKEND));
	NAMES("vu_protocol_feature", 0, 63,
	      vscsi_vu_protocol_feature_name(v));
	NAMES("vu_status", 0, 7, vscsi_vu_status_name(1u << v));
	NAMES("op_class", 0, 4, vscsi_op_class_name(v));
	NAMES("data_dir", 0, 3, vscsi_data_dir_name(v));
	NAMES("xfer_unit", 0, 2, vscsi_xfer_unit_name(v));
	gen_asc();
	gen_cdb();
	gen_vu_kinds();
	printf("-- END GENERATED TABLES\n");
	return 0;
}
