/* AMD-Vi event log decoder: see amdvi_event.h; layouts in amdvi_regs.h
 * (2.5). */
#include "iommu/amdvi_event.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "lib/string.h"

/* Which fields each event carries (2.5.x, one subsection per event). */
struct event_kind {
	const char *name;
	bool devid, pasid, address, rw_flag;
};

static const struct event_kind kinds[] = {
	[AMDVI_EVENT_ILLEGAL_DEV_TABLE_ENTRY] = { "ILLEGAL_DEV_TABLE_ENTRY", true, true, true, true },
	[AMDVI_EVENT_IO_PAGE_FAULT] = { "IO_PAGE_FAULT", true, true, true, true },
	[AMDVI_EVENT_DEV_TAB_HARDWARE_ERROR] = { "DEV_TAB_HARDWARE_ERROR", true, false, true, true },
	[AMDVI_EVENT_PAGE_TAB_HARDWARE_ERROR] = { "PAGE_TAB_HARDWARE_ERROR", true, true, true, true },
	[AMDVI_EVENT_ILLEGAL_COMMAND_ERROR] = { "ILLEGAL_COMMAND_ERROR", false, false, true, false },
	[AMDVI_EVENT_COMMAND_HARDWARE_ERROR] = { "COMMAND_HARDWARE_ERROR", false, false, true, true },
	[AMDVI_EVENT_IOTLB_INV_TIMEOUT] = { "IOTLB_INV_TIMEOUT", true, false, true, false },
	[AMDVI_EVENT_INVALID_DEVICE_REQUEST] = { "INVALID_DEVICE_REQUEST", true, true, true, true },
	[AMDVI_EVENT_INVALID_PPR_REQUEST] = { "INVALID_PPR_REQUEST", true, true, true, true },
	[AMDVI_EVENT_COUNTER_ZERO] = { "EVENT_COUNTER_ZERO", false, false, false, false },
};

static const struct event_kind *kind_of(uint8_t code)
{
	if (code >= ARRAY_SIZE(kinds) || !kinds[code].name)
		return NULL;
	return &kinds[code];
}

const char *amdvi_event_name(uint8_t code)
{
	const struct event_kind *k = kind_of(code);

	return k ? k->name : "unknown";
}

int amdvi_event_decode(const uint32_t raw[4], struct amdvi_event *ev)
{
	const struct event_kind *k;

	memset(ev, 0, sizeof(*ev));
	ev->code = (uint8_t)(raw[1] >> 28);
	ev->flags = (uint16_t)((raw[1] >> 16) & 0xfff);
	k = kind_of(ev->code);
	if (!k) {
		ev->name = "unknown";
		return E_INVAL;
	}
	ev->name = k->name;
	if (k->devid) {
		ev->has_devid = true;
		ev->devid = (uint16_t)raw[0];
	}
	if (k->pasid) {
		ev->has_pasid = true;
		ev->pasid = (raw[0] >> 16 & 0xf) << 16 | (raw[1] & 0xffff);
	}
	if (k->address) {
		ev->has_address = true;
		ev->address = (uint64_t)raw[3] << 32 | raw[2];
	}
	if (k->rw_flag)
		ev->write = ev->flags & AMDVI_EVF_RW;
	ev->interrupt = k->rw_flag && (ev->flags & AMDVI_EVF_I);
	return 0;
}
