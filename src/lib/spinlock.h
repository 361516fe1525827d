/* A ticket spinlock: FIFO, so no CPU starves behind the others (a CPU that
 * exits often, e.g. on every disk interrupt, cannot lock another out).
 * shoji runs with interrupts off and GIF clear outside VMRUN, so nothing
 * preempts a holder; the only host-side interruption is the NMI window of
 * the SVM loop, whose handler takes no lock. Every lock, what it guards and
 * the order in which two may be held: docs/smp.md. */
#ifndef SHOJI_LIB_SPINLOCK_H
#define SHOJI_LIB_SPINLOCK_H

#include "lib/hal.h"
#include "lib/types.h"

struct spinlock {
	uint32_t next;		/* the ticket the next locker draws */
	uint32_t owner;		/* the ticket being served */
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
	uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t)
		hal_cpu_relax();
}

/* Takes the lock only if nobody holds or waits for it. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t t = o;

	return __atomic_compare_exchange_n(&l->next, &t, o + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

/* A lock its holder may take again (a path that re-enters itself through a
 * callback: the PCI guard reading configuration space while the guest's
 * configuration write it judges holds the lock). */
struct rec_spinlock {
	struct spinlock lock;
	unsigned owner;		/* hal_cpu_index() of the holder, ~0u when free */
	unsigned depth;
};

#define REC_SPINLOCK_INIT { SPINLOCK_INIT, ~0u, 0 }

static inline void rec_spin_lock(struct rec_spinlock *l)
{
	unsigned me = hal_cpu_index();

	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != me) {
		spin_lock(&l->lock);
		__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
	}
	l->depth++;
}

static inline void rec_spin_unlock(struct rec_spinlock *l)
{
	if (--l->depth)
		return;
	__atomic_store_n(&l->owner, ~0u, __ATOMIC_RELAXED);
	spin_unlock(&l->lock);
}

/* Counters bumped from any CPU. */
static inline void atomic_inc64(uint64_t *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

#endif
