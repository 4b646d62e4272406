/*
 * libvscsi-decode: version, export macro and error codes.
 *
 * Every public function of the library returns either a value or one of the
 * negative error codes below; vscsi_strerror() turns a code into a sentence.
 * The library never prints and never exits.
 */
#ifndef VSCSI_COMMON_H
#define VSCSI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VSCSI_VERSION_MAJOR 0
#define VSCSI_VERSION_MINOR 1
#define VSCSI_VERSION_PATCH 0
#define VSCSI_VERSION_STRING "0.1.0"
/* One number that grows with every release: MAJOR*10000 + MINOR*100 + PATCH. */
#define VSCSI_VERSION_NUMBER \
	(VSCSI_VERSION_MAJOR * 10000 + VSCSI_VERSION_MINOR * 100 + VSCSI_VERSION_PATCH)

#if defined(VSCSI_BUILDING_LIBRARY) && defined(__GNUC__)
#define VSCSI_API __attribute__((visibility("default")))
#else
#define VSCSI_API
#endif

/*
 * Error codes. All are negative so that functions can return a count or a
 * flag (>= 0) or an error (< 0) in one int.
 *
 * TRUNCATED and INVALID are the two ways untrusted bytes go wrong: the bytes
 * ran out, or the bytes say something impossible. They are kept apart
 * everywhere.
 */
typedef enum vscsi_err {
	VSCSI_OK = 0,

	/* general */
	VSCSI_ERR_TRUNCATED = -1,	/* input ended before the structure did */
	VSCSI_ERR_INVALID = -2,		/* input holds an impossible value */
	VSCSI_ERR_NOMEM = -3,		/* allocation failed */
	VSCSI_ERR_ARG = -4,		/* the caller passed a bad argument */
	VSCSI_ERR_IO = -5,		/* a system call failed (see errno) */
	VSCSI_ERR_UNSUPPORTED = -6,	/* valid, but not supported */
	VSCSI_ERR_NOSPACE = -7,		/* output buffer too small */
	VSCSI_ERR_EMPTY = -8,		/* nothing to return */

	/* descriptor chains (virtio 1.2 2.7 / 2.8) */
	VSCSI_ERR_DESC_INDEX = -20,	/* a next index is outside the table */
	VSCSI_ERR_DESC_LOOP = -21,	/* the chain loops */
	VSCSI_ERR_INDIRECT_LEN = -22,	/* indirect table length bad */
	VSCSI_ERR_INDIRECT_NESTED = -23, /* indirect inside indirect */
	VSCSI_ERR_ADDR = -24,		/* buffer outside guest memory */
	VSCSI_ERR_DESC_ORDER = -25,	/* readable after writable */
	VSCSI_ERR_CHAIN_LONG = -26,	/* chain longer than the ring */
	VSCSI_ERR_IOV_FULL = -27,	/* more segments than the iovec array */
	VSCSI_ERR_AVAIL_IDX = -28,	/* avail index ran ahead by > ring size */
	VSCSI_ERR_HEAD = -29,		/* head index outside the ring */
	VSCSI_ERR_RING_BROKEN = -30,	/* queue marked broken earlier */
	VSCSI_ERR_INDIRECT_OFF = -31,	/* indirect used without the feature */

	/* virtio-scsi (virtio 1.2 5.6) */
	VSCSI_ERR_LUN = -40,		/* LUN field malformed */
	VSCSI_ERR_INOUT = -41,		/* both directions without INOUT */
	VSCSI_ERR_CDB_SIZE = -42,	/* cdb_size or sense_size out of range */

	/* capture files */
	VSCSI_ERR_NOT_CAPTURE = -60,	/* not a vscsi-trace capture */
	VSCSI_ERR_VERSION = -61,	/* record version not understood */
	VSCSI_ERR_DAMAGED = -62,	/* damaged record */
	VSCSI_ERR_COMPRESS = -63,	/* zstd failed */
	VSCSI_ERR_PCAP = -64,		/* libpcap failed */

	/* filters */
	VSCSI_ERR_SYNTAX = -70,		/* filter expression syntax error */

	/* vhost-user */
	VSCSI_ERR_MSG_SIZE = -80,	/* payload size wrong for the request */
	VSCSI_ERR_PROTO = -81,		/* protocol violation */
	VSCSI_ERR_CLOSED = -82,		/* peer closed the connection */
	VSCSI_ERR_FDS = -83,		/* wrong number of file descriptors */
} vscsi_err;

/* A sentence for an error code ("input truncated"); never NULL. Thread-safe. */
VSCSI_API const char *vscsi_strerror(int err);
/* The short name of an error code ("TRUNCATED"); never NULL. Thread-safe. */
VSCSI_API const char *vscsi_errname(int err);

/* The library's version at run time, "MAJOR.MINOR.PATCH". Thread-safe. */
VSCSI_API const char *vscsi_version(void);
/* VSCSI_VERSION_NUMBER of the library at run time. Thread-safe. */
VSCSI_API unsigned vscsi_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
