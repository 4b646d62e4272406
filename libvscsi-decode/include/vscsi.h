/*
 * libvscsi-decode: decode virtio-scsi, SCSI and vhost-user traffic; read and
 * write vscsi-trace captures. The one header to include; see
 * libvscsi-decode(3).
 */
#ifndef VSCSI_H
#define VSCSI_H

#include "vscsi/common.h"	/* version, errors */
#include "vscsi/reader.h"	/* bounds-checked reading */
#include "vscsi/gmem.h"		/* guest memory maps */
#include "vscsi/vring.h"	/* virtqueues and chain walking */
#include "vscsi/virtio_scsi.h"	/* virtio-scsi messages */
#include "vscsi/cdb.h"		/* SCSI commands */
#include "vscsi/sense.h"	/* SCSI status and sense data */
#include "vscsi/vhost_user.h"	/* vhost-user messages */
#include "vscsi/format.h"	/* text and JSON lines */
#include "vscsi/io.h"		/* the per-event summary */
#include "vscsi/stats.h"	/* tracking, histograms, statistics */
#include "vscsi/filter.h"	/* filter expressions */
#include "vscsi/capture.h"	/* capture files */

#endif
