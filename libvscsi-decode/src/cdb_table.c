/*
 * The SCSI command table: one row per command a Linux guest or a common
 * tool sends to a disk or a CD/DVD drive, with the CDB fields the decoder
 * reads. Field offsets follow the CDB figures of SPC-5, SBC-4,
 * MMC-6, SAT-4 and ZBC; each list names its source.
 *
 * Rows are sorted by (opcode, has_sa, sa); check_cdb.c checks the order,
 * the uniqueness of names and that every row decodes to itself.
 */
#include <stddef.h>

#include "cdb_table.h"

#define F(k, o, n, m, a, l) { CDB_F_##k, o, n, m, a, l }
#define END F(END, 0, 0, 0, 0, NULL)
#define USAGE(o, m) F(USAGE, o, 1, m, 0, NULL)
#define USAGEN(o, n) F(USAGE, o, n, 0xff, 0, NULL)
#define LBA(o, n) F(LBA, o, n, 0xff, 0, NULL)
#define LBAM(o, n, m) F(LBA, o, n, m, 0, NULL)
#define XFER(o, n) F(XFER, o, n, 0xff, VSCSI_XFER_BLOCKS, NULL)
#define XFERB(o, n) F(XFER, o, n, 0xff, VSCSI_XFER_BYTES, NULL)
#define ALLOC(o, n) F(ALLOC, o, n, 0xff, 0, NULL)
#define FLAG(o, m, f) F(FLAG, o, 1, m, VSCSI_CDBF_##f, NULL)
#define XFLAG(o, m, f) F(XFLAG, o, 1, m, VSCSI_CDBX_##f, NULL)
#define GROUP(o) F(GROUP, o, 1, 0x3f, 0, NULL)
#define PROTECT(o) F(PROTECT, o, 1, 0xe0, 0, NULL)
#define PROTECTM(o, m) F(PROTECT, o, 1, m, 0, NULL)
#define BYTCHK(o) F(BYTCHK, o, 1, 0x06, 0, NULL)
#define DLD(o, m, s) F(DLD, o, 1, m, s, NULL)
#define PAGE(o, m) F(PAGE, o, 1, m, 0, NULL)
#define SUBPAGE(o) F(SUBPAGE, o, 1, 0xff, 0, NULL)
#define PC(o) F(PC, o, 1, 0xc0, 0, NULL)
#define FORMAT(o, m, l) F(FORMAT, o, 1, m, 0, l)
#define NUMBER(o, n, l) F(NUMBER, o, n, 0xff, 0, l)
#define NUMBERM(o, n, m, l) F(NUMBER, o, n, m, 0, l)
#define POWER(o) F(POWER, o, 1, 0xf0, 0, NULL)
#define POWER_MOD(o) F(POWER_MOD, o, 1, 0x0f, 0, NULL)
#define PR(o) F(PR, o, 1, 0xff, 0, NULL)
#define SECPROT(o) F(SECPROT, o, 1, 0xff, 0, NULL)
#define SECSPEC(o) F(SECSPEC, o, 2, 0xff, 0, NULL)
#define REQ_OP(o) F(REQ_OP, o, 1, 0xff, 0, NULL)
#define REQ_SA(o) F(REQ_SA, o, 2, 0xff, 0, NULL)
#define BUF_MODE(o) F(BUF_MODE, o, 1, 0x1f, 0, NULL)
#define BUF_ID(o) F(BUF_ID, o, 1, 0xff, 0, NULL)
#define BUF_OFF(o, n) F(BUF_OFF, o, n, 0xff, 0, NULL)
#define SELFTEST(o) F(SELFTEST, o, 1, 0xe0, 0, NULL)
#define SPEED_R(o) F(SPEED_R, o, 2, 0xff, 0, NULL)
#define SPEED_W(o) F(SPEED_W, o, 2, 0xff, 0, NULL)
#define MSF_START(o) F(MSF_START, o, 3, 0xff, 0, NULL)
#define MSF_END(o) F(MSF_END, o, 3, 0xff, 0, NULL)
#define SECTOR_TYPE(o) F(SECTOR_TYPE, o, 1, 0x1c, 0, NULL)
#define SECTOR_FLAGS(o) F(SECTOR_FLAGS, o, 1, 0xfe, 0, NULL)
#define SUBCH(o) F(SUBCH, o, 1, 0x07, 0, NULL)
#define PI32 F(REF_TAG, 20, 4, 0xff, 0, NULL), \
	F(APP_TAG, 24, 2, 0xff, 0, NULL), F(APP_MASK, 26, 2, 0xff, 0, NULL)

#define DEV_DISK VSCSI_CDB_DEV_DISK
#define DEV_MMC VSCSI_CDB_DEV_MMC
#define DEV_ALL VSCSI_CDB_DEV_ALL

#define ROW(op, nm, len, set, cls, dir, dev, fl, fx, al)                 \
	{ { nm, op, 0, 0, len, VSCSI_CMDSET_##set, VSCSI_OPC_##cls,       \
	    VSCSI_DIR_##dir, DEV_##dev }, fl, fx, al }
#define SAROW(op, sa, nm, len, set, cls, dir, dev, fl, fx, al)           \
	{ { nm, op, 1, sa, len, VSCSI_CMDSET_##set, VSCSI_OPC_##cls,      \
	    VSCSI_DIR_##dir, DEV_##dev }, fl, fx, al }

static const struct cdb_field f_none[] = { END };

/* ------------------------------------------------------------ SPC-5 */

/* SPC-5 REQUEST SENSE: 1 DESC(0), 4 ALLOCATION LENGTH. */
static const struct cdb_field f_request_sense[] = {
	FLAG(1, 0x01, DESC), ALLOC(4, 1), END
};
/* SPC-5 INQUIRY: 1 EVPD(0), 2 PAGE CODE, 3-4 ALLOCATION LENGTH. */
static const struct cdb_field f_inquiry[] = {
	FLAG(1, 0x01, EVPD), PAGE(2, 0xff), ALLOC(3, 2), END
};
/* SPC-5 MODE SELECT(6): 1 PF(4) SP(0), 4 PARAMETER LIST LENGTH. */
static const struct cdb_field f_mode_select6[] = {
	FLAG(1, 0x10, PF), FLAG(1, 0x01, SP), ALLOC(4, 1), END
};
/* SPC-5 MODE SELECT(10): 1 PF SP, 7-8 PARAMETER LIST LENGTH. */
static const struct cdb_field f_mode_select10[] = {
	FLAG(1, 0x10, PF), FLAG(1, 0x01, SP), ALLOC(7, 2), END
};
/* SPC-5 MODE SENSE(6): 1 DBD(3), 2 PC(7:6) PAGE CODE(5:0),
 * 3 SUBPAGE CODE, 4 ALLOCATION LENGTH. */
static const struct cdb_field f_mode_sense6[] = {
	FLAG(1, 0x08, DBD), PC(2), PAGE(2, 0x3f), SUBPAGE(3), ALLOC(4, 1), END
};
/* SPC-5 MODE SENSE(10): 1 LLBAA(4) DBD(3), 2 PC PAGE, 3 SUBPAGE,
 * 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_mode_sense10[] = {
	FLAG(1, 0x10, LLBAA), FLAG(1, 0x08, DBD), PC(2), PAGE(2, 0x3f),
	SUBPAGE(3), ALLOC(7, 2), END
};
/* SPC-5 RECEIVE DIAGNOSTIC RESULTS: 1 PCV(0), 2 PAGE CODE,
 * 3-4 ALLOCATION LENGTH. */
static const struct cdb_field f_recv_diag[] = {
	FLAG(1, 0x01, PCV), PAGE(2, 0xff), ALLOC(3, 2), END
};
/* SPC-5 SEND DIAGNOSTIC: 1 SELF-TEST CODE(7:5) PF(4) SELFTEST(2)
 * DEVOFFL(1) UNITOFFL(0), 3-4 PARAMETER LIST LENGTH. */
static const struct cdb_field f_send_diag[] = {
	SELFTEST(1), FLAG(1, 0x10, PF), FLAG(1, 0x04, SELFTEST),
	XFLAG(1, 0x02, DEVOFFL), XFLAG(1, 0x01, UNITOFFL), ALLOC(3, 2), END
};
/* SPC-5 WRITE BUFFER: 1 MODE SPECIFIC(7:5) MODE(4:0), 2 BUFFER ID,
 * 3-5 BUFFER OFFSET, 6-8 PARAMETER LIST LENGTH; READ BUFFER(10): the
 * same with ALLOCATION LENGTH. */
static const struct cdb_field f_buffer10[] = {
	BUF_MODE(1), USAGE(1, 0xe0), BUF_ID(2), BUF_OFF(3, 3), ALLOC(6, 3), END
};
/* SPC-5 READ BUFFER(16): 1 MODE, 2-9 BUFFER OFFSET, 10-13 ALLOCATION
 * LENGTH, 14 BUFFER ID. */
static const struct cdb_field f_buffer16[] = {
	BUF_MODE(1), USAGE(1, 0xe0), BUF_OFF(2, 8), ALLOC(10, 4), BUF_ID(14),
	END
};
/* SPC-5 LOG SELECT: 1 PCR(1) SP(0), 2 PC(7:6) PAGE CODE(5:0),
 * 3 SUBPAGE CODE, 7-8 PARAMETER LIST LENGTH. */
static const struct cdb_field f_log_select[] = {
	FLAG(1, 0x02, PCR), FLAG(1, 0x01, SP), PC(2), PAGE(2, 0x3f),
	SUBPAGE(3), ALLOC(7, 2), END
};
/* SPC-5 LOG SENSE: 1 SP(0), 2 PC PAGE, 3 SUBPAGE, 5-6 PARAMETER
 * POINTER, 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_log_sense[] = {
	FLAG(1, 0x01, SP), PC(2), PAGE(2, 0x3f), SUBPAGE(3),
	NUMBER(5, 2, "param_ptr"), ALLOC(7, 2), END
};
/* SPC-2 RESERVE(10) / RELEASE(10): 1 3RDPTY(4) LONGID(1),
 * 3 THIRD-PARTY DEVICE ID, 7-8 PARAMETER LIST LENGTH. */
static const struct cdb_field f_reserve10[] = {
	XFLAG(1, 0x10, THIRDPTY), XFLAG(1, 0x02, LONGID),
	NUMBER(3, 1, "third_party_id"), ALLOC(7, 2), END
};
/* SPC-5 PERSISTENT RESERVE IN: 1 SERVICE ACTION, 7-8 ALLOCATION
 * LENGTH. */
static const struct cdb_field f_pr_in[] = { ALLOC(7, 2), END };
/* SPC-5 PERSISTENT RESERVE OUT: 2 SCOPE(7:4) TYPE(3:0), 5-8 PARAMETER
 * LIST LENGTH. */
static const struct cdb_field f_pr_out[] = { PR(2), ALLOC(5, 4), END };
/* SPC-5 REPORT LUNS: 2 SELECT REPORT, 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_report_luns[] = {
	FORMAT(2, 0xff, "select"), ALLOC(6, 4), END
};
/* SPC-5 SECURITY PROTOCOL IN/OUT: 1 SECURITY PROTOCOL,
 * 2-3 SECURITY PROTOCOL SPECIFIC, 4 INC_512(7), 6-9 ALLOCATION / TRANSFER
 * LENGTH. */
static const struct cdb_field f_secprot[] = {
	SECPROT(1), SECSPEC(2), XFLAG(4, 0x80, INC_512), ALLOC(6, 4), END
};
/* MAINTENANCE IN/OUT service actions with nothing but a length at 6-9
 * (REPORT ALIASES, REPORT TIMESTAMP, SET TARGET PORT GROUPS, ...). */
static const struct cdb_field f_maint_len[] = { ALLOC(6, 4), END };
/* SPC-5 REPORT IDENTIFYING INFORMATION / SET IDENTIFYING
 * INFORMATION: 6-9 length, 10 INFORMATION TYPE(7:1). */
static const struct cdb_field f_ident_info[] = {
	ALLOC(6, 4), FORMAT(10, 0xfe, "info_type"), END
};
/* SPC-5 REPORT TARGET PORT GROUPS: 1 PARAMETER DATA FORMAT(7:5),
 * 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_rtpg[] = {
	FORMAT(1, 0xe0, "format"), ALLOC(6, 4), END
};
/* SPC-5 REPORT SUPPORTED OPERATION CODES: 2 RCTD(7) REPORTING
 * OPTIONS(2:0), 3 REQUESTED OPERATION CODE, 4-5 REQUESTED SERVICE ACTION,
 * 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_rsoc[] = {
	FLAG(2, 0x80, RCTD), FORMAT(2, 0x07, "options"), REQ_OP(3), REQ_SA(4),
	ALLOC(6, 4), END
};
/* SPC-5 REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS: 2 REPD(7),
 * 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_rstmf[] = {
	XFLAG(2, 0x80, REPD), ALLOC(6, 4), END
};
/* SPC-5 REPORT PRIORITY: 2 PRIORITY REPORTED(7:6), 6-9 ALLOCATION
 * LENGTH. */
static const struct cdb_field f_report_prio[] = {
	FORMAT(2, 0xc0, "priority_reported"), ALLOC(6, 4), END
};
/* SPC-5 MANAGEMENT PROTOCOL IN/OUT: 2 MANAGEMENT PROTOCOL,
 * 3-5 MANAGEMENT PROTOCOL SPECIFIC, 6-9 length. */
static const struct cdb_field f_mgmt_proto[] = {
	FORMAT(2, 0xff, "protocol"), NUMBER(3, 3, "specific"), ALLOC(6, 4), END
};
/* SPC-5 READ MEDIA SERIAL NUMBER: 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_rmsn[] = { ALLOC(6, 4), END };
/* SPC-5 READ ATTRIBUTE: 1 SERVICE ACTION(4:0), 5 LOGICAL VOLUME NUMBER,
 * 7 PARTITION NUMBER, 8-9 FIRST ATTRIBUTE IDENTIFIER, 10-13 ALLOCATION
 * LENGTH, 14 CACHE(0). */
static const struct cdb_field f_read_attr[] = {
	FORMAT(1, 0x1f, "action"), USAGE(5, 0xff), USAGE(7, 0xff),
	NUMBER(8, 2, "first_attr"), ALLOC(10, 4), XFLAG(14, 0x01, CACHE), END
};
/* SPC-5 WRITE ATTRIBUTE: 1 WTC(0), 5 LOGICAL VOLUME NUMBER,
 * 7 PARTITION NUMBER, 10-13 PARAMETER LIST LENGTH. */
static const struct cdb_field f_write_attr[] = {
	XFLAG(1, 0x01, WTC), USAGE(5, 0xff), USAGE(7, 0xff), ALLOC(10, 4), END
};
/* SPC-4 EXTENDED COPY(LID1) / SPC-5 EXTENDED COPY: 10-13 PARAMETER
 * LIST LENGTH. */
static const struct cdb_field f_xcopy[] = { ALLOC(10, 4), END };
/* SBC-4 POPULATE TOKEN / WRITE USING TOKEN: 6-9 LIST IDENTIFIER,
 * 10-13 PARAMETER LIST LENGTH, 14 GROUP NUMBER. */
static const struct cdb_field f_token[] = {
	NUMBER(6, 4, "list_id"), ALLOC(10, 4), GROUP(14), END
};
/* SPC-5 COPY OPERATION ABORT: 2-5 LIST IDENTIFIER. */
static const struct cdb_field f_copy_abort[] = {
	NUMBER(2, 4, "list_id"), END
};
/* SPC-4 RECEIVE COPY STATUS/DATA/FAILURE DETAILS(LID1): 2 LIST IDENTIFIER,
 * 10-13 ALLOCATION LENGTH. */
static const struct cdb_field f_rcr_lid1[] = {
	NUMBER(2, 1, "list_id"), ALLOC(10, 4), END
};
/* SPC-5 RECEIVE COPY STATUS/DATA, RECEIVE ROD TOKEN INFORMATION: 2-5 LIST
 * IDENTIFIER, 10-13 ALLOCATION LENGTH. */
static const struct cdb_field f_rcr_lid4[] = {
	NUMBER(2, 4, "list_id"), ALLOC(10, 4), END
};
/* RECEIVE COPY OPERATING PARAMETERS, REPORT ALL ROD TOKENS: 10-13. */
static const struct cdb_field f_rcr_len[] = { ALLOC(10, 4), END };

/* ------------------------------------------------------------ SBC-4 */

/* SBC-4 READ(6) / WRITE(6): 1-3 LBA (21 bits), 4 TRANSFER LENGTH
 * (0 = 256). */
static const struct cdb_field f_rw6[] = { LBAM(1, 3, 0x1f), XFER(4, 1), END };
/* SBC-4 READ(10): 1 RDPROTECT(7:5) DPO(4) FUA(3) RARC(2) FUA_NV(1,
 * obsolete) RELADR(0, obsolete), 2-5 LBA, 6 GROUP NUMBER, 7-8 TRANSFER
 * LENGTH. */
static const struct cdb_field f_read10[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA), FLAG(1, 0x04, RARC),
	FLAG(1, 0x02, FUA_NV), FLAG(1, 0x01, RELADR), LBA(2, 4), GROUP(6),
	XFER(7, 2), END
};
/* SBC-4 WRITE(10): as READ(10) without RARC. */
static const struct cdb_field f_write10[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA),
	FLAG(1, 0x02, FUA_NV), FLAG(1, 0x01, RELADR), LBA(2, 4), GROUP(6),
	XFER(7, 2), END
};
/* SBC-4 READ(12) and MMC-6: 2-5 LBA, 6-9 TRANSFER LENGTH,
 * 10 STREAMING(7, MMC) GROUP NUMBER. */
static const struct cdb_field f_read12[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA), FLAG(1, 0x04, RARC),
	FLAG(1, 0x02, FUA_NV), FLAG(1, 0x01, RELADR), LBA(2, 4), XFER(6, 4),
	FLAG(10, 0x80, STREAMING), GROUP(10), END
};
/* SBC-4 WRITE(12) and MMC-6. */
static const struct cdb_field f_write12[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA),
	FLAG(1, 0x02, FUA_NV), FLAG(1, 0x01, RELADR), LBA(2, 4), XFER(6, 4),
	FLAG(10, 0x80, STREAMING), GROUP(10), END
};
/* SBC-4 READ(16): 1 RDPROTECT DPO FUA RARC FUA_NV DLD2(0), 2-9 LBA,
 * 10-13 TRANSFER LENGTH, 14 DLD1(7) DLD0(6) GROUP NUMBER(5:0). */
static const struct cdb_field f_read16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA), FLAG(1, 0x04, RARC),
	FLAG(1, 0x02, FUA_NV), DLD(1, 0x01, 2), LBA(2, 8), XFER(10, 4),
	DLD(14, 0xc0, 0), GROUP(14), END
};
/* SBC-4 WRITE(16). */
static const struct cdb_field f_write16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA),
	FLAG(1, 0x02, FUA_NV), DLD(1, 0x01, 2), LBA(2, 8), XFER(10, 4),
	DLD(14, 0xc0, 0), GROUP(14), END
};
/* SBC-4 ORWRITE(16): 1 ORPROTECT DPO FUA FUA_NV, 2-9 LBA, 10-13
 * TRANSFER LENGTH, 14 GROUP NUMBER. */
static const struct cdb_field f_orwrite16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA),
	FLAG(1, 0x02, FUA_NV), LBA(2, 8), XFER(10, 4), GROUP(14), END
};
/* SBC-4 COMPARE AND WRITE: 1 WRPROTECT DPO FUA FUA_NV, 2-9 LBA,
 * 13 NUMBER OF LOGICAL BLOCKS, 14 GROUP NUMBER. */
static const struct cdb_field f_caw[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA),
	FLAG(1, 0x02, FUA_NV), LBA(2, 8), XFER(13, 1), GROUP(14), END
};
/* SBC-4 VERIFY(10): 1 VRPROTECT DPO BYTCHK(2:1) RELADR(0, obsolete),
 * 2-5 LBA, 6 GROUP NUMBER, 7-8 VERIFICATION LENGTH. WRITE AND VERIFY(10)
 * has WRPROTECT in the same place. */
static const struct cdb_field f_verify10[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), BYTCHK(1), FLAG(1, 0x01, RELADR),
	LBA(2, 4), GROUP(6), XFER(7, 2), END
};
/* SBC-4 VERIFY(12) / WRITE AND VERIFY(12): 6-9 length,
 * 10 GROUP NUMBER. */
static const struct cdb_field f_verify12[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), BYTCHK(1), FLAG(1, 0x01, RELADR),
	LBA(2, 4), XFER(6, 4), GROUP(10), END
};
/* SBC-4 VERIFY(16) / WRITE AND VERIFY(16): 2-9 LBA, 10-13 length,
 * 14 GROUP NUMBER. */
static const struct cdb_field f_verify16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), BYTCHK(1), LBA(2, 8), XFER(10, 4),
	GROUP(14), END
};
/* SBC-4 WRITE SAME(10): 1 WRPROTECT ANCHOR(4) UNMAP(3), 2-5 LBA,
 * 6 GROUP NUMBER, 7-8 NUMBER OF LOGICAL BLOCKS. */
static const struct cdb_field f_write_same10[] = {
	PROTECT(1), FLAG(1, 0x10, ANCHOR), FLAG(1, 0x08, UNMAP), LBA(2, 4),
	GROUP(6), XFER(7, 2), END
};
/* SBC-4 WRITE SAME(16): 1 WRPROTECT ANCHOR UNMAP NDOB(0), 2-9 LBA,
 * 10-13 NUMBER OF LOGICAL BLOCKS, 14 GROUP NUMBER. */
static const struct cdb_field f_write_same16[] = {
	PROTECT(1), FLAG(1, 0x10, ANCHOR), FLAG(1, 0x08, UNMAP),
	FLAG(1, 0x01, NDOB), LBA(2, 8), XFER(10, 4), GROUP(14), END
};
/* SBC-4 UNMAP: 1 ANCHOR(0), 6 GROUP NUMBER, 7-8 PARAMETER LIST
 * LENGTH. */
static const struct cdb_field f_unmap[] = {
	FLAG(1, 0x01, ANCHOR), GROUP(6), ALLOC(7, 2), END
};
/* SBC-4 SYNCHRONIZE CACHE(10): 1 SYNC_NV(2, obsolete) IMMED(1)
 * RELADR(0, obsolete), 2-5 LBA, 6 GROUP NUMBER, 7-8 NUMBER OF BLOCKS. */
static const struct cdb_field f_sync10[] = {
	FLAG(1, 0x04, SYNC_NV), FLAG(1, 0x02, IMMED), FLAG(1, 0x01, RELADR),
	LBA(2, 4), GROUP(6), XFER(7, 2), END
};
/* SBC-4 SYNCHRONIZE CACHE(16): 2-9 LBA, 10-13 NUMBER OF BLOCKS,
 * 14 GROUP NUMBER. */
static const struct cdb_field f_sync16[] = {
	FLAG(1, 0x04, SYNC_NV), FLAG(1, 0x02, IMMED), LBA(2, 8), XFER(10, 4),
	GROUP(14), END
};
/* SBC-4 PRE-FETCH(10): 1 IMMED(1), 2-5 LBA, 6 GROUP, 7-8 LENGTH. */
static const struct cdb_field f_prefetch10[] = {
	FLAG(1, 0x02, IMMED), LBA(2, 4), GROUP(6), XFER(7, 2), END
};
/* SBC-4 PRE-FETCH(16): 2-9 LBA, 10-13 LENGTH, 14 GROUP. */
static const struct cdb_field f_prefetch16[] = {
	FLAG(1, 0x02, IMMED), LBA(2, 8), XFER(10, 4), GROUP(14), END
};
/* SBC-4 READ CAPACITY(10): 1 RELADR(0, obsolete), 2-5 LBA (obsolete),
 * 8 PMI(0, obsolete). */
static const struct cdb_field f_readcap10[] = {
	FLAG(1, 0x01, RELADR), LBA(2, 4), FLAG(8, 0x01, PMI), END
};
/* SBC-4 READ CAPACITY(16): 2-9 LBA (obsolete), 10-13 ALLOCATION
 * LENGTH, 14 PMI(0, obsolete). */
static const struct cdb_field f_readcap16[] = {
	LBA(2, 8), ALLOC(10, 4), FLAG(14, 0x01, PMI), END
};
/* SBC-4 GET LBA STATUS(16): 2-9 STARTING LBA, 10-13 ALLOCATION
 * LENGTH. */
static const struct cdb_field f_get_lba_status[] = {
	LBA(2, 8), ALLOC(10, 4), END
};
/* SBC-4 REPORT REFERRALS: 2-9 LBA, 10-13 ALLOCATION LENGTH,
 * 14 ONE_SEG(0). */
static const struct cdb_field f_report_referrals[] = {
	LBA(2, 8), ALLOC(10, 4), XFLAG(14, 0x01, ONE_SEG), END
};
/* SBC-4 STREAM CONTROL: 1 STR_CTL(6:5), 4-5 STR_ID, 10-13
 * ALLOCATION LENGTH. */
static const struct cdb_field f_stream_control[] = {
	FORMAT(1, 0x60, "str_ctl"), NUMBER(4, 2, "stream"), ALLOC(10, 4), END
};
/* SBC-4 BACKGROUND CONTROL: 2 BO_CTL(7:6), 3 BO_TIME. */
static const struct cdb_field f_background_control[] = {
	FORMAT(2, 0xc0, "bo_ctl"), NUMBER(3, 1, "bo_time"), END
};
/* SBC-4 GET STREAM STATUS: 4-5 STARTING STREAM IDENTIFIER,
 * 10-13 ALLOCATION LENGTH. */
static const struct cdb_field f_get_stream_status[] = {
	NUMBER(4, 2, "stream"), ALLOC(10, 4), END
};
/* SBC-4 GET PHYSICAL ELEMENT STATUS: 6-9 STARTING ELEMENT,
 * 10-13 ALLOCATION LENGTH, 14 FILTER(7:6) REPORT TYPE(3:0). */
static const struct cdb_field f_gpes[] = {
	NUMBER(6, 4, "element"), ALLOC(10, 4), USAGE(14, 0xc0),
	FORMAT(14, 0x0f, "report_type"), END
};
/* SBC-4 REMOVE ELEMENT AND TRUNCATE: 2-9 REQUESTED CAPACITY,
 * 10-13 ELEMENT IDENTIFIER. */
static const struct cdb_field f_remove_element[] = {
	USAGEN(2, 8), NUMBER(10, 4, "element"), END
};
/* SBC-4 READ LONG(10): 1 PBLOCK(2) CORRCT(1), 2-5 LBA, 7-8 BYTE
 * TRANSFER LENGTH. */
static const struct cdb_field f_read_long10[] = {
	XFLAG(1, 0x04, PBLOCK), XFLAG(1, 0x02, CORRCT), LBA(2, 4), XFERB(7, 2),
	END
};
/* SBC-4 READ LONG(16): 2-9 LBA, 12-13 BYTE TRANSFER LENGTH,
 * 14 PBLOCK(1) CORRCT(0). */
static const struct cdb_field f_read_long16[] = {
	LBA(2, 8), XFERB(12, 2), XFLAG(14, 0x02, PBLOCK),
	XFLAG(14, 0x01, CORRCT), END
};
/* SBC-4 WRITE LONG(10): 1 COR_DIS(7) WR_UNCOR(6) PBLOCK(5), 2-5 LBA,
 * 7-8 BYTE TRANSFER LENGTH. */
static const struct cdb_field f_write_long10[] = {
	XFLAG(1, 0x80, COR_DIS), XFLAG(1, 0x40, WR_UNCOR),
	XFLAG(1, 0x20, PBLOCK), LBA(2, 4), XFERB(7, 2), END
};
/* SBC-4 WRITE LONG(16): byte 1 as (10) with the service action,
 * 2-9 LBA, 12-13 BYTE TRANSFER LENGTH. */
static const struct cdb_field f_write_long16[] = {
	XFLAG(1, 0x80, COR_DIS), XFLAG(1, 0x40, WR_UNCOR),
	XFLAG(1, 0x20, PBLOCK), LBA(2, 8), XFERB(12, 2), END
};
/* SBC-4 WRITE ATOMIC(16): 1 WRPROTECT DPO FUA, 2-9 LBA, 10-11 ATOMIC
 * BOUNDARY, 12-13 TRANSFER LENGTH, 14 GROUP NUMBER. */
static const struct cdb_field f_write_atomic16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA), LBA(2, 8),
	NUMBER(10, 2, "boundary"), XFER(12, 2), GROUP(14), END
};
/* SBC-4 WRITE STREAM(16): 1 WRPROTECT DPO FUA, 2-9 LBA, 10-11 STR_ID,
 * 12-13 TRANSFER LENGTH, 14 GROUP NUMBER. */
static const struct cdb_field f_write_stream16[] = {
	PROTECT(1), FLAG(1, 0x10, DPO), FLAG(1, 0x08, FUA), LBA(2, 8),
	NUMBER(10, 2, "stream"), XFER(12, 2), GROUP(14), END
};
/* SBC-4 FORMAT UNIT: 1 FMTPINFO(7:6) LONGLIST(5) FMTDATA(4) CMPLST(3)
 * DEFECT LIST FORMAT(2:0), 4 FFMT(1:0). MMC-6: FmtData, CmpList and
 * Format Code in the same bits. */
static const struct cdb_field f_format_unit[] = {
	PROTECTM(1, 0xc0), XFLAG(1, 0x20, LONGLIST), FLAG(1, 0x10, FMTDATA),
	FLAG(1, 0x08, CMPLST), FORMAT(1, 0x07, "defect_format"),
	NUMBERM(4, 1, 0x03, "ffmt"), END
};
/* SBC-4 REASSIGN BLOCKS: 1 LONGLBA(1) LONGLIST(0). */
static const struct cdb_field f_reassign[] = {
	XFLAG(1, 0x02, LONGLBA), XFLAG(1, 0x01, LONGLIST), END
};
/* SBC-4 READ DEFECT DATA(10): 2 REQ_PLIST(4) REQ_GLIST(3) DEFECT LIST
 * FORMAT(2:0), 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_defect10[] = {
	XFLAG(2, 0x10, REQ_PLIST), XFLAG(2, 0x08, REQ_GLIST),
	FORMAT(2, 0x07, "defect_format"), ALLOC(7, 2), END
};
/* SBC-4 READ DEFECT DATA(12): 1 REQ_PLIST REQ_GLIST FORMAT, 2-5
 * ADDRESS DESCRIPTOR INDEX, 6-9 ALLOCATION LENGTH. */
static const struct cdb_field f_defect12[] = {
	XFLAG(1, 0x10, REQ_PLIST), XFLAG(1, 0x08, REQ_GLIST),
	FORMAT(1, 0x07, "defect_format"), NUMBER(2, 4, "index"), ALLOC(6, 4),
	END
};
/* SBC-4 SANITIZE: 1 IMMED(7) ZNR(6) AUSE(5) SERVICE ACTION(4:0),
 * 7-8 PARAMETER LIST LENGTH. */
static const struct cdb_field f_sanitize[] = {
	FLAG(1, 0x80, IMMED), XFLAG(1, 0x40, ZNR), XFLAG(1, 0x20, AUSE),
	ALLOC(7, 2), END
};
/* SBC-4 START STOP UNIT (and MMC-6): 1 IMMED(0), 3 POWER CONDITION
 * MODIFIER(3:0), 4 POWER CONDITION(7:4) NO_FLUSH(2) LOEJ(1) START(0). */
static const struct cdb_field f_start_stop[] = {
	FLAG(1, 0x01, IMMED), POWER_MOD(3), POWER(4), FLAG(4, 0x04, NO_FLUSH),
	FLAG(4, 0x02, LOEJ), FLAG(4, 0x01, START), END
};
/* SBC-4 PREVENT ALLOW MEDIUM REMOVAL (and MMC-6): 4 PREVENT(1:0). */
static const struct cdb_field f_prevent[] = {
	FLAG(4, 0x01, PREVENT), XFLAG(4, 0x02, PERSISTENT), END
};
/* SBC-4 READ(32): 6 GROUP NUMBER, 10 RDPROTECT DPO FUA RARC, 12-19 LBA,
 * 20-23 EXPECTED INITIAL LOGICAL BLOCK REFERENCE TAG, 24-25 EXPECTED
 * LOGICAL BLOCK APPLICATION TAG, 26-27 LOGICAL BLOCK APPLICATION TAG MASK,
 * 28-31 TRANSFER LENGTH. */
static const struct cdb_field f_read32[] = {
	GROUP(6), PROTECT(10), FLAG(10, 0x10, DPO), FLAG(10, 0x08, FUA),
	FLAG(10, 0x04, RARC), LBA(12, 8), PI32, XFER(28, 4), END
};
/* SBC-4 WRITE(32): as READ(32) without RARC. */
static const struct cdb_field f_write32[] = {
	GROUP(6), PROTECT(10), FLAG(10, 0x10, DPO), FLAG(10, 0x08, FUA),
	LBA(12, 8), PI32, XFER(28, 4), END
};
/* SBC-4 VERIFY(32) / WRITE AND VERIFY(32): 10 VRPROTECT DPO BYTCHK. */
static const struct cdb_field f_verify32[] = {
	GROUP(6), PROTECT(10), FLAG(10, 0x10, DPO), BYTCHK(10), LBA(12, 8),
	PI32, XFER(28, 4), END
};
/* SBC-4 WRITE SAME(32): 10 WRPROTECT ANCHOR UNMAP NDOB, 28-31 NUMBER OF
 * LOGICAL BLOCKS. */
static const struct cdb_field f_write_same32[] = {
	GROUP(6), PROTECT(10), FLAG(10, 0x10, ANCHOR), FLAG(10, 0x08, UNMAP),
	FLAG(10, 0x01, NDOB), LBA(12, 8), PI32, XFER(28, 4), END
};

/* ZBC REPORT ZONES: 2-9 ZONE START LBA, 10-13 ALLOCATION LENGTH,
 * 14 PARTIAL(7) REPORTING OPTIONS(5:0). */
static const struct cdb_field f_report_zones[] = {
	LBA(2, 8), ALLOC(10, 4), XFLAG(14, 0x80, PARTIAL),
	FORMAT(14, 0x3f, "options"), END
};
/* ZBC CLOSE, FINISH, OPEN ZONE, RESET WRITE POINTER:
 * 2-9 ZONE ID, 12-13 ZONE COUNT, 14 ALL(0). */
static const struct cdb_field f_zone_action[] = {
	LBA(2, 8), NUMBER(12, 2, "count"), XFLAG(14, 0x01, ALL), END
};

/* SAT-4 ATA PASS-THROUGH(12): 1 PROTOCOL(4:1), 2 OFF_LINE CK_COND
 * T_TYPE T_DIR BYT_BLOK T_LENGTH, 3 FEATURES, 4 COUNT, 5-7 LBA, 8 DEVICE,
 * 9 COMMAND. */
static const struct cdb_field f_ata12[] = {
	USAGE(1, 0xfe), USAGE(2, 0xff), USAGEN(3, 7), END
};
/* SAT-4 ATA PASS-THROUGH(16): 1 MULTIPLE_COUNT PROTOCOL EXTEND,
 * 2 flags, 3-4 FEATURES, 5-6 COUNT, 7-12 LBA (high bytes at 7, 9, 11),
 * 13 DEVICE, 14 COMMAND. */
static const struct cdb_field f_ata16[] = {
	USAGE(1, 0xff), USAGE(2, 0xff), USAGEN(3, 12), END
};
/* SAT-4 ATA PASS-THROUGH(32): 10 MULTIPLE_COUNT PROTOCOL EXTEND,
 * 11 flags, 14-19 LBA, 20-21 FEATURES, 22-23 COUNT, 24 DEVICE, 25 COMMAND,
 * 28-31 AUXILIARY. */
static const struct cdb_field f_ata32[] = {
	USAGE(10, 0xff), USAGE(11, 0xff), USAGEN(14, 12), USAGEN(28, 4), END
};

/* ------------------------------------------------------------ MMC-6 */

/* MMC-6 READ FORMAT CAPACITIES: 7-8 ALLOCATION LENGTH; READ DISC
 * INFORMATION, READ BUFFER CAPACITY and others share the place. */
static const struct cdb_field f_alloc78[] = { ALLOC(7, 2), END };
/* MMC-6 READ DISC INFORMATION: 1 DATA TYPE(2:0), 7-8. */
static const struct cdb_field f_read_disc_info[] = {
	FORMAT(1, 0x07, "type"), ALLOC(7, 2), END
};
/* MMC-6 READ TRACK INFORMATION: 1 OPEN(2) ADDRESS/NUMBER TYPE(1:0),
 * 2-5 LBA/TRACK/SESSION NUMBER, 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_read_track_info[] = {
	XFLAG(1, 0x04, OPEN), FORMAT(1, 0x03, "addr_type"),
	NUMBER(2, 4, "address"), ALLOC(7, 2), END
};
/* MMC-6 READ TOC/PMA/ATIP: 1 MSF(1), 2 FORMAT(3:0), 6 TRACK/SESSION
 * NUMBER, 7-8 ALLOCATION LENGTH; SFF-8020 put the format in CONTROL(7:6). */
static const struct cdb_field f_read_toc[] = {
	FLAG(1, 0x02, MSF), FORMAT(2, 0x0f, "format"), NUMBER(6, 1, "track"),
	ALLOC(7, 2), USAGE(9, 0xc0), END
};
/* MMC-6 READ SUB-CHANNEL: 1 MSF(1), 2 SUBQ(6), 3 SUB-CHANNEL
 * PARAMETER LIST, 6 TRACK NUMBER, 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_read_subchannel[] = {
	FLAG(1, 0x02, MSF), XFLAG(2, 0x40, SUBQ), FORMAT(3, 0xff, "format"),
	NUMBER(6, 1, "track"), ALLOC(7, 2), END
};
/* MMC-6 GET CONFIGURATION: 1 RT(1:0), 2-3 STARTING FEATURE NUMBER,
 * 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_get_config[] = {
	FORMAT(1, 0x03, "rt"), NUMBER(2, 2, "feature"), ALLOC(7, 2), END
};
/* MMC-6 GET EVENT STATUS NOTIFICATION: 1 POLLED(0), 4 NOTIFICATION
 * CLASS REQUEST, 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_gesn[] = {
	FLAG(1, 0x01, POLLED), FORMAT(4, 0xff, "notify_class"), ALLOC(7, 2), END
};
/* MMC-6 MECHANISM STATUS: 8-9 ALLOCATION LENGTH. */
static const struct cdb_field f_mech_status[] = { ALLOC(8, 2), END };
/* MMC-6 READ CD: 1 EXPECTED SECTOR TYPE(4:2) DAP(1), 2-5 LBA,
 * 6-8 TRANSFER LENGTH, 9 SYNC HEADER-CODES USER-DATA EDC&ECC C2, 10 SUB-
 * CHANNEL DATA SELECTION(2:0). */
static const struct cdb_field f_read_cd[] = {
	SECTOR_TYPE(1), XFLAG(1, 0x02, DAP), LBA(2, 4), XFER(6, 3),
	SECTOR_FLAGS(9), SUBCH(10), END
};
/* MMC-6 READ CD MSF: 3-5 STARTING M S F, 6-8 ENDING M S F. */
static const struct cdb_field f_read_cd_msf[] = {
	SECTOR_TYPE(1), XFLAG(1, 0x02, DAP), MSF_START(3), MSF_END(6),
	SECTOR_FLAGS(9), SUBCH(10), END
};
/* MMC-6 SET CD SPEED: 1 ROTATIONAL CONTROL(1:0), 2-3 READ SPEED,
 * 4-5 WRITE SPEED. */
static const struct cdb_field f_set_cd_speed[] = {
	FORMAT(1, 0x03, "rotation"), SPEED_R(2), SPEED_W(4), END
};
/* MMC-6 GET PERFORMANCE: 1 DATA TYPE(4:0), 2-5 STARTING LBA,
 * 8-9 MAXIMUM NUMBER OF DESCRIPTORS, 10 TYPE. */
static const struct cdb_field f_get_perf[] = {
	USAGE(1, 0x1f), LBA(2, 4), NUMBER(8, 2, "max_desc"),
	FORMAT(10, 0xff, "type"), END
};
/* MMC-6 READ DISC STRUCTURE: 1 MEDIA TYPE(3:0), 2-5 ADDRESS, 6 LAYER
 * NUMBER, 7 FORMAT CODE, 8-9 ALLOCATION LENGTH, 10 AGID(7:6). */
static const struct cdb_field f_read_disc_struct[] = {
	USAGE(1, 0x0f), LBA(2, 4), NUMBER(6, 1, "layer"),
	FORMAT(7, 0xff, "format"), ALLOC(8, 2), USAGE(10, 0xc0), END
};
/* MMC-6 SEND DISC STRUCTURE: 1 MEDIA TYPE, 7 FORMAT CODE,
 * 8-9 PARAMETER LIST LENGTH, 10 AGID. */
static const struct cdb_field f_send_disc_struct[] = {
	USAGE(1, 0x0f), FORMAT(7, 0xff, "format"), ALLOC(8, 2),
	USAGE(10, 0xc0), END
};
/* MMC-6 SET STREAMING: 8 TYPE, 9-10 PARAMETER LIST LENGTH. */
static const struct cdb_field f_set_streaming[] = {
	FORMAT(8, 0xff, "type"), ALLOC(9, 2), END
};
/* MMC-6 PLAY AUDIO(10): 2-5 STARTING LBA, 7-8 PLAY LENGTH. */
static const struct cdb_field f_play10[] = { LBA(2, 4), XFER(7, 2), END };
/* MMC-6 PLAY AUDIO(12): 2-5 STARTING LBA, 6-9 PLAY LENGTH. */
static const struct cdb_field f_play12[] = { LBA(2, 4), XFER(6, 4), END };
/* MMC-6 PLAY AUDIO MSF: 3-5 STARTING M S F, 6-8 ENDING M S F. */
static const struct cdb_field f_play_msf[] = {
	MSF_START(3), MSF_END(6), END
};
/* MMC-6 PAUSE/RESUME: 8 RESUME(0). */
static const struct cdb_field f_pause[] = { XFLAG(8, 0x01, RESUME), END };
/* MMC-6 SCAN: 1 DIRECT(4) RELADR(2), 2-5 SCAN STARTING ADDRESS,
 * 9 TYPE(7:6). */
static const struct cdb_field f_scan[] = {
	XFLAG(1, 0x10, DIRECT), FLAG(1, 0x04, RELADR), LBA(2, 4),
	FORMAT(9, 0xc0, "type"), END
};
/* MMC-6 READ BUFFER CAPACITY: 1 BLOCK(0), 7-8 ALLOCATION LENGTH. */
static const struct cdb_field f_read_buf_cap[] = {
	XFLAG(1, 0x01, BLOCK), ALLOC(7, 2), END
};
/* MMC-6 REPORT KEY: 2-5 LBA, 7 KEY CLASS, 8-9 ALLOCATION LENGTH,
 * 10 AGID(7:6) KEY FORMAT(5:0). */
static const struct cdb_field f_report_key[] = {
	LBA(2, 4), NUMBER(7, 1, "key_class"), ALLOC(8, 2), USAGE(10, 0xc0),
	FORMAT(10, 0x3f, "key_format"), END
};
/* MMC-6 SEND KEY: 7 KEY CLASS, 8-9 PARAMETER LIST LENGTH, 10 AGID
 * KEY FORMAT. */
static const struct cdb_field f_send_key[] = {
	NUMBER(7, 1, "key_class"), ALLOC(8, 2), USAGE(10, 0xc0),
	FORMAT(10, 0x3f, "key_format"), END
};
/* MMC-6 LOAD/UNLOAD MEDIUM: 1 IMMED(0), 4 LOUNLO(1) START(0),
 * 8 SLOT. */
static const struct cdb_field f_load_unload[] = {
	FLAG(1, 0x01, IMMED), FLAG(4, 0x02, LOEJ), FLAG(4, 0x01, START),
	NUMBER(8, 1, "slot"), END
};
/* MMC-6 SET READ AHEAD: 2-5 TRIGGER LBA, 6-9 READ AHEAD LBA. */
static const struct cdb_field f_set_read_ahead[] = {
	LBA(2, 4), NUMBER(6, 4, "read_ahead_lba"), END
};
/* MMC-6 BLANK: 1 IMMED(4) BLANKING TYPE(2:0), 2-5 START ADDRESS. */
static const struct cdb_field f_blank[] = {
	FLAG(1, 0x10, IMMED), FORMAT(1, 0x07, "type"),
	NUMBER(2, 4, "address"), END
};
/* MMC-6 CLOSE TRACK/SESSION: 1 IMMED(0), 2 CLOSE FUNCTION(2:0),
 * 4-5 TRACK/SESSION NUMBER. */
static const struct cdb_field f_close_track[] = {
	FLAG(1, 0x01, IMMED), FORMAT(2, 0x07, "function"),
	NUMBER(4, 2, "track"), END
};
/* MMC-6 REPAIR TRACK: 1 IMMED(0), 4-5 TRACK NUMBER. */
static const struct cdb_field f_repair_track[] = {
	FLAG(1, 0x01, IMMED), NUMBER(4, 2, "track"), END
};
/* MMC-6 RESERVE TRACK: 1 ARSV(0), 5-8 RESERVATION SIZE / LBA. */
static const struct cdb_field f_reserve_track[] = {
	XFLAG(1, 0x01, ARSV), NUMBER(5, 4, "size"), END
};
/* MMC-6 SEND CUE SHEET: 6-8 CUE SHEET SIZE. */
static const struct cdb_field f_send_cue[] = { ALLOC(6, 3), END };
/* MMC-6 SEND OPC INFORMATION: 1 DOOPC(0), 7-8 PARAMETER LIST
 * LENGTH. */
static const struct cdb_field f_send_opc[] = {
	XFLAG(1, 0x01, DOOPC), ALLOC(7, 2), END
};
/* MMC-6 SEEK(10): 2-5 LBA. */
static const struct cdb_field f_seek10[] = { LBA(2, 4), END };

/* ------------------------------------------------------------ the rows */

const struct cdb_row vscsi__cdb_rows[] = {
	ROW(0x00, "TEST UNIT READY", 6, SPC, OTHER, NONE, ALL, f_none, NULL,
	    "tur"),
	ROW(0x03, "REQUEST SENSE", 6, SPC, OTHER, IN, ALL, f_request_sense,
	    NULL, NULL),
	ROW(0x04, "FORMAT UNIT", 6, SBC, OTHER, OUT, ALL, f_format_unit,
	    vscsi__cdb_fix_format_unit, "format"),
	ROW(0x07, "REASSIGN BLOCKS", 6, SBC, OTHER, OUT, DISK, f_reassign, NULL,
	    NULL),
	ROW(0x08, "READ(6)", 6, SBC, READ, IN, DISK, f_rw6, vscsi__cdb_fix_rw6,
	    NULL),
	ROW(0x0a, "WRITE(6)", 6, SBC, WRITE, OUT, DISK, f_rw6,
	    vscsi__cdb_fix_rw6, NULL),
	ROW(0x12, "INQUIRY", 6, SPC, OTHER, IN, ALL, f_inquiry, NULL, "inq"),
	ROW(0x15, "MODE SELECT(6)", 6, SPC, OTHER, OUT, ALL, f_mode_select6,
	    NULL, "mode_select"),
	ROW(0x16, "RESERVE(6)", 6, SPC, OTHER, NONE, ALL, f_none, NULL,
	    "reserve"),
	ROW(0x17, "RELEASE(6)", 6, SPC, OTHER, NONE, ALL, f_none, NULL,
	    "release"),
	ROW(0x1a, "MODE SENSE(6)", 6, SPC, OTHER, IN, ALL, f_mode_sense6, NULL,
	    "mode_sense"),
	ROW(0x1b, "START STOP UNIT", 6, SBC, OTHER, NONE, ALL, f_start_stop,
	    NULL, "start_stop ssu"),
	ROW(0x1c, "RECEIVE DIAGNOSTIC RESULTS", 6, SPC, OTHER, IN, ALL,
	    f_recv_diag, NULL, "receive_diagnostic"),
	ROW(0x1d, "SEND DIAGNOSTIC", 6, SPC, OTHER, OUT, ALL, f_send_diag, NULL,
	    NULL),
	ROW(0x1e, "PREVENT ALLOW MEDIUM REMOVAL", 6, SBC, OTHER, NONE, ALL,
	    f_prevent, NULL, "allow_medium_removal prevent_allow"),
	ROW(0x23, "READ FORMAT CAPACITIES", 10, MMC, OTHER, IN, MMC, f_alloc78,
	    NULL, NULL),
	ROW(0x25, "READ CAPACITY(10)", 10, SBC, OTHER, IN, ALL, f_readcap10,
	    NULL, "read_capacity readcap readcap10 rc10"),
	ROW(0x28, "READ(10)", 10, SBC, READ, IN, ALL, f_read10, NULL, NULL),
	ROW(0x2a, "WRITE(10)", 10, SBC, WRITE, OUT, ALL, f_write10, NULL, NULL),
	ROW(0x2b, "SEEK(10)", 10, MMC, OTHER, NONE, ALL, f_seek10, NULL,
	    "seek"),
	ROW(0x2e, "WRITE AND VERIFY(10)", 10, SBC, WRITE, OUT, ALL, f_verify10,
	    NULL, "write_verify"),
	ROW(0x2f, "VERIFY(10)", 10, SBC, READ, OUT, ALL, f_verify10,
	    vscsi__cdb_fix_verify, "verify"),
	ROW(0x34, "PRE-FETCH(10)", 10, SBC, OTHER, NONE, DISK, f_prefetch10,
	    NULL, "prefetch"),
	ROW(0x35, "SYNCHRONIZE CACHE(10)", 10, SBC, FLUSH, NONE, ALL, f_sync10,
	    NULL, "sync_cache sync_cache10 synchronize_cache flush"),
	ROW(0x37, "READ DEFECT DATA(10)", 10, SBC, OTHER, IN, DISK, f_defect10,
	    NULL, "read_defect_data"),
	ROW(0x3b, "WRITE BUFFER", 10, SPC, OTHER, OUT, ALL, f_buffer10, NULL,
	    NULL),
	ROW(0x3c, "READ BUFFER(10)", 10, SPC, OTHER, IN, ALL, f_buffer10, NULL,
	    "read_buffer"),
	ROW(0x3e, "READ LONG(10)", 10, SBC, OTHER, IN, DISK, f_read_long10,
	    NULL, "read_long"),
	ROW(0x3f, "WRITE LONG(10)", 10, SBC, OTHER, OUT, DISK, f_write_long10,
	    NULL, "write_long"),
	ROW(0x41, "WRITE SAME(10)", 10, SBC, WRITE, OUT, DISK, f_write_same10,
	    vscsi__cdb_fix_write_same, "write_same ws10"),
	ROW(0x42, "UNMAP", 10, SBC, UNMAP, OUT, DISK, f_unmap, NULL, NULL),
	ROW(0x42, "READ SUB-CHANNEL", 10, MMC, OTHER, IN, MMC,
	    f_read_subchannel, NULL, NULL),
	ROW(0x43, "READ TOC/PMA/ATIP", 10, MMC, OTHER, IN, MMC, f_read_toc,
	    vscsi__cdb_fix_toc, "read_toc"),
	ROW(0x45, "PLAY AUDIO(10)", 10, MMC, OTHER, NONE, MMC, f_play10, NULL,
	    "play_audio"),
	ROW(0x46, "GET CONFIGURATION", 10, MMC, OTHER, IN, MMC, f_get_config,
	    NULL, "get_config"),
	ROW(0x47, "PLAY AUDIO MSF", 10, MMC, OTHER, NONE, MMC, f_play_msf, NULL,
	    NULL),
	SAROW(0x48, 0x01, "SANITIZE OVERWRITE", 10, SBC, OTHER, OUT, DISK,
	      f_sanitize, NULL, NULL),
	SAROW(0x48, 0x02, "SANITIZE BLOCK ERASE", 10, SBC, OTHER, NONE, DISK,
	      f_sanitize, NULL, NULL),
	SAROW(0x48, 0x03, "SANITIZE CRYPTOGRAPHIC ERASE", 10, SBC, OTHER, NONE,
	      DISK, f_sanitize, NULL, NULL),
	SAROW(0x48, 0x1f, "SANITIZE EXIT FAILURE MODE", 10, SBC, OTHER, NONE,
	      DISK, f_sanitize, NULL, NULL),
	ROW(0x4a, "GET EVENT STATUS NOTIFICATION", 10, MMC, OTHER, IN, MMC,
	    f_gesn, NULL, "gesn get_event_status"),
	ROW(0x4b, "PAUSE/RESUME", 10, MMC, OTHER, NONE, MMC, f_pause, NULL,
	    NULL),
	ROW(0x4c, "LOG SELECT", 10, SPC, OTHER, OUT, ALL, f_log_select, NULL,
	    NULL),
	ROW(0x4d, "LOG SENSE", 10, SPC, OTHER, IN, ALL, f_log_sense, NULL,
	    NULL),
	ROW(0x4e, "STOP PLAY/SCAN", 10, MMC, OTHER, NONE, MMC, f_none, NULL,
	    NULL),
	ROW(0x51, "READ DISC INFORMATION", 10, MMC, OTHER, IN, MMC,
	    f_read_disc_info, NULL, "read_disc_info"),
	ROW(0x52, "READ TRACK INFORMATION", 10, MMC, OTHER, IN, MMC,
	    f_read_track_info, NULL, "read_track_info"),
	ROW(0x53, "RESERVE TRACK", 10, MMC, OTHER, NONE, MMC, f_reserve_track,
	    NULL, NULL),
	ROW(0x54, "SEND OPC INFORMATION", 10, MMC, OTHER, OUT, MMC, f_send_opc,
	    NULL, NULL),
	ROW(0x55, "MODE SELECT(10)", 10, SPC, OTHER, OUT, ALL, f_mode_select10,
	    NULL, NULL),
	ROW(0x56, "RESERVE(10)", 10, SPC, OTHER, OUT, ALL, f_reserve10, NULL,
	    NULL),
	ROW(0x57, "RELEASE(10)", 10, SPC, OTHER, OUT, ALL, f_reserve10, NULL,
	    NULL),
	ROW(0x58, "REPAIR TRACK", 10, MMC, OTHER, NONE, MMC, f_repair_track,
	    NULL, NULL),
	ROW(0x5a, "MODE SENSE(10)", 10, SPC, OTHER, IN, ALL, f_mode_sense10,
	    NULL, NULL),
	ROW(0x5b, "CLOSE TRACK/SESSION", 10, MMC, OTHER, NONE, MMC,
	    f_close_track, NULL, NULL),
	ROW(0x5c, "READ BUFFER CAPACITY", 10, MMC, OTHER, IN, MMC,
	    f_read_buf_cap, NULL, NULL),
	ROW(0x5d, "SEND CUE SHEET", 10, MMC, OTHER, OUT, MMC, f_send_cue, NULL,
	    NULL),
	SAROW(0x5e, 0x00, "PERSISTENT RESERVE IN READ KEYS", 10, SPC, OTHER,
	      IN, ALL, f_pr_in, NULL, "pr_in_read_keys"),
	SAROW(0x5e, 0x01, "PERSISTENT RESERVE IN READ RESERVATION", 10, SPC,
	      OTHER, IN, ALL, f_pr_in, NULL, "pr_in_read_reservation"),
	SAROW(0x5e, 0x02, "PERSISTENT RESERVE IN REPORT CAPABILITIES", 10, SPC,
	      OTHER, IN, ALL, f_pr_in, NULL, "pr_in_report_capabilities"),
	SAROW(0x5e, 0x03, "PERSISTENT RESERVE IN READ FULL STATUS", 10, SPC,
	      OTHER, IN, ALL, f_pr_in, NULL, "pr_in_read_full_status"),
	SAROW(0x5f, 0x00, "PERSISTENT RESERVE OUT REGISTER", 10, SPC, OTHER,
	      OUT, ALL, f_pr_out, NULL, "pr_out_register"),
	SAROW(0x5f, 0x01, "PERSISTENT RESERVE OUT RESERVE", 10, SPC, OTHER,
	      OUT, ALL, f_pr_out, NULL, "pr_out_reserve"),
	SAROW(0x5f, 0x02, "PERSISTENT RESERVE OUT RELEASE", 10, SPC, OTHER,
	      OUT, ALL, f_pr_out, NULL, "pr_out_release"),
	SAROW(0x5f, 0x03, "PERSISTENT RESERVE OUT CLEAR", 10, SPC, OTHER, OUT,
	      ALL, f_pr_out, NULL, "pr_out_clear"),
	SAROW(0x5f, 0x04, "PERSISTENT RESERVE OUT PREEMPT", 10, SPC, OTHER,
	      OUT, ALL, f_pr_out, NULL, "pr_out_preempt"),
	SAROW(0x5f, 0x05, "PERSISTENT RESERVE OUT PREEMPT AND ABORT", 10, SPC,
	      OTHER, OUT, ALL, f_pr_out, NULL, "pr_out_preempt_and_abort"),
	SAROW(0x5f, 0x06,
	      "PERSISTENT RESERVE OUT REGISTER AND IGNORE EXISTING KEY", 10,
	      SPC, OTHER, OUT, ALL, f_pr_out, NULL,
	      "pr_out_register_and_ignore"),
	SAROW(0x5f, 0x07, "PERSISTENT RESERVE OUT REGISTER AND MOVE", 10, SPC,
	      OTHER, OUT, ALL, f_pr_out, NULL, "pr_out_register_and_move"),
	SAROW(0x5f, 0x08, "PERSISTENT RESERVE OUT REPLACE LOST RESERVATION",
	      10, SPC, OTHER, OUT, ALL, f_pr_out, NULL,
	      "pr_out_replace_lost_reservation"),
	SAROW(0x7f, 0x0009, "READ(32)", 32, SBC, READ, IN, DISK, f_read32, NULL,
	      NULL),
	SAROW(0x7f, 0x000a, "VERIFY(32)", 32, SBC, READ, OUT, DISK, f_verify32,
	      vscsi__cdb_fix_verify, NULL),
	SAROW(0x7f, 0x000b, "WRITE(32)", 32, SBC, WRITE, OUT, DISK, f_write32,
	      NULL, NULL),
	SAROW(0x7f, 0x000c, "WRITE AND VERIFY(32)", 32, SBC, WRITE, OUT, DISK,
	      f_verify32, NULL, "write_verify32"),
	SAROW(0x7f, 0x000d, "WRITE SAME(32)", 32, SBC, WRITE, OUT, DISK,
	      f_write_same32, vscsi__cdb_fix_write_same, "ws32"),
	SAROW(0x7f, 0x1ff0, "ATA PASS-THROUGH(32)", 32, ATA, OTHER, NONE, DISK,
	      f_ata32, vscsi__cdb_fix_ata32, "ata32"),
	SAROW(0x83, 0x00, "EXTENDED COPY(LID1)", 16, SPC, OTHER, OUT, ALL,
	      f_xcopy, NULL, "xcopy_lid1"),
	SAROW(0x83, 0x01, "EXTENDED COPY(LID4)", 16, SPC, OTHER, OUT, ALL,
	      f_xcopy, NULL, "xcopy_lid4"),
	SAROW(0x83, 0x10, "POPULATE TOKEN", 16, SBC, OTHER, OUT, DISK, f_token,
	      NULL, NULL),
	SAROW(0x83, 0x11, "WRITE USING TOKEN", 16, SBC, OTHER, OUT, DISK,
	      f_token, NULL, NULL),
	SAROW(0x83, 0x1c, "COPY OPERATION ABORT", 16, SPC, OTHER, NONE, ALL,
	      f_copy_abort, NULL, NULL),
	SAROW(0x84, 0x00, "RECEIVE COPY STATUS(LID1)", 16, SPC, OTHER, IN, ALL,
	      f_rcr_lid1, NULL, NULL),
	SAROW(0x84, 0x01, "RECEIVE COPY DATA(LID1)", 16, SPC, OTHER, IN, ALL,
	      f_rcr_lid1, NULL, NULL),
	SAROW(0x84, 0x03, "RECEIVE COPY OPERATING PARAMETERS", 16, SPC, OTHER,
	      IN, ALL, f_rcr_len, NULL, NULL),
	SAROW(0x84, 0x04, "RECEIVE COPY FAILURE DETAILS(LID1)", 16, SPC, OTHER,
	      IN, ALL, f_rcr_lid1, NULL, NULL),
	SAROW(0x84, 0x05, "RECEIVE COPY STATUS(LID4)", 16, SPC, OTHER, IN, ALL,
	      f_rcr_lid4, NULL, NULL),
	SAROW(0x84, 0x06, "RECEIVE COPY DATA(LID4)", 16, SPC, OTHER, IN, ALL,
	      f_rcr_lid4, NULL, NULL),
	SAROW(0x84, 0x07, "RECEIVE ROD TOKEN INFORMATION", 16, SPC, OTHER, IN,
	      ALL, f_rcr_lid4, NULL, NULL),
	SAROW(0x84, 0x08, "REPORT ALL ROD TOKENS", 16, SPC, OTHER, IN, ALL,
	      f_rcr_len, NULL, NULL),
	ROW(0x85, "ATA PASS-THROUGH(16)", 16, ATA, OTHER, NONE, DISK, f_ata16,
	    vscsi__cdb_fix_ata16, "ata16"),
	ROW(0x88, "READ(16)", 16, SBC, READ, IN, DISK, f_read16, NULL, NULL),
	ROW(0x89, "COMPARE AND WRITE", 16, SBC, WRITE, OUT, DISK, f_caw, NULL,
	    "caw"),
	ROW(0x8a, "WRITE(16)", 16, SBC, WRITE, OUT, DISK, f_write16, NULL,
	    NULL),
	ROW(0x8b, "ORWRITE(16)", 16, SBC, WRITE, OUT, DISK, f_orwrite16, NULL,
	    "orwrite"),
	ROW(0x8c, "READ ATTRIBUTE", 16, SPC, OTHER, IN, ALL, f_read_attr, NULL,
	    NULL),
	ROW(0x8d, "WRITE ATTRIBUTE", 16, SPC, OTHER, OUT, ALL, f_write_attr,
	    NULL, NULL),
	ROW(0x8e, "WRITE AND VERIFY(16)", 16, SBC, WRITE, OUT, DISK, f_verify16,
	    NULL, "write_verify16"),
	ROW(0x8f, "VERIFY(16)", 16, SBC, READ, OUT, DISK, f_verify16,
	    vscsi__cdb_fix_verify, NULL),
	ROW(0x90, "PRE-FETCH(16)", 16, SBC, OTHER, NONE, DISK, f_prefetch16,
	    NULL, NULL),
	ROW(0x91, "SYNCHRONIZE CACHE(16)", 16, SBC, FLUSH, NONE, DISK, f_sync16,
	    NULL, "sync_cache16"),
	ROW(0x93, "WRITE SAME(16)", 16, SBC, WRITE, OUT, DISK, f_write_same16,
	    vscsi__cdb_fix_write_same, "ws16"),
	SAROW(0x94, 0x01, "CLOSE ZONE", 16, SBC, OTHER, NONE, DISK,
	      f_zone_action, NULL, NULL),
	SAROW(0x94, 0x02, "FINISH ZONE", 16, SBC, OTHER, NONE, DISK,
	      f_zone_action, NULL, NULL),
	SAROW(0x94, 0x03, "OPEN ZONE", 16, SBC, OTHER, NONE, DISK,
	      f_zone_action, NULL, NULL),
	SAROW(0x94, 0x04, "RESET WRITE POINTER", 16, SBC, OTHER, NONE, DISK,
	      f_zone_action, NULL, "reset_wp"),
	SAROW(0x95, 0x00, "REPORT ZONES", 16, SBC, OTHER, IN, DISK,
	      f_report_zones, NULL, NULL),
	ROW(0x9a, "WRITE STREAM(16)", 16, SBC, WRITE, OUT, DISK,
	    f_write_stream16, NULL, "write_stream"),
	ROW(0x9b, "READ BUFFER(16)", 16, SPC, OTHER, IN, ALL, f_buffer16, NULL,
	    NULL),
	ROW(0x9c, "WRITE ATOMIC(16)", 16, SBC, WRITE, OUT, DISK,
	    f_write_atomic16, NULL, "write_atomic"),
	SAROW(0x9e, 0x10, "READ CAPACITY(16)", 16, SBC, OTHER, IN, DISK,
	      f_readcap16, NULL, "readcap16 rc16"),
	SAROW(0x9e, 0x11, "READ LONG(16)", 16, SBC, OTHER, IN, DISK,
	      f_read_long16, NULL, NULL),
	SAROW(0x9e, 0x12, "GET LBA STATUS(16)", 16, SBC, OTHER, IN, DISK,
	      f_get_lba_status, NULL, "get_lba_status"),
	SAROW(0x9e, 0x13, "REPORT REFERRALS", 16, SBC, OTHER, IN, DISK,
	      f_report_referrals, NULL, NULL),
	SAROW(0x9e, 0x14, "STREAM CONTROL", 16, SBC, OTHER, IN, DISK,
	      f_stream_control, NULL, NULL),
	SAROW(0x9e, 0x15, "BACKGROUND CONTROL", 16, SBC, OTHER, NONE, DISK,
	      f_background_control, NULL, NULL),
	SAROW(0x9e, 0x16, "GET STREAM STATUS", 16, SBC, OTHER, IN, DISK,
	      f_get_stream_status, NULL, NULL),
	SAROW(0x9e, 0x17, "GET PHYSICAL ELEMENT STATUS", 16, SBC, OTHER, IN,
	      DISK, f_gpes, NULL, NULL),
	SAROW(0x9e, 0x18, "REMOVE ELEMENT AND TRUNCATE", 16, SBC, OTHER, NONE,
	      DISK, f_remove_element, NULL, NULL),
	SAROW(0x9e, 0x19, "RESTORE ELEMENTS AND REBUILD", 16, SBC, OTHER, NONE,
	      DISK, f_none, NULL, NULL),
	SAROW(0x9f, 0x11, "WRITE LONG(16)", 16, SBC, OTHER, OUT, DISK,
	      f_write_long16, NULL, NULL),
	ROW(0xa0, "REPORT LUNS", 12, SPC, OTHER, IN, ALL, f_report_luns, NULL,
	    NULL),
	ROW(0xa1, "ATA PASS-THROUGH(12)", 12, ATA, OTHER, NONE, DISK, f_ata12,
	    vscsi__cdb_fix_ata12, "ata12"),
	ROW(0xa1, "BLANK", 12, MMC, OTHER, NONE, MMC, f_blank, NULL, NULL),
	ROW(0xa2, "SECURITY PROTOCOL IN", 12, SPC, OTHER, IN, ALL, f_secprot,
	    NULL, NULL),
	ROW(0xa3, "SEND KEY", 12, MMC, OTHER, OUT, MMC, f_send_key, NULL, NULL),
	SAROW(0xa3, 0x05, "REPORT IDENTIFYING INFORMATION", 12, SPC, OTHER, IN,
	      DISK, f_ident_info, NULL, NULL),
	SAROW(0xa3, 0x0a, "REPORT TARGET PORT GROUPS", 12, SPC, OTHER, IN, DISK,
	      f_rtpg, NULL, "rtpg"),
	SAROW(0xa3, 0x0b, "REPORT ALIASES", 12, SPC, OTHER, IN, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa3, 0x0c, "REPORT SUPPORTED OPERATION CODES", 12, SPC, OTHER,
	      IN, DISK, f_rsoc, NULL, "rsoc report_supported_opcodes"),
	SAROW(0xa3, 0x0d, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", 12,
	      SPC, OTHER, IN, DISK, f_rstmf, NULL,
	      "rstmf report_supported_tmfs"),
	SAROW(0xa3, 0x0e, "REPORT PRIORITY", 12, SPC, OTHER, IN, DISK,
	      f_report_prio, NULL, NULL),
	SAROW(0xa3, 0x0f, "REPORT TIMESTAMP", 12, SPC, OTHER, IN, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa3, 0x10, "MANAGEMENT PROTOCOL IN", 12, SPC, OTHER, IN, DISK,
	      f_mgmt_proto, NULL, NULL),
	ROW(0xa4, "REPORT KEY", 12, MMC, OTHER, IN, MMC, f_report_key, NULL,
	    NULL),
	SAROW(0xa4, 0x06, "SET IDENTIFYING INFORMATION", 12, SPC, OTHER, OUT,
	      DISK, f_ident_info, NULL, NULL),
	SAROW(0xa4, 0x0a, "SET TARGET PORT GROUPS", 12, SPC, OTHER, OUT, DISK,
	      f_maint_len, NULL, "stpg"),
	SAROW(0xa4, 0x0b, "CHANGE ALIASES", 12, SPC, OTHER, OUT, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa4, 0x0c, "REMOVE I_T NEXUS", 12, SPC, OTHER, OUT, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa4, 0x0e, "SET PRIORITY", 12, SPC, OTHER, OUT, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa4, 0x0f, "SET TIMESTAMP", 12, SPC, OTHER, OUT, DISK,
	      f_maint_len, NULL, NULL),
	SAROW(0xa4, 0x10, "MANAGEMENT PROTOCOL OUT", 12, SPC, OTHER, OUT, DISK,
	      f_mgmt_proto, NULL, NULL),
	ROW(0xa5, "PLAY AUDIO(12)", 12, MMC, OTHER, NONE, MMC, f_play12, NULL,
	    NULL),
	ROW(0xa6, "LOAD/UNLOAD MEDIUM", 12, MMC, OTHER, NONE, MMC,
	    f_load_unload, NULL, NULL),
	ROW(0xa7, "SET READ AHEAD", 12, MMC, OTHER, NONE, MMC,
	    f_set_read_ahead, NULL, NULL),
	ROW(0xa8, "READ(12)", 12, SBC, READ, IN, ALL, f_read12, NULL, NULL),
	ROW(0xaa, "WRITE(12)", 12, SBC, WRITE, OUT, ALL, f_write12, NULL, NULL),
	SAROW(0xab, 0x01, "READ MEDIA SERIAL NUMBER", 12, SPC, OTHER, IN, ALL,
	      f_rmsn, NULL, NULL),
	ROW(0xac, "GET PERFORMANCE", 12, MMC, OTHER, IN, MMC, f_get_perf, NULL,
	    NULL),
	ROW(0xad, "READ DISC STRUCTURE", 12, MMC, OTHER, IN, MMC,
	    f_read_disc_struct, NULL, "read_dvd_structure"),
	ROW(0xae, "WRITE AND VERIFY(12)", 12, SBC, WRITE, OUT, DISK, f_verify12,
	    NULL, "write_verify12"),
	ROW(0xaf, "VERIFY(12)", 12, SBC, READ, OUT, DISK, f_verify12,
	    vscsi__cdb_fix_verify, NULL),
	ROW(0xb5, "SECURITY PROTOCOL OUT", 12, SPC, OTHER, OUT, ALL, f_secprot,
	    NULL, NULL),
	ROW(0xb6, "SET STREAMING", 12, MMC, OTHER, OUT, MMC, f_set_streaming,
	    NULL, NULL),
	ROW(0xb7, "READ DEFECT DATA(12)", 12, SBC, OTHER, IN, DISK, f_defect12,
	    NULL, NULL),
	ROW(0xb9, "READ CD MSF", 12, MMC, READ, IN, MMC, f_read_cd_msf,
	    vscsi__cdb_fix_cd_msf, NULL),
	ROW(0xba, "SCAN", 12, MMC, OTHER, NONE, MMC, f_scan, NULL, NULL),
	ROW(0xbb, "SET CD SPEED", 12, MMC, OTHER, NONE, MMC, f_set_cd_speed,
	    NULL, "set_speed"),
	ROW(0xbd, "MECHANISM STATUS", 12, MMC, OTHER, IN, MMC, f_mech_status,
	    NULL, NULL),
	ROW(0xbe, "READ CD", 12, MMC, READ, IN, MMC, f_read_cd, NULL, NULL),
	ROW(0xbf, "SEND DISC STRUCTURE", 12, MMC, OTHER, OUT, MMC,
	    f_send_disc_struct, NULL, "send_dvd_structure"),
};
const unsigned vscsi__cdb_nrows =
	(unsigned)(sizeof(vscsi__cdb_rows) / sizeof(vscsi__cdb_rows[0]));

/* Opcodes whose commands are service actions, with the opcode's own name
 * (SPC-5 table "Operation codes"; the service action is in byte 1 bits 4:0,
 * or bytes 8-9 for 0x7F). */
const struct cdb_saop vscsi__cdb_saops[] = {
	{ 0x48, VSCSI_CMDSET_SBC, 10, DEV_DISK, "SANITIZE", NULL },
	{ 0x5e, VSCSI_CMDSET_SPC, 10, DEV_ALL, "PERSISTENT RESERVE IN",
	  "pr_in" },
	{ 0x5f, VSCSI_CMDSET_SPC, 10, DEV_ALL, "PERSISTENT RESERVE OUT",
	  "pr_out" },
	{ 0x7f, VSCSI_CMDSET_SPC, 0, DEV_ALL, "VARIABLE LENGTH",
	  "variable_length_cmd" },
	{ 0x83, VSCSI_CMDSET_SPC, 16, DEV_ALL, "THIRD-PARTY COPY OUT",
	  "extended_copy xcopy" },
	{ 0x84, VSCSI_CMDSET_SPC, 16, DEV_ALL, "THIRD-PARTY COPY IN",
	  "receive_copy_results" },
	{ 0x94, VSCSI_CMDSET_SBC, 16, DEV_DISK, "ZBC OUT", NULL },
	{ 0x95, VSCSI_CMDSET_SBC, 16, DEV_DISK, "ZBC IN", NULL },
	{ 0x9d, VSCSI_CMDSET_SPC, 16, DEV_ALL, "SERVICE ACTION BIDIRECTIONAL",
	  NULL },
	{ 0x9e, VSCSI_CMDSET_SPC, 16, DEV_ALL, "SERVICE ACTION IN(16)", NULL },
	{ 0x9f, VSCSI_CMDSET_SPC, 16, DEV_ALL, "SERVICE ACTION OUT(16)", NULL },
	{ 0xa3, VSCSI_CMDSET_SPC, 12, DEV_DISK, "MAINTENANCE IN", NULL },
	{ 0xa4, VSCSI_CMDSET_SPC, 12, DEV_DISK, "MAINTENANCE OUT", NULL },
	{ 0xa9, VSCSI_CMDSET_SPC, 12, DEV_ALL, "SERVICE ACTION OUT(12)", NULL },
	{ 0xab, VSCSI_CMDSET_SPC, 12, DEV_ALL, "SERVICE ACTION IN(12)", NULL },
};
const unsigned vscsi__cdb_nsaops =
	(unsigned)(sizeof(vscsi__cdb_saops) / sizeof(vscsi__cdb_saops[0]));
