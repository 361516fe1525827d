/* AMD-Vi event log (AMD IOMMU spec 48882 rev 3.x, 2.5 and 3.4): a ring of
 * 16-byte entries the IOMMU writes at its tail pointer; software consumes
 * them from the head pointer. amdvi_evlog_poll() decodes what is there
 * (amdvi_event.h) and hands each event to a sink; on overflow (the IOMMU
 * stops logging when the ring is full) it says events were lost and
 * restarts logging. Rate limiting, the fault ring and storm containment
 * belong to the caller's sink (the neutral fault path of issue 11). */
#ifndef SHOJI_IOMMU_AMDVI_EVLOG_H
#define SHOJI_IOMMU_AMDVI_EVLOG_H

#include "iommu/amdvi_event.h"
#include "lib/types.h"

#define AMDVI_EVLOG_LEN_LOG2	8		/* 256 entries: one 4 KiB page */
#define AMDVI_EVLOG_ENTRIES	(1u << AMDVI_EVLOG_LEN_LOG2)
#define AMDVI_EVLOG_TIMEOUT_US	1000000		/* EventLogRun to stop */

/* Static storage, like the command buffer: the IOMMU writes into the ring
 * page, which is never freed. */
struct amdvi_evlog {
	unsigned index;			/* IOMMU number, for log lines */
	paddr_t mmio;
	uint32_t (*ring)[4];		/* AMDVI_EVLOG_ENTRIES raw entries */
	paddr_t ring_pa;
	bool broken;			/* a restart did not complete */
	uint64_t events;		/* decoded and handed to the sink */
	uint64_t unknown;		/* entries of reserved codes, skipped */
	uint64_t overflows;		/* times the ring was full: events lost */
};

typedef void (*amdvi_event_sink)(void *ctx, const struct amdvi_event *ev);

/* Allocate the ring, program the base register (EventLen 8), zero head
 * and tail and set Control.EventLogEn. Returns 0 or E_NOMEM. */
int amdvi_evlog_init(struct amdvi_evlog *el, unsigned index, paddr_t mmio);

/* Hand every entry between head and tail to sink (entries of unknown codes
 * are logged and skipped), clear the slots, move the head pointer; then,
 * if Status.EventOverflow is set, log the loss and restart logging
 * (EventLogEn off, wait for EventLogRun to clear, W1C the overflow bit,
 * head = tail = 0, EventLogEn on). Returns how many events reached sink. */
unsigned amdvi_evlog_poll(struct amdvi_evlog *el, amdvi_event_sink sink, void *ctx);

#endif
