/* Section profiling (see prof.h). */
#include "lib/hal.h"
#include "lib/printf.h"
#include "lib/prof.h"
#include "lib/string.h"

struct prof_cpu prof_cpus[PROF_MAX_CPUS];
static uint64_t pair_ticks;	/* prof_calibrate's last figure */

static const char *const names[PROF_NSEC] = {
	[PROF_EXIT] = "exit", [PROF_MMIO] = "mmio", [PROF_WALK] = "walk", [PROF_FOLLOWON] = "followon",
	[PROF_AHCI_REG] = "ahci_reg", [PROF_AHCI_LOCK] = "ahci_lock",
	[PROF_IDE_REG] = "ide_reg", [PROF_POLL] = "poll",
	[PROF_CAPTURE] = "capture", [PROF_STAGE] = "stage", [PROF_SHADOW] = "shadow",
	[PROF_ENCRYPT] = "encrypt", [PROF_DECRYPT] = "decrypt", [PROF_COPY] = "copy",
	[PROF_WIPE] = "wipe", [PROF_COMPLETE] = "complete", [PROF_IMAGE] = "image",
	[PROF_DOORBELL] = "doorbell", [PROF_LOG] = "log",
};

static struct prof_cpu *row(void)
{
	unsigned c = hal_cpu_index();

	return &prof_cpus[c < PROF_MAX_CPUS ? c : PROF_MAX_CPUS - 1];
}

/* The section charged now: the innermost tracked one (sections deeper than
 * PROF_DEPTH are counted but charge the one at PROF_DEPTH). */
static uint8_t top(const struct prof_cpu *p)
{
	return p->stack[(p->depth < PROF_DEPTH ? p->depth : PROF_DEPTH) - 1];
}

void prof_enter(enum prof_sec s)
{
	struct prof_cpu *p = row();
	uint64_t now = hal_cycles();

	if ((unsigned)s >= PROF_NSEC)
		s = PROF_EXIT;
	if (p->depth)
		p->ticks[top(p)] += now - p->mark;
	p->mark = now;
	if (p->depth < PROF_DEPTH)
		p->stack[p->depth] = (uint8_t)s;
	p->depth++;
	p->count[s]++;
}

void prof_leave(void)
{
	struct prof_cpu *p = row();
	uint64_t now = hal_cycles();

	if (!p->depth)
		return;		/* unbalanced: ignored rather than underflowing */
	p->ticks[top(p)] += now - p->mark;
	p->mark = now;		/* the section around resumes now */
	p->depth--;
}

const char *prof_name(enum prof_sec s)
{
	return (unsigned)s < PROF_NSEC ? names[s] : "?";
}

uint64_t prof_ticks(enum prof_sec s)
{
	uint64_t t = 0;

	for (unsigned c = 0; c < PROF_MAX_CPUS; c++)
		t += __atomic_load_n(&prof_cpus[c].ticks[s], __ATOMIC_RELAXED);
	return t;
}

uint64_t prof_count(enum prof_sec s)
{
	uint64_t t = 0;

	for (unsigned c = 0; c < PROF_MAX_CPUS; c++)
		t += __atomic_load_n(&prof_cpus[c].count[s], __ATOMIC_RELAXED);
	return t;
}

size_t prof_text(char *buf, size_t len)
{
	size_t n;

	if (!len)
		return 0;
	n = (size_t)shoji_snprintf(buf, len, "prof_pair_ticks=%llu\n",
				   (unsigned long long)pair_ticks);
	for (unsigned s = 0; s < PROF_NSEC && n < len - 1; s++) {
		int m = shoji_snprintf(buf + n, len - n, "prof_%s_ticks=%llu\nprof_%s_count=%llu\n",
				       names[s], (unsigned long long)prof_ticks(s), names[s],
				       (unsigned long long)prof_count(s));

		if (m < 0)
			break;
		n += (size_t)m;
	}
	return MIN(n, len - 1);
}

uint64_t prof_calibrate(unsigned n)
{
	struct prof_cpu *p = row();
	struct prof_cpu saved = *p;
	uint64_t t0, t1;

	if (!n)
		return 0;
	/* Inside an open section, as in an exit: each pair charges the one
	 * around it too, the work a real pair does. */
	prof_enter(PROF_EXIT);
	t0 = hal_cycles();
	for (unsigned i = 0; i < n; i++) {
		prof_enter(PROF_LOG);
		prof_leave();
	}
	t1 = hal_cycles();
	prof_leave();
	*p = saved;
	pair_ticks = (t1 - t0) / n;
	return pair_ticks;
}

uint64_t prof_pair_ticks(void)
{
	return pair_ticks;
}

void prof_reset(void)
{
	memset(prof_cpus, 0, sizeof(prof_cpus));
}
