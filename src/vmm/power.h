/* The guest's reset and power requests, as the CPU back-end reports them:
 * the operations core hands the back-end (struct power_ops; core/power.c
 * implements them on top of vmm/power_policy.h, so the dependency runs
 * core -> arch, never back). Everything
 * that leaves the guest's control of the machine goes through here: shoji
 * wipes its secrets (crypto/secrets.h), announces what it does on the log,
 * then resets or powers off the machine for real.
 *
 * The announcement lines (fixed, the launcher and tests look for them):
 *	shoji: machine reset path=PATH secrets=wiped token=HEX
 *	shoji: machine power-off path=PATH secrets=wiped token=HEX
 * HEX is the boot's announcement token (core/power.h, power_token_init).
 * PATH is one of cf9, kbd-pulse, kbd-outport, port92, fadt-reset-reg,
 * triple-fault, init (the guest's requests) or pm1a-cnt / pm1b-cnt (S5). */
#ifndef SHOJI_VMM_POWER_H
#define SHOJI_VMM_POWER_H

#include "lib/types.h"

struct power_ops {
	/* The I/O ports the back-end intercepts for the reset and power
	 * paths (see power_policy_ports); returns how many (may exceed max:
	 * then the back-end refuses to start). */
	unsigned (*io_ports)(uint16_t *ports, unsigned max);
	/* Whether an intercepted guest access of size bytes at port is one
	 * of those paths; if so, io performs it (*val: the guest's value for
	 * a write, the value read for a read). io may not return (reset,
	 * power-off). */
	bool (*io_claims)(uint16_t port, unsigned size);
	void (*io)(uint16_t port, unsigned size, bool in, uint32_t *val);
	/* The guest's CPU asked for a reset in a way only the back-end sees:
	 * a triple fault (path "triple-fault") or an INIT signal ("init"). */
	void (*guest_reset)(const char *path) NORETURN;
};

#endif
