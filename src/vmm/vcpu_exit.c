/* The back-end-neutral half of exit handling (vmm/vcpu_exit.h). */
#include "vmm/vcpu_exit.h"

#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "vmm/apic_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/mmio_emul.h"

static void (*exit_hook)(void);
static vmmcall_handler vmmcall_hook;
static realmode_call_handler realmode_hook;
static const struct power_ops *power;

void vcpu_set_exit_hook(void (*hook)(void))
{
	exit_hook = hook;
}

void vcpu_set_vmmcall_handler(vmmcall_handler h)
{
	vmmcall_hook = h;
}

void vcpu_set_realmode_call_handler(realmode_call_handler h)
{
	realmode_hook = h;
}

void vcpu_set_power_ops(const struct power_ops *ops)
{
	power = ops;
}

const struct power_ops *vcpu_power_ops(void)
{
	return power;
}

void vcpu_run_exit_hook(void)
{
	if (exit_hook)
		exit_hook();
}

size_t vcpu_fetch_insn(const struct vcpu_exit_ops *ops, uint8_t *buf)
{
	struct guest_paging pg = ops->paging();
	/* 64-bit mode treats CS's base as 0 (SDM 3A 3.4.4, APM 2 4.12.2). */
	uint64_t cs = ops->mode() == X86_MODE_64 ? 0 : ops->seg_base(X86_SEG_CS);

	return guest_fetch(&pg, cs + ops->rip(), buf, X86_MAX_INSN_LEN);
}

static void count_mmio(struct vcpu_stats *st, const struct protected_range *h, paddr_t gpa,
		       bool write)
{
	st->mmio++;
	if (write)
		st->mmio_write++;
	else
		st->mmio_read++;
	if (h->mmio == &apic_mmio_ops) {
		uint64_t off = gpa - h->start;

		if (!write)
			st->apic_read++;
		else if (off >= PAGE_SIZE)
			st->apic_write[APIC_CLASS_OTHER]++;
		else
			st->apic_write[apic_reg_class((uint32_t)off)]++;
	}
}

/* The xAPIC page's write fast path (vmm/apic_guard.h, apic_fast_store):
 * a plain 32-bit MOV to any register but the ICR's low dword is done on
 * the APIC at the faulting address without the general decoder. */
static bool apic_fast_write(const struct vcpu_exit_ops *ops, paddr_t gpa, uint64_t off)
{
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct vcpu_regs r;
	uint32_t v;
	unsigned len;

	if (!apic_fast_write_ok(off))
		return false;
	ops->regs_out(&r);
	len = apic_fast_store(bytes, vcpu_fetch_insn(ops, bytes), ops->mode(), &r, &v);
	if (!len)
		return false;
	hal_mmio_write32(gpa, v);
	ops->set_rip(ops->rip() + len);
	ops->set_rflags(ops->rflags() & ~X86_FLAG_RF);	/* the instruction completed */
	ops->stats()->apic_fast++;
	return true;
}

/* The fault says which access it was; the decoded instruction must make
 * that access (a read-modify-write makes both). */
static bool access_matches(const struct x86_insn *insn, bool write)
{
	return write ? insn->access != X86_ACCESS_READ : insn->access != X86_ACCESS_WRITE;
}

void vcpu_exit_mmio(const struct vcpu_exit_ops *ops, const struct protected_range *h,
		    paddr_t gpa, bool write)
{
	struct x86_insn insn;
	struct vcpu_regs r;
	uint8_t bytes[X86_MAX_INSN_LEN];
	enum x86_mode mode = ops->mode();
	uint64_t rip, rflags, lin;
	struct guest_paging pg;
	char why[160];
	size_t n;
	paddr_t pa;

	count_mmio(ops->stats(), h, gpa, write);
	if (h->mmio == &apic_mmio_ops && write && apic_fast_write(ops, gpa, gpa - h->start))
		return;
	n = vcpu_fetch_insn(ops, bytes);
	rip = ops->rip();
	rflags = ops->rflags();
	pg = ops->paging();
	ops->regs_out(&r);
	if (x86_decode(&insn, bytes, n, mode)) {
		mmio_explain(&insn, insn.reason, why, sizeof(why));
		goto refuse;
	}
	if (!access_matches(&insn, write)) {
		mmio_explain(&insn, "the instruction does not make the access that faulted", why,
			     sizeof(why));
		goto refuse;
	}
	lin = x86_linear_addr(&insn, &r, rip, ops->seg_base(insn.mem.seg));
	if (guest_translate(&pg, lin, insn.access != X86_ACCESS_READ, &pa) ||
	    (pa >> 12) != (gpa >> 12)) {
		mmio_explain(&insn, "the instruction's operand is not the faulting address", why,
			     sizeof(why));
		goto refuse;
	}
	if (mmio_emulate(&insn, pa, &r, &rip, &rflags, h->mmio, h->ctx, why, sizeof(why)))
		goto refuse;
	ops->regs_in(&r);
	ops->set_rip(rip);
	ops->set_rflags(rflags);
	return;
refuse:
	log_error("mmio refused %s gpa=0x%llx %s", h->what, (unsigned long long)gpa, why);
	ops->stop("an access to an emulated device that shoji cannot emulate");
}

/* A VMMCALL in real mode: the firmware hooks first (vcpu.h). */
static bool realmode_call(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_realmode rm;
	struct vcpu_regs r;

	if ((ops->cr0() & CR0_PE) || !realmode_hook)
		return false;
	rm = (struct vcpu_realmode){
		.cs = ops->seg_sel(X86_SEG_CS), .ip = (uint16_t)(ops->rip() + len),
		.ss = ops->seg_sel(X86_SEG_SS), .ds = ops->seg_sel(X86_SEG_DS),
		.es = ops->seg_sel(X86_SEG_ES),
	};
	ops->regs_out(&r);
	rm.sp = (uint16_t)r.rsp;
	switch (realmode_hook(&r, &rm)) {
	case REALMODE_NOT_OURS:
		return false;
	case REALMODE_DONE:
		ops->regs_in(&r);
		ops->set_cs_real(rm.cs);
		ops->set_rip(rm.ip);
		return true;
	case REALMODE_STOP:
		break;
	}
	ops->stop("the firmware boot path cannot go on (see above)");
}

void vcpu_exit_vmmcall(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_regs r;
	struct guest_paging pg;

	if (realmode_call(ops, len))
		return;
	if (!vmmcall_hook) {
		ops->inject_ud();	/* nobody answers: as on a CPU without it */
		return;
	}
	pg = ops->paging();
	ops->regs_out(&r);
	vmmcall_hook(&r, &pg);
	ops->regs_in(&r);
	ops->set_rip(ops->rip() + len);
}
