/*
 * libvscsi-decode: decode virtio-scsi, SCSI and vhost-user traffic.
 * The one header to include; see libvscsi-decode(3).
 */
#ifndef VSCSI_H
#define VSCSI_H

#include "vscsi/common.h"
#include "vscsi/reader.h"
#include "vscsi/virtio_scsi.h"

#endif
