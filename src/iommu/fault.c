/* IOMMU fault policy and the fault ring (see fault.h). */
#include "iommu/fault.h"

static struct fault_source *source(struct fault_policy *p, uint16_t sid)
{
	for (unsigned i = 0; i < p->n_sources; i++)
		if (p->sources[i].sid == sid)
			return &p->sources[i];
	if (p->n_sources == FAULT_TRACKED_SOURCES)
		return NULL;
	p->sources[p->n_sources] = (struct fault_source){ .sid = sid };
	return &p->sources[p->n_sources++];
}

enum fault_action fault_policy_note(struct fault_policy *p, uint16_t sid, uint64_t now_us,
				    uint32_t *report_suppressed)
{
	struct fault_source *s = source(p, sid);

	*report_suppressed = 0;
	p->total++;
	if (now_us - p->window_start_us >= FAULT_LOG_WINDOW_US) {
		*report_suppressed = p->suppressed;
		p->window_start_us = now_us;
		p->logged_in_window = 0;
		p->suppressed = 0;
	}
	if (s) {
		s->count++;
		if (!s->stopped && s->count >= FAULT_STOP_THRESHOLD) {
			s->stopped = true;
			return FAULT_STOP_DEVICE;
		}
	} else {
		p->untracked++;
	}
	if (p->logged_in_window < FAULT_LOG_BURST) {
		p->logged_in_window++;
		return FAULT_LOG;
	}
	p->suppressed++;
	return FAULT_SUPPRESS;
}

uint32_t fault_policy_count(const struct fault_policy *p, uint16_t sid)
{
	for (unsigned i = 0; i < p->n_sources; i++)
		if (p->sources[i].sid == sid)
			return p->sources[i].count;
	return 0;
}

static struct fault_event ring[FAULT_RING_SIZE];
static uint64_t ring_seq;

void fault_ring_push(unsigned unit, const struct iommu_fault *f, uint64_t now_us)
{
	struct fault_event *e = &ring[ring_seq % FAULT_RING_SIZE];

	e->seq = ++ring_seq;
	e->time_us = now_us;
	e->unit = unit;
	e->f = *f;
}

uint64_t fault_ring_seq(void)
{
	return ring_seq;
}

bool fault_ring_get(uint64_t seq, struct fault_event *out)
{
	const struct fault_event *e;

	if (seq == 0 || seq > ring_seq || ring_seq - seq >= FAULT_RING_SIZE)
		return false;
	e = &ring[(seq - 1) % FAULT_RING_SIZE];
	*out = *e;
	return true;
}
