/* The secrets registry: every piece of shoji's memory that holds key
 * material or guest disk data is registered here once, when it is set up,
 * and wiped by one function on every path where shoji stops running the
 * guest (a fatal stop, a panic, an exception) and before every reset or
 * power-off shoji performs (docs/resets.md).
 *
 * Why one registry: the paths that stop the guest are many (core/stop.c,
 * core/power.c, the exception handler through shoji_stop) and the holders
 * of secrets are many (the XTS key schedules, the AHCI engine's bounce
 * buffer and command copies, the shadow DMA window); a wipe that each path
 * would have to know about would miss the next holder someone adds.
 *
 * A wipe zeroes each region with crypto_wipe (stores the compiler may not
 * drop), then writes the caches back (hal_cache_writeback_all: WBINVD in the
 * image), so that the zeroes, not the secrets, are what RAM holds when the
 * machine resets (RAM survives a warm reset on real hardware).
 *
 * Stack copies are not registered: functions that hold secrets on the stack
 * (key loading, the passphrase, PBKDF2) wipe their own buffers, and
 * shoji_stop clears the dead part of the stack as well. */
#ifndef SHOJI_CRYPTO_SECRETS_H
#define SHOJI_CRYPTO_SECRETS_H

#include "lib/types.h"

#define SECRETS_MAX 16

/* Registers [p, p+len) under a short name for the log ("xts-key-schedules").
 * Returns 0; E_INVAL for len 0, a NULL pointer, a wrapping range or a range
 * that overlaps one already registered (every byte is registered once);
 * E_NOMEM when the registry is full (the caller must not go on: a secret
 * that would not be wiped is a boot error). */
int secrets_register(const char *what, void *p, size_t len);

/* Wipes every registered region, then writes the caches back. Safe to call
 * more than once and from a path that interrupted another wipe (each call
 * wipes everything again). Logs one line:
 *	secrets wiped reason=REASON regions=N bytes=B
 * Returns the number of regions wiped. */
unsigned secrets_wipe_all(const char *reason);

/* How many regions and bytes are registered (VMMCALL STATUS, tests). */
unsigned secrets_count(void);
uint64_t secrets_bytes(void);

/* The name of region i (0 <= i < secrets_count()), for the boot log. */
const char *secrets_name(unsigned i);

#ifdef SHOJI_HOST
/* Host tests only: forget every registration. */
void secrets_reset_for_test(void);
#endif

#endif
