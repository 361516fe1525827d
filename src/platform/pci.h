/* PCI enumeration, the device list, and small helpers (portable).
 *
 * Config-space access is in platform/pci_cfg.h (included here): register
 * ECAM ranges with pci_add_ecam() before pci_enumerate(); buses no range
 * covers are reached through CF8/CFC (segment 0 only).
 *
 * Enumeration (pci_enumerate):
 *  - Segments: every segment with an ECAM range, starting at the lowest
 *    registered start bus (normally 0); segment 0 from bus 0 also when it
 *    has no ECAM range (CF8).
 *  - Depth-first: a PCI-to-PCI bridge (header type 1) found on a bus is
 *    followed to its secondary bus at once, using the secondary/subordinate
 *    numbers firmware programmed (shoji never renumbers buses). A bridge is
 *    not followed, with a warning, when its secondary bus is 0, <= the bus
 *    it sits on, already visited, outside the range of the bridge above it,
 *    or above its own subordinate bus: that is what stops firmware loops.
 *  - Then peer root buses: every bus of the segment's ECAM range (all 256
 *    buses for CF8) not visited yet is probed (function 0 of each device);
 *    a bus with a device on it is scanned as another root (host bridges
 *    with their own root bus, which only ACPI would otherwise tell).
 *  - A device's function 0 absent (vendor 0xffff, or 0x0000) = no device.
 *    Functions 1-7 are probed only when function 0's header type has bit 7
 *    (multi-function).
 *  - BARs are sized (PCI Local Bus Spec 3.0, 6.2.5.1): memory and I/O decode
 *    are turned off in the command register while sizing (not for host
 *    bridges, class 06/00, which may stop forwarding memory cycles), each BAR
 *    is written all-ones, read back and restored, then the command register
 *    is restored. 64-bit BARs take two slots. A BAR reading back 0 is
 *    unimplemented. A BAR whose read-back is inconsistent (type bits change,
 *    non-contiguous size mask, reserved type, 64-bit BAR in the last slot)
 *    keeps its address but no size (PCI_BAR_F_BAD, warned). The expansion
 *    ROM BAR is sized the same way (all-ones with its enable bit clear).
 *  - Capabilities (PCI 3.0, 6.7; status bit 4, pointer at 0x34, 0x14 for
 *    CardBus): the pointer's reserved low two bits are masked off as the
 *    spec requires; a pointer < 0x40 ends the list; a revisited pointer
 *    ends it with a warning; at most 48 entries are followed.
 *  - Extended capabilities (PCIe Base Spec 7.6): only through ECAM and only
 *    for functions with a PCI Express capability (0x10), from 0x100; the
 *    chain ends at a zero header, a next pointer < 0x100, or (warning) a
 *    revisited offset; functions that alias 0x100 to 0x000 have none.
 *
 * Limits (a warning is logged when one truncates): PCI_MAX_DEVICES devices
 * (scanning goes on, extra functions are counted but not recorded),
 * PCI_MAX_CAPS capabilities and PCI_MAX_EXT_CAPS extended capabilities per
 * function.
 *
 * Not thread-safe: enumerate once, on the boot CPU; the list is read-only
 * afterwards. */
#ifndef SHOJI_PLATFORM_PCI_H
#define SHOJI_PLATFORM_PCI_H

#include "lib/types.h"
#include "platform/pci_cfg.h"

#define PCI_MAX_DEVICES 256
#define PCI_MAX_CAPS 16
#define PCI_MAX_EXT_CAPS 16
#define PCI_MAX_BARS 6		/* type 0: 6, type 1: 2, type 2: 1 */

/* Config header registers used here (PCI Local Bus Spec 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define  PCI_COMMAND_IO 0x0001
#define  PCI_COMMAND_MEMORY 0x0002
#define  PCI_COMMAND_MASTER 0x0004
#define PCI_STATUS 0x06
#define  PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION 0x08		/* then prog-if 0x09, subclass 0x0a, class 0x0b */
#define PCI_HEADER_TYPE 0x0e
#define  PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR0 0x10
#define PCI_ROM 0x30			/* expansion ROM BAR, type 0 */
#define PCI_CAP_PTR 0x34
#define PCI_CB_CAP_PTR 0x14		/* CardBus (header type 2) */
/* Type 1 (PCI-to-PCI bridge) header, PCI-to-PCI Bridge Arch. Spec 1.2, 3.2. */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_IO_BASE 0x1c		/* then I/O limit 0x1d; upper halves 0x30/0x32 */
#define PCI_MEM_BASE 0x20		/* then memory limit 0x22 */
#define PCI_PREF_BASE 0x24		/* then limit 0x26; upper 32 bits 0x28/0x2c */
#define PCI_PREF_BASE_UPPER 0x28
#define PCI_PREF_LIMIT_UPPER 0x2c
#define PCI_IO_BASE_UPPER 0x30
#define PCI_ROM_BRIDGE 0x38		/* expansion ROM BAR, type 1 */

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_EXT_CAP_START 0x100

enum pci_bar_type {
	PCI_BAR_NONE = 0,	/* unimplemented, or upper half of a 64-bit BAR */
	PCI_BAR_IO,
	PCI_BAR_MEM32,		/* includes the PCI 2.x "below 1 MiB" type */
	PCI_BAR_MEM64,
};

#define PCI_BAR_F_PREFETCH 0x01	/* prefetchable memory */
#define PCI_BAR_F_BAD 0x02	/* inconsistent read-back: size unknown (0) */

struct pci_bar {
	uint8_t type;		/* enum pci_bar_type */
	uint8_t flags;		/* PCI_BAR_F_* */
	uint64_t addr;		/* as programmed (type bits masked off) */
	uint64_t size;		/* bytes; 0 when unknown */
};

struct pci_cap {
	uint8_t id;
	uint8_t offset;
};

struct pci_ext_cap {
	uint16_t id;
	uint8_t version;
	uint16_t offset;
};

struct pci_device {
	struct pci_bdf bdf;
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;	/* class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	uint8_t header_type;	/* layout (bits 6:0): 0 device, 1 bridge, 2 CardBus */
	bool multifunction;	/* header type bit 7 (of this function) */
	/* Bridges (header type 1): bus numbers as firmware programmed them. */
	uint8_t primary;
	uint8_t secondary;
	uint8_t subordinate;
	/* bars[i] describes BAR register i (offset 0x10 + 4 * i); a 64-bit BAR
	 * is in its first slot and the next slot is PCI_BAR_NONE. */
	uint8_t nr_bars;	/* BAR registers in this header type */
	struct pci_bar bars[PCI_MAX_BARS];
	/* Expansion ROM BAR (0x30; 0x38 in a bridge): bytes it decodes when
	 * enabled, 0 when there is none (sized like the BARs, PCI 3.0 6.2.5.2). */
	uint64_t rom_size;
	uint8_t nr_caps;
	struct pci_cap caps[PCI_MAX_CAPS];
	uint8_t nr_ext_caps;
	struct pci_ext_cap ext_caps[PCI_MAX_EXT_CAPS];
};

/* Clears the device list and enumerates every bus (see above). Returns
 * the number of devices recorded (functions, really), or a negative error. */
int pci_enumerate(void);

/* The device list, in discovery (depth-first) order. */
size_t pci_device_count(void);
/* The highest bus number of `segment` that enumeration found: a device's
 * bus or a bridge's subordinate bus; 0 when none. */
uint8_t pci_last_bus(uint16_t segment);
const struct pci_device *pci_device_at(size_t i);	/* NULL if i >= count */
/* Iteration: for (d = pci_first(); d; d = pci_next(d)) ... */
const struct pci_device *pci_first(void);
const struct pci_device *pci_next(const struct pci_device *d);
/* Lookup by address; NULL if not in the list. */
const struct pci_device *pci_find(struct pci_bdf a);
/* Functions seen by the last enumeration that did not fit in the list. */
size_t pci_devices_dropped(void);

/* Config offset of the first capability with this id, 0 if none. */
uint8_t pci_find_cap(const struct pci_device *d, uint8_t id);
/* Config offset of the first extended capability with this id, 0 if none. */
uint16_t pci_find_ext_cap(const struct pci_device *d, uint16_t id);

/* Reads the secondary bus number of the PCI-to-PCI bridge at a, live from
 * config space (not from the list; the DMAR parser resolves device-scope
 * paths with it, possibly before enumeration). 0 on success; E_NOENT if
 * no function answers at a; E_INVAL if it is not a type 1 header (or a is
 * malformed); other pci_cfg errors. */
int pci_bridge_secondary_bus(struct pci_bdf a, uint8_t *secondary);

/* Clears Bus Master Enable (command bit 2) of the function at a, so it can
 * issue no more DMA or MSI (the VT-d fault handler uses it on a device that
 * keeps faulting). 16-bit access: the status register is not touched.
 * 0 on success; E_NOENT if nothing answers at a; pci_cfg errors. */
int pci_disable_bus_master(struct pci_bdf a);

/* Logs the device list for the boot report, key=value style:
 *   pci 00:02.0 vendor=1234 device=11e8 class=00ff00 rev=10 type=0 caps=05,10 ecaps=0001
 *   pci 00:02.0 bar0 mem32 addr=0xfea00000 size=0x100000
 *   pci 00:03.0 bar2 mem64 addr=0x800000000 size=0x4000 prefetchable
 *   pci 00:1e.0 bridge primary=0 secondary=1 subordinate=1
 *   pci devices=N config=ecam        (or config=cf8)
 * BDF is %02x:%02x.%x, prefixed by "%04x:" when the segment is not 0; all
 * numbers are hex (bus numbers too, like in the BDF). caps= (PCI capability
 * ids, in list order) and ecaps= (extended ids) are left out when empty.
 * Type words are io, mem32, mem64; a BAR of unknown size has size=unknown;
 * unimplemented BARs are not listed. */
void pci_log_devices(void);

#endif
