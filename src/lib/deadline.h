/* Deadlines for hardware waits. Every loop that waits on hardware runs
 * against a deadline and has a failure path when it passes:
 *
 *	struct deadline d = deadline_in_us(VTD_CMD_TIMEOUT_US);
 *	while (!(read_status() & BIT))
 *		if (deadline_passed(&d))
 *			return -ETIMEDOUT-like failure;
 *
 * or, for a condition function, wait_until(cond, arg, timeout_us). */
#ifndef SHOJI_LIB_DEADLINE_H
#define SHOJI_LIB_DEADLINE_H

#include "lib/hal.h"

struct deadline {
	uint64_t end_us;
};

static inline struct deadline deadline_in_us(uint64_t us)
{
	struct deadline d = { hal_time_us() + us };
	return d;
}

/* True once the deadline has passed. Relaxes the CPU while it has not, so
 * it can be the whole body of a polling loop. */
static inline bool deadline_passed(const struct deadline *d)
{
	if (hal_time_us() >= d->end_us)
		return true;
	hal_cpu_relax();
	return false;
}

/* Polls cond(arg) until it is true (returns true) or timeout_us passes
 * (returns false after one last check, so a condition met just at the
 * deadline is not reported as a timeout). */
bool wait_until(bool (*cond)(void *arg), void *arg, uint64_t timeout_us);

#endif
