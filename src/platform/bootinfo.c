/* Multiboot (v1, spec 0.6.96 section 3.3) and Multiboot2 (spec 1.0 section
 * 3.6) boot information, read through hal_phys_to_virt with every length
 * checked: the structures come from outside shoji. */
#include "boot/multiboot.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "platform/bootinfo.h"

/* Multiboot v1 info flags (section 3.3). */
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER (1u << 9)

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} PACKED;

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
} PACKED;

struct mb1_mmap_entry {
	uint32_t size;			/* of the rest of the entry */
	uint64_t base, len;
	uint32_t type;
} PACKED;

/* Multiboot2 tag types (section 3.6). */
enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
	uint32_t type, size;
} PACKED;

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
} PACKED;

/* Copies a NUL-terminated string from physical memory, at most max-1
 * characters; says so if it was cut. */
static void copy_phys_string(char *dst, size_t max, paddr_t pa, const char *what)
{
	const char *s = hal_phys_to_virt(pa);
	size_t n = strnlen(s, max);

	if (n == max) {
		log_warn("boot: %s longer than %zu bytes, truncated", what, max - 1);
		n = max - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void copy_bounded_string(char *dst, size_t max, const char *s, size_t avail,
				const char *what)
{
	size_t n = strnlen(s, avail);

	if (n >= max) {
		log_warn("boot: %s longer than %zu bytes, truncated", what, max - 1);
		n = max - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool module_string_cut;

static void add_module(struct boot_info *bi, paddr_t start, paddr_t end, const char *name)
{
	struct boot_module *m;

	if (bi->n_modules == BOOT_MODULES_MAX) {
		log_warn("boot: more than %d modules, the rest are ignored", BOOT_MODULES_MAX);
		return;
	}
	if (end < start) {
		log_warn("boot: module with end 0x%llx before start 0x%llx ignored",
			 (unsigned long long)end, (unsigned long long)start);
		return;
	}
	m = &bi->modules[bi->n_modules++];
	m->start = start;
	m->end = end;
	copy_bounded_string(m->name, sizeof(m->name), name, BOOT_NAME_MAX, "module name");
}

static int parse_mb1(paddr_t info_pa, struct boot_info *bi)
{
	const struct mb1_info *mi = hal_phys_to_virt(info_pa);

	bi->protocol = 1;
	bi->info_base = info_pa;
	bi->info_end = info_pa + sizeof(*mi);
	if (mi->flags & MB1_INFO_LOADER)
		copy_phys_string(bi->loader, sizeof(bi->loader), mi->boot_loader_name,
				 "boot loader name");
	if (mi->flags & MB1_INFO_CMDLINE)
		copy_phys_string(bi->cmdline, sizeof(bi->cmdline), mi->cmdline, "command line");

	if (mi->flags & MB1_INFO_MODS) {
		const struct mb1_module *mod = hal_phys_to_virt(mi->mods_addr);

		if (mi->mods_count > 64) {
			log_error("boot: implausible module count %u", mi->mods_count);
			return E_INVAL;
		}
		for (uint32_t i = 0; i < mi->mods_count; i++) {
			char name[BOOT_NAME_MAX] = "";

			if (mod[i].string &&
			    strnlen(hal_phys_to_virt(mod[i].string), sizeof(name)) == sizeof(name))
				module_string_cut = true;
			if (mod[i].string)
				copy_phys_string(name, sizeof(name), mod[i].string, "module name");
			add_module(bi, mod[i].mod_start, mod[i].mod_end, name);
		}
	}

	if (mi->flags & MB1_INFO_MMAP) {
		uint64_t off = 0;

		while (off + sizeof(struct mb1_mmap_entry) <= mi->mmap_length) {
			const struct mb1_mmap_entry *e =
				hal_phys_to_virt(mi->mmap_addr + off);

			if (e->size < sizeof(*e) - 4) {
				log_error("boot: memory map entry of size %u at offset %llu",
					  e->size, (unsigned long long)off);
				return E_INVAL;
			}
			memmap_add(&bi->mem, e->base, e->len, e->type);
			off += (uint64_t)e->size + 4;
		}
	} else if (mi->flags & MB1_INFO_MEM) {
		log_warn("boot: no memory map from the loader; using mem_lower/mem_upper");
		memmap_add(&bi->mem, 0, (uint64_t)mi->mem_lower << 10, MEM_USABLE);
		memmap_add(&bi->mem, MiB(1), (uint64_t)mi->mem_upper << 10, MEM_USABLE);
	} else {
		log_error("boot: the loader gave no memory information");
		return E_INVAL;
	}
	return 0;
}

static int parse_mb2_mmap(const struct mb2_tag *t, struct boot_info *bi)
{
	const uint8_t *p = (const uint8_t *)t;
	uint32_t entry_size = *(const uint32_t *)(p + 8);

	if (t->size < 16 || entry_size < sizeof(struct mb2_mmap_entry) || entry_size % 8) {
		log_error("boot: malformed Multiboot2 memory map (tag size %u, entry size %u)",
			  t->size, entry_size);
		return E_INVAL;
	}
	for (uint32_t off = 16; off + entry_size <= t->size; off += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)(p + off);

		memmap_add(&bi->mem, e->base, e->len, e->type);
	}
	return 0;
}

static int parse_mb2(paddr_t info_pa, struct boot_info *bi)
{
	const uint8_t *base = hal_phys_to_virt(info_pa);
	uint32_t total = *(const uint32_t *)base;
	bool have_mmap = false, ended = false;
	uint64_t mem_lower = 0, mem_upper = 0;
	bool have_meminfo = false;

	bi->protocol = 2;
	if (total < 16 || total > MB2_INFO_MAX || (info_pa & 7)) {
		log_error("boot: Multiboot2 information size %u at 0x%llx is invalid", total,
			  (unsigned long long)info_pa);
		return E_INVAL;
	}
	bi->info_base = info_pa;
	bi->info_end = info_pa + total;

	for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total && !ended;) {
		const struct mb2_tag *t = (const void *)(base + off);
		const char *payload = (const char *)(base + off + 8);

		if (t->size < 8 || t->size > total - off) {
			log_error("boot: Multiboot2 tag type %u at offset %u has bad size %u",
				  t->type, off, t->size);
			return E_INVAL;
		}
		switch (t->type) {
		case MB2_TAG_END:
			ended = true;
			break;
		case MB2_TAG_CMDLINE:
			copy_bounded_string(bi->cmdline, sizeof(bi->cmdline), payload,
					    t->size - 8, "command line");
			break;
		case MB2_TAG_LOADER:
			copy_bounded_string(bi->loader, sizeof(bi->loader), payload,
					    t->size - 8, "boot loader name");
			break;
		case MB2_TAG_MODULE:
			if (t->size < 16) {
				log_error("boot: Multiboot2 module tag too short (%u)", t->size);
				return E_INVAL;
			} else {
				char name[BOOT_NAME_MAX];
				const uint32_t *m = (const uint32_t *)payload;

				if (strnlen(payload + 8, t->size - 16) >= sizeof(name))
					module_string_cut = true;
				copy_bounded_string(name, sizeof(name), payload + 8,
						    t->size - 16, "module name");
				add_module(bi, m[0], m[1], name);
			}
			break;
		case MB2_TAG_MEMINFO:
			if (t->size >= 16) {
				mem_lower = ((const uint32_t *)payload)[0];
				mem_upper = ((const uint32_t *)payload)[1];
				have_meminfo = true;
			}
			break;
		case MB2_TAG_MMAP:
			if (parse_mb2_mmap(t, bi))
				return E_INVAL;
			have_mmap = true;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* Prefer the v2+ RSDP when both are given. */
			if (t->type == MB2_TAG_ACPI_NEW || !bi->rsdp_len) {
				size_t n = MIN((size_t)t->size - 8, sizeof(bi->rsdp));

				memcpy(bi->rsdp, payload, n);
				bi->rsdp_len = n;
			}
			break;
		default:
			break;	/* framebuffer, ELF sections, EFI, ...: not needed */
		}
		off += ALIGN_UP(t->size, 8);
	}
	if (!ended)
		log_warn("boot: Multiboot2 information has no end tag");
	if (!have_mmap) {
		if (!have_meminfo) {
			log_error("boot: the loader gave no memory information");
			return E_INVAL;
		}
		log_warn("boot: no memory map from the loader; using mem_lower/mem_upper");
		memmap_add(&bi->mem, 0, mem_lower << 10, MEM_USABLE);
		memmap_add(&bi->mem, MiB(1), mem_upper << 10, MEM_USABLE);
	}
	return 0;
}

int bootinfo_parse(uint32_t magic, paddr_t info_pa, struct boot_info *bi)
{
	int rc;

	memset(bi, 0, sizeof(*bi));
	memmap_init(&bi->mem);
	module_string_cut = false;
	if (magic == MB1_BOOT_MAGIC) {
		rc = parse_mb1(info_pa, bi);
	} else if (magic == MB2_BOOT_MAGIC) {
		rc = parse_mb2(info_pa, bi);
	} else {
		log_error("boot: unknown boot magic 0x%x (not Multiboot or Multiboot2)", magic);
		return E_INVAL;
	}
	if (rc == 0 && module_string_cut) {
		/* It carries the guest's command line: cutting it would change
		 * what the guest is told without anyone noticing. */
		log_error("boot: a module string is longer than %d bytes", BOOT_NAME_MAX - 1);
		rc = E_INVAL;
	}
	if (rc == 0)
		memmap_sanitize(&bi->mem);
	return rc;
}

void bootinfo_log(const struct boot_info *bi)
{
	for (unsigned i = 0; i < bi->n_modules; i++) {
		const struct boot_module *m = &bi->modules[i];

		log_info("module index=%u start=0x%llx end=0x%llx size=%llu name=%s", i,
			 (unsigned long long)m->start, (unsigned long long)m->end,
			 (unsigned long long)(m->end - m->start), m->name[0] ? m->name : "-");
	}
}

const struct boot_module *bootinfo_module(const struct boot_info *bi, const char *role,
					  const char **args)
{
	size_t rl = strlen(role);

	for (unsigned i = 0; i < bi->n_modules; i++) {
		const char *s = bi->modules[i].name;

		while (*s == ' ')
			s++;
		if (*s && strncmp(s, "role=", 5) != 0) {	/* the path word */
			while (*s && *s != ' ')
				s++;
			while (*s == ' ')
				s++;
		}
		if (strncmp(s, "role=", 5) == 0 && strncmp(s + 5, role, rl) == 0 &&
		    (s[5 + rl] == ' ' || s[5 + rl] == '\0')) {
			s += 5 + rl;
			while (*s == ' ')
				s++;
			if (args)
				*args = s;
			return &bi->modules[i];
		}
	}
	return NULL;
}
