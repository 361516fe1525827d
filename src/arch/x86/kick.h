/* Kicks: shoji's NMI to another of its CPUs (lapic.h), to wake a parked one
 * or make one in the guest exit (an INIT for it to take, a nested-table
 * change to flush, disk work to help with). The target's back-end sees an
 * NMI and cannot tell by the interrupt whose it is: the guest's own NMIs
 * (its watchdog, its IPIs) arrive the same way. Each CPU's count of kicks
 * sent to it and of those it took says which: an NMI that finds the two
 * equal is the guest's. The same for SVM and VT-x. */
#ifndef SHOJI_ARCH_X86_KICK_H
#define SHOJI_ARCH_X86_KICK_H

#include "lib/types.h"

/* Counts a kick for CPU idx, then sends it the NMI (a failure is logged:
 * the CPU then sees the kick at its next exit). Any CPU, any time; an idx
 * that names no CPU of shoji's is ignored. */
void cpu_kick(unsigned idx);

/* On the running CPU: whether kicks were sent that it has not taken yet
 * (and takes them all: one NMI may stand for several kicks, as NMIs that
 * arrive while one is pending merge). */
bool cpu_take_kicks(void);

#endif
