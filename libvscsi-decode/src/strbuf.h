/*
 * Internal: a bounded string builder with snprintf semantics, shared by every
 * formatter in the library. It writes what fits, always NUL-terminates when
 * the buffer has room for it, and counts the length it wanted, so callers can
 * return that count exactly as snprintf does.
 */
#ifndef VSCSI_STRBUF_H
#define VSCSI_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vscsi_sb {
	char *buf;
	size_t len;	/* buffer size */
	size_t want;	/* length wanted so far (may exceed len) */
} vscsi_sb;

void vscsi__sb_init(vscsi_sb *sb, char *buf, size_t len);
void vscsi__sb_printf(vscsi_sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vscsi__sb_vprintf(vscsi_sb *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void vscsi__sb_puts(vscsi_sb *sb, const char *s);
void vscsi__sb_putc(vscsi_sb *sb, char c);
/* A JSON string literal, quotes included, with every needed escape. */
void vscsi__sb_json_str(vscsi_sb *sb, const char *s);
/* Lower-case hex of n bytes, no separators. */
void vscsi__sb_hex(vscsi_sb *sb, const void *p, size_t n);
/*
 * To append the output of a function with snprintf semantics:
 *   vscsi__sb_advance(sb, fn(vscsi__sb_tail(sb), vscsi__sb_tail_len(sb), x));
 */
char *vscsi__sb_tail(const vscsi_sb *sb);	/* NULL when full */
size_t vscsi__sb_tail_len(const vscsi_sb *sb);
void vscsi__sb_advance(vscsi_sb *sb, size_t n);
/* The length wanted, as snprintf would return it. */
size_t vscsi__sb_done(const vscsi_sb *sb);

#endif
