/* lib/prof.h: exclusive accounting (every cycle to exactly one section, the
 * innermost open), per CPU rows, depth overflow, unbalanced leaves, and the
 * status text's keys. host_cycle_step makes every hal_cycles() read advance
 * by exactly that much, so the figures are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/hal.h"
#include "lib/prof.h"

static int setup(void **state)
{
	(void)state;
	prof_reset();
	host_cycle_step = 10;
	host_cpu = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	host_cycle_step = 0;
	host_cpu = 0;
	return 0;
}

/* Each prof_enter/prof_leave reads the counter once: with a step of 10,
 * every interval between two calls is 10 cycles. */
static void test_exclusive_nesting(void **state)
{
	(void)state;
	prof_enter(PROF_EXIT);		/* t0 */
	prof_enter(PROF_MMIO);		/* +10 to exit */
	prof_enter(PROF_AHCI_REG);	/* +10 to mmio */
	prof_enter(PROF_ENCRYPT);	/* +10 to ahci_reg */
	prof_leave();			/* +10 to encrypt */
	prof_leave();			/* +10 to ahci_reg */
	prof_leave();			/* +10 to mmio */
	prof_leave();			/* +10 to exit */
	assert_int_equal(prof_ticks(PROF_EXIT), 20);
	assert_int_equal(prof_ticks(PROF_MMIO), 20);
	assert_int_equal(prof_ticks(PROF_AHCI_REG), 20);
	assert_int_equal(prof_ticks(PROF_ENCRYPT), 10);
	assert_int_equal(prof_count(PROF_EXIT), 1);
	assert_int_equal(prof_count(PROF_ENCRYPT), 1);
	/* The sum is the root's whole span: nothing double-counted. */
	uint64_t sum = 0;
	for (unsigned s = 0; s < PROF_NSEC; s++)
		sum += prof_ticks(s);
	assert_int_equal(sum, 70);
	assert_int_equal(prof_cpus[0].depth, 0);
}

/* The time between two exits (the guest's) is nobody's. */
static void test_outside_sections_uncharged(void **state)
{
	(void)state;
	prof_enter(PROF_EXIT);
	prof_leave();
	for (int i = 0; i < 5; i++)
		(void)hal_cycles();	/* the guest runs */
	prof_enter(PROF_EXIT);
	prof_leave();
	assert_int_equal(prof_ticks(PROF_EXIT), 20);
	assert_int_equal(prof_count(PROF_EXIT), 2);
}

static void test_per_cpu_rows_summed(void **state)
{
	(void)state;
	host_cpu = 1;
	prof_enter(PROF_DECRYPT);
	prof_leave();
	host_cpu = 3;
	prof_enter(PROF_DECRYPT);
	prof_leave();
	host_cpu = 0;
	assert_int_equal(prof_cpus[1].ticks[PROF_DECRYPT], 10);
	assert_int_equal(prof_cpus[3].ticks[PROF_DECRYPT], 10);
	assert_int_equal(prof_cpus[0].ticks[PROF_DECRYPT], 0);
	assert_int_equal(prof_ticks(PROF_DECRYPT), 20);
	assert_int_equal(prof_count(PROF_DECRYPT), 2);
	/* A CPU index beyond the table lands in the last row, never outside. */
	host_cpu = 1000;
	prof_enter(PROF_LOG);
	prof_leave();
	host_cpu = 0;
	assert_int_equal(prof_cpus[PROF_MAX_CPUS - 1].ticks[PROF_LOG], 10);
}

/* Deeper than PROF_DEPTH: counted, their time stays with the deepest
 * tracked section, and the stack unwinds to balance. */
static void test_depth_overflow(void **state)
{
	(void)state;
	for (int i = 0; i < PROF_DEPTH; i++)
		prof_enter(PROF_COPY);
	prof_enter(PROF_WIPE);		/* too deep */
	prof_enter(PROF_WIPE);		/* too deep */
	prof_leave();
	prof_leave();
	for (int i = 0; i < PROF_DEPTH; i++)
		prof_leave();
	assert_int_equal(prof_count(PROF_WIPE), 2);
	assert_int_equal(prof_ticks(PROF_WIPE), 0);
	/* 2*PROF_DEPTH + 4 reads: 2*PROF_DEPTH + 3 intervals, all copy's. */
	assert_int_equal(prof_ticks(PROF_COPY), (2 * PROF_DEPTH + 3) * 10);
	assert_int_equal(prof_cpus[0].depth, 0);
}

static void test_unbalanced_leave_ignored(void **state)
{
	(void)state;
	prof_leave();
	assert_int_equal(prof_cpus[0].depth, 0);
	prof_enter(PROF_EXIT);
	prof_leave();
	assert_int_equal(prof_ticks(PROF_EXIT), 10);
}

static void test_text(void **state)
{
	char buf[4096], small[40];
	size_t n;

	(void)state;
	prof_enter(PROF_ENCRYPT);
	prof_leave();
	n = prof_text(buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "prof_encrypt_ticks=10\nprof_encrypt_count=1\n"));
	assert_non_null(strstr(buf, "prof_exit_ticks=0\n"));
	assert_non_null(strstr(buf, "prof_pair_ticks="));
	for (unsigned s = 0; s < PROF_NSEC; s++) {
		char key[64];

		snprintf(key, sizeof(key), "prof_%s_count=", prof_name(s));
		assert_non_null(strstr(buf, key));
	}
	/* Truncated, never past the buffer, always terminated. */
	n = prof_text(small, sizeof(small));
	assert_true(n < sizeof(small));
	assert_int_equal(n, strlen(small));
	assert_int_equal(prof_text(small, 0), 0);
}

/* The calibration measures pairs inside an open section and leaves the
 * row as it found it. */
static void test_calibrate(void **state)
{
	(void)state;
	prof_enter(PROF_MMIO);
	prof_leave();
	/* Per pair: two reads (enter, leave), 10 cycles each apart. */
	assert_int_equal(prof_calibrate(100), 20);
	assert_int_equal(prof_pair_ticks(), 20);
	assert_int_equal(prof_ticks(PROF_MMIO), 10);
	assert_int_equal(prof_count(PROF_LOG), 0);
	assert_int_equal(prof_count(PROF_EXIT), 0);
	assert_int_equal(prof_cpus[0].depth, 0);
	assert_int_equal(prof_calibrate(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exclusive_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_sections_uncharged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_cpu_rows_summed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbalanced_leave_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calibrate, setup, teardown),
	};
	return cmocka_run_group_tests_name("prof", tests, NULL, NULL);
}
