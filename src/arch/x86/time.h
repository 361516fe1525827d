/* Time: the TSC, calibrated against the PIT at boot. hal_time_us() and the
 * deadline helpers (lib/deadline.h) build on it. */
#ifndef SHOJI_ARCH_X86_TIME_H
#define SHOJI_ARCH_X86_TIME_H

#include "lib/types.h"

/* Calibrates; returns the TSC frequency in kHz. Before it runs, time is
 * computed with a conservative assumed frequency (see time.c). */
uint64_t time_init(void);
uint64_t time_tsc_khz(void);
bool time_calibrated(void);

#endif
