/* Refusal log (see irq_log.h). */
#include "lib/hal.h"
#include "lib/log.h"
#include "vmm/irq_log.h"

static uint64_t total, window_start;
static uint32_t in_window, suppressed;

void irq_log_refusal(const char *source, const char *device, const struct irq_request *r,
		     const char *why)
{
	uint64_t now = hal_time_us();
	char req[96];

	total++;
	if (now - window_start >= IRQ_LOG_WINDOW_US) {
		if (suppressed)
			log_warn("irq refused: %u more refusals not logged (rate limit)", suppressed);
		window_start = now;
		in_window = 0;
		suppressed = 0;
	}
	if (in_window >= IRQ_LOG_BURST) {
		suppressed++;
		return;
	}
	in_window++;
	irq_request_str(r, req, sizeof(req));
	log_warn("irq refused source=%s device=%s %s reason=\"%s\"", source, device, req, why);
}

uint64_t irq_refusals(void)
{
	return total;
}
