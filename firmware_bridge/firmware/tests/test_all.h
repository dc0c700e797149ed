/* Every C unit test suite; the platform's test main calls fw_test_all(). */
#ifndef FW_TEST_ALL_H
#define FW_TEST_ALL_H

#include "fw_test.h"

/* Run every suite, print "N passed, M failed"; returns the number of failed tests. */
unsigned fw_test_all(void);

#endif
