/* Clearing and copying structures: see mem_int.h for why. */
#include <string.h>

#include "mem_int.h"

const unsigned char vscsi__zeros[VSCSI__ZEROS] = { 0 };

void vscsi__copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}
