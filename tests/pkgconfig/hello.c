/* Built against the installed library through pkg-config by run.sh. */
#include <stdio.h>
#include <string.h>
#include <vscsi.h>

int main(void)
{
	static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 0x08, 0 };
	vscsi_cdb_info ci;
	char line[128];

	if (strcmp(vscsi_version(), VSCSI_VERSION_STRING) != 0) {
		fprintf(stderr, "header %s, library %s\n", VSCSI_VERSION_STRING,
			vscsi_version());
		return 1;
	}
	if (vscsi_cdb_decode(read10, sizeof(read10), &ci) != VSCSI_OK)
		return 1;
	vscsi_cdb_describe(&ci, line, sizeof(line));
	printf("%s\n", line);
	return strcmp(line, "READ(10) lba=2048 len=8") == 0 ? 0 : 1;
}
