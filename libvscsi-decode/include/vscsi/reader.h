/*
 * libvscsi-decode: the bounds-checked reader for untrusted bytes.
 *
 * Every byte that comes from a guest, a socket peer or a file is read through
 * a vscsi_rd. Each accessor checks the length and converts the byte order in
 * one step; when the bytes run out the reader records VSCSI_ERR_TRUNCATED and
 * every later read returns zero (the error is sticky), so a decoder can read
 * a whole structure and check once at the end. A decoder that finds an
 * impossible value calls vscsi_rd_invalid(), which records VSCSI_ERR_INVALID
 * unless an error is already recorded. vscsi_rd_error_pos() tells where.
 *
 * The struct is public so that it can live on the stack and the accessors can
 * be inlined; its fields are not part of the contract: use the functions.
 * A reader is not thread-safe; the bytes it reads are not copied and must
 * outlive it.
 */
#ifndef VSCSI_READER_H
#define VSCSI_READER_H

#include <stdint.h>
#include <string.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vscsi_rd {
	const uint8_t *_p;	/* first byte */
	size_t _len;		/* bytes available */
	size_t _pos;		/* next byte to read */
	size_t _err_pos;	/* where the first error was detected */
	int _err;		/* VSCSI_OK or the first error */
} vscsi_rd;

static inline void vscsi_rd_init(vscsi_rd *r, const void *p, size_t len)
{
	r->_p = (const uint8_t *)p;
	r->_len = p ? len : 0;
	r->_pos = 0;
	r->_err_pos = 0;
	r->_err = VSCSI_OK;
}

/* 1 when n more bytes can be read; otherwise records TRUNCATED and gives 0. */
static inline int vscsi_rd_need(vscsi_rd *r, size_t n)
{
	if (r->_err)
		return 0;
	if (n > r->_len - r->_pos) {
		r->_err = VSCSI_ERR_TRUNCATED;
		r->_err_pos = r->_len;
		return 0;
	}
	return 1;
}

static inline int vscsi_rd_error(const vscsi_rd *r) { return r->_err; }
static inline size_t vscsi_rd_error_pos(const vscsi_rd *r) { return r->_err_pos; }
static inline size_t vscsi_rd_pos(const vscsi_rd *r) { return r->_pos; }
static inline size_t vscsi_rd_left(const vscsi_rd *r)
{
	return r->_err ? 0 : r->_len - r->_pos;
}

/* Mark the bytes just read as impossible (keeps an earlier error). */
static inline void vscsi_rd_invalid(vscsi_rd *r)
{
	if (!r->_err) {
		r->_err = VSCSI_ERR_INVALID;
		r->_err_pos = r->_pos;
	}
}

/* Record a specific error (keeps an earlier one). */
static inline void vscsi_rd_fail(vscsi_rd *r, int err)
{
	if (!r->_err) {
		r->_err = err;
		r->_err_pos = r->_pos;
	}
}

static inline void vscsi_rd_skip(vscsi_rd *r, size_t n)
{
	if (vscsi_rd_need(r, n))
		r->_pos += n;
}

/* Pointer to the next n bytes and advance, or NULL when they are not there. */
static inline const uint8_t *vscsi_rd_ptr(vscsi_rd *r, size_t n)
{
	const uint8_t *q;

	if (!vscsi_rd_need(r, n))
		return NULL;
	q = r->_p + r->_pos;
	r->_pos += n;
	return q;
}

/* Copy n bytes to dst (zero-filled when they are not there). */
static inline int vscsi_rd_bytes(vscsi_rd *r, void *dst, size_t n)
{
	const uint8_t *q = vscsi_rd_ptr(r, n);

	if (!q) {
		memset(dst, 0, n);
		return r->_err;
	}
	memcpy(dst, q, n);
	return VSCSI_OK;
}

/* A reader over the next n bytes; the parent advances past them. */
static inline void vscsi_rd_sub(vscsi_rd *r, size_t n, vscsi_rd *sub)
{
	const uint8_t *q = vscsi_rd_ptr(r, n);

	vscsi_rd_init(sub, q, q ? n : 0);
	if (!q)
		sub->_err = r->_err;
}

static inline uint8_t vscsi_rd_u8(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t vscsi_rd_le16(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 2);
	return (uint16_t)(q ? q[0] | q[1] << 8 : 0);
}

static inline uint16_t vscsi_rd_be16(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 2);
	return (uint16_t)(q ? q[0] << 8 | q[1] : 0);
}

static inline uint32_t vscsi_rd_be24(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 3);
	return q ? (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2] : 0;
}

static inline uint32_t vscsi_rd_le32(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 4);
	return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 |
		   (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

static inline uint32_t vscsi_rd_be32(vscsi_rd *r)
{
	const uint8_t *q = vscsi_rd_ptr(r, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
		   (uint32_t)q[2] << 8 | (uint32_t)q[3] : 0;
}

static inline uint64_t vscsi_rd_le64(vscsi_rd *r)
{
	uint64_t lo = vscsi_rd_le32(r);
	uint64_t hi = vscsi_rd_le32(r);
	return r->_err ? 0 : lo | hi << 32;
}

static inline uint64_t vscsi_rd_be64(vscsi_rd *r)
{
	uint64_t hi = vscsi_rd_be32(r);
	uint64_t lo = vscsi_rd_be32(r);
	return r->_err ? 0 : lo | hi << 32;
}

/* Endian chosen at run time (the legacy virtio interface is guest-native). */
static inline uint16_t vscsi_rd_e16(vscsi_rd *r, int big_endian)
{
	return big_endian ? vscsi_rd_be16(r) : vscsi_rd_le16(r);
}
static inline uint32_t vscsi_rd_e32(vscsi_rd *r, int big_endian)
{
	return big_endian ? vscsi_rd_be32(r) : vscsi_rd_le32(r);
}
static inline uint64_t vscsi_rd_e64(vscsi_rd *r, int big_endian)
{
	return big_endian ? vscsi_rd_be64(r) : vscsi_rd_le64(r);
}

/*
 * Writers for fixed-size buffers the caller already sized. These trust the
 * caller's buffer, not outside input; they exist so that byte order is
 * converted in one place.
 */
static inline void vscsi_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void vscsi_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void vscsi_put_le32(uint8_t *p, uint32_t v)
{
	vscsi_put_le16(p, (uint16_t)v);
	vscsi_put_le16(p + 2, (uint16_t)(v >> 16));
}
static inline void vscsi_put_be32(uint8_t *p, uint32_t v)
{
	vscsi_put_be16(p, (uint16_t)(v >> 16));
	vscsi_put_be16(p + 2, (uint16_t)v);
}
static inline void vscsi_put_le64(uint8_t *p, uint64_t v)
{
	vscsi_put_le32(p, (uint32_t)v);
	vscsi_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline void vscsi_put_be64(uint8_t *p, uint64_t v)
{
	vscsi_put_be32(p, (uint32_t)(v >> 32));
	vscsi_put_be32(p + 4, (uint32_t)v);
}
static inline void vscsi_put_e16(uint8_t *p, uint16_t v, int big_endian)
{
	if (big_endian)
		vscsi_put_be16(p, v);
	else
		vscsi_put_le16(p, v);
}
static inline void vscsi_put_e32(uint8_t *p, uint32_t v, int big_endian)
{
	if (big_endian)
		vscsi_put_be32(p, v);
	else
		vscsi_put_le32(p, v);
}
static inline void vscsi_put_e64(uint8_t *p, uint64_t v, int big_endian)
{
	if (big_endian)
		vscsi_put_be64(p, v);
	else
		vscsi_put_le64(p, v);
}

/* Read a big-endian field of 1..8 bytes from a buffer the caller sized. */
static inline uint64_t vscsi_get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

#ifdef __cplusplus
}
#endif
#endif
