/* AMD-Vi event log: see amdvi_evlog.h. Registers in amdvi_regs.h (3.4:
 * Event Log Base Address, Head and Tail Pointer, Control, Status). */
#include "iommu/amdvi_evlog.h"
#include "iommu/amdvi_regs.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"

#define RING_BYTES (AMDVI_EVLOG_ENTRIES * AMDVI_EVENT_SIZE)

static uint64_t rd(const struct amdvi_evlog *el, uint32_t reg)
{
	return hal_mmio_read64(el->mmio + reg);
}

static void wr(const struct amdvi_evlog *el, uint32_t reg, uint64_t v)
{
	hal_mmio_write64(el->mmio + reg, v);
}

static uint32_t ptr_index(uint64_t reg)
{
	return (uint32_t)((reg & AMDVI_RING_PTR_MASK) / AMDVI_RING_ENTRY_SIZE) % AMDVI_EVLOG_ENTRIES;
}

int amdvi_evlog_init(struct amdvi_evlog *el, unsigned index, paddr_t mmio)
{
	memset(el, 0, sizeof(*el));
	el->index = index;
	el->mmio = mmio;
	el->ring = hal_page_alloc();
	if (!el->ring) {
		log_error("amdvi iommu=%u: no memory for the event log", index);
		el->broken = true;
		return E_NOMEM;
	}
	memset(el->ring, 0, RING_BYTES);
	el->ring_pa = hal_virt_to_phys(el->ring);
	wr(el, AMDVI_MMIO_EVENT_LOG_BASE,
	   el->ring_pa | (uint64_t)AMDVI_EVLOG_LEN_LOG2 << AMDVI_RING_LEN_SHIFT);
	wr(el, AMDVI_MMIO_EVENT_LOG_HEAD, 0);
	wr(el, AMDVI_MMIO_EVENT_LOG_TAIL, 0);
	wr(el, AMDVI_MMIO_CONTROL, rd(el, AMDVI_MMIO_CONTROL) | AMDVI_CTRL_EVENT_LOG_EN);
	return 0;
}

/* 3.4 Status Register: after an overflow the IOMMU has stopped logging.
 * Logging restarts only once it is off, the overflow bit cleared and the
 * pointers reset. */
static void restart(struct amdvi_evlog *el)
{
	uint64_t ctrl = rd(el, AMDVI_MMIO_CONTROL);
	struct deadline d;

	wr(el, AMDVI_MMIO_CONTROL, ctrl & ~AMDVI_CTRL_EVENT_LOG_EN);
	d = deadline_in_us(AMDVI_EVLOG_TIMEOUT_US);
	while (rd(el, AMDVI_MMIO_STATUS) & AMDVI_STATUS_EVENT_LOG_RUN) {
		if (deadline_passed(&d) && (rd(el, AMDVI_MMIO_STATUS) & AMDVI_STATUS_EVENT_LOG_RUN)) {
			log_error("amdvi iommu=%u: event log did not stop after an overflow: "
				  "events are no longer reported", el->index);
			el->broken = true;
			return;
		}
	}
	wr(el, AMDVI_MMIO_STATUS, AMDVI_STATUS_EVENT_OVERFLOW);
	memset(el->ring, 0, RING_BYTES);
	wr(el, AMDVI_MMIO_EVENT_LOG_HEAD, 0);
	wr(el, AMDVI_MMIO_EVENT_LOG_TAIL, 0);
	wr(el, AMDVI_MMIO_CONTROL, ctrl | AMDVI_CTRL_EVENT_LOG_EN);
}

unsigned amdvi_evlog_poll(struct amdvi_evlog *el, amdvi_event_sink sink, void *ctx)
{
	uint32_t head, tail;
	unsigned handed = 0;

	if (el->broken || !el->ring)
		return 0;
	head = ptr_index(rd(el, AMDVI_MMIO_EVENT_LOG_HEAD));
	tail = ptr_index(rd(el, AMDVI_MMIO_EVENT_LOG_TAIL));
	while (head != tail) {
		volatile uint32_t *slot = el->ring[head];
		uint32_t raw[4] = { slot[0], slot[1], slot[2], slot[3] };
		struct amdvi_event ev;

		if (amdvi_event_decode(raw, &ev) == 0) {
			el->events++;
			handed++;
			sink(ctx, &ev);
		} else {
			el->unknown++;
			log_warn("amdvi iommu=%u: event log entry %u has reserved code 0x%x (raw "
				 "%08x %08x %08x %08x): skipped", el->index, head, ev.code, raw[0],
				 raw[1], raw[2], raw[3]);
		}
		for (int i = 0; i < 4; i++)
			slot[i] = 0;
		head = (head + 1) % AMDVI_EVLOG_ENTRIES;
	}
	wr(el, AMDVI_MMIO_EVENT_LOG_HEAD, (uint64_t)head * AMDVI_RING_ENTRY_SIZE);
	if (rd(el, AMDVI_MMIO_STATUS) & AMDVI_STATUS_EVENT_OVERFLOW) {
		el->overflows++;
		log_warn("amdvi iommu=%u: event log overflowed: events were lost (overflow %llu); "
			 "logging restarted", el->index, (unsigned long long)el->overflows);
		restart(el);
	}
	return handed;
}
