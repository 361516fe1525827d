/* The intercepted disk (see disk.h). Order at setup, and why:
 *  1. the key, before anything touches the disk (no key, no disk);
 *  2. the shadow window and the controller's confined IOMMU domain, before
 *     the engine programs the controller with shadow addresses;
 *  3. the engine takes the controller over (stops ports firmware left
 *     running, programs shadow areas);
 *  4. the register window becomes a trapped hole in the guest's NPT and its
 *     BAR is pinned in the PCI guard, so the guest reaches the controller
 *     only through the engine. */
#include "arch/x86/percpu.h"
#include "arch/x86/serial.h"
#include "core/disk.h"
#include "core/guest.h"
#include "crypto/pbkdf2.h"
#include "crypto/secrets.h"
#include "crypto/selftest.h"
#include "crypto/wipe.h"
#include "crypto/xts.h"
#include "devices/ahci.h"
#include "devices/ide.h"
#include "iommu/domain.h"
#include "iommu/iommu.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/palloc.h"
#include "platform/pci.h"
#include "vmm/io_trap.h"
#include "vmm/mmio_emul.h"
#include "vmm/guest_mem.h"
#include "vmm/protect.h"

#define AHCI_CLASS 0x010601	/* mass storage, SATA, AHCI 1.0 */
#define AHCI_ABAR_BAR 5
#define PASSPHRASE_MAX 256
#define PASSPHRASE_TIMEOUT_US (120ULL * 1000000)
#define SHADOW_MAX_PAGES (MiB(512) / PAGE_SIZE)

static struct ahci ahci;
static struct ide ide;
static struct xts_ctx xts;
static struct sector_range crypt_range;
static bool active, ahci_on, ide_on;
static const struct memmap *guest_mem;

/* ---- the shadow window: a first-fit page allocator ---- */

static paddr_t win_base;
static uint32_t win_pages;
static uint8_t win_used[SHADOW_MAX_PAGES / 8];
/* The window's bitmap: the AHCI engine allocates under its own lock, the
 * IDE engine at setup; this lock is taken inside either (docs/smp.md). */
static struct spinlock win_lock = SPINLOCK_INIT;

static bool used(uint32_t i) { return win_used[i / 8] & (1u << (i % 8)); }
static void mark(uint32_t i, bool on)
{
	if (on)
		win_used[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		win_used[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static paddr_t win_alloc_locked(uint32_t pages)
{
	for (uint32_t i = 0; pages && i + pages <= win_pages; i++) {
		uint32_t j = 0;

		while (j < pages && !used(i + j))
			j++;
		if (j == pages) {
			for (j = 0; j < pages; j++)
				mark(i + j, true);
			return win_base + (paddr_t)i * PAGE_SIZE;
		}
		i += j;
	}
	return 0;
}

static paddr_t win_alloc(void *ctx, uint32_t pages)
{
	paddr_t pa;

	(void)ctx;
	spin_lock(&win_lock);
	pa = win_alloc_locked(pages);
	spin_unlock(&win_lock);
	return pa;
}

static void win_free(void *ctx, paddr_t pa, uint32_t pages)
{
	uint32_t first = (uint32_t)((pa - win_base) / PAGE_SIZE);

	(void)ctx;
	spin_lock(&win_lock);
	for (uint32_t i = 0; i < pages && first + i < win_pages; i++)
		mark(first + i, false);
	spin_unlock(&win_lock);
}

/* ---- guest memory the engine may copy to and from ---- */

/* The guest's RAM; with guest=disk also the firmware's own reserved RAM
 * below 4 GiB (SeaBIOS keeps its AHCI command lists, FIS areas and command
 * tables in its high zone, e820 "reserved" at the top of low RAM, and its
 * INT 13h driver is the guest's), never what the registry protects or
 * emulates. */
static bool firmware_boot;

static bool guest_mem_ok(void *ctx, paddr_t pa, uint64_t len)
{
	enum mem_type t;

	(void)ctx;
	if (!len || pa + len <= pa)
		return false;
	t = memmap_type_of(guest_mem, pa, pa + len);
	if (t == MEM_USABLE)
		return true;
	return firmware_boot && t == MEM_RESERVED && pa + len <= GiB(4) &&
	       guest_phys_ok(pa, len, PROTECT_CPU_READ) && guest_phys_ok(pa, len, PROTECT_CPU_WRITE);
}

/* ---- AES-XTS ---- */

static bool in_range(void *ctx, uint64_t lba, uint32_t sectors)
{
	(void)ctx;
	return lba >= crypt_range.first && lba + sectors <= crypt_range.end &&
	       lba + sectors >= lba;
}

static void encrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors)
{
	(void)ctx;
	xts_encrypt_sectors(&xts, lba, dst, src, sectors);
}

static void decrypt(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors)
{
	(void)ctx;
	xts_decrypt_sectors(&xts, lba, dst, src, sectors);
}

static const struct disk_crypt crypt_ops = { NULL, in_range, encrypt, decrypt };

/* ---- the guest's accesses to the controller's registers ---- */

/* The shadow engines lock themselves (docs/smp.md, "Disk"): the AHCI
 * engine's lock serialises its register emulation and command bookkeeping
 * and lets go of it while a CPU encrypts or decrypts a command's data; the
 * IDE engine has a lock per channel. No global disk lock: two CPUs' disk
 * commands encrypt at the same time.
 * Emulated accesses (each one exit): the bench's exits per disk command by
 * kind. */
static uint64_t reg_reads, reg_writes;
STATIC_ASSERT(AHCI_MAX_CPUS >= SHOJI_MAX_CPUS, "every CPU has its row in the AHCI engine");

static uint64_t abar_read(void *ctx, uint64_t gpa, int size)
{
	(void)ctx;
	atomic_inc64(&reg_reads);
	return ahci_guest_read(&ahci, (uint32_t)(gpa - ahci.abar), size);
}

static void abar_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	(void)ctx;
	atomic_inc64(&reg_writes);
	ahci_guest_write(&ahci, (uint32_t)(gpa - ahci.abar), size, v);
}

/* The doorbell follow-on (vmm/mmio_followon.h): PxCI after PxSACT in one
 * exit. */
static uint64_t abar_followon(void *ctx, uint64_t gpa, int size, int *store_size)
{
	uint32_t next;

	(void)ctx;
	if (!ahci_followon_store(&ahci, (uint32_t)(gpa - ahci.abar), size, &next))
		return 0;
	*store_size = 4;
	return ahci.abar + next;
}

static const struct mmio_ops abar_ops = {
	.read = abar_read, .write = abar_write, .followon = abar_followon,
};

/* ---- the guest's accesses to the IDE controller's ports ---- */

static uint32_t ide_port_in(void *ctx, uint16_t port, unsigned size)
{
	(void)ctx;
	return ide_io_in(&ide, port, size);
}

static void ide_port_out(void *ctx, uint16_t port, unsigned size, uint32_t v)
{
	(void)ctx;
	ide_io_out(&ide, port, size, v);
}

static const struct io_ops ide_ops = { ide_port_in, ide_port_out };

/* A large command's data: the other CPUs in the guest exit and take pages
 * of it (devices/ahci.h, docs/smp.md). */
static void call_helpers(void *ctx)
{
	(void)ctx;
	guest_kick_others();
}

/* The engine's register image (docs/ahci.md): the ABAR's first page, read
 * from the image while the engine shows it. */
static int show_image(void *ctx, paddr_t image, bool show)
{
	(void)ctx;
	return guest_set_read_page(ahci.abar, show ? image : 0);
}

/* ---- the key ---- */

static int load_key(const struct shoji_options *o, struct boot_info *bi)
{
	const struct boot_module *m = bootinfo_module(bi, "key", NULL);
	struct crypto_selftest_result st;
	uint8_t key[XTS_KEY_SIZE];
	int rc;

	/* Known answers first: a cipher that is wrong here would write
	 * unreadable data for good. */
	if (crypto_selftest(&st)) {
		log_error("disk: crypto self-test failed (%s)", st.failed ? st.failed : "?");
		return E_FAULT;
	}
	log_info("disk crypto selftest=ok aesni_tested=%s", st.aesni_tested ? "yes" : "no");

	if (m && o->passphrase) {
		log_error("disk: both a key module and the option passphrase: give one");
		return E_INVAL;
	}
	if (m) {
		uint64_t size = m->end - m->start;

		if (size != XTS_KEY_SIZE) {
			log_error("disk: the key module has %llu bytes; an aes-xts-plain64 key "
				  "with 512 bits has 64", (unsigned long long)size);
			crypto_wipe(hal_phys_to_virt(m->start), size);
			return E_INVAL;
		}
		memcpy(key, hal_phys_to_virt(m->start), sizeof(key));
		/* The module sits in memory the guest will own. */
		crypto_wipe(hal_phys_to_virt(m->start), size);
		log_info("disk key source=module bytes=64 (module memory wiped)");
	} else if (o->passphrase) {
		char pass[PASSPHRASE_MAX];
		int n;

		serial_write("shoji: disk passphrase: ", 24);
		n = serial_read_secret(pass, sizeof(pass), PASSPHRASE_TIMEOUT_US);
		if (n <= 0) {
			crypto_wipe(pass, sizeof(pass));	/* a timeout may leave a partial one */
			log_error("disk: no passphrase typed on the serial console");
			return E_INVAL;
		}
		rc = shoji_passphrase_key(pass, (size_t)n, "", key);
		crypto_wipe(pass, sizeof(pass));
		if (rc)
			return rc;
		log_info("disk key source=passphrase kdf=pbkdf2-hmac-sha256 iterations=%u",
			 SHOJI_KDF_ITERATIONS);
	} else {
		log_error("disk: intercept=%s needs a key: a boot module with role=key "
			  "(64 bytes) or the option passphrase",
			  (o->intercept & INTERCEPT_AHCI) ? "ahci" : "ide");
		return E_INVAL;
	}
	/* Registered before the key schedules hold anything: from here on
	 * every stop and every reset wipes them. */
	rc = secrets_register("xts-key-schedules", &xts, sizeof(xts));
	if (!rc && (rc = xts_init(&xts, key)))
		log_error("disk: unusable key (the two AES-256 halves are equal)");
	crypto_wipe(key, sizeof(key));
	if (rc)
		return rc;
	log_info("disk cipher=aes-xts-plain64 key_bits=512 aesni=%s",
		 xts_uses_aesni(&xts) ? "yes" : "no");
	return 0;
}

/* ---- setup ---- */

static const struct pci_device *find_ahci(void)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d))
		if (d->class_code == AHCI_CLASS && d->bars[AHCI_ABAR_BAR].type == PCI_BAR_MEM32)
			return d;
	return NULL;
}

/* The IDE controller (class 01:01, the first one): per channel its
 * command block and control port (legacy 0x1f0/0x3f6, 0x170/0x376, or
 * BAR0/BAR1 and BAR2/BAR3 in native mode: PCI IDE 1.0 2.1), and the
 * bus-master block in BAR4. */
struct ide_ports {
	const struct pci_device *dev;
	uint16_t cmd[IDE_CHANNELS], ctl[IDE_CHANNELS];
	int cmd_bar[IDE_CHANNELS], ctl_bar[IDE_CHANNELS];
	uint16_t bm;
};

static const struct pci_device *find_ide(void)
{
	for (const struct pci_device *d = pci_first(); d; d = pci_next(d))
		if ((d->class_code >> 8) == IDE_CLASS && d->bars[IDE_BM_BAR].type == PCI_BAR_IO)
			return d;
	return NULL;
}

static int ide_ports_of(const struct pci_device *d, struct ide_ports *p)
{
	uint8_t pi = (uint8_t)d->class_code;

	*p = (struct ide_ports){ .dev = d, .bm = (uint16_t)d->bars[IDE_BM_BAR].addr };
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		bool native = pi & (i ? IDE_PI_SECONDARY_NATIVE : IDE_PI_PRIMARY_NATIVE);

		p->cmd_bar[i] = p->ctl_bar[i] = -1;
		if (!native) {
			p->cmd[i] = i ? IDE_LEGACY_CMD1 : IDE_LEGACY_CMD0;
			p->ctl[i] = i ? IDE_LEGACY_CTL1 : IDE_LEGACY_CTL0;
			continue;
		}
		p->cmd_bar[i] = 2 * (int)i;
		p->ctl_bar[i] = 2 * (int)i + 1;
		if (d->bars[p->cmd_bar[i]].type != PCI_BAR_IO ||
		    d->bars[p->ctl_bar[i]].type != PCI_BAR_IO) {
			log_error("disk: IDE channel %u is in native mode without I/O BARs %d/%d", i,
				  p->cmd_bar[i], p->ctl_bar[i]);
			return E_INVAL;
		}
		p->cmd[i] = (uint16_t)d->bars[p->cmd_bar[i]].addr;
		p->ctl[i] = (uint16_t)(d->bars[p->ctl_bar[i]].addr + IDE_NATIVE_CTL_OFFSET);
	}
	if (!p->bm) {
		log_error("disk: the IDE controller's bus-master BAR4 is not programmed");
		return E_INVAL;
	}
	return 0;
}

static const char *const ide_cmd_names[] = { "ide0-taskfile", "ide1-taskfile" };
static const char *const ide_ctl_names[] = { "ide0-control", "ide1-control" };

static int ide_protect(void)
{
	const struct pci_device *d = find_ide();
	struct ide_ports p;
	int rc;

	if (!d)
		return 0;
	if ((rc = ide_ports_of(d, &p)))
		return rc;
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		rc = protect_add_io_emulated(p.cmd[i], p.cmd[i] + IDE_CMD_PORTS, ide_cmd_names[i],
					     &ide_ops, NULL, d->bdf, p.cmd_bar[i]);
		if (!rc)
			rc = protect_add_io_emulated(p.ctl[i], p.ctl[i] + 1u, ide_ctl_names[i],
						     &ide_ops, NULL, d->bdf, p.ctl_bar[i]);
		if (rc)
			return rc;
	}
	return protect_add_io_emulated(p.bm, p.bm + IDE_CHANNELS * IDE_BM_PORTS, "ide-bus-master",
				       &ide_ops, NULL, d->bdf, IDE_BM_BAR);
}

int disk_protect(const struct shoji_options *o)
{
	const struct pci_device *d = find_ahci();
	paddr_t abar;
	int rc;

	if ((o->intercept & INTERCEPT_ANY_IDE) && (rc = ide_protect()))
		return rc;
	if (!d || !(o->intercept & INTERCEPT_ANY_AHCI))
		return 0;
	abar = ALIGN_DOWN(d->bars[AHCI_ABAR_BAR].addr, PAGE_SIZE);
	return protect_add_emulated(abar, ALIGN_UP(d->bars[AHCI_ABAR_BAR].addr +
						   MAX(d->bars[AHCI_ABAR_BAR].size, 1), PAGE_SIZE),
				    PROTECT_ALL, "ahci-abar", &abar_ops, NULL,
				    d->bdf, AHCI_ABAR_BAR);
}

static int ahci_setup(const struct shoji_options *o, const struct pci_device *d,
		      struct domain *dom, unsigned guest_cpus)
{
	struct ahci_config cfg = { 0 };
	paddr_t abar = d->bars[AHCI_ABAR_BAR].addr;
	int rc;

	log_info("disk controller=%02x:%02x.%x type=ahci abar=0x%llx domain=%u mode=%s "
		 "crypt=%llu-%llu", d->bdf.bus, d->bdf.dev, d->bdf.fn, (unsigned long long)abar,
		 dom->id, (o->intercept & INTERCEPT_AHCI) ? "shadowed" : "confine-only",
		 (unsigned long long)crypt_range.first, (unsigned long long)crypt_range.end);
	cfg.abar = abar;
	cfg.confine_only = o->intercept & INTERCEPT_AHCI_CONFINE_ONLY;
	cfg.shadow = (struct disk_shadow_alloc){ NULL, win_alloc, win_free };
	cfg.guest_mem_ok = guest_mem_ok;
	cfg.crypt = cfg.confine_only ? NULL : &crypt_ops;
	cfg.crypt_ports = cfg.confine_only ? 0 : ~0u;
	if (guest_cpus > 1)
		cfg.call_helpers = call_helpers;
	if (!IS_ALIGNED(abar, PAGE_SIZE))
		log_info("disk: abar=0x%llx is not page aligned: every register read exits",
			 (unsigned long long)abar);
	else if (guest_cpus > 1)
		/* Hiding the image (before every command that follows an idle
		 * spell) takes every other CPU out of the guest, an NMI and a
		 * wait each time (docs/smp.md): dearer than the reads it saves. */
		log_info("disk: the guest has %u CPUs: the AHCI register image is off, every "
			 "register read exits", guest_cpus);
	else
		cfg.show_image = show_image;
	rc = ahci_init(&ahci, &cfg);
	if (rc) {
		log_error("disk: the AHCI controller could not be taken over (%s)", err_str(rc));
		return rc;
	}
	if (!protect_at(abar) || protect_at(abar)->mmio != &abar_ops) {
		log_error("disk: the controller's registers 0x%llx are not in the protected-range "
			  "registry (disk_protect did not run)", (unsigned long long)abar);
		return E_INVAL;
	}
	ahci_on = true;
	return 0;
}

static int ide_setup(const struct shoji_options *o, const struct pci_device *d,
		     struct domain *dom)
{
	struct ide_config cfg = { 0 };
	struct ide_ports p;
	int rc;

	if ((rc = ide_ports_of(d, &p)))
		return rc;
	log_info("disk controller=%02x:%02x.%x type=ide bm=0x%x domain=%u mode=%s "
		 "crypt=%llu-%llu", d->bdf.bus, d->bdf.dev, d->bdf.fn, p.bm, dom->id,
		 (o->intercept & INTERCEPT_IDE) ? "shadowed" : "confine-only",
		 (unsigned long long)crypt_range.first, (unsigned long long)crypt_range.end);
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		cfg.cmd[i] = p.cmd[i];
		cfg.ctl[i] = p.ctl[i];
		if (!io_trap_claims(p.cmd[i], IDE_CMD_PORTS) || !io_trap_claims(p.ctl[i], 1)) {
			log_error("disk: IDE channel %u's ports are not trapped (disk_protect did "
				  "not run)", i);
			return E_INVAL;
		}
	}
	cfg.bm = p.bm;
	cfg.confine_only = o->intercept & INTERCEPT_IDE_CONFINE_ONLY;
	cfg.shadow = (struct disk_shadow_alloc){ NULL, win_alloc, win_free };
	cfg.guest_mem_ok = guest_mem_ok;
	cfg.crypt = cfg.confine_only ? NULL : &crypt_ops;
	cfg.crypt_channels = cfg.confine_only ? 0 : (1u << IDE_CHANNELS) - 1;
	rc = ide_init(&ide, &cfg);
	if (rc) {
		log_error("disk: the IDE controller could not be taken over (%s)", err_str(rc));
		return rc;
	}
	ide_on = true;
	return 0;
}

int disk_setup(const struct shoji_options *o, struct boot_info *bi, unsigned guest_cpus)
{
	const struct pci_device *ad = (o->intercept & INTERCEPT_ANY_AHCI) ? find_ahci() : NULL;
	const struct pci_device *id = (o->intercept & INTERCEPT_ANY_IDE) ? find_ide() : NULL;
	struct domain_range r;
	struct domain *dom;
	int rc;

	guest_mem = &bi->mem;
	firmware_boot = o->guest == GUEST_DISK;
	if ((o->intercept & INTERCEPT_ANY_AHCI) && !ad) {
		log_error("disk: intercept=%s but there is no AHCI controller",
			  (o->intercept & INTERCEPT_AHCI) ? "ahci" : "ahci-confine-only");
		return E_NOENT;
	}
	if ((o->intercept & INTERCEPT_ANY_IDE) && !id) {
		log_error("disk: intercept=%s but there is no IDE controller (class 01:01 with "
			  "a bus-master BAR4)", (o->intercept & INTERCEPT_IDE) ? "ide" :
			  "ide-confine-only");
		return E_NOENT;
	}
	if (!iommu_active()) {
		log_error("disk: intercepting the disk needs the IOMMU (iommu=on)");
		return E_INVAL;
	}
	crypt_range = o->crypt;
	if ((o->intercept & INTERCEPT_SHADOWED) && (rc = load_key(o, bi)))
		return rc;

	/* The shadow window: the only memory the controllers' domain maps. */
	win_pages = (uint32_t)(o->shadow_mem / PAGE_SIZE);
	if (o->shadow_mem >= palloc_size() / 2 ||
	    palloc_alloc(win_pages, MiB(2), &win_base)) {
		log_error("disk: no room for a %lluM shadow window in the hypervisor region "
			  "(mem=%lluM): raise mem= or lower shadow=",
			  (unsigned long long)(o->shadow_mem >> 20),
			  (unsigned long long)(palloc_size() >> 20));
		return E_NOMEM;
	}
	r = (struct domain_range){ win_base, win_base + o->shadow_mem, IOPT_READ | IOPT_WRITE };
	/* The window holds the guest's disk data (ciphertext of the encrypted
	 * range, plaintext outside it, command tables); the engines hold the
	 * plaintext bounce buffers and copies of the guest's commands. */
	rc = secrets_register("shadow-window", hal_phys_to_virt(win_base), o->shadow_mem);
	if (!rc)
		rc = secrets_register("ahci-engine", &ahci, sizeof(ahci));
	if (!rc && id)	/* only with an IDE controller: the others' regions stay as they were */
		rc = secrets_register("ide-engine", &ide, sizeof(ide));
	if (rc) {
		log_error("disk: the disk's memory cannot be registered for wiping (%s)",
			  err_str(rc));
		return rc;
	}
	/* One domain for the intercepted controllers: each may reach the
	 * shadow window and nothing else. */
	rc = domain_allow_shadow(r.start, r.end);
	if (!rc)
		rc = domain_create("disk-shadow", &r, 1, &dom);
	if (!rc) {
		domain_log(dom);
		if (ad)
			rc = iommu_attach(ad->bdf, dom);
		if (!rc && id)
			rc = iommu_attach(id->bdf, dom);
	}
	if (rc) {
		log_error("disk: cannot confine the controller to its shadow window (%s)",
			  err_str(rc));
		return rc;
	}
	log_info("disk shadow=0x%llx-0x%llx domain=%u controllers=%s%s%s",
		 (unsigned long long)r.start, (unsigned long long)r.end, dom->id, ad ? "ahci" : "",
		 ad && id ? "," : "", id ? "ide" : "");
	if (ad && (rc = ahci_setup(o, ad, dom, guest_cpus)))
		return rc;
	if (id && (rc = ide_setup(o, id, dom)))
		return rc;
	active = true;
	return 0;
}

/* After every exit on every CPU: each engine only tries its lock (a CPU
 * that finds it held leaves the poll to the holder). */
void disk_poll(void)
{
	if (ahci_on)
		ahci_poll(&ahci);
	if (ide_on)
		ide_poll(&ide);
}

bool disk_active(void)
{
	return active;
}

void disk_stats_text(char *buf, size_t len)
{
	const struct ahci_stats *s = &ahci.stats;
	const struct ide_stats *t = &ide.stats;
	size_t n;

	n = (size_t)shoji_snprintf(buf, len,
		       "disk_commands=%llu\ndisk_ncq=%llu\ndisk_completed=%llu\ndisk_refused=%llu\n"
		       "disk_dropped=%llu\ndisk_deferred=%llu\n"
		       "disk_bytes_to_device=%llu\ndisk_bytes_from_device=%llu\n"
		       "disk_sectors_encrypted=%llu\ndisk_sectors_decrypted=%llu\n"
		       "disk_bytes_copied=%llu\ndisk_image_shows=%llu\ndisk_reg_reads=%llu\n"
		       "disk_reg_writes=%llu\n",
		       (unsigned long long)s->commands, (unsigned long long)s->ncq,
		       (unsigned long long)s->completed, (unsigned long long)s->refused,
		       (unsigned long long)s->dropped, (unsigned long long)s->deferred,
		       (unsigned long long)s->bytes_to_device,
		       (unsigned long long)s->bytes_from_device,
		       (unsigned long long)s->sectors_encrypted,
		       (unsigned long long)s->sectors_decrypted,
		       (unsigned long long)s->bytes_copied,
		       (unsigned long long)s->image_shows, (unsigned long long)reg_reads,
		       (unsigned long long)reg_writes);
	/* The AHCI data pages each CPU moved outside the engine lock, how many
	 * of them helping another CPU's command, and how often two CPUs moved
	 * data at once (test_smp.py). */
	if (n < len)
		n += (size_t)shoji_snprintf(buf + n, len - n,
					    "disk_parallel=%llu\ndisk_helped_pages=%llu\n",
					    (unsigned long long)s->parallel,
					    (unsigned long long)s->helped_pages);
	for (unsigned c = 0; c < SHOJI_MAX_CPUS && n < len; c++)
		if (s->cpu_pages[c])
			n += (size_t)shoji_snprintf(buf + n, len - n, "disk_cpu%u_pages=%llu\n", c,
						    (unsigned long long)s->cpu_pages[c]);
	if (!ide_on || n >= len)
		return;
	shoji_snprintf(buf + n, len - n,
		       "ide_commands=%llu\nide_dma=%llu\nide_pio_sectors=%llu\nide_refused=%llu\n"
		       "ide_dropped=%llu\nide_bytes_to_device=%llu\nide_bytes_from_device=%llu\n"
		       "ide_sectors_encrypted=%llu\nide_sectors_decrypted=%llu\nide_bytes_copied=%llu\n",
		       (unsigned long long)t->commands, (unsigned long long)t->dma,
		       (unsigned long long)t->pio_sectors, (unsigned long long)t->refused,
		       (unsigned long long)t->dropped, (unsigned long long)t->bytes_to_device,
		       (unsigned long long)t->bytes_from_device,
		       (unsigned long long)t->sectors_encrypted,
		       (unsigned long long)t->sectors_decrypted,
		       (unsigned long long)t->bytes_copied);
}
