/* The protected-range registry (see protect.h). */
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "platform/pci.h"
#include "vmm/protect.h"

static struct protected_range ranges[PROTECT_MAX_RANGES];
static unsigned n_ranges;
static unsigned sealed;

static struct {
	struct pci_bdf bdf;
	const char *what;
} hidden_fn[PROTECT_MAX_FUNCTIONS];
static unsigned n_hidden_fn;

void protect_reset(void)
{
	n_ranges = 0;
	sealed = 0;
	n_hidden_fn = 0;
}

int protect_add_pci_function(struct pci_bdf bdf, const char *what)
{
	if (!what)
		return E_INVAL;
	if (sealed & PROTECT_CPU) {
		log_error("protect: function %02x:%02x.%x (%s) registered after the guest's "
			  "view was built", bdf.bus, bdf.dev, bdf.fn, what);
		return E_BUSY;
	}
	if (protect_pci_function_hidden(bdf))
		return 0;
	if (n_hidden_fn == PROTECT_MAX_FUNCTIONS) {
		log_error("protect: no room to hide function %02x:%02x.%x (%s): %u already",
			  bdf.bus, bdf.dev, bdf.fn, what, PROTECT_MAX_FUNCTIONS);
		return E_NOMEM;
	}
	hidden_fn[n_hidden_fn].bdf = bdf;
	hidden_fn[n_hidden_fn].what = what;
	n_hidden_fn++;
	log_info("protect function=%04x:%02x:%02x.%x what=%s hidden=yes", bdf.seg, bdf.bus,
		 bdf.dev, bdf.fn, what);
	return 0;
}

const char *protect_pci_function_hidden(struct pci_bdf bdf)
{
	for (unsigned i = 0; i < n_hidden_fn; i++)
		if (pci_bdf_eq(hidden_fn[i].bdf, bdf))
			return hidden_fn[i].what;
	return NULL;
}

unsigned protect_pci_function_count(void)
{
	return n_hidden_fn;
}

void protect_seal(unsigned forbids)
{
	sealed |= forbids;
}

static int add(const struct protected_range *r)
{
	if (!r->what || r->end <= r->start || !r->forbids) {
		log_error("protect: refusing range %s 0x%llx-0x%llx forbids=0x%x (empty or nothing "
			  "forbidden)", r->what ? r->what : "(unnamed)",
			  (unsigned long long)r->start, (unsigned long long)r->end, r->forbids);
		return E_INVAL;
	}
	if (r->space == PROTECT_SPACE_MEM &&
	    ((r->start | r->end) & (PAGE_SIZE - 1))) {
		log_error("protect: range %s 0x%llx-0x%llx is not 4 KiB aligned", r->what,
			  (unsigned long long)r->start, (unsigned long long)r->end);
		return E_INVAL;
	}
	if ((r->forbids & sealed) || ((r->mmio || r->io) && (sealed & PROTECT_CPU))) {
		log_error("protect: range %s 0x%llx-0x%llx registered after the mechanisms that "
			  "enforce it were built (sealed=0x%x)", r->what,
			  (unsigned long long)r->start, (unsigned long long)r->end, sealed);
		return E_BUSY;
	}
	if (n_ranges == PROTECT_MAX_RANGES) {
		log_error("protect: the registry is full (%u ranges): cannot protect %s "
			  "0x%llx-0x%llx (raise PROTECT_MAX_RANGES)", PROTECT_MAX_RANGES, r->what,
			  (unsigned long long)r->start, (unsigned long long)r->end);
		return E_NOMEM;
	}
	ranges[n_ranges++] = *r;
	return 0;
}

int protect_add(paddr_t start, paddr_t end, unsigned forbids, const char *what)
{
	return add(&(struct protected_range){ .start = start, .end = end,
					      .space = PROTECT_SPACE_MEM, .forbids = forbids,
					      .what = what, .owner_bar = -1 });
}

int protect_add_io(uint16_t start, uint32_t end, const char *what)
{
	if (end > 0x10000)
		return E_INVAL;
	return add(&(struct protected_range){ .start = start, .end = end,
					      .space = PROTECT_SPACE_IO, .forbids = PROTECT_BAR,
					      .what = what, .owner_bar = -1 });
}

int protect_add_emulated(paddr_t start, paddr_t end, unsigned forbids, const char *what,
			 const struct mmio_ops *mmio, void *ctx, struct pci_bdf owner,
			 int owner_bar)
{
	const struct pci_device *d = owner_bar >= 0 ? pci_find(owner) : NULL;
	uint8_t type = d && owner_bar <= 5 ? d->bars[owner_bar].type : PCI_BAR_NONE;

	if (!mmio || owner_bar > 5 || !(forbids & PROTECT_CPU_WRITE) ||
	    (owner_bar >= 0 && type != PCI_BAR_MEM32 && type != PCI_BAR_MEM64)) {
		log_error("protect: emulated range %s needs an emulator, trapped writes and, for "
			  "a pinned BAR, an enumerated memory BAR", what ? what : "(unnamed)");
		return E_INVAL;
	}
	return add(&(struct protected_range){ .start = start, .end = end,
					      .space = PROTECT_SPACE_MEM, .forbids = forbids,
					      .what = what, .mmio = mmio, .ctx = ctx,
					      .owner = owner, .owner_bar = owner_bar,
					      .owner_addr = d ? d->bars[owner_bar].addr : 0 });
}

int protect_add_io_emulated(uint16_t start, uint32_t end, const char *what,
			    const struct io_ops *io, void *ctx, struct pci_bdf owner,
			    int owner_bar)
{
	const struct pci_device *d = owner_bar >= 0 ? pci_find(owner) : NULL;

	if (!io || end > 0x10000 || owner_bar > 5 ||
	    (owner_bar >= 0 && (!d || d->bars[owner_bar].type != PCI_BAR_IO))) {
		log_error("protect: emulated ports %s need an emulator, an end within the I/O "
			  "space and, for a pinned BAR, an enumerated I/O BAR",
			  what ? what : "(unnamed)");
		return E_INVAL;
	}
	return add(&(struct protected_range){ .start = start, .end = end,
					      .space = PROTECT_SPACE_IO,
					      .forbids = PROTECT_CPU_READ | PROTECT_CPU_WRITE |
							 PROTECT_BAR,
					      .what = what, .io = io, .ctx = ctx,
					      .owner = owner, .owner_bar = owner_bar,
					      .owner_addr = d ? d->bars[owner_bar].addr : 0 });
}

unsigned protect_count(void)
{
	return n_ranges;
}

const struct protected_range *protect_get(unsigned i)
{
	return i < n_ranges ? &ranges[i] : NULL;
}

const struct protected_range *protect_find(enum protect_space space, uint64_t start,
					   uint64_t end, unsigned forbids)
{
	for (unsigned i = 0; i < n_ranges; i++) {
		const struct protected_range *r = &ranges[i];

		if (r->space == space && (r->forbids & forbids) && start < r->end &&
		    r->start < end)
			return r;
	}
	return NULL;
}

const struct protected_range *protect_at(paddr_t a)
{
	for (unsigned i = 0; i < n_ranges; i++)
		if (ranges[i].space == PROTECT_SPACE_MEM && a >= ranges[i].start &&
		    a < ranges[i].end)
			return &ranges[i];
	return NULL;
}

/* "rwx,dma,bar": the CPU accesses, then the other mechanisms. */
static const char *forbids_str(unsigned f, char *buf, size_t len)
{
	shoji_snprintf(buf, len, "%s%s%s%s%s%s%s", (f & PROTECT_CPU_READ) ? "r" : "",
		       (f & PROTECT_CPU_WRITE) ? "w" : "", (f & PROTECT_CPU_EXEC) ? "x" : "",
		       (f & PROTECT_CPU) && (f & (PROTECT_DMA | PROTECT_BAR)) ? "," : "",
		       (f & PROTECT_DMA) ? "dma" : "",
		       (f & PROTECT_DMA) && (f & PROTECT_BAR) ? "," : "",
		       (f & PROTECT_BAR) ? "bar" : "");
	return buf;
}

void protect_log(void)
{
	for (unsigned i = 0; i < n_ranges; i++) {
		const struct protected_range *r = &ranges[i];
		char f[32];

		log_info("protect range=%s space=%s start=0x%llx end=0x%llx forbids=%s%s", r->what,
			 r->space == PROTECT_SPACE_IO ? "io" : "mem", (unsigned long long)r->start,
			 (unsigned long long)r->end, forbids_str(r->forbids, f, sizeof(f)),
			 r->mmio || r->io ? " emulated=yes" : "");
	}
}
