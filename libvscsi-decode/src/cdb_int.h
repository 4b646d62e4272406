/*
 * Internal: the part of a CDB decode that vscsi_io needs, for the paths
 * that summarise every request (statistics, filters). Not installed.
 */
#ifndef VSCSI_CDB_INT_H
#define VSCSI_CDB_INT_H

#include <stddef.h>
#include <stdint.h>

/* The fields of vscsi_cdb_info that vscsi_io copies, with the same values
 * vscsi_cdb_decode() gives them. */
typedef struct vscsi__cdb_brief {
	uint8_t opcode;
	uint8_t has_sa;
	uint8_t op_class;	/* enum vscsi_op_class */
	uint16_t service_action;
	uint32_t fields;	/* VSCSI_CDB_HAS_LBA, VSCSI_CDB_HAS_XFER */
	uint64_t lba;
	uint32_t xfer_len;
} vscsi__cdb_brief;

/* As vscsi_cdb_decode() (a disk's view) restricted to the brief's fields.
 * cdb may be NULL when len is 0. Thread-safe. */
void vscsi__cdb_brief_decode(const uint8_t *cdb, size_t len,
			     vscsi__cdb_brief *out);

#endif
