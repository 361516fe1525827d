/* The guest's CPUs' start-up state machine (see cpu_start.h). ICR layout:
 * Intel SDM 3A 10.6.1, AMD APM vol. 2 16.5: vector 7:0, delivery mode
 * 10:8 (101b INIT, 110b start-up), destination mode 11 (0 physical),
 * level 14, trigger mode 15, shorthand 19:18 (00 none, 01 self, 10 all
 * including self, 11 all excluding self). */
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "vmm/cpu_start.h"

#define ICR_VECTOR(v) ((uint8_t)(v))
#define ICR_DM(v) (((v) >> 8) & 7)
#define ICR_DM_INIT 5
#define ICR_DM_STARTUP 6
#define ICR_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
#define SH_NONE 0
#define SH_SELF 1
#define SH_ALL 2
#define SH_OTHERS 3

/* How long a target may take to act on a notify, and how often the notify
 * is repeated meanwhile (an NMI that arrives just before the target's HLT
 * is spent before the HLT; the next one wakes it). */
#define TAKE_TIMEOUT_US 1000000
#define RENOTIFY_US 1000

struct vcpu_start {
	uint32_t apic_id;
	enum vcpu_start_state state;
	uint8_t vector;		/* STARTING: the accepted start-up vector */
	bool sipi_after_init;	/* INIT_PENDING: a start-up IPI came meanwhile */
	uint8_t late_vector;
};

/* cpus[], n_cpus and every state: the start-up lock (docs/smp.md), a leaf
 * (only the log is called with it held). */
static struct spinlock start_lock = SPINLOCK_INIT;
static struct vcpu_start cpus[CPU_START_MAX];
static unsigned n_cpus;
static void (*notify_fn)(unsigned idx);
static uint64_t refused;

void cpu_start_reset(void)
{
	spin_lock(&start_lock);
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		cpus[i] = (struct vcpu_start){ 0 };
	n_cpus = 0;
	refused = 0;
	spin_unlock(&start_lock);
}

int cpu_start_add(unsigned idx, uint32_t apic_id)
{
	int rc = 0;

	if (idx >= CPU_START_MAX) {
		log_error("cpu start: cpu=%u apic_id=%u beyond the %u CPUs shoji keeps", idx,
			  apic_id, CPU_START_MAX);
		return E_RANGE;
	}
	spin_lock(&start_lock);
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		if (i != idx && cpus[i].state != VCPU_ABSENT && cpus[i].apic_id == apic_id)
			rc = E_BUSY;
	if (!rc) {
		if (cpus[idx].state == VCPU_ABSENT)
			n_cpus++;
		cpus[idx] = (struct vcpu_start){ apic_id, idx == 0 ? VCPU_RUNNING : VCPU_WAIT_SIPI,
						 0, false, 0 };
	}
	spin_unlock(&start_lock);
	if (rc)
		log_error("cpu start: apic_id=%u given to two CPUs", apic_id);
	return rc;
}

void cpu_start_set_notify(void (*notify)(unsigned idx))
{
	notify_fn = notify;
}

uint64_t cpu_start_refused(void)
{
	return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}

static const char *refuse(unsigned sender, uint64_t icr, uint32_t dest, const char *why)
{
	uint64_t n = __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);

	if (n <= 8)
		log_warn("apic guard: refused the guest's %s IPI (icr=0x%llx dest=0x%x cpu=%u): %s",
			 ICR_DM(icr) == ICR_DM_INIT ? "INIT" : "start-up", (unsigned long long)icr,
			 dest, sender, why);
	return why;
}

int cpu_start_index_of(uint32_t apic_id)
{
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		if (cpus[i].state != VCPU_ABSENT && cpus[i].apic_id == apic_id)
			return (int)i;
	return -1;
}

/* Applies an INIT (sipi false) or a start-up IPI to target t, under the
 * lock. Returns whether t must be notified. */
static bool apply(unsigned t, bool sipi, uint8_t vector)
{
	struct vcpu_start *c = &cpus[t];

	if (!sipi) {
		switch (c->state) {
		case VCPU_RUNNING:
			c->state = VCPU_INIT_PENDING;
			c->sipi_after_init = false;
			return true;
		case VCPU_STARTING:	/* not yet in the guest: back to waiting */
		case VCPU_WAIT_SIPI:
			c->state = VCPU_WAIT_SIPI;
			return false;
		default:
			return false;
		}
	}
	switch (c->state) {
	case VCPU_WAIT_SIPI:
		c->state = VCPU_STARTING;
		c->vector = vector;
		return true;
	case VCPU_INIT_PENDING:	/* the INIT took effect first: this one counts */
		if (!c->sipi_after_init) {
			c->sipi_after_init = true;
			c->late_vector = vector;
		}
		return true;
	default:		/* running or already starting: ignored, as hardware does */
		return false;
	}
}

/* Whether target t has taken what it was sent (it left STARTING or
 * INIT_PENDING). */
static bool taken(unsigned t)
{
	enum vcpu_start_state s = __atomic_load_n(&cpus[t].state, __ATOMIC_ACQUIRE);

	return s != VCPU_STARTING && s != VCPU_INIT_PENDING;
}

static void deliver(unsigned t)
{
	struct deadline d = deadline_in_us(TAKE_TIMEOUT_US);

	while (!taken(t)) {
		struct deadline again = deadline_in_us(RENOTIFY_US);

		if (notify_fn)
			notify_fn(t);
		while (!taken(t) && !deadline_passed(&again))
			;
		if (deadline_passed(&d) && !taken(t)) {
			log_error("cpu start: cpu=%u apic_id=%u did not answer within %u ms (state=%d)",
				  t, cpus[t].apic_id, TAKE_TIMEOUT_US / 1000, (int)cpus[t].state);
			return;
		}
	}
}

const char *cpu_start_ipi(unsigned sender, uint64_t icr, uint32_t dest)
{
	unsigned dm = ICR_DM(icr), sh = ICR_SHORTHAND(icr);
	bool sipi = dm == ICR_DM_STARTUP;
	uint32_t targets = 0, notify = 0;
	int t;

	if (dm != ICR_DM_INIT && dm != ICR_DM_STARTUP)
		return "not an INIT or start-up IPI";
	/* INIT de-assert (level 0, level-triggered): a no-op since the P6. */
	if (!sipi && !(icr & ICR_LEVEL_ASSERT) && (icr & ICR_TRIGGER_LEVEL))
		return NULL;
	if (sh == SH_SELF || sh == SH_ALL)
		return refuse(sender, icr, dest, sipi ? "start-up IPI to the sending CPU" :
						  "INIT to the sending CPU (a reset request)");
	spin_lock(&start_lock);
	if (sh == SH_OTHERS) {
		for (unsigned i = 1; i < CPU_START_MAX; i++)
			if (i != sender && cpus[i].state != VCPU_ABSENT)
				targets |= 1u << i;
	} else if (icr & ICR_LOGICAL) {
		spin_unlock(&start_lock);
		return refuse(sender, icr, dest, "logical destination (shoji takes physical APIC ids)");
	} else if ((t = cpu_start_index_of(dest)) < 0) {
		spin_unlock(&start_lock);
		return refuse(sender, icr, dest, "not the APIC id of one of the guest's CPUs");
	} else if (t == 0 || (unsigned)t == sender) {
		spin_unlock(&start_lock);
		return refuse(sender, icr, dest, t == 0 ? "the boot CPU is not started by IPIs" :
							 "the sending CPU itself");
	} else {
		targets = 1u << t;
	}
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		if ((targets & (1u << i)) && apply(i, sipi, ICR_VECTOR(icr)))
			notify |= 1u << i;
	spin_unlock(&start_lock);
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		if (targets & (1u << i))
			log_info("cpu start: %s cpu=%u apic_id=%u from=%u%s", sipi ? "sipi" : "init", i,
				 cpus[i].apic_id, sender,
				 sipi && !(notify & (1u << i)) ? " ignored=yes (not waiting for one)" : "");
	for (unsigned i = 0; i < CPU_START_MAX; i++)
		if (notify & (1u << i))
			deliver(i);
	return NULL;
}

bool cpu_start_take_sipi(unsigned idx, uint8_t *vector)
{
	bool ok = false;

	if (idx >= CPU_START_MAX)
		return false;
	spin_lock(&start_lock);
	if (cpus[idx].state == VCPU_STARTING) {
		*vector = cpus[idx].vector;
		__atomic_store_n(&cpus[idx].state, VCPU_RUNNING, __ATOMIC_RELEASE);
		ok = true;
	}
	spin_unlock(&start_lock);
	return ok;
}

bool cpu_start_init_pending(unsigned idx)
{
	return idx < CPU_START_MAX &&
	       __atomic_load_n(&cpus[idx].state, __ATOMIC_ACQUIRE) == VCPU_INIT_PENDING;
}

void cpu_start_init_ack(unsigned idx)
{
	if (idx >= CPU_START_MAX)
		return;
	spin_lock(&start_lock);
	if (cpus[idx].state == VCPU_INIT_PENDING) {
		struct vcpu_start *c = &cpus[idx];

		c->vector = c->late_vector;
		__atomic_store_n(&c->state, c->sipi_after_init ? VCPU_STARTING : VCPU_WAIT_SIPI,
				 __ATOMIC_RELEASE);
		c->sipi_after_init = false;
	}
	spin_unlock(&start_lock);
}

enum vcpu_start_state cpu_start_state(unsigned idx)
{
	return idx < CPU_START_MAX ? __atomic_load_n(&cpus[idx].state, __ATOMIC_ACQUIRE)
				   : VCPU_ABSENT;
}

unsigned cpu_start_count(void)
{
	return n_cpus;
}

unsigned cpu_start_running(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CPU_START_MAX; i++) {
		enum vcpu_start_state s = cpu_start_state(i);

		n += s == VCPU_RUNNING || s == VCPU_INIT_PENDING;
	}
	return n;
}

uint32_t cpu_start_apic_id(unsigned idx)
{
	return idx < CPU_START_MAX ? cpus[idx].apic_id : ~0u;
}

struct vcpu_sipi_state cpu_start_sipi_state(uint8_t vector)
{
	return (struct vcpu_sipi_state){
		.cs_sel = (uint16_t)(vector << 8),
		.cs_base = (uint64_t)vector << 12,
		.rip = 0,
		.cr0 = 0x60000010ULL,	/* CD, NW, ET */
		.rflags = 0x2,
		.limit = 0xffff,
	};
}
