/* VT-d fault records: decoding, and the policy for a device that faults
 * (portable: no register access here, the driver reads the records). */
#ifndef SHOJI_IOMMU_VTD_FAULT_H
#define SHOJI_IOMMU_VTD_FAULT_H

#include "lib/types.h"

struct vtd_fault {
	uint16_t sid;		/* requester id: bus << 8 | dev << 3 | fn */
	uint8_t reason;		/* enum vtd_fault_reason, or an IR reason */
	bool is_read;		/* T bit: 1 = read request */
	uint64_t addr;		/* faulting page address (FI, bits 63:12) */
};

/* Decodes one 128-bit fault recording register (VT-d 11.4.14). */
void vtd_fault_decode(uint64_t lo, uint64_t hi, struct vtd_fault *f);

/* The reason as text, e.g. "PTE write access not set"; never NULL. */
const char *vtd_fault_reason_str(uint8_t reason);

/* Logs one fault, exactly:
 * "vtd fault unit=U sid=BB:DD.F addr=0x... type=read|write reason=0xRR (text)" */
void vtd_fault_log(unsigned unit, const struct vtd_fault *f);

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
	struct vtd_fault f;
};

void fault_ring_push(unsigned unit, const struct vtd_fault *f, uint64_t now_us);
/* Faults recorded so far (the sequence number of the newest). */
uint64_t fault_ring_seq(void);
/* The event with that sequence number, if still in the ring. */
bool fault_ring_get(uint64_t seq, struct fault_event *out);

#endif
