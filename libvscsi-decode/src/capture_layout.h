/*
 * Byte offsets of the capture record header, version 1 (vscsi-capture(5)).
 * Private to capture.c, capture_write.c and capture_read.c.
 */
#ifndef VSCSI_CAPTURE_LAYOUT_H
#define VSCSI_CAPTURE_LAYOUT_H

/* common header, 24 bytes, the same in every version */
#define CAPL_VERSION 0		/* u8 */
#define CAPL_TYPE 1		/* u8 */
#define CAPL_HDR_LEN 2		/* u16 */
#define CAPL_REC_LEN 4		/* u32 */
#define CAPL_CONN 8		/* u32 */
#define CAPL_VQ 12		/* u16 */
#define CAPL_FLAGS 14		/* u16 */
#define CAPL_SEQ 16		/* u64 */

/* request and completion body */
#define CAPL_RQ_HEAD 24		/* u32 */
#define CAPL_RQ_USED_LEN 28	/* u32 */
#define CAPL_RQ_N_READABLE 32	/* u16 */
#define CAPL_RQ_N_WRITABLE 34	/* u16 */
#define CAPL_RQ_READABLE 36	/* u32 */
#define CAPL_RQ_WRITABLE 40	/* u32 */
#define CAPL_RQ_VS_LEN 44	/* u32 */
#define CAPL_RQ_DATA_LEN 48	/* u32 */
#define CAPL_RQ_RESERVED 52	/* u32, 0 */
#define CAPL_RQ_DIGEST 56	/* u64 */

/* vhost-user body */
#define CAPL_VU_DIR 24		/* u8 */
#define CAPL_VU_CHANNEL 25	/* u8 */
#define CAPL_VU_NFDS 26		/* u8 */
#define CAPL_VU_RESERVED 27	/* u8, 0 */
#define CAPL_VU_MSG_LEN 28	/* u32 */

/* session body */
#define CAPL_SS_FEATURES 24	/* u64 */
#define CAPL_SS_PROTO 32	/* u64 */
#define CAPL_SS_CDB_SIZE 40	/* u32 */
#define CAPL_SS_SENSE_SIZE 44	/* u32 */
#define CAPL_SS_SNAPLEN 48	/* u32 */
#define CAPL_SS_NUM_QUEUES 52	/* u16 */
#define CAPL_SS_RESERVED 54	/* u16, 0 */

/* loss body */
#define CAPL_LS_COUNT 24	/* u64 */
#define CAPL_LS_SINCE 32	/* u64 */
#define CAPL_LS_REASON 40	/* u32 */
#define CAPL_LS_RESERVED 44	/* u32, 0 */

/* notify body */
#define CAPL_NT_KIND 24		/* u32 */
#define CAPL_NT_RESERVED 28	/* u32, 0 */

/* data continuation body */
#define CAPL_DT_PARENT_SEQ 24	/* u64 */
#define CAPL_DT_OFFSET 32	/* u32 */
#define CAPL_DT_LENGTH 36	/* u32 */

/* Longest tool name or version the writer keeps (without the NUL). */
#define CAPL_STR_MAX 255

/* Size of a pcap record header (struct pcap_sf_pkthdr) and file header. */
#define CAPL_PCAP_REC_HDR 16
#define CAPL_PCAP_FILE_HDR 24

/* Header length (body included) of a known record type; 0 for an unknown
 * one. Shared by the parser (the minimum a reader accepts) and the writer
 * (what it writes). */
size_t vscsi__cap_hdr_len(unsigned type);

#endif
