/* PVH boot of an ELF vmlinux (see pvh.h). ELF layouts: System V gABI and
 * the x86-64 psABI (ELF64 header, program headers, notes). */
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/pvh.h"

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} PACKED;

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} PACKED;

#define PT_LOAD 1
#define PT_NOTE 4
#define EM_X86_64 62

static int bad(const char *why)
{
	log_error("guest kernel: not a usable PVH ELF image: %s", why);
	return E_INVAL;
}

static bool inside(uint64_t off, uint64_t n, size_t len)
{
	return off <= len && n <= len - off;
}

/* Searches one PT_NOTE segment for the Xen PHYS32_ENTRY note. */
static bool find_entry_note(const uint8_t *p, uint64_t n, uint32_t *entry)
{
	uint64_t off = 0;

	while (off + 12 <= n) {
		uint32_t namesz, descsz, type;
		uint64_t name_end, desc_off;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_end = off + 12 + ALIGN_UP((uint64_t)namesz, 4);
		desc_off = name_end;
		if (name_end > n || desc_off + ALIGN_UP((uint64_t)descsz, 4) > n)
			return false;
		if (namesz == 4 && memcmp(p + off + 12, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4) {
			memcpy(entry, p + desc_off, 4);
			return true;
		}
		off = desc_off + ALIGN_UP((uint64_t)descsz, 4);
	}
	return false;
}

int pvh_parse(const void *elf, size_t len, struct pvh_image *out)
{
	const uint8_t *p = elf;
	const struct elf64_ehdr *eh = elf;
	bool have_entry = false;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) != 0)
		return bad("no ELF header");
	if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != EM_X86_64)
		return bad("not ELF64 little-endian x86-64");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 ||
	    !inside(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), len))
		return bad("program headers outside the file");
	out->lowest = ~0ULL;
	for (unsigned i = 0; i < eh->phnum; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, p + eh->phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type == PT_NOTE) {
			if (!inside(ph.offset, ph.filesz, len))
				return bad("note segment outside the file");
			if (!have_entry)
				have_entry = find_entry_note(p + ph.offset, ph.filesz, &out->entry);
		}
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (!inside(ph.offset, ph.filesz, len) || ph.filesz > ph.memsz)
			return bad("load segment outside the file");
		if (ph.paddr > GiB(4) || ph.memsz > GiB(4) - ph.paddr)
			return bad("load segment above 4 GiB");
		if (out->n_load == PVH_MAX_LOAD)
			return bad("too many load segments");
		for (unsigned j = 0; j < out->n_load; j++) {
			const struct pvh_segment *s = &out->load[j];

			if (ph.paddr < s->paddr + s->memsz && s->paddr < ph.paddr + ph.memsz)
				return bad("load segments overlap");
		}
		out->load[out->n_load++] = (struct pvh_segment){ ph.offset, ph.paddr, ph.filesz,
								 ph.memsz };
		out->lowest = MIN(out->lowest, ph.paddr);
		out->highest = MAX(out->highest, ph.paddr + ph.memsz);
	}
	if (!out->n_load)
		return bad("no load segments");
	if (!have_entry)
		return bad("no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): pass the ELF vmlinux "
			   "of a kernel built with CONFIG_PVH");
	if (out->entry < out->lowest || out->entry >= out->highest)
		return bad("PVH entry outside the loaded image");
	return 0;
}

static void load_segment(const void *elf, const struct pvh_segment *s)
{
	uint8_t *dst = hal_phys_to_virt(s->paddr);

	memmove(dst, (const uint8_t *)elf + s->offset, s->filesz);
	memset(dst + s->filesz, 0, s->memsz - s->filesz);
}

void pvh_load(const void *elf, const struct pvh_image *img)
{
	for (unsigned i = 0; i < img->n_load; i++)
		load_segment(elf, &img->load[i]);
}

int pvh_load_order(paddr_t elf_pa, const struct pvh_image *img, uint8_t *order)
{
	bool done[PVH_MAX_LOAD] = { false };

	for (unsigned k = 0; k < img->n_load; k++) {
		unsigned pick = img->n_load;

		for (unsigned i = 0; i < img->n_load && pick == img->n_load; i++) {
			const struct pvh_segment *d = &img->load[i];
			bool clobbers = false;

			if (done[i])
				continue;
			for (unsigned j = 0; j < img->n_load && !clobbers; j++) {
				const struct pvh_segment *s = &img->load[j];
				paddr_t src = elf_pa + s->offset;

				clobbers = j != i && !done[j] && s->filesz &&
					   d->paddr < src + s->filesz && src < d->paddr + d->memsz;
			}
			if (!clobbers)
				pick = i;
		}
		if (pick == img->n_load)
			return E_RANGE;
		done[pick] = true;
		order[k] = (uint8_t)pick;
	}
	return 0;
}

void pvh_load_ordered(const void *elf, const struct pvh_image *img, const uint8_t *order)
{
	for (unsigned k = 0; k < img->n_load; k++)
		load_segment(elf, &img->load[order[k]]);
}

static uint32_t e820_type(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE: return 1;
	case MEM_ACPI_RECLAIM: return 3;
	case MEM_ACPI_NVS: return 4;
	case MEM_BAD: return 5;
	default: return 2;	/* reserved, and shoji's own region */
	}
}

int pvh_build_start_info(paddr_t info_pa, const char *cmdline, paddr_t initrd,
			 uint64_t initrd_len, const struct memmap *m, paddr_t rsdp)
{
	uint8_t *base = hal_phys_to_virt(info_pa);
	struct hvm_start_info *si = (void *)base;
	struct hvm_modlist_entry *mod = (void *)(base + 64);
	struct hvm_memmap_entry *mm = (void *)(base + 128);
	size_t mm_max = (PAGE_SIZE * 2 - 128) / sizeof(*mm);
	char *cl = (char *)(base + 2 * PAGE_SIZE);
	size_t clen = strlen(cmdline);

	if (m->n > mm_max || clen >= PVH_CMDLINE_MAX)
		return E_RANGE;
	memset(base, 0, PVH_INFO_SIZE);
	memcpy(cl, cmdline, clen + 1);
	for (unsigned i = 0; i < m->n; i++)
		mm[i] = (struct hvm_memmap_entry){ m->r[i].base, m->r[i].end - m->r[i].base,
						   e820_type(m->r[i].type), 0 };
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = info_pa + 2 * PAGE_SIZE;
	si->rsdp_paddr = rsdp;
	si->memmap_paddr = info_pa + 128;
	si->memmap_entries = m->n;
	if (initrd_len) {
		mod->paddr = initrd;
		mod->size = initrd_len;
		si->nr_modules = 1;
		si->modlist_paddr = info_pa + 64;
	}
	return 0;
}
