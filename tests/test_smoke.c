#include <check.h>
#include <tapegrad/tapegrad.h>
START_TEST(smoke) { ck_assert_ptr_nonnull(tg_var(1)); }
END_TEST
int main(void) {
  Suite *s = suite_create("smoke"); TCase *tc = tcase_create("x"); tcase_add_test(tc, smoke); suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s); srunner_run_all(r, CK_NORMAL); int f = srunner_ntests_failed(r); srunner_free(r); return f != 0;
}
