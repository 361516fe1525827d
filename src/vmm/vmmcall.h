/* The VMMCALL interface: a guest program asks shoji about itself.
 *
 * ABI (documented for guest authors in docs/vmmcall.md):
 *   in:  RAX = VMMCALL_MAGIC | function, RBX = buffer (guest virtual
 *        address, in the caller's address space), RCX = buffer size
 *   out: RAX = 0 on success or a negative VMMCALL_E* code,
 *        RBX = bytes written (or needed, with VMMCALL_ETOOSMALL)
 * Functions:
 *   VERSION    RBX = version (major << 16 | minor << 8 | patch),
 *              RCX = 0x4a4f4853 ("SHOJ"); no buffer
 *   STATUS     text: key=value lines about the protection in force
 *   FAULTS     text: one line per recent IOMMU fault (newest last)
 *   SELFCHECK  RBX = FNV-1a 64 checksum of shoji's code and read-only
 *              data, RCX = bytes covered; no buffer
 * Text is NUL-terminated ASCII. Callable from any privilege level: it only
 * reads shoji's state and writes the caller's own buffer (checked against
 * the caller's page tables: a user program cannot make shoji write kernel
 * memory). */
#ifndef SHOJI_VMM_VMMCALL_H
#define SHOJI_VMM_VMMCALL_H

#include "vmm/guest_mem.h"
#include "vmm/vcpu.h"

#define VMMCALL_MAGIC 0x53480000u	/* "SH" */
#define VMMCALL_VERSION 0x0
#define VMMCALL_STATUS 0x1
#define VMMCALL_FAULTS 0x2
#define VMMCALL_SELFCHECK 0x3

#define VMMCALL_EINVAL (-1)	/* unknown function or magic */
#define VMMCALL_EFAULT (-2)	/* buffer not writable by the caller */
#define VMMCALL_ETOOSMALL (-3)	/* RBX says how much is needed */

void vmmcall_dispatch(struct vcpu_regs *r, const struct guest_paging *pg);

#endif
