/*
 * Shared bits for the Check suites: each tests/unit/check_NAME.c defines
 * `static Suite *NAME_suite(void)` and ends with VSCSI_TEST_MAIN(NAME_suite).
 */
#ifndef VSCSI_TESTUTIL_H
#define VSCSI_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

#define VSCSI_TEST_MAIN(suite_fn)                                        \
	int main(void)                                                   \
	{                                                                \
		SRunner *sr = srunner_create(suite_fn());                \
		int failed;                                              \
		srunner_run_all(sr, CK_NORMAL);                          \
		failed = srunner_ntests_failed(sr);                      \
		srunner_free(sr);                                        \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;             \
	}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
