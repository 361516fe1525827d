/* Kicks (kick.h). */
#include "arch/x86/kick.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/hal.h"
#include "lib/log.h"

/* sent is written by any CPU (atomically), seen only by its own CPU. */
static struct {
	uint32_t sent, seen;
} kicks[SHOJI_MAX_CPUS];

void cpu_kick(unsigned idx)
{
	if (idx >= SHOJI_MAX_CPUS || !percpu_of(idx))
		return;
	__atomic_fetch_add(&kicks[idx].sent, 1, __ATOMIC_SEQ_CST);
	if (lapic_send_nmi(percpu_of(idx)->apic_id))
		log_error("kick: the NMI to cpu=%u was not accepted by the local APIC", idx);
}

bool cpu_take_kicks(void)
{
	unsigned me = hal_cpu_index();
	uint32_t sent = __atomic_load_n(&kicks[me].sent, __ATOMIC_SEQ_CST);

	if (sent == kicks[me].seen)
		return false;
	kicks[me].seen = sent;
	return true;
}
