#include "lib/deadline.h"

bool wait_until(bool (*cond)(void *arg), void *arg, uint64_t timeout_us)
{
	struct deadline d = deadline_in_us(timeout_us);

	while (!cond(arg))
		if (deadline_passed(&d))
			return cond(arg);
	return true;
}
