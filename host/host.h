/* Host-side environment for portable shoji code: the HAL and the log sink as
 * unit tests and host tools see them, plus hooks tests use to drive them.
 * Physical addresses are host pointer values. */
#ifndef SHOJI_HOST_HOST_H
#define SHOJI_HOST_HOST_H

#include "lib/types.h"

/* Log capture: every finished log line is appended here (NUL-terminated,
 * truncated when full). host_log_echo copies lines to stdout as well (host
 * tools set it). */
extern char host_log[65536];
extern size_t host_log_len;
extern bool host_log_echo;
void host_log_clear(void);
/* Number of captured lines containing needle. */
int host_log_count(const char *needle);

/* Port I/O: tests install handlers; without one, reads return all-ones and
 * writes are dropped (what an absent device does). */
struct host_io_ops {
	uint32_t (*in)(uint16_t port, int width);
	void (*out)(uint16_t port, int width, uint32_t value);
};
extern const struct host_io_ops *host_io;

/* MMIO: a test may model a device's registers at [base, base+size): every
 * access there goes to its handlers instead of memory. */
struct host_mmio_model {
	paddr_t base;
	uint64_t size;
	uint64_t (*read)(struct host_mmio_model *m, uint64_t off, int width);
	void (*write)(struct host_mmio_model *m, uint64_t off, int width, uint64_t value);
};
extern struct host_mmio_model *host_mmio;

/* CPUID and MSRs: tests install handlers. Without one, hal_cpuid runs
 * the host's CPUID and every MSR access faults (E_FAULT: the #GP of a CPU
 * without that MSR); a handler returns 0 or E_FAULT the same way. */
extern void (*host_cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
extern int (*host_rdmsr)(uint32_t msr, uint64_t *value);
extern int (*host_wrmsr)(uint32_t msr, uint64_t value);

/* Page pool accounting: pages currently allocated, and a limit after which
 * hal_page_alloc fails (0 = no limit), so tests can exercise exhaustion. */
extern long host_pages_in_use;
extern long host_page_limit;
extern long host_cache_flushes;
extern long host_cache_writebacks;	/* hal_cache_writeback_all calls */

/* Time: when host_time_step_us is non-zero the clock is fake and advances by
 * that much on every hal_time_us() call, so timeouts fire fast and
 * deterministically; otherwise it is CLOCK_MONOTONIC. */
extern uint64_t host_time_step_us;
/* Cycles (hal_cycles): when non-zero every read advances by exactly this. */
extern uint64_t host_cycle_step;
/* hal_phys_limit(): all of the address space unless a test lowers it. */
extern paddr_t host_phys_limit;

/* hal_cpu_index() of the calling thread (0 unless a test sets it): tests
 * that play several CPUs set it per thread or around a nested call. */
extern __thread unsigned host_cpu;

/* Host tools: read all of path into a malloc'd buffer (*data, *len).
 * Errors go to stderr as "PROG: error: ..." (missing, unreadable, empty, or
 * larger than max bytes, "not WHAT"); returns 0 or -1. */
int host_read_file(const char *prog, const char *what, const char *path, size_t max,
		   unsigned char **data, size_t *len);

#endif
