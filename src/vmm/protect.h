/* The protected-range registry: the ONE place that says what the guest may
 * not reach. Every range the guest must be kept from (the hypervisor region,
 * each IOMMU unit's registers however many there are, the PCI ECAM window,
 * emulated devices such as the local APIC page or the intercepted disk's
 * registers, anything added later) is registered here once, with what it
 * forbids. The mechanisms that enforce it are all derived from this list:
 *
 *   PROTECT_CPU_*   the nested page tables (NPT; EPT later): the range is a
 *                   hole (stand-in pages, never executable) or, when it has
 *                   an emulator (mmio != NULL), the accesses it forbids trap
 *                   to that emulator (the others reach the device);
 *                   and the guest-memory accessors (vmm/guest_mem.h) that
 *                   the instruction emulator and VMMCALL use: they refuse
 *                   the range whatever the guest's paging mode.
 *   PROTECT_DMA     every IOMMU domain's holes (iommu/domain.h): no device
 *                   reaches it, by any path (peer to peer included).
 *   PROTECT_BAR     the PCI guard (vmm/pci_guard.h): no BAR, expansion ROM
 *                   or bridge window may decode over it, except the one BAR
 *                   that owns it (owner_bar, pinned where it is).
 *
 * Registration happens during bring-up, before the consumers are built;
 * a full registry is an error the caller must stop on (fail closed), never
 * a silent cap. The registry is written only on the boot CPU before the
 * guest runs, and read-only afterwards (no lock needed). Portable code,
 * host unit tests in tests/unit/test_protect.c. */
#ifndef SHOJI_VMM_PROTECT_H
#define SHOJI_VMM_PROTECT_H

#include "lib/types.h"
#include "platform/pci_cfg.h"

#define PROTECT_MAX_RANGES 32

enum protect_forbids {
	PROTECT_CPU_READ = 1u << 0,
	PROTECT_CPU_WRITE = 1u << 1,
	PROTECT_CPU_EXEC = 1u << 2,
	PROTECT_DMA = 1u << 3,
	PROTECT_BAR = 1u << 4,
	PROTECT_CPU = PROTECT_CPU_READ | PROTECT_CPU_WRITE | PROTECT_CPU_EXEC,
	PROTECT_ALL = PROTECT_CPU | PROTECT_DMA | PROTECT_BAR,
};

/* The address space a range lives in: memory, or x86 I/O ports (the PCI
 * guard consults I/O ranges: I/O BARs and bridge I/O windows; and an I/O
 * range with an emulator is trapped port by port: vmm/io_trap.h). */
enum protect_space { PROTECT_SPACE_MEM, PROTECT_SPACE_IO };

struct mmio_ops;
struct io_ops;

struct protected_range {
	paddr_t start, end;		/* [start, end); memory ranges 4 KiB aligned */
	enum protect_space space;
	unsigned forbids;		/* enum protect_forbids */
	const char *what;		/* for the log: "hypervisor-region", ... */
	/* CPU accesses trap to this emulator instead of stand-in pages. */
	const struct mmio_ops *mmio;
	/* I/O space: every guest access to these ports traps to this emulator
	 * (vmm/io_trap.h builds the back-end's I/O intercepts from it). */
	const struct io_ops *io;
	void *ctx;
	/* The BAR that decodes this range (an emulated device's registers):
	 * it may stay where it is (and be sized); every other BAR, ROM or
	 * window is kept off the range. owner_bar < 0: none. */
	struct pci_bdf owner;
	int owner_bar;
	uint64_t owner_addr;	/* where that BAR is pinned (its address at registration) */
};

/* Forgets everything (boot and unit tests). */
void protect_reset(void);

/* Registers [start, end) in memory space. E_INVAL for an empty, unaligned
 * or nameless range or no flag; E_NOMEM when the registry is full (logged:
 * the caller stops). */
int protect_add(paddr_t start, paddr_t end, unsigned forbids, const char *what);

/* Registers a range in I/O port space (forbids must be PROTECT_BAR). */
int protect_add_io(uint16_t start, uint32_t end, const char *what);

/* Registers an emulated device's registers: the CPU accesses `forbids`
 * names trap to `mmio` (writes must: E_INVAL otherwise); reads not
 * forbidden reach the device through a read-only mapping. When
 * owner_bar >= 0, that BAR of `owner` (an enumerated memory BAR) is pinned
 * at the address it has now; the range may be any part of it (an MSI-X
 * table's pages). */
int protect_add_emulated(paddr_t start, paddr_t end, unsigned forbids, const char *what,
			 const struct mmio_ops *mmio, void *ctx, struct pci_bdf owner,
			 int owner_bar);

/* Registers emulated I/O ports [start, end): every guest IN/OUT (string
 * forms included) there traps to `io` (forbids PROTECT_CPU_READ|WRITE|BAR:
 * no BAR may decode over them). When owner_bar >= 0, that I/O BAR of
 * `owner` is pinned at its address now (a native-mode IDE channel, the
 * bus-master block). Refused once PROTECT_CPU is sealed: the back-end's
 * I/O intercepts are built from the registry. */
int protect_add_io_emulated(uint16_t start, uint32_t end, const char *what,
			    const struct io_ops *io, void *ctx, struct pci_bdf owner,
			    int owner_bar);

/* PCI functions the guest must not see at all (the AMD-Vi IOMMU's own
 * function, whose capability block holds its register base): the PCI
 * configuration ports read them as absent (all ones) and drop every
 * write (vmm/pci_ports.c). At most PROTECT_MAX_FUNCTIONS; E_NOMEM beyond
 * (logged: the caller stops), E_BUSY once sealed (PROTECT_CPU: the guest
 * is about to run). */
#define PROTECT_MAX_FUNCTIONS 8
int protect_add_pci_function(struct pci_bdf bdf, const char *what);
/* The name it was registered under, or NULL when the guest may see it. */
const char *protect_pci_function_hidden(struct pci_bdf bdf);
unsigned protect_pci_function_count(void);

/* Marks the consumers of `forbids` built (the IOMMU domains: PROTECT_DMA;
 * the nested page tables: PROTECT_CPU): a range registered later with any
 * of those flags (or an emulator, once PROTECT_CPU is sealed) is refused
 * with E_BUSY, logged, so no consumer can miss a range. */
void protect_seal(unsigned forbids);

unsigned protect_count(void);
const struct protected_range *protect_get(unsigned i);

/* The first range in `space` overlapping [start, end) that forbids any of
 * `forbids`, or NULL. */
const struct protected_range *protect_find(enum protect_space space, uint64_t start,
					   uint64_t end, unsigned forbids);

/* The range holding memory address a, whatever it forbids, or NULL. */
const struct protected_range *protect_at(paddr_t a);

/* "protect range=hypervisor-region 0x...-0x... forbids=cpu-rwx,dma,bar" per range. */
void protect_log(void);

#endif
