/* VT-d fault decoding (see vtd_fault.h). */
#include "iommu/vtd_fault.h"
#include "iommu/vtd_regs.h"
#include "lib/log.h"
#include "lib/string.h"

void vtd_fault_decode(uint64_t lo, uint64_t hi, struct iommu_fault *f)
{
	f->sid = (uint16_t)VTD_FRCD_HI_SID(hi);
	f->reason = (uint8_t)VTD_FRCD_HI_FR(hi);
	f->is_read = (hi & VTD_FRCD_HI_T) != 0;
	f->addr = VTD_FRCD_LO_FI(lo);
	f->why = vtd_fault_reason_str(f->reason);
	f->backend = "vtd";
}

/* VT-d spec Appendix A "Non-Recoverable Fault Reason Encodings" (legacy
 * mode, and interrupt remapping). */
const char *vtd_fault_reason_str(uint8_t reason)
{
	switch (reason) {
	case 0x0: return "reserved (advanced fault logging)";
	case VTD_FR_ROOT_NOT_PRESENT: return "root entry not present";
	case VTD_FR_CTX_NOT_PRESENT: return "context entry not present";
	case VTD_FR_CTX_INVALID: return "invalid context entry";
	case VTD_FR_BEYOND_AGAW: return "address beyond the guest address width";
	case VTD_FR_WRITE: return "PTE write access not set";
	case VTD_FR_READ: return "PTE read access not set";
	case VTD_FR_PTE_ACCESS: return "paging entry not accessible";
	case VTD_FR_ROOT_ACCESS: return "root table not accessible";
	case VTD_FR_CTX_ACCESS: return "context table not accessible";
	case VTD_FR_ROOT_RSVD: return "reserved bits set in root entry";
	case VTD_FR_CTX_RSVD: return "reserved bits set in context entry";
	case VTD_FR_PTE_RSVD: return "reserved bits set in paging entry";
	case VTD_FR_TT_BLOCKED: return "translation type blocked by context entry";
	case 0x20: return "interrupt request with reserved fields set";
	case 0x21: return "interrupt index beyond the remapping table";
	case 0x22: return "interrupt remapping entry not present";
	case 0x23: return "interrupt remapping table not accessible";
	case 0x24: return "reserved bits set in interrupt remapping entry";
	case 0x25: return "compatibility-format interrupt blocked";
	case 0x26: return "interrupt request from an unauthorized source";
	default: return "unknown reason";
	}
}

/* 11.4.14: for an interrupt request the fault information field holds
 * the interrupt index in bits 63:48 (bits 47:12 reserved). */
#define VTD_FR_IR_FIRST 0x20

void vtd_fault_log(unsigned unit, const struct iommu_fault *f)
{
	if (f->reason >= VTD_FR_IR_FIRST) {
		log_warn("vtd fault unit=%u sid=%02x:%02x.%x irq_index=%u type=interrupt "
			 "reason=0x%02x (%s)", unit, f->sid >> 8, (f->sid >> 3) & 0x1f, f->sid & 7,
			 (unsigned)(f->addr >> 48), f->reason, vtd_fault_reason_str(f->reason));
		return;
	}
	log_warn("vtd fault unit=%u sid=%02x:%02x.%x addr=0x%llx type=%s reason=0x%02x (%s)",
		 unit, f->sid >> 8, (f->sid >> 3) & 0x1f, f->sid & 7,
		 (unsigned long long)f->addr, f->is_read ? "read" : "write", f->reason, f->why);
}
