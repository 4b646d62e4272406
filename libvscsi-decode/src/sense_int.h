/* Internal: sense pieces other formatters share. */
#ifndef VSCSI_SENSE_INT_H
#define VSCSI_SENSE_INT_H

#include <stdint.h>

#include "strbuf.h"

/* The ASC/ASCQ text in lower case, as every printed line shows it. */
void vscsi__sb_asc_lower(vscsi_sb *sb, uint8_t asc, uint8_t ascq);

#endif
