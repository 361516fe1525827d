/* IOMMU faults in a back-end-neutral record, and what shoji does about them
 * (portable; no register access here). A back-end (VT-d now, AMD-Vi later)
 * decodes its own fault records into struct iommu_fault and hands them to
 * fault_ring_push and fault_policy_note; the log, the fault ring and VMMCALL
 * FAULTS read only this record. */
#ifndef SHOJI_IOMMU_FAULT_H
#define SHOJI_IOMMU_FAULT_H

#include "lib/types.h"

struct iommu_fault {
	uint16_t sid;		/* source: requester id, bus << 8 | dev << 3 | fn */
	uint64_t addr;		/* faulting page address */
	bool is_read;		/* the request was a read (else a write) */
	uint8_t reason;		/* the back-end's own reason code (VT-d: Appendix A) */
	const char *why;	/* the reason decoded, e.g. "PTE read access not set" */
	const char *backend;	/* "vtd" */
};

/* What to do about faults, per unit: log at most FAULT_LOG_BURST lines per
 * FAULT_LOG_WINDOW_US (then count them as suppressed and say how many once
 * the window ends), and stop a device (bus mastering off) once it has
 * faulted FAULT_STOP_THRESHOLD times: a device that keeps faulting is either
 * broken or attacking, and a fault storm must not livelock shoji. */
#define FAULT_LOG_BURST 16
#define FAULT_LOG_WINDOW_US 1000000ULL
#define FAULT_STOP_THRESHOLD 256
#define FAULT_TRACKED_SOURCES 32

enum fault_action {
	FAULT_LOG,		/* log this one */
	FAULT_SUPPRESS,		/* count it, do not log */
	FAULT_STOP_DEVICE,	/* the source crossed the threshold now: stop it */
};

struct fault_source {
	uint16_t sid;
	uint32_t count;
	bool stopped;
};

struct fault_policy {
	uint64_t window_start_us;
	uint32_t logged_in_window;
	uint32_t suppressed;		/* in the current window */
	uint64_t total;
	unsigned n_sources;
	struct fault_source sources[FAULT_TRACKED_SOURCES];
	uint32_t untracked;		/* faults from sources beyond the table */
};

/* Decides about one fault at time now_us. When a window with suppressed
 * faults ends, *report_suppressed receives their number (else 0) so the
 * caller can log "N faults not logged". */
enum fault_action fault_policy_note(struct fault_policy *p, uint16_t sid, uint64_t now_us,
				    uint32_t *report_suppressed);

/* Faults counted for one source id (0 if never seen). */
uint32_t fault_policy_count(const struct fault_policy *p, uint16_t sid);

/* The most recent faults of every unit, for the self-test and (later) the
 * guest's VMMCALL fault log. Every fault is recorded, logged or not. */
#define FAULT_RING_SIZE 64

struct fault_event {
	uint64_t seq;		/* 1, 2, ... in arrival order */
	uint64_t time_us;
	unsigned unit;
	struct iommu_fault f;
};

void fault_ring_push(unsigned unit, const struct iommu_fault *f, uint64_t now_us);
/* Faults recorded so far (the sequence number of the newest). */
uint64_t fault_ring_seq(void);
/* The event with that sequence number, if still in the ring. */
bool fault_ring_get(uint64_t seq, struct fault_event *out);

#endif
