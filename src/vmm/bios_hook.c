/* INT 15h memory-size answers for the firmware-booted guest (bios_hook.h). */
#include "vmm/bios_hook.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/guest_mem.h"

#define FLAGS_CF 0x1u
#define E820_ENTRY_SIZE 20

static struct bios_hook_config cfg;
static bool ready;
static unsigned e820_walks;

void bios_hook_init(const struct bios_hook_config *c)
{
	cfg = *c;
	ready = c->map != NULL;
	e820_walks = 0;
}

uint32_t bios_e820_type(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE: return 1;
	case MEM_ACPI_RECLAIM: return 3;
	case MEM_ACPI_NVS: return 4;
	case MEM_BAD: return 5;
	default: return 2;	/* reserved, and shoji's own region */
	}
}

static const struct guest_paging real_mode = { 0 };	/* paging off: linear == physical */

static uint64_t linear(uint16_t seg, uint16_t off)
{
	return ((uint64_t)seg << 4) + off;
}

/* CF in the FLAGS image the INT pushed: [SS:SP] IP, [SS:SP+2] CS, [SS:SP+4]
 * FLAGS (a real-address-mode interrupt pushes FLAGS, CS, IP: SDM vol. 3
 * 20.1.4). */
static int set_carry(const struct vcpu_realmode *rm, bool cf)
{
	uint64_t at = linear(rm->ss, (uint16_t)(rm->sp + 4));
	uint16_t fl;

	if (copy_from_guest(&real_mode, &fl, at, sizeof(fl)))
		return E_FAULT;
	fl = cf ? (uint16_t)(fl | FLAGS_CF) : (uint16_t)(fl & ~FLAGS_CF);
	return copy_to_guest(&real_mode, at, &fl, sizeof(fl));
}

static void set_ax(struct vcpu_regs *r, uint16_t v)
{
	r->rax = (r->rax & ~0xffffULL) | v;
}

/* End of the usable RAM that starts at or contains 1 MiB (0: none). */
static paddr_t contiguous_from_1m(void)
{
	paddr_t at = MiB(1);

	for (unsigned i = 0; i < cfg.map->n; i++) {
		const struct mem_range *m = &cfg.map->r[i];

		if (m->type == MEM_USABLE && m->base <= at && m->end > at)
			at = m->end;	/* sanitized: adjacent usable ranges are merged */
	}
	return at > MiB(1) ? at : 0;
}

/* One E820 range per call; EBX is the index of the next one. */
static bool e820(struct vcpu_regs *r, struct vcpu_realmode *rm)
{
	uint32_t idx = (uint32_t)r->rbx;
	uint8_t entry[E820_ENTRY_SIZE];
	const struct mem_range *m;
	uint64_t len;
	uint32_t type;

	if ((uint32_t)r->rdx != BIOS_E820_SMAP || (uint32_t)r->rcx < E820_ENTRY_SIZE ||
	    idx >= cfg.map->n)
		return false;
	m = &cfg.map->r[idx];
	len = m->end - m->base;
	type = bios_e820_type(m->type);
	memcpy(entry, &m->base, 8);
	memcpy(entry + 8, &len, 8);
	memcpy(entry + 16, &type, 4);
	if (copy_to_guest(&real_mode, linear(rm->es, (uint16_t)r->rdi), entry, sizeof(entry))) {
		log_warn("fwboot e820 buffer es:di=%04x:%04x refused (a protected range): "
			 "answered with CF set", rm->es, (unsigned)(uint16_t)r->rdi);
		return false;
	}
	r->rax = BIOS_E820_SMAP;
	r->rcx = E820_ENTRY_SIZE;
	r->rbx = idx + 1 < cfg.map->n ? idx + 1 : 0;
	if (r->rbx == 0 && ++e820_walks <= 8)
		log_info("fwboot e820 answered entries=%u walk=%u (the hypervisor region "
			 "reserved)", cfg.map->n, e820_walks);
	return true;
}

static void e801(struct vcpu_regs *r)
{
	paddr_t end = contiguous_from_1m();
	uint64_t low = end > MiB(16) ? MiB(16) : end, high = 0;

	if (end > MiB(16))
		high = MIN((end - MiB(16)) / KiB(64), 0xffffULL);
	low = end ? (low - MiB(1)) / KiB(1) : 0;
	set_ax(r, (uint16_t)low);
	r->rcx = (r->rcx & ~0xffffULL) | low;
	r->rbx = (r->rbx & ~0xffffULL) | high;
	r->rdx = (r->rdx & ~0xffffULL) | high;
}

static void ext_mem_88(struct vcpu_regs *r)
{
	paddr_t end = contiguous_from_1m();

	set_ax(r, (uint16_t)(end ? MIN((end - MiB(1)) / KiB(1), 0xffffULL) : 0));
}

static enum realmode_verdict int15(struct vcpu_regs *r, struct vcpu_realmode *rm)
{
	uint16_t ax = (uint16_t)r->rax;
	bool ok = true;

	if ((uint32_t)r->rax == 0xe820) {
		ok = e820(r, rm);
		if (!ok)
			r->rax = (r->rax & ~0xff00ULL) | 0x8600;	/* AH=86h: unsupported */
	} else if (ax == 0xe801) {
		e801(r);
	} else if ((ax >> 8) == 0x88) {
		ext_mem_88(r);
	} else {
		/* Not a memory-size call: the firmware's handler, as if the
		 * vector still pointed at it (its IRET returns to the caller). */
		rm->cs = cfg.old15_seg;
		rm->ip = cfg.old15_off;
		return REALMODE_DONE;
	}
	if (set_carry(rm, !ok)) {
		log_error("fwboot int 15h: the stack at ss:sp=%04x:%04x cannot be written", rm->ss,
			  rm->sp);
		return REALMODE_STOP;
	}
	return REALMODE_DONE;	/* on to the stub's IRET */
}

static enum realmode_verdict boot_failed(const struct vcpu_regs *r)
{
	if ((uint16_t)r->rbx == 1)
		log_error("fwboot: drive 0x%02x is not bootable: sector 0 has no boot signature "
			  "(0x55aa at offset 510)", cfg.boot_drive);
	else
		log_error("fwboot: the firmware could not read sector 0 of drive 0x%02x "
			  "(int 13h status=0x%02x after 3 tries)", cfg.boot_drive,
			  (unsigned)((r->rax >> 8) & 0xff));
	return REALMODE_STOP;
}

enum realmode_verdict bios_hook_call(struct vcpu_regs *r, struct vcpu_realmode *rm)
{
	if (!ready || rm->cs != cfg.stub_seg)
		return REALMODE_NOT_OURS;
	if (rm->ip == cfg.int15_ip)
		return int15(r, rm);
	if (rm->ip == cfg.fail_ip)
		return boot_failed(r);
	return REALMODE_NOT_OURS;
}
