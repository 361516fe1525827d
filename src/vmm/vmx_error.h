/* Intel VT-x failures as text for the log: VM-instruction error numbers
 * (SDM vol. 3C, 31.4 "VM instruction error numbers", table 31-1) and basic
 * VM-exit reasons (appendix C, table C-1), including the VM-entry failures
 * that arrive as exits (reason bit 31 set: 33 invalid guest state, 34 MSR
 * loading, 41 machine-check event). */
#ifndef SHOJI_VMM_VMX_ERROR_H
#define SHOJI_VMM_VMX_ERROR_H

#include "lib/types.h"

/* "VM entry with invalid control field(s)" for 7; "unknown" outside the
 * table (numbers 14, 21 and 27 are unused). */
const char *vmx_insn_error_str(uint32_t number);

/* The basic exit reason (bits 15:0 of the exit-reason field). */
const char *vmx_exit_reason_str(uint32_t reason);

/* Bit 31 of the exit-reason field: the VM entry failed (SDM 28.8). */
#define VMX_EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Exit qualification of an entry failure for invalid guest state (28.8):
 * 0 none, 2 PDPTE loading, 3 NMI injection, 4 invalid VMCS link pointer. */
const char *vmx_entry_failure_qual_str(uint64_t qual);

#endif
