/* AMD-Vi event log entries (AMD IOMMU spec 48882 rev 3.x, 2.5) decoded into
 * a plain record. The IOMMU writes 128-bit entries to the event log;
 * which fields an entry carries depends on its event code. The back-end
 * neutral fault record (issue 11) will wrap struct amdvi_event. */
#ifndef SHOJI_IOMMU_AMDVI_EVENT_H
#define SHOJI_IOMMU_AMDVI_EVENT_H

#include "lib/types.h"

struct amdvi_event {
	uint8_t code;			/* enum amdvi_event_code, raw if unknown */
	const char *name;		/* "IO_PAGE_FAULT", ..., "unknown" */
	bool has_devid;			/* the event names a requester */
	uint16_t devid;
	bool has_pasid;			/* domain ID or PASID field is meaningful */
	uint32_t pasid;			/* 20 bits: domain ID (16) or PASID */
	uint16_t flags;			/* 12-bit flags field (AMDVI_EVF_* for page
					   faults), raw */
	bool has_address;
	uint64_t address;		/* device address, DTE/page-table/command
					   address, by event */
	bool write;			/* flags RW, for events that define it */
	bool interrupt;			/* flags I: an interrupt request */
};

/* Decode one 16-byte entry (four dwords, as read from the log). Returns 0,
 * or E_INVAL for an entry of a reserved or unknown code (code 0 is what a
 * slot the IOMMU has not written holds); *ev is filled either way with the
 * raw code and name "unknown". */
int amdvi_event_decode(const uint32_t raw[4], struct amdvi_event *ev);

/* "IO_PAGE_FAULT", ... or "unknown". */
const char *amdvi_event_name(uint8_t code);

#endif
