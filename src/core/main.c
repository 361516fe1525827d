/* Bring-up: from the boot loader's hand-off to the boot report.
 *
 * Order matters: the log first (so everything after can explain itself),
 * exceptions next (so a fault is readable), then the memory map and the
 * move into the hypervisor region (after which nothing of shoji lives in
 * memory the guest will own), then firmware tables and devices. */
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/serial.h"
#include "arch/x86/time.h"
#include "arch/x86/trap.h"
#include "boot/layout.h"
#include "core/disk.h"
#include "crypto/cpu.h"
#include "core/guest.h"
#include "core/power.h"
#include "core/selftest_dma.h"
#include "core/smp.h"
#include "core/status.h"
#include "arch/x86/stop.h"
#include "iommu/iommu.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/prof.h"
#include "platform/acpi.h"
#include "platform/acpi_power.h"
#include "platform/bootinfo.h"
#include "platform/memmap.h"
#include "platform/options.h"
#include "platform/palloc.h"
#include "platform/pci.h"
#include "vmm/chipset_guard.h"
#include "vmm/ecam_guard.h"
#include "vmm/protect.h"

#define SHOJI_VERSION "0.1.0"
#define HV_REGION_ALIGN MiB(2)
#define HV_REGION_LIMIT GiB(4)	/* the region lies below 4 GiB */

/* All of this is copied out of loader memory before shoji moves. */
static struct boot_info boot;
static struct shoji_options opts;
static struct acpi_madt madt;
static struct acpi_mcfg mcfg;
static struct acpi_power power;
static paddr_t hv_base;
static struct shoji_status status;

const struct shoji_status *shoji_status(void)
{
	return &status;
}

static uint64_t tsc_entry, tsc_last;

void boot_phase(const char *what)
{
	uint64_t now = rdtsc(), khz = time_tsc_khz();

	log_info("boot phase=%s ms=%llu.%03llu at_ms=%llu.%03llu", what,
		 (unsigned long long)((now - tsc_last) / khz),
		 (unsigned long long)((now - tsc_last) % khz * 1000 / khz),
		 (unsigned long long)((now - tsc_entry) / khz),
		 (unsigned long long)((now - tsc_entry) % khz * 1000 / khz));
	tsc_last = now;
}

void boot_main(uint32_t magic, uint32_t info_pa);

/* Command line first: it says where the log goes. Errors are kept and
 * reported once the log is up. */
static void setup_log_and_options(uint32_t magic, uint32_t info_pa)
{
	struct cmdline_errors errs;
	int berr, nerr;

	serial_init(0x3f8);	/* the default, until the options say otherwise */
	berr = bootinfo_parse(magic, info_pa, &boot);
	nerr = options_parse(berr ? "" : boot.cmdline, &opts, &errs);
	if (!nerr && opts.serial_port != 0x3f8)
		serial_init(opts.serial_port);
	stop_set_exit(nerr ? EXIT_HALT : opts.exit_mode);
	log_debug_enabled = !nerr && opts.log_debug;

	log_info("shoji %s starting (multiboot%d, loader=%s)", SHOJI_VERSION, boot.protocol,
		 boot.loader[0] ? boot.loader : "unknown");
	power_token_init();
	if (berr)
		panic("cannot read the boot loader's information; stopping");
	log_info("cmdline \"%s\"", boot.cmdline);
	if (nerr) {
		cmdline_log_errors(&errs);
		log_error("stopping: fix the command line (the option 'help' lists every option)");
		/* The exit mode may be among the bad options: honour a clear
		 * "exit=qemu" or "exit=bochs" anyway so automated runs end. */
		stop_set_exit(opts.exit_mode);
		shoji_stop(STOP_FAILURE);
	}
	if (opts.help) {
		options_log_help();
		shoji_stop(STOP_OK);
	}
	options_log(&opts);
}

/* A registration that failed (full registry, bad range: logged by protect.c)
 * stops the boot: a range that is not protected must not be trusted to be. */
static void protect_or_stop(int rc)
{
	if (rc) {
		log_error("stopping: a protected range could not be registered (%s)", err_str(rc));
		shoji_stop(STOP_FAILURE);
	}
}

/* The hypervisor region: top of usable RAM below 4 GiB, clear of the
 * loaded image, the boot modules and the loader's information. */
static void reserve_region(void)
{
	struct mem_range excl[BOOT_MODULES_MAX + 2];
	unsigned n = 0;
	int rc;

	excl[n++] = (struct mem_range){ LOAD_PA, LOAD_PA + image_size(), MEM_RESERVED };
	excl[n++] = (struct mem_range){ boot.info_base, boot.info_end, MEM_RESERVED };
	for (unsigned i = 0; i < boot.n_modules; i++)
		excl[n++] = (struct mem_range){ boot.modules[i].start, boot.modules[i].end,
						MEM_RESERVED };
	rc = memmap_find_top(&boot.mem, opts.hv_mem, HV_REGION_ALIGN, HV_REGION_LIMIT,
			     excl, n, &hv_base);
	if (rc) {
		memmap_log(&boot.mem);
		panic("hypervisor region: mem=%lluM does not fit in usable RAM below 4 GiB "
		      "(clear of the image and modules); choose a smaller mem=",
		      (unsigned long long)(opts.hv_mem >> 20));
	}
	memmap_set(&boot.mem, hv_base, hv_base + opts.hv_mem, MEM_HYPERVISOR);
	protect_or_stop(protect_add(hv_base, hv_base + opts.hv_mem, PROTECT_ALL,
				    "hypervisor-region"));

	rc = palloc_init(hv_base, opts.hv_mem);
	if (!rc)
		rc = palloc_reserve(hv_base, ALIGN_UP(image_size(), PAGE_SIZE));
	if (rc)
		panic("hypervisor region: page pool setup failed (%s)", err_str(rc));
	rc = paging_relocate(hv_base, opts.hv_mem, memmap_top(&boot.mem));
	if (rc)
		panic("cannot move into the hypervisor region (%s)", err_str(rc));
}

/* The ECAM windows, given to the guest (its MCFG stays) read-only: reads
 * go to the device without an exit, writes trap to vmm/ecam_guard.c and run
 * through the PCI guard like CF8/CFC writes; the pages of functions whose
 * reads shoji virtualises trap reads too. Never executable, no device DMA
 * (a peer-to-peer write there would rewrite config space past the guard),
 * no BAR over them. */
static void protect_ecam(void)
{
	ecam_guard_reset();
	for (unsigned i = 0; i < mcfg.count; i++) {
		const struct acpi_ecam *e = &mcfg.ecam[i];
		struct ecam_window *w = ecam_guard_add(e->segment, e->base, e->bus_start,
						       e->bus_end);

		if (!w)
			panic("ecam: window %u (base=0x%llx buses %u-%u) not usable", i,
			      (unsigned long long)e->base, e->bus_start, e->bus_end);
		protect_or_stop(protect_add_emulated(ecam_window_start(w), ecam_window_end(w),
						     PROTECT_CPU_WRITE | PROTECT_CPU_EXEC |
						     PROTECT_DMA | PROTECT_BAR, "pci-ecam",
						     &ecam_mmio_ops, w, PCI_BDF(0, 0, 0, 0), -1));
	}
}

/* The SMM handler's memory (ASEG), when nothing else decodes it outside
 * SMM: neither the guest's CPU nor any device may reach it. QEMU without a
 * VGA device shows SMRAM's RAM there to every non-SMM access, device DMA
 * included, so a passthrough device could otherwise rewrite the SMI handler.
 * Before the IOMMU domains are built (they derive their holes from it). */
static void protect_smram(void)
{
	if (chipset_hide_aseg())
		protect_or_stop(protect_add(ASEG_BASE, ASEG_END, PROTECT_CPU | PROTECT_DMA,
					    "smram-aseg"));
}

static void discover_platform(void)
{
	int rc = E_NOENT;

	if (boot.rsdp_len)
		rc = acpi_init_from_rsdp(boot.rsdp, boot.rsdp_len);
	if (rc)
		rc = acpi_init_bios_scan();
	if (rc) {
		log_warn("acpi: no usable ACPI tables (%s): no CPUs, IOAPICs, ECAM or DMAR known",
			 err_str(rc));
		return;
	}
	if (acpi_madt_parse(&madt))
		log_warn("acpi: no usable MADT");
	/* Resets and power-off: what the guest's writes mean, and how shoji
	 * performs them (core/power.c). */
	if (acpi_power_parse(&power))
		log_warn("acpi: no usable FADT: only the legacy reset paths are recognised");
	/* The port that ends the emulator with shoji's status (exit=qemu) or
	 * ends it at all (exit=bochs) is shoji's, not the guest's. */
	power_init(&power, opts.exit_mode == EXIT_QEMU ? QEMU_DEBUG_EXIT_PORT :
			   opts.exit_mode == EXIT_BOCHS ? BOCHS_SHUTDOWN_PORT : 0);
	if (acpi_mcfg_parse(&mcfg) == 0) {
		for (unsigned i = 0; i < mcfg.count; i++)
			pci_add_ecam(mcfg.ecam[i].segment, mcfg.ecam[i].base,
				     mcfg.ecam[i].bus_start, mcfg.ecam[i].bus_end);
		protect_ecam();
	} else {
		log_warn("acpi: no MCFG: PCI config space through CF8/CFC only");
	}
}

static void boot_report(void)
{
	const struct acpi_header *dmar = acpi_root_info() ? acpi_find_table("DMAR", 0) : NULL;

	log_info("---- boot report ----");
	memmap_log(&boot.mem);
	log_info("memory usable=%lluK hypervisor=%lluK",
		 (unsigned long long)(memmap_total(&boot.mem, MEM_USABLE) >> 10),
		 (unsigned long long)(memmap_total(&boot.mem, MEM_HYPERVISOR) >> 10));
	log_info("hvregion base=0x%llx end=0x%llx size=0x%llx image=0x%llx pool_free_pages=%llu",
		 (unsigned long long)hv_base, (unsigned long long)(hv_base + opts.hv_mem),
		 (unsigned long long)opts.hv_mem, (unsigned long long)image_size(),
		 (unsigned long long)palloc_free_pages());
	bootinfo_log(&boot);
	if (acpi_root_info()) {
		acpi_log_report(&madt, &mcfg);
		acpi_power_log(&power);
	}
	if (dmar)
		log_info("dmar present=yes addr=0x%llx len=%u", (unsigned long long)acpi_table_addr(dmar),
			 dmar->length);
	else
		log_info("dmar present=no");
	pci_log_devices();
	chipset_guard_report();
	log_info("---- end of boot report ----");
}

/* DMA protection, or a clear stop: shoji never goes on unprotected unless
 * told to with iommu=off. */
static void protect_memory(void)
{
	const struct acpi_header *dmar = acpi_root_info() ? acpi_find_table("DMAR", 0) : NULL;
	const struct acpi_header *ivrs = acpi_root_info() ? acpi_find_table("IVRS", 0) : NULL;
	struct iommu_config c = {
		.enabled = opts.iommu,
		.mem = &boot.mem,
		.hv_base = hv_base,
		.hv_end = hv_base + opts.hv_mem,
		.dmar = dmar,
		.dmar_len = dmar ? dmar->length : 0,
		.ivrs = ivrs,
		.ivrs_len = ivrs ? ivrs->length : 0,
	};

	if (iommu_init(&c)) {
		log_error("stopping: no DMA protection (the option iommu=off runs without it)");
		shoji_stop(STOP_FAILURE);
	}
	status.hv_base = hv_base;
	status.hv_end = hv_base + opts.hv_mem;
	status.iommu_units = iommu_unit_count();
	if (iommu_active()) {
		iommu_log_devices();
		domain_reach_str(domain_default(), status.reach, sizeof(status.reach));
	} else {
		shoji_snprintf(status.reach, sizeof(status.reach), "everything (iommu=off)");
	}
}

/* What the guest may not reach is in the registry by now (the region, the
 * IOMMU's registers, ECAM, the disk's registers); guest_launch adds the
 * local APIC page and derives the nested page tables from it. */
static void run_guest(void)
{
	struct guest_platform gp = { .bi = &boot, .hv_base = hv_base,
				     .hv_end = hv_base + opts.hv_mem, .madt = &madt,
				     .boot_disk = opts.guest == GUEST_DISK,
				     .boot_drive = opts.boot_drive };
	paddr_t power_pages[8];
	unsigned n_power_pages;

	if (opts.intercept != INTERCEPT_NONE) {
		if (disk_setup(&opts, &boot, madt.ncpus ? madt.ncpus : 1)) {
			log_error("stopping: the disk is not exposed to the guest (see above)");
			shoji_stop(STOP_FAILURE);
		}
		gp.on_exit = disk_poll;
	}
	/* The FADT's power registers in memory space (RESET_REG, PM1
	 * control and status): their pages are write-trapped and decided
	 * like the I/O ones (core/power.c). Reads trap too: after a refused
	 * sleep PM1_STS must read WAK_STS set, as in I/O space. */
	n_power_pages = power_mmio_pages(power_pages, ARRAY_SIZE(power_pages));
	if (n_power_pages > ARRAY_SIZE(power_pages)) {
		log_error("acpi power: %u pages of memory-space power registers, at most %zu "
			  "supported", n_power_pages, ARRAY_SIZE(power_pages));
		shoji_stop(STOP_FAILURE);
	}
	for (unsigned i = 0; i < n_power_pages; i++)
		protect_or_stop(protect_add_emulated(power_pages[i], power_pages[i] + PAGE_SIZE,
						     PROTECT_CPU_READ | PROTECT_CPU_WRITE |
						     PROTECT_CPU_EXEC, "acpi-power-regs", &power_mmio_ops, NULL,
						     PCI_BDF(0, 0, 0, 0), -1));
	guest_launch(&gp);
	log_error("stopping: the guest could not be started");
	shoji_stop(STOP_FAILURE);
}

static void run_selftest(void)
{
	switch (opts.selftest) {
	case SELFTEST_NONE:
		return;
	case SELFTEST_DMA:
		if (selftest_dma(&boot, hv_base, hv_base + opts.hv_mem, iommu_active()))
			shoji_stop(STOP_FAILURE);
		return;
	case SELFTEST_PAGEFAULT:
		log_info("selftest: page fault on purpose (write to an unmapped address)");
		*(volatile uint64_t *)0x00007fff00000000ULL = 0x5ce1f;
		break;
	case SELFTEST_INVALID_OPCODE:
		log_info("selftest: invalid opcode on purpose");
		__asm__ volatile("ud2");
		break;
	case SELFTEST_GP:
		log_info("selftest: general protection fault on purpose (non-canonical address)");
		*(volatile uint64_t *)0x8000000000000000ULL = 1;
		break;
	}
	panic("selftest: the deliberate fault did not happen");
}

void boot_main(uint32_t magic, uint32_t info_pa)
{
	tsc_entry = tsc_last = rdtsc();
	percpu_init(0, cpuid(1, 0).ebx >> 24);	/* the boot CPU is CPU 0 */
	idt_init();
	crypto_cpu_init();	/* SSE on, for AES-NI (its code saves the XMM registers it uses) */
	setup_log_and_options(magic, info_pa);
	time_init();
	boot_phase("log-time");	/* the log, the options, TSC calibration */
	reserve_region();
	boot_phase("region");	/* the region reserved, shoji moved into it */
	discover_platform();
	pci_enumerate();
	boot_phase("acpi-pci");
	boot_report();
	boot_phase("report");
	if (opts.intercept != INTERCEPT_NONE)
		protect_or_stop(disk_protect(&opts));
	protect_smram();
	smp_reserve_trampoline(&boot, &madt);	/* before the IOMMU domains: it is a hole */
	protect_memory();
	chipset_lock_smram();	/* logs; APMC SMIs are refused when it fails */
	boot_phase("iommu");	/* (and the intercepted disk's ranges, SMRAM) */
	run_selftest();
	/* The profiler's own cost (lib/prof.h), before any exit is profiled:
	 * the bench reports it beside the profile. */
	log_info("prof pair_ticks=%llu (one section entered and left; tsc_khz=%llu)",
		 (unsigned long long)prof_calibrate(1000), (unsigned long long)time_tsc_khz());
	if (opts.guest == GUEST_DISK || guest_present(&boot))
		run_guest();
	log_info("no guest kernel given (a module with role=kernel): bring-up complete");
	shoji_stop(STOP_OK);
}
