/* The guest's CPUs and how they start, back-end neutral (docs/smp.md).
 *
 * shoji owns every CPU: it starts the application processors itself at
 * boot and parks them, each in its own host state with its own control
 * block. The guest starts them its usual way, INIT then start-up IPIs
 * through its local APIC's ICR; the APIC guard hands those IPIs here
 * instead of to the hardware, and this state machine decides what each
 * means, as the processor would (Intel SDM 3A 10.6.1 and 8.4.4, AMD APM
 * vol. 2 16.5 and 15.13.3):
 *
 *   INIT to a CPU ............ it leaves whatever it runs and waits for a
 *                              start-up IPI (WAIT_SIPI); a CPU running the
 *                              guest must first be interrupted (INIT_PENDING:
 *                              the back-end notices and acknowledges);
 *   start-up IPI, vector V ... a CPU waiting for one enters the guest in real
 *                              mode at CS = V << 8, IP = 0 (STARTING, then
 *                              RUNNING once it took it); a CPU that is not
 *                              waiting ignores it (the second SIPI of the
 *                              usual INIT-SIPI-SIPI is ignored this way);
 *   INIT de-assert ........... nothing (only the 82489DX needed it).
 *
 * Who may be a target: a CPU the guest was given (registered here, by APIC
 * id), other than the sender and the boot CPU (an INIT there is a reset
 * request, which has its own path: vmm/power.h). Physical destinations
 * and the all-excluding-self shorthand only; logical destinations, self
 * and all-including-self are refused and logged.
 *
 * The back-end's part: it registers each CPU (cpu_start_add), gives a
 * notify function (an NMI to the target: a parked CPU wakes from HLT, a
 * running one exits), calls cpu_start_take_sipi in its park loop and
 * cpu_start_init_pending on the exits a notify causes, and loads the
 * state cpu_start_sipi_state() describes. Nothing here knows SVM or VT-x. */
#ifndef SHOJI_VMM_CPU_START_H
#define SHOJI_VMM_CPU_START_H

#include "lib/types.h"

#define CPU_START_MAX 16

enum vcpu_start_state {
	VCPU_ABSENT,		/* not one of the guest's CPUs */
	VCPU_WAIT_SIPI,		/* waits for a start-up IPI (after INIT, and at boot) */
	VCPU_STARTING,		/* a start-up IPI was accepted: enters the guest */
	VCPU_RUNNING,		/* runs the guest */
	VCPU_INIT_PENDING,	/* runs the guest, an INIT is on its way */
};

/* CPU idx (shoji's index, 0 = the boot CPU) with local APIC id apic_id;
 * the boot CPU starts RUNNING, the others WAIT_SIPI. E_RANGE for an index
 * beyond CPU_START_MAX, E_BUSY for an APIC id registered twice. */
int cpu_start_add(unsigned idx, uint32_t apic_id);
/* Forgets every CPU (host unit tests). */
void cpu_start_reset(void);

/* Called for every target that must act (a parked CPU to wake, a running
 * one to interrupt). The back-end's; NULL until it gives one. */
void cpu_start_set_notify(void (*notify)(unsigned idx));

/* The guest on CPU sender wrote an INIT or start-up IPI (ICR low dword or
 * the whole x2APIC ICR in icr, destination APIC id dest). Applies it,
 * notifies the targets and waits (bounded) until each has taken it.
 * Returns NULL, or why it was refused (logged and counted here). */
const char *cpu_start_ipi(unsigned sender, uint64_t icr, uint32_t dest);

/* Refused start-up IPIs so far. */
uint64_t cpu_start_refused(void);

/* Target side. In its park loop: true (and *vector) once a start-up IPI
 * was accepted for it; the CPU is RUNNING from then on. */
bool cpu_start_take_sipi(unsigned idx, uint8_t *vector);
/* On an exit a notify may have caused: whether an INIT is pending for this
 * running CPU. If so the CPU must call cpu_start_init_ack and park. */
bool cpu_start_init_pending(unsigned idx);
void cpu_start_init_ack(unsigned idx);

enum vcpu_start_state cpu_start_state(unsigned idx);
unsigned cpu_start_count(void);			/* registered CPUs */
unsigned cpu_start_running(void);		/* of them, running the guest */
/* The APIC id of CPU idx, and the CPU index of an APIC id (-1: none). */
uint32_t cpu_start_apic_id(unsigned idx);
int cpu_start_index_of(uint32_t apic_id);

/* The real-mode state a start-up IPI with this vector gives (SDM 3A 8.4.4
 * / table 9-1, APM vol. 2 14.1.3 and 16.5): CS selector V << 8, base
 * V << 12, IP 0, every segment limit 0xffff, CR0 0x60000010 (CD, NW, ET),
 * EFLAGS 2, EDX the processor signature. */
struct vcpu_sipi_state {
	uint16_t cs_sel;
	uint64_t cs_base;
	uint64_t rip;
	uint64_t cr0;
	uint64_t rflags;
	uint32_t limit;
};
struct vcpu_sipi_state cpu_start_sipi_state(uint8_t vector);

#endif
