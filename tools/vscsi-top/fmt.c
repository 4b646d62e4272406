/*
 * vscsi-top: numbers, times and keys as text, and back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define NO_SA 0xffffu

void fmt_rate(char *buf, size_t len, double v)
{
	if (v < 99999.95)
		snprintf(buf, len, "%.1f", v);
	else if (v < 9999999.5)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
}

void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	double v = (double)ns;

	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 10000)
		snprintf(buf, len, "%.2fus", v / 1e3);
	else if (ns < 100000)
		snprintf(buf, len, "%.1fus", v / 1e3);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", v / 1e3);
	else if (ns < 10000000)
		snprintf(buf, len, "%.2fms", v / 1e6);
	else if (ns < 100000000)
		snprintf(buf, len, "%.1fms", v / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.0fms", v / 1e6);
	else if (ns < 10000000000ull)
		snprintf(buf, len, "%.2fs", v / 1e9);
	else if (ns < 100000000000ull)
		snprintf(buf, len, "%.1fs", v / 1e9);
	else
		snprintf(buf, len, "%.0fs", v / 1e9);
}

void fmt_lun_key(char *buf, size_t len, uint64_t key)
{
	snprintf(buf, len, "%u:%u", (unsigned)(key >> 16) & 0xffu,
		 (unsigned)key & 0xffffu);
}

void fmt_op_key(char *buf, size_t len, uint64_t key)
{
	uint8_t op = (uint8_t)(key >> 16);
	uint16_t sa = (uint16_t)key;
	const char *name = vscsi_cdb_name(op, sa, sa != NO_SA);

	if (!strcmp(name, "UNKNOWN"))
		snprintf(buf, len, "UNKNOWN(0x%02x)", op);
	else
		snprintf(buf, len, "%s", name);
}

void fmt_queue_key(char *buf, size_t len, uint64_t key)
{
	snprintf(buf, len, "c%u/q%u", (unsigned)(key >> 16),
		 (unsigned)key & 0xffffu);
}

int fmt_parse_lun(const char *s, uint64_t *key)
{
	unsigned long t = 0, l;
	char *end;
	const char *colon = strchr(s, ':');

	if (colon) {
		t = strtoul(s, &end, 10);
		if (end != colon || end == s || t > 255)
			return -1;
		s = colon + 1;
	}
	l = strtoul(s, &end, 10);
	if (end == s || *end || l > 16383)
		return -1;
	*key = (uint64_t)t << 16 | l;
	return 0;
}

int fmt_parse_op(const char *s, uint64_t *key)
{
	uint8_t op;
	uint16_t sa;
	int has_sa;

	if (vscsi_cdb_lookup(s, &op, &sa, &has_sa) != VSCSI_OK)
		return -1;
	*key = (uint64_t)op << 16 | (has_sa ? sa : NO_SA);
	return 0;
}
