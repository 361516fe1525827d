/* String port I/O to trapped ports (see io_string.h). */
#include "lib/error.h"
#include "vmm/io_string.h"
#include "vmm/io_trap.h"

int io_string_decode(const uint8_t *b, size_t n, enum x86_mode mode, struct io_string *s,
		     const char **why)
{
	bool p66 = false, p67 = false;
	int seg = -1;
	size_t i = 0;

	*why = NULL;
	*s = (struct io_string){ 0 };
	if (n > X86_MAX_INSN_LEN)
		n = X86_MAX_INSN_LEN;
	for (; i < n; i++) {
		switch (b[i]) {
		case 0x66: p66 = true; continue;
		case 0x67: p67 = true; continue;
		case 0xf2: case 0xf3: s->rep = true; continue;
		case 0x26: seg = X86_SEG_ES; continue;
		case 0x2e: seg = X86_SEG_CS; continue;
		case 0x36: seg = X86_SEG_SS; continue;
		case 0x3e: seg = X86_SEG_DS; continue;
		case 0x64: seg = X86_SEG_FS; continue;
		case 0x65: seg = X86_SEG_GS; continue;
		case 0xf0:
			*why = "LOCK prefix on string I/O (#UD on a CPU)";
			return E_UNSUPPORTED;
		default:
			break;
		}
		break;
	}
	/* REX only counts right before the opcode; for INS/OUTS it changes nothing. */
	if (mode == X86_MODE_64 && i < n && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n) {
		*why = "the instruction is truncated";
		return E_RANGE;
	}
	if (b[i] < 0x6c || b[i] > 0x6f) {
		*why = "not INS or OUTS";
		return E_INVAL;
	}
	s->in = b[i] <= 0x6d;
	/* Operand and address sizes: the code segment's, 66 and 67 give the
	 * other one (SDM vol. 1 3.6, Table 3-4; 64-bit code: 67 gives 32). */
	if (mode == X86_MODE_16) {
		s->size = (b[i] & 1) ? (p66 ? 4 : 2) : 1;
		s->addr_size = p67 ? 4 : 2;
	} else {
		s->size = (b[i] & 1) ? (p66 ? 2 : 4) : 1;
		s->addr_size = mode == X86_MODE_64 ? (p67 ? 4 : 8) : (p67 ? 2 : 4);
	}
	if (s->in)
		s->seg = X86_SEG_ES;	/* not overridable */
	else if (seg >= 0 && (mode != X86_MODE_64 || seg == X86_SEG_FS || seg == X86_SEG_GS))
		s->seg = (enum x86_seg)seg;
	else
		s->seg = X86_SEG_DS;
	s->len = (uint8_t)(i + 1);
	return 0;
}

static uint64_t amask(uint8_t addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* A register used as an address or count of addr_size bytes, after it was
 * changed to v: 32-bit results zero-extend (SDM 1 3.4.1.1), 16-bit ones
 * keep the upper bits. */
static uint64_t put(uint64_t old, uint64_t v, uint8_t addr_size)
{
	if (addr_size == 2)
		return (old & ~0xffffULL) | (v & 0xffff);
	return v & amask(addr_size);
}

/* The element's linear address; outside 64-bit mode it wraps at 4 GiB. */
static uint64_t linear(enum x86_mode mode, const struct io_string *s, uint64_t base,
		       uint64_t off)
{
	if (mode == X86_MODE_64)
		return (s->seg == X86_SEG_FS || s->seg == X86_SEG_GS ? base : 0) + off;
	return (base + off) & 0xffffffffULL;
}

int io_string_run(const struct io_string *s, uint16_t port, enum x86_mode mode,
		  struct vcpu_regs *r, const struct guest_paging *pg, uint64_t seg_base, bool df,
		  bool *done, uint64_t *fault_lin)
{
	uint64_t m = amask(s->addr_size);
	uint64_t count = s->rep ? (r->rcx & m) : 1;
	uint64_t budget = IO_STRING_MAX_BYTES / s->size;

	*done = false;
	while (count && budget--) {
		uint64_t *idx = s->in ? &r->rdi : &r->rsi;
		uint64_t lin = linear(mode, s, seg_base, *idx & m);
		uint32_t v = 0;
		paddr_t pa;

		if (s->in) {
			/* Both ends writable before the port is read: a read has
			 * side effects (the next data word) that cannot be undone. */
			if (guest_virt_to_phys(pg, lin, true, &pa) ||
			    guest_virt_to_phys(pg, lin + s->size - 1, true, &pa)) {
				*fault_lin = lin;
				return E_FAULT;
			}
			v = io_trap_in(port, s->size);
			if (copy_to_guest(pg, lin, &v, s->size)) {
				*fault_lin = lin;
				return E_FAULT;
			}
		} else {
			if (copy_from_guest(pg, &v, lin, s->size)) {
				*fault_lin = lin;
				return E_FAULT;
			}
			io_trap_out(port, s->size, v);
		}
		*idx = put(*idx, df ? *idx - s->size : *idx + s->size, s->addr_size);
		count--;
		if (s->rep)
			r->rcx = put(r->rcx, count, s->addr_size);
	}
	*done = count == 0;
	return 0;
}
