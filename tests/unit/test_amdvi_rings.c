/* Unit tests for the AMD-Vi command buffer and event log
 * (src/iommu/amdvi_cmdbuf.c, amdvi_evlog.c) against a modelled IOMMU: the
 * model's registers sit behind the host HAL's MMIO hook; it fetches
 * commands from the ring when the tail pointer is written (COMPLETION_WAIT
 * stores its data, an illegal opcode stops the buffer and logs
 * ILLEGAL_COMMAND_ERROR), and writes events at the event log's tail until
 * the ring is full, then sets EventOverflow and stops logging (AMD IOMMU
 * spec 48882 rev 3.x, 2.4, 2.5, 3.4). Physical addresses are host
 * pointers (host/host.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/amdvi_cmdbuf.h"
#include "iommu/amdvi_evlog.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "lib/hal.h"

#define MMIO 0xfed80000ULL

static struct model {
	struct host_mmio_model m;
	uint64_t cmd_base, cmd_head, cmd_tail, ev_base, ev_head, ev_tail, control;
	bool cmd_running, ev_running, overflow;
	bool hang;			/* never fetch commands */
	bool ev_stuck;			/* EventLogRun never clears */
	unsigned done[16];		/* commands executed, by opcode */
	uint32_t last[16][4];		/* last command of each opcode */
	unsigned status_w1c;		/* writes to the status register */
} M;

static uint64_t ring_bytes(uint64_t base)
{
	return (1ULL << ((base >> AMDVI_RING_LEN_SHIFT) & 0xf)) * 16;
}

static void *pa(uint64_t base_reg, uint64_t off)
{
	return (void *)(uintptr_t)((base_reg & AMDVI_BASE_ADDR_MASK) + off);
}

/* The IOMMU writes one event at its tail (2.5), or overflows. */
static void model_event(unsigned code, uint16_t devid, uint16_t flags, uint64_t addr)
{
	uint32_t *slot;
	uint64_t next;

	if (!M.ev_running)
		return;
	next = (M.ev_tail + 16) % ring_bytes(M.ev_base);
	if (next == M.ev_head) {
		M.overflow = true;
		M.ev_running = false;
		return;
	}
	slot = pa(M.ev_base, M.ev_tail);
	slot[0] = devid;
	slot[1] = (uint32_t)code << 28 | (uint32_t)(flags & 0xfff) << 16;
	slot[2] = (uint32_t)addr;
	slot[3] = (uint32_t)(addr >> 32);
	M.ev_tail = next;
}

static void model_fetch(void)
{
	while (!M.hang && M.cmd_running && M.cmd_head != M.cmd_tail) {
		const uint32_t *c = pa(M.cmd_base, M.cmd_head);
		unsigned op = c[1] >> 28;

		switch (op) {
		case AMDVI_CMD_COMPLETION_WAIT:
			if (c[0] & AMDVI_CW_S) {
				uint64_t a = (c[0] & ~7u) | (uint64_t)(c[1] & 0xfffff) << 32;

				*(volatile uint64_t *)(uintptr_t)a = c[2] | (uint64_t)c[3] << 32;
			}
			break;
		case AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY:
		case AMDVI_CMD_INVALIDATE_IOMMU_PAGES:
		case AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE:
		case AMDVI_CMD_INVALIDATE_IOMMU_ALL:
			break;
		default:
			/* 2.4: an illegal command stops the buffer at that command. */
			M.cmd_running = false;
			model_event(AMDVI_EVENT_ILLEGAL_COMMAND_ERROR, 0, 0,
				    (M.cmd_base & AMDVI_BASE_ADDR_MASK) + M.cmd_head);
			return;
		}
		M.done[op]++;
		memcpy(M.last[op], c, 16);
		M.cmd_head = (M.cmd_head + 16) % ring_bytes(M.cmd_base);
	}
}

static uint64_t mread(struct host_mmio_model *m, uint64_t off, int width)
{
	(void)m;
	assert_int_equal(width, 8);
	switch (off) {
	case AMDVI_MMIO_CMD_BUF_BASE: return M.cmd_base;
	case AMDVI_MMIO_EVENT_LOG_BASE: return M.ev_base;
	case AMDVI_MMIO_CONTROL: return M.control;
	case AMDVI_MMIO_CMD_BUF_HEAD: return M.cmd_head;
	case AMDVI_MMIO_CMD_BUF_TAIL: return M.cmd_tail;
	case AMDVI_MMIO_EVENT_LOG_HEAD: return M.ev_head;
	case AMDVI_MMIO_EVENT_LOG_TAIL: return M.ev_tail;
	case AMDVI_MMIO_STATUS:
		return (M.cmd_running ? AMDVI_STATUS_CMD_BUF_RUN : 0) |
		       (M.ev_running || M.ev_stuck ? AMDVI_STATUS_EVENT_LOG_RUN : 0) |
		       (M.overflow ? AMDVI_STATUS_EVENT_OVERFLOW : 0);
	}
	fail_msg("read of unmodelled register 0x%llx", (unsigned long long)off);
	return 0;
}

static void mwrite(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	(void)m;
	assert_int_equal(width, 8);
	switch (off) {
	case AMDVI_MMIO_CMD_BUF_BASE: M.cmd_base = v; return;
	case AMDVI_MMIO_EVENT_LOG_BASE: M.ev_base = v; return;
	case AMDVI_MMIO_CMD_BUF_HEAD: M.cmd_head = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_EVENT_LOG_HEAD: M.ev_head = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_EVENT_LOG_TAIL: M.ev_tail = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_CMD_BUF_TAIL:
		M.cmd_tail = v & AMDVI_RING_PTR_MASK;
		model_fetch();
		return;
	case AMDVI_MMIO_CONTROL:
		if ((v & AMDVI_CTRL_CMD_BUF_EN) && !(M.control & AMDVI_CTRL_CMD_BUF_EN))
			M.cmd_running = true;
		if (!(v & AMDVI_CTRL_EVENT_LOG_EN))
			M.ev_running = false;
		else if (!(M.control & AMDVI_CTRL_EVENT_LOG_EN) && !M.overflow)
			M.ev_running = true;
		M.control = v;
		return;
	case AMDVI_MMIO_STATUS:
		M.status_w1c++;
		if (v & AMDVI_STATUS_EVENT_OVERFLOW)
			M.overflow = false;
		return;
	}
	fail_msg("write of unmodelled register 0x%llx", (unsigned long long)off);
}

static struct amdvi_cmdbuf cb;	/* static, as the driver's will be */
static struct amdvi_evlog el;

static int setup(void **state)
{
	(void)state;
	memset(&M, 0, sizeof(M));
	M.m = (struct host_mmio_model){ MMIO, AMDVI_MMIO_SIZE, mread, mwrite };
	host_mmio = &M.m;
	host_log_clear();
	host_log_echo = false;
	host_time_step_us = 1000;	/* timeouts pass in 1000 polls */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* The driver never frees the rings (the IOMMU may still write them);
	 * the test may, once the model is gone. */
	if (cb.ring)
		hal_page_free(cb.ring);
	if (el.ring)
		hal_page_free(el.ring);
	memset(&cb, 0, sizeof(cb));
	memset(&el, 0, sizeof(el));
	host_mmio = NULL;
	host_time_step_us = 0;
	host_page_limit = 0;
	return 0;
}

/* An event sink that keeps the last event. */
static void sink_one(void *ctx, const struct amdvi_event *ev)
{
	*(struct amdvi_event *)ctx = *ev;
}

/* ================= command buffer ================= */

static void test_cmdbuf_init_programs_registers(void **state)
{
	(void)state;
	M.control = AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_COHERENT;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, true), 0);
	assert_int_equal(M.cmd_base & AMDVI_BASE_ADDR_MASK, cb.ring_pa);
	assert_int_equal((M.cmd_base >> 56) & 0xf, 8);		/* ComLen: 256 entries */
	assert_int_equal(M.cmd_base & ~(AMDVI_BASE_ADDR_MASK | AMDVI_RING_LEN_MASK), 0);
	assert_int_equal(cb.ring_pa & 0xfff, 0);
	assert_int_equal(M.cmd_head, 0);
	assert_int_equal(M.cmd_tail, 0);
	/* CmdBufEn added, the rest of Control kept. */
	assert_int_equal(M.control, AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_COHERENT |
				    AMDVI_CTRL_CMD_BUF_EN);
}

static void test_cmdbuf_runs_batches(void **state)
{
	struct amdvi_cmd cmds[3];

	(void)state;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, false), 0);
	amdvi_cmd_inval_devtab_entry(&cmds[0], 0x0018);
	assert_int_equal(amdvi_cmd_inval_iommu_pages(&cmds[1], 5, 0x7be79000, 12, false), 0);
	amdvi_cmd_inval_interrupt_table(&cmds[2], 0x0018);
	assert_int_equal(amdvi_cmdbuf_run(&cb, cmds, 3), 0);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY], 1);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_IOMMU_PAGES], 1);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE], 1);
	assert_int_equal(M.done[AMDVI_CMD_COMPLETION_WAIT], 1);
	assert_int_equal(M.last[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY][0], 0x0018);
	assert_int_equal(M.cmd_tail, 4 * 16);
	assert_int_equal(cb.wait_status, 1);
	/* Enough batches to wrap the ring several times; each waits. */
	for (int i = 0; i < 300; i++)
		assert_int_equal(amdvi_cmdbuf_run(&cb, cmds, (unsigned)(i % 4)), 0);
	assert_int_equal(M.done[AMDVI_CMD_COMPLETION_WAIT], 301);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY], 1 + 225);
	assert_int_equal(cb.wait_status, 301);
	assert_int_equal(M.cmd_head, M.cmd_tail);
	assert_false(cb.broken);
	/* An empty batch is a plain completion wait. */
	assert_int_equal(amdvi_cmdbuf_run(&cb, NULL, 0), 0);
	assert_int_equal(host_log_count("error"), 0);
}

static void test_cmdbuf_batch_too_large(void **state)
{
	static struct amdvi_cmd many[AMDVI_CMDBUF_ENTRIES];

	(void)state;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, true), 0);
	for (unsigned i = 0; i < AMDVI_CMDBUF_ENTRIES; i++)
		amdvi_cmd_inval_devtab_entry(&many[i], (uint16_t)i);
	assert_int_equal(amdvi_cmdbuf_run(&cb, many, AMDVI_CMDBUF_ENTRIES - 1), E_INVAL);
	assert_int_equal(M.cmd_tail, 0);		/* nothing queued */
	assert_int_equal(amdvi_cmdbuf_run(&cb, many, AMDVI_CMDBUF_ENTRIES - 2), 0);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY], AMDVI_CMDBUF_ENTRIES - 2);
}

static void test_cmdbuf_timeout_breaks_it(void **state)
{
	struct amdvi_cmd c;
	uint64_t tail;

	(void)state;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 2, MMIO, true), 0);
	M.hang = true;
	amdvi_cmd_inval_devtab_entry(&c, 1);
	assert_int_equal(amdvi_cmdbuf_run(&cb, &c, 1), E_TIMEOUT);
	assert_true(cb.broken);
	assert_int_equal(host_log_count("amdvi iommu=2: command buffer timed out waiting for "
					"COMPLETION_WAIT (head=0 tail=2 seq=1): no further commands"), 1);
	/* Never used again, even once the IOMMU wakes up... */
	tail = M.cmd_tail;
	assert_int_equal(amdvi_cmdbuf_run(&cb, &c, 1), E_FAULT);
	assert_int_equal(M.cmd_tail, tail);
	/* ... and a late store lands in the structure, which stays. */
	M.hang = false;
	model_fetch();
	assert_int_equal(cb.wait_status, 1);
}

static void test_cmdbuf_illegal_command_stops(void **state)
{
	struct amdvi_cmd c[2];
	struct amdvi_event got = { 0 };

	(void)state;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, true), 0);
	assert_int_equal(amdvi_evlog_init(&el, 0, MMIO), 0);
	amdvi_cmd_inval_devtab_entry(&c[0], 1);
	memset(&c[1], 0, sizeof(c[1]));
	c[1].w[1] = 0xfu << 28;			/* no such opcode */
	assert_int_equal(amdvi_cmdbuf_run(&cb, c, 2), E_FAULT);
	assert_true(cb.broken);
	assert_int_equal(host_log_count("command buffer stopped (illegal command? see the event "
					"log)"), 1);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY], 1);
	assert_int_equal(M.done[AMDVI_CMD_COMPLETION_WAIT], 0);
	/* The event log says which command. */
	assert_int_equal(amdvi_evlog_poll(&el, sink_one, &got), 1);
	assert_int_equal(got.code, AMDVI_EVENT_ILLEGAL_COMMAND_ERROR);
	assert_int_equal(got.address, cb.ring_pa + 16);
}

static void test_cmdbuf_not_drained(void **state)
{
	struct amdvi_cmd c;

	(void)state;
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, true), 0);
	M.cmd_head = 0x40;			/* someone else moved the head */
	amdvi_cmd_inval_devtab_entry(&c, 1);
	assert_int_equal(amdvi_cmdbuf_run(&cb, &c, 1), E_FAULT);
	assert_int_equal(host_log_count("command buffer not drained"), 1);
}

static void test_cmdbuf_no_memory(void **state)
{
	void *held = hal_page_alloc();

	(void)state;
	assert_non_null(held);
	host_page_limit = host_pages_in_use;	/* the next allocation fails */
	assert_int_equal(amdvi_cmdbuf_init(&cb, 0, MMIO, true), E_NOMEM);
	assert_true(cb.broken);
	assert_int_equal(amdvi_cmdbuf_run(&cb, NULL, 0), E_FAULT);
	assert_int_equal(amdvi_evlog_init(&el, 0, MMIO), E_NOMEM);
	assert_int_equal(amdvi_evlog_poll(&el, NULL, NULL), 0);
	assert_int_equal(M.cmd_base | M.ev_base | M.control, 0);	/* nothing programmed */
	hal_page_free(held);
}

/* ================= event log ================= */

struct sink {
	unsigned n;
	struct amdvi_event ev[1024];
};

static struct sink S;

static void sink_all(void *ctx, const struct amdvi_event *ev)
{
	struct sink *s = ctx;

	assert_true(s->n < ARRAY_SIZE(s->ev));
	s->ev[s->n++] = *ev;
}

static void test_evlog_delivers_in_order(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	M.control = AMDVI_CTRL_IOMMU_EN;
	assert_int_equal(amdvi_evlog_init(&el, 1, MMIO), 0);
	assert_int_equal(M.ev_base & AMDVI_BASE_ADDR_MASK, el.ring_pa);
	assert_int_equal((M.ev_base >> 56) & 0xf, 8);
	assert_int_equal(M.control, AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_EVENT_LOG_EN);
	assert_true(M.ev_running);
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 0);
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, 0x0018, AMDVI_EVF_PR | AMDVI_EVF_RW | AMDVI_EVF_PE,
		    0x7be79000);
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, 0x00a0, AMDVI_EVF_I, 0xfee00000);
	model_event(AMDVI_EVENT_ILLEGAL_DEV_TABLE_ENTRY, 0x0020, 0, 0x1000);
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 3);
	assert_int_equal(S.n, 3);
	assert_string_equal(S.ev[0].name, "IO_PAGE_FAULT");
	assert_int_equal(S.ev[0].devid, 0x0018);
	assert_true(S.ev[0].write);
	assert_int_equal(S.ev[0].address, 0x7be79000);
	assert_true(S.ev[1].interrupt);
	assert_int_equal(S.ev[2].code, AMDVI_EVENT_ILLEGAL_DEV_TABLE_ENTRY);
	assert_int_equal(M.ev_head, 3 * 16);
	/* Consumed slots are cleared: a stale one would decode as code 0. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(el.ring[i][0] | el.ring[i][1] | el.ring[i][2] | el.ring[i][3], 0);
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 0);
	assert_int_equal(el.events, 3);
}

static void test_evlog_wraps(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	assert_int_equal(amdvi_evlog_init(&el, 0, MMIO), 0);
	for (unsigned round = 0; round < 7; round++) {
		for (unsigned i = 0; i < 100; i++)
			model_event(AMDVI_EVENT_IO_PAGE_FAULT, (uint16_t)(round * 100 + i), 0, i);
		assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 100);
	}
	assert_int_equal(S.n, 700);
	for (unsigned i = 0; i < 700; i++)
		assert_int_equal(S.ev[i].devid, i);
	assert_int_equal(el.overflows, 0);
	assert_int_equal(host_log_count("warning"), 0);
}

static void test_evlog_overflow_restarts(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	assert_int_equal(amdvi_evlog_init(&el, 3, MMIO), 0);
	for (unsigned i = 0; i < 300; i++)
		model_event(AMDVI_EVENT_IO_PAGE_FAULT, (uint16_t)i, 0, 0);
	assert_true(M.overflow);
	assert_false(M.ev_running);
	/* What fitted (a ring keeps one slot free) is delivered, the loss said. */
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), AMDVI_EVLOG_ENTRIES - 1);
	assert_int_equal(S.ev[254].devid, 254);
	assert_int_equal(el.overflows, 1);
	assert_int_equal(host_log_count("warning: amdvi iommu=3: event log overflowed: events were "
					"lost (overflow 1); logging restarted"), 1);
	/* Restarted: overflow cleared by W1C, pointers reset, logging on. */
	assert_false(M.overflow);
	assert_int_equal(M.status_w1c, 1);
	assert_int_equal(M.ev_head, 0);
	assert_int_equal(M.ev_tail, 0);
	assert_true(M.control & AMDVI_CTRL_EVENT_LOG_EN);
	assert_true(M.ev_running);
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, 0x4242, 0, 0);
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 1);
	assert_int_equal(S.ev[S.n - 1].devid, 0x4242);
}

static void test_evlog_restart_that_does_not_stop(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	assert_int_equal(amdvi_evlog_init(&el, 0, MMIO), 0);
	for (unsigned i = 0; i < 300; i++)
		model_event(AMDVI_EVENT_IO_PAGE_FAULT, (uint16_t)i, 0, 0);
	M.ev_stuck = true;
	amdvi_evlog_poll(&el, sink_all, &S);
	assert_true(el.broken);
	assert_int_equal(host_log_count("event log did not stop after an overflow"), 1);
	assert_true(M.overflow);		/* not cleared behind a running log */
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 0);
}

static void test_evlog_skips_reserved_codes(void **state)
{
	(void)state;
	memset(&S, 0, sizeof(S));
	assert_int_equal(amdvi_evlog_init(&el, 0, MMIO), 0);
	model_event(0xf, 1, 0, 0);
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, 2, 0, 0);
	assert_int_equal(amdvi_evlog_poll(&el, sink_all, &S), 1);
	assert_int_equal(S.ev[0].devid, 2);
	assert_int_equal(el.unknown, 1);
	assert_int_equal(host_log_count("amdvi iommu=0: event log entry 0 has reserved code 0xf "
					"(raw 00000001 f0000000 00000000 00000000): skipped"), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cmdbuf_init_programs_registers),
		T(test_cmdbuf_runs_batches),
		T(test_cmdbuf_batch_too_large),
		T(test_cmdbuf_timeout_breaks_it),
		T(test_cmdbuf_illegal_command_stops),
		T(test_cmdbuf_not_drained),
		T(test_cmdbuf_no_memory),
		T(test_evlog_delivers_in_order),
		T(test_evlog_wraps),
		T(test_evlog_overflow_restarts),
		T(test_evlog_restart_that_does_not_stop),
		T(test_evlog_skips_reserved_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
