/* The BIOS services shoji answers for a guest booted through the firmware
 * (guest=disk, docs/firmware-boot.md): the memory-size calls of INT 15h, so
 * that the memory map the installed OS and its boot loader get from the
 * firmware shows the hypervisor region (and shoji's real-mode stub) as
 * reserved. Every other INT 15h function goes on to the firmware's own
 * handler.
 *
 * How the call gets here: core/guest.c puts a real-mode stub below the EBDA
 * (arch/x86/fwboot_stub.S) and points vector 0x15 of the guest's interrupt
 * vector table at its entry, `vmmcall; iret`. The back-end hands a VMMCALL
 * made in real mode to bios_hook_call (vcpu.h, realmode_call_handler), which
 * recognises the hook by CS:IP. Answers follow Ralf Brown's Interrupt List
 * and the ACPI specification (6.5, 15.1 "INT 15H, E820H"):
 *   E820h (EDX='SMAP', EBX=continuation, ES:DI=buffer, ECX>=20): one 20-byte
 *         range per call from the guest's map, EAX='SMAP', ECX=20, EBX=next
 *         (0 after the last), CF clear; bad arguments: CF set, AH=86h;
 *   E801h: AX=CX=KiB of RAM between 1 MiB and 16 MiB, BX=DX=64 KiB blocks
 *         from 16 MiB up to the first range that is not usable RAM;
 *   88h:   AX=KiB of contiguous RAM from 1 MiB (at most 0xFFFF).
 * CF is returned in the FLAGS image the INT pushed (SS:SP+4), which the
 * stub's IRET restores. Buffers and the stack are written through
 * vmm/guest_mem.h (paging off), so the guest cannot make shoji write into a
 * protected range.
 *
 * Why the guest cannot undo this in a way that matters: it owns its vector
 * table and memory, so it may unhook INT 15h or overwrite the stub and then
 * get the firmware's map, with shoji's region as RAM. That only misleads
 * the guest: the nested page tables and the IOMMU derive from the
 * protected-range registry, not from what the guest believes, so the
 * region stays unmapped (reads see zeros, writes are sunk) and undmaable. */
#ifndef SHOJI_VMM_BIOS_HOOK_H
#define SHOJI_VMM_BIOS_HOOK_H

#include "lib/types.h"
#include "platform/memmap.h"
#include "vmm/vcpu.h"

struct bios_hook_config {
	uint16_t stub_seg;			/* CS of the stub */
	uint16_t int15_ip;			/* IP after the INT 15h entry's VMMCALL */
	uint16_t fail_ip;			/* IP after the boot-failure VMMCALL */
	uint16_t old15_seg, old15_off;		/* the firmware's INT 15h vector */
	uint8_t boot_drive;			/* for the failure message */
	const struct memmap *map;		/* what the guest may be told: the
						 * hypervisor region and the stub are
						 * not MEM_USABLE in it */
};

void bios_hook_init(const struct bios_hook_config *c);

/* The realmode_call_handler (vcpu.h): REALMODE_NOT_OURS for a VMMCALL that
 * is not at one of the stub's hooks; REALMODE_DONE after an answer (cs:ip
 * at the stub's IRET) or a hand-over to the firmware's vector (cs:ip set to
 * it, the stack as the INT left it); REALMODE_STOP when the stub could not
 * load a boot sector (logged: the drive, INT 13h's status or the missing
 * 0x55AA signature) or the INT's FLAGS image cannot be written. */
enum realmode_verdict bios_hook_call(struct vcpu_regs *r, struct vcpu_realmode *rm);

/* E820 type of a map range as the guest is told it (shoji's own region:
 * reserved). */
uint32_t bios_e820_type(enum mem_type t);

#define BIOS_E820_SMAP 0x534d4150u	/* 'SMAP' */

#endif
