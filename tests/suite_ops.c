/* suite_ops.c -- every op's tests. Each tests/test_<op>.c defines
 * TCase *tg_test_<op>(void); CMake lists the files found in op_tests.h. */
#include "testutil.h"

#include "op_tests.h"

#define DECLARE(name) TCase *tg_test_##name(void);
TG_OP_TESTS(DECLARE)

int main(void)
{
    Suite *s = suite_create("ops");
#define ADD(name) suite_add_tcase(s, tg_test_##name());
    TG_OP_TESTS(ADD)
    return tu_run(s);
}
