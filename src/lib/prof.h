/* Cheap always-on profiling of shoji's own time (issue 13): named sections,
 * per CPU, exclusive. Every cycle between prof_enter() and the matching
 * prof_leave() is charged to exactly one section, the innermost one open:
 * entering a section pauses the one around it. The root section of an exit
 * (PROF_EXIT, opened by the run loop around handle_exit and the exit hook)
 * therefore holds whatever no inner section claims, and the sections of an
 * exit add up to the time the run loop measures (`exit_tsc_ticks`).
 *
 * Cost: two hal_cycles() reads and a few adds per section entered (rdtsc,
 * which TCG implements as a helper call); no locks, no atomics: each CPU
 * writes only its own row. Readers (the VMMCALL status) sum the rows
 * without stopping the writers: a figure may be off by the section being
 * charged at the time of the read, never more.
 *
 * Sections nest up to PROF_DEPTH deep; deeper entries are counted but
 * their time stays with the section at PROF_DEPTH. Not for NMI handlers
 * (they would interleave with the stack of the code they interrupt). */
#ifndef SHOJI_LIB_PROF_H
#define SHOJI_LIB_PROF_H

#include "lib/types.h"

enum prof_sec {
	PROF_EXIT,		/* exit dispatch and whatever no section below claims */
	PROF_MMIO,		/* MMIO exit: instruction fetch, decode, emulation */
	PROF_WALK,		/* guest page-table walks (MMIO exits, the follow-on), checks included */
	PROF_FOLLOWON,		/* the doorbell follow-on's interpreter (its store excluded) */
	PROF_AHCI_REG,		/* AHCI register emulation under the engine lock */
	PROF_AHCI_LOCK,		/* waiting for the AHCI engine lock */
	PROF_IDE_REG,		/* IDE register emulation: the intercepted channel's port I/O */
	PROF_POLL,		/* the disk engines' poll after every exit (the exit hook) */
	PROF_CAPTURE,		/* capture: AHCI header, CFIS, PRDT; IDE PRD table; copied and validated */
	PROF_STAGE,		/* shadow command table, header and PRDT written */
	PROF_SHADOW,		/* shadow window and command-copy page alloc/free */
	PROF_ENCRYPT,		/* the cipher, guest data -> shadow */
	PROF_DECRYPT,		/* the cipher, shadow -> guest data */
	PROF_COPY,		/* plain copies of data between guest and shadow/bounce buffers */
	PROF_WIPE,		/* wiping the bounce page after a command */
	PROF_COMPLETE,		/* completion: PxCI/PxSACT reads, byte counts, FIS copy-back */
	PROF_IMAGE,		/* the register image: refills and showing/hiding it */
	PROF_DOORBELL,		/* ringing the device: PxSACT/PxCI; IDE command, bus-master START */
	PROF_LOG,		/* log lines written */
	PROF_NSEC
};

#define PROF_MAX_CPUS 16
#define PROF_DEPTH 8

struct prof_cpu {
	uint64_t ticks[PROF_NSEC];
	uint64_t count[PROF_NSEC];
	uint64_t mark;		/* when the running section was last charged */
	unsigned depth;		/* sections open (may exceed PROF_DEPTH) */
	uint8_t stack[PROF_DEPTH];
};

extern struct prof_cpu prof_cpus[PROF_MAX_CPUS];

void prof_enter(enum prof_sec s);
void prof_leave(void);

/* The section's name as the status text spells it (prof_NAME_ticks). */
const char *prof_name(enum prof_sec s);

/* Totals over every CPU. */
uint64_t prof_ticks(enum prof_sec s);
uint64_t prof_count(enum prof_sec s);

/* "prof_NAME_ticks=N\nprof_NAME_count=N\n" for every section; returns the
 * length written (as snprintf, truncated to len). */
size_t prof_text(char *buf, size_t len);

/* The profiler's own cost, measured where it runs: ticks per
 * prof_enter/prof_leave pair, averaged over n nested pairs run on this CPU
 * (its row is left as it was). Kept for the status text (prof_pair_ticks). */
uint64_t prof_calibrate(unsigned n);
uint64_t prof_pair_ticks(void);

/* Tests: every row back to zero. */
void prof_reset(void);

#endif
