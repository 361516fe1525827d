/* The guest's CPUs' start-up state machine (vmm/cpu_start.h): the INIT,
 * SIPI, SIPI a Linux guest sends, a later INIT to a running CPU (wait for
 * a start-up IPI again, as hardware does), a SIPI that overtakes the
 * target's acknowledgement of the INIT, the shorthand forms, and every
 * refusal. The notify function plays the target CPU: the back-end's park
 * loop (cpu_start_take_sipi) or its exit path (cpu_start_init_ack). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "vmm/cpu_start.h"

#define INIT_ASSERT 0x00004500u		/* INIT, level assert, edge */
#define INIT_DEASSERT 0x00008500u	/* INIT, level de-assert, level-triggered */
#define SIPI(v) (0x00004600u | (v))
#define LOGICAL (1u << 11)
#define SH_SELF (1u << 18)
#define SH_ALL (2u << 18)
#define SH_OTHERS (3u << 18)

static unsigned notified[CPU_START_MAX];
static uint8_t taken_vector[CPU_START_MAX];
static bool target_answers = true;

/* The target CPU's side, done at once when it is notified. */
static void play_target(unsigned idx)
{
	notified[idx]++;
	if (!target_answers)
		return;
	if (cpu_start_init_pending(idx))
		cpu_start_init_ack(idx);
	cpu_start_take_sipi(idx, &taken_vector[idx]);
}

static int setup(void **state)
{
	(void)state;
	cpu_start_reset();
	memset(notified, 0, sizeof(notified));
	memset(taken_vector, 0, sizeof(taken_vector));
	target_answers = true;
	host_log_clear();
	assert_int_equal(cpu_start_add(0, 0), 0);
	assert_int_equal(cpu_start_add(1, 1), 0);
	assert_int_equal(cpu_start_add(2, 4), 0);	/* APIC ids need not be dense */
	cpu_start_set_notify(play_target);
	return 0;
}

static void test_registry(void **state)
{
	(void)state;
	assert_int_equal(cpu_start_count(), 3);
	assert_int_equal(cpu_start_state(0), VCPU_RUNNING);	/* the boot CPU */
	assert_int_equal(cpu_start_state(1), VCPU_WAIT_SIPI);
	assert_int_equal(cpu_start_state(2), VCPU_WAIT_SIPI);
	assert_int_equal(cpu_start_state(3), VCPU_ABSENT);
	assert_int_equal(cpu_start_index_of(4), 2);
	assert_int_equal(cpu_start_index_of(2), -1);
	assert_int_equal(cpu_start_apic_id(2), 4);
	assert_int_equal(cpu_start_add(3, 4), E_BUSY);		/* APIC id 4 is CPU 2's */
	assert_int_equal(cpu_start_add(CPU_START_MAX, 9), E_RANGE);
	assert_int_equal(cpu_start_count(), 3);
	assert_int_equal(cpu_start_running(), 1);
}

/* Linux's wakeup_secondary_cpu_via_init: INIT assert, INIT de-assert,
 * SIPI, SIPI. The first SIPI starts the CPU, the second is ignored. */
static void test_linux_sequence(void **state)
{
	uint8_t v;

	(void)state;
	assert_null(cpu_start_ipi(0, INIT_ASSERT, 1));
	assert_int_equal(notified[1], 0);		/* it was waiting already */
	assert_null(cpu_start_ipi(0, INIT_DEASSERT, 1));
	assert_int_equal(cpu_start_state(1), VCPU_WAIT_SIPI);
	assert_false(cpu_start_take_sipi(1, &v));	/* nothing accepted yet */
	assert_null(cpu_start_ipi(0, SIPI(0x98), 1));
	assert_int_equal(notified[1], 1);
	assert_int_equal(taken_vector[1], 0x98);
	assert_int_equal(cpu_start_state(1), VCPU_RUNNING);
	assert_null(cpu_start_ipi(0, SIPI(0x12), 1));	/* the second one */
	assert_int_equal(notified[1], 1);
	assert_int_equal(taken_vector[1], 0x98);
	assert_int_equal(host_log_count("ignored=yes"), 1);
	assert_int_equal(cpu_start_running(), 2);
	assert_int_equal(cpu_start_state(2), VCPU_WAIT_SIPI);	/* untouched */
	assert_int_equal(cpu_start_refused(), 0);
}

/* A later INIT (kexec, CPU offline/online): the running CPU is interrupted,
 * waits for a start-up IPI again, and the next SIPI restarts it. */
static void test_init_to_running_cpu(void **state)
{
	(void)state;
	assert_null(cpu_start_ipi(0, SIPI(0x98), 1));
	assert_int_equal(cpu_start_state(1), VCPU_RUNNING);
	assert_null(cpu_start_ipi(0, INIT_ASSERT, 1));
	assert_int_equal(notified[1], 2);
	assert_int_equal(cpu_start_state(1), VCPU_WAIT_SIPI);
	assert_null(cpu_start_ipi(0, SIPI(0x9a), 1));
	assert_int_equal(taken_vector[1], 0x9a);
	assert_int_equal(cpu_start_state(1), VCPU_RUNNING);
}

/* The target has not acknowledged the INIT when the SIPI comes (it is
 * slow to exit): the SIPI still counts, once it has. */
static void test_sipi_overtakes_init_ack(void **state)
{
	uint8_t v = 0;

	(void)state;
	assert_null(cpu_start_ipi(0, SIPI(0x98), 1));
	target_answers = false;
	host_time_step_us = 50000;	/* the bounded wait passes quickly */
	assert_null(cpu_start_ipi(0, INIT_ASSERT, 1));
	assert_int_equal(host_log_count("did not answer"), 1);
	assert_true(cpu_start_init_pending(1));
	assert_null(cpu_start_ipi(0, SIPI(0x77), 1));
	assert_null(cpu_start_ipi(0, SIPI(0x66), 1));	/* only the first counts */
	host_time_step_us = 0;
	assert_false(cpu_start_take_sipi(1, &v));	/* not before the INIT is taken */
	cpu_start_init_ack(1);
	assert_int_equal(cpu_start_state(1), VCPU_STARTING);
	assert_true(cpu_start_take_sipi(1, &v));
	assert_int_equal(v, 0x77);
	assert_int_equal(cpu_start_state(1), VCPU_RUNNING);
}

/* All-excluding-self starts every other CPU; never the boot CPU. */
static void test_shorthand_others(void **state)
{
	(void)state;
	assert_null(cpu_start_ipi(0, SH_OTHERS | INIT_ASSERT, 0));
	assert_null(cpu_start_ipi(0, SH_OTHERS | SIPI(0x10), 0));
	assert_int_equal(taken_vector[1], 0x10);
	assert_int_equal(taken_vector[2], 0x10);
	assert_int_equal(cpu_start_running(), 3);
	/* From CPU 1: CPU 2 only (the boot CPU is never a target). */
	assert_null(cpu_start_ipi(1, SH_OTHERS | INIT_ASSERT, 0));
	assert_int_equal(cpu_start_state(0), VCPU_RUNNING);
	assert_int_equal(cpu_start_state(1), VCPU_RUNNING);
	assert_int_equal(cpu_start_state(2), VCPU_WAIT_SIPI);
}

static void test_refusals(void **state)
{
	(void)state;
	assert_non_null(cpu_start_ipi(0, INIT_ASSERT, 7));	/* no such CPU */
	assert_non_null(cpu_start_ipi(0, SIPI(0x08), 2));	/* APIC id 2: nobody's */
	assert_non_null(cpu_start_ipi(1, INIT_ASSERT, 0));	/* the boot CPU */
	assert_non_null(cpu_start_ipi(0, SIPI(0x08), 0));	/* the boot CPU, from itself */
	assert_non_null(cpu_start_ipi(1, INIT_ASSERT, 1));	/* itself */
	assert_non_null(cpu_start_ipi(0, LOGICAL | INIT_ASSERT, 2));
	assert_non_null(cpu_start_ipi(0, SH_SELF | INIT_ASSERT, 0));
	assert_non_null(cpu_start_ipi(0, SH_ALL | SIPI(0x08), 0));
	assert_int_equal(cpu_start_refused(), 8);
	assert_int_equal(host_log_count("refused the guest's INIT IPI"), 5);
	assert_int_equal(host_log_count("refused the guest's start-up IPI"), 3);
	assert_int_equal(host_log_count("not the APIC id of one of the guest's CPUs"), 2);
	assert_non_null(cpu_start_ipi(0, 0x000040fd, 1));	/* not a start-up IPI at all */
	assert_int_equal(cpu_start_refused(), 8);
	/* Nothing moved. */
	assert_int_equal(cpu_start_state(1), VCPU_WAIT_SIPI);
	assert_int_equal(cpu_start_state(2), VCPU_WAIT_SIPI);
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		assert_int_equal(notified[i], 0);
}

static void test_sipi_state(void **state)
{
	struct vcpu_sipi_state s = cpu_start_sipi_state(0x98);

	(void)state;
	assert_int_equal(s.cs_sel, 0x9800);
	assert_int_equal(s.cs_base, 0x98000);
	assert_int_equal(s.rip, 0);
	assert_int_equal(s.cr0, 0x60000010);
	assert_int_equal(s.rflags, 2);
	assert_int_equal(s.limit, 0xffff);
	s = cpu_start_sipi_state(0xff);
	assert_int_equal(s.cs_sel, 0xff00);
	assert_int_equal(s.cs_base, 0xff000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registry, setup),
		cmocka_unit_test_setup(test_linux_sequence, setup),
		cmocka_unit_test_setup(test_init_to_running_cpu, setup),
		cmocka_unit_test_setup(test_sipi_overtakes_init_ack, setup),
		cmocka_unit_test_setup(test_shorthand_others, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_sipi_state, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
