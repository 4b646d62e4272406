/*
 * Test helper for tests/wireshark/completion.sh: do the words the bash
 * completion offers compile in libvscsi-decode's filter language?
 *
 *   check_words -f          print the library's filter field names
 *   check_words < LINES     each line "FIELD VALUE" compiles as
 *                           "FIELD == VALUE", "FIELD -" as the bare field;
 *                           prints each that does not and exits 1
 */
#include <stdio.h>
#include <string.h>

#include "vscsi/filter.h"

int main(int argc, char **argv)
{
	char line[512], expr[600], err[256];
	const char *name;
	unsigned i;
	int bad = 0;

	if (argc == 2 && !strcmp(argv[1], "-f")) {
		for (i = 0; vscsi_filter_field_help(i, &name); i++)
			printf("%s\n", name);
		return 0;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char field[256], value[256];
		vscsi_filter *f;

		if (sscanf(line, "%255s %255s", field, value) != 2)
			continue;
		if (!strcmp(value, "-"))
			snprintf(expr, sizeof(expr), "%s", field);
		else
			snprintf(expr, sizeof(expr), "%s == %s", field, value);
		if (vscsi_filter_compile(expr, &f, err, sizeof(err), NULL) !=
		    VSCSI_OK) {
			printf("'%s': %s\n", expr, err);
			bad = 1;
			continue;
		}
		vscsi_filter_free(f);
	}
	return bad;
}
