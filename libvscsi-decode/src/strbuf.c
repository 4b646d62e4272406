/* Internal bounded string builder; see strbuf.h. */
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

void vscsi__sb_init(vscsi_sb *sb, char *buf, size_t len)
{
	sb->buf = buf;
	sb->len = buf ? len : 0;
	sb->want = 0;
	if (sb->len)
		sb->buf[0] = '\0';
}

/* Where the next byte goes, and how many bytes (NUL excluded) still fit. */
static size_t sb_room(const vscsi_sb *sb)
{
	return sb->want + 1 < sb->len ? sb->len - 1 - sb->want : 0;
}

void vscsi__sb_vprintf(vscsi_sb *sb, const char *fmt, va_list ap)
{
	int n;

	if (sb->want < sb->len) {
		n = vsnprintf(sb->buf + sb->want, sb->len - sb->want, fmt, ap);
	} else {
		char dummy[1];

		n = vsnprintf(dummy, 0, fmt, ap);
	}
	if (n > 0)
		sb->want += (size_t)n;
}

void vscsi__sb_printf(vscsi_sb *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscsi__sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void vscsi__sb_puts(vscsi_sb *sb, const char *s)
{
	size_t n = strlen(s);
	size_t room = sb_room(sb);
	size_t k = n < room ? n : room;

	if (k) {
		memcpy(sb->buf + sb->want, s, k);
		sb->buf[sb->want + k] = '\0';
	}
	sb->want += n;
}

void vscsi__sb_putc(vscsi_sb *sb, char c)
{
	if (sb_room(sb)) {
		sb->buf[sb->want] = c;
		sb->buf[sb->want + 1] = '\0';
	}
	sb->want++;
}

void vscsi__sb_json_str(vscsi_sb *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	vscsi__sb_putc(sb, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': vscsi__sb_puts(sb, "\\\""); break;
		case '\\': vscsi__sb_puts(sb, "\\\\"); break;
		case '\n': vscsi__sb_puts(sb, "\\n"); break;
		case '\r': vscsi__sb_puts(sb, "\\r"); break;
		case '\t': vscsi__sb_puts(sb, "\\t"); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				vscsi__sb_printf(sb, "\\u%04x", *p);
			else
				vscsi__sb_putc(sb, (char)*p);
		}
	}
	vscsi__sb_putc(sb, '"');
}

void vscsi__sb_hex(vscsi_sb *sb, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		vscsi__sb_putc(sb, digits[b[i] >> 4]);
		vscsi__sb_putc(sb, digits[b[i] & 15]);
	}
}

char *vscsi__sb_tail(const vscsi_sb *sb)
{
	return sb->want < sb->len ? sb->buf + sb->want : NULL;
}

size_t vscsi__sb_tail_len(const vscsi_sb *sb)
{
	return sb->want < sb->len ? sb->len - sb->want : 0;
}

void vscsi__sb_advance(vscsi_sb *sb, size_t n)
{
	sb->want += n;
}

size_t vscsi__sb_done(const vscsi_sb *sb)
{
	return sb->want;
}
