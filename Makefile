# shoji — build, test, run. Plain GNU make; see README.md.
#
# Layout conventions the rules below rely on (new files need no Makefile edit):
#   src/lib src/platform src/iommu src/crypto src/vmm   portable C: built into the image
#                                               and into build/host/libshoji.a
#   src/arch/x86 src/core src/boot              image only (hardware, entry)
#   host/*.c                                    host HAL for unit tests and tools
#   tests/unit/test_*.c                         one cmocka binary each
#   tools/*.c                                   one host tool each (build/tools/NAME)
#   tests/acpi/*.asl                            iasl sources -> build/acpi/*.aml

SHELL := /bin/bash
BUILD ?= build
PY := /usr/bin/python3
CC ?= gcc
LD := ld

PORTABLE_DIRS := src/lib src/platform src/iommu src/crypto src/vmm src/devices
PORTABLE_SRCS := $(wildcard $(addsuffix /*.c,$(PORTABLE_DIRS)))
IMAGE_C_SRCS := $(PORTABLE_SRCS) $(wildcard src/arch/x86/*.c src/core/*.c)
IMAGE_S_SRCS := $(wildcard src/boot/*.S src/arch/x86/*.S src/crypto/*.S)
HOST_LIB_SRCS := $(filter-out src/lib/string.c,$(PORTABLE_SRCS))
HOST_ENV_SRCS := $(wildcard host/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
TOOL_SRCS := $(wildcard tools/*.c)
ASL_SRCS := $(wildcard tests/acpi/*.asl)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
IMAGE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Isrc -ffreestanding -fno-builtin-printf \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
	-mgeneral-regs-only -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-common -fno-strict-aliasing -MMD -MP
IMAGE_ASFLAGS := -Isrc -D__ASSEMBLY__ -MMD -MP
IMAGE_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T src/boot/linker.ld
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Isrc -I. -DSHOJI_HOST -MMD -MP \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
HOST_LDFLAGS := -fsanitize=address,undefined

IMAGE_OBJS := $(IMAGE_C_SRCS:%.c=$(BUILD)/image/%.o) $(IMAGE_S_SRCS:%.S=$(BUILD)/image/%.o)
HOST_LIB_OBJS := $(HOST_LIB_SRCS:%.c=$(BUILD)/host/%.o) $(patsubst %.S,$(BUILD)/host/%.o,$(wildcard src/crypto/*.S))
HOST_ENV_OBJS := $(HOST_ENV_SRCS:%.c=$(BUILD)/host/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
TOOL_BINS := $(TOOL_SRCS:tools/%.c=$(BUILD)/tools/%)
AML_FILES := $(ASL_SRCS:tests/acpi/%.asl=$(BUILD)/acpi/%.aml)

IMAGE := $(BUILD)/shoji.elf
ISO := $(BUILD)/shoji.iso
DISK_IMAGE := $(BUILD)/disk.img

.PHONY: all image iso tools deps unit integration test run bench clean help guest check-deps disk-image
# Keep objects that pattern rules chain through (e.g. host/hal.o).
.SECONDARY:
all: image tools

help:
	@echo "make            build the hypervisor image ($(IMAGE)) and host tools"
	@echo "make run        boot shoji in QEMU (installs missing packages first)"
	@echo "make test       unit tests (cmocka) then integration tests (pytest, QEMU)"
	@echo "make unit       unit tests only;  make integration  QEMU tests only"
	@echo "make check-deps layering check (src/arch never includes or calls src/core; part of make test)"
	@echo "make iso        GRUB (Multiboot2) bootable ISO: $(ISO)"
	@echo "make disk-image BIOS-bootable disk with GRUB and the guest: $(DISK_IMAGE) (docs/firmware-boot.md)"
	@echo "make deps       install the Debian packages the project needs"
	@echo "make clean      remove $(BUILD)/"

image: $(IMAGE)
iso: $(ISO)
tools: $(TOOL_BINS)

deps:
	@scripts/deps.sh

# The default guest (guest/README.md): kernel, vmlinux and initramfs in $(BUILD)/guest.
guest: deps
	BUILD=$(BUILD) scripts/build-guest

# "The installed OS": a BIOS-bootable raw disk (MBR, GRUB i386-pc, ext2 with
# the guest's kernel and initramfs) for guest=disk (docs/firmware-boot.md).
disk-image: guest
	BUILD=$(BUILD) scripts/make-disk-image $(DISK_IMAGE)

$(IMAGE): $(IMAGE_OBJS) src/boot/linker.ld
	$(LD) $(IMAGE_LDFLAGS) -o $@ $(IMAGE_OBJS)

$(BUILD)/image/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(IMAGE_CFLAGS) -c $< -o $@

$(BUILD)/image/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(IMAGE_ASFLAGS) -c $< -o $@

$(BUILD)/host/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(IMAGE_ASFLAGS) -DSHOJI_HOST -c $< -o $@

$(BUILD)/host/libshoji.a: $(HOST_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/host/libshoji.a $(HOST_ENV_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $< $(HOST_ENV_OBJS) $(BUILD)/host/libshoji.a $(HOST_LDFLAGS) -lcmocka -o $@

$(BUILD)/tools/%: tools/%.c $(BUILD)/host/libshoji.a $(HOST_ENV_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $< $(HOST_ENV_OBJS) $(BUILD)/host/libshoji.a $(HOST_LDFLAGS) -o $@

# Compiling a malformed table needs -f (iasl refuses bad ones otherwise);
# the sources say what is wrong with them and the tests check it.
$(BUILD)/acpi/%.aml: tests/acpi/%.asl
	@mkdir -p $(@D)
	iasl -f -p $(basename $@) $< >$(basename $@).iasl.log 2>&1 || (cat $(basename $@).iasl.log; exit 1)

$(ISO): $(IMAGE) scripts/make-iso
	scripts/make-iso $(IMAGE) $@

unit: deps $(UNIT_BINS) $(TOOL_BINS) $(AML_FILES)
	@scripts/run-unit-tests $(UNIT_BINS)

integration: deps guest $(IMAGE) $(ISO) $(TOOL_BINS) $(AML_FILES)
	$(PY) -m pytest -ra tests/integration

check-deps: $(IMAGE)
	@BUILD=$(BUILD) scripts/check-deps

test: check-deps unit integration

# Benchmarks (not tests), README "Performance": the IOMMU page-table tool on
# the host, then the guest booted under every configuration in QEMU, interleaved
# (scripts/bench --help). Results in $(BUILD)/bench/: results.md, results.json,
# ratios.png. QUICK=1: one short repetition; BENCH_ARGS passes more options.
bench: deps guest $(IMAGE) $(TOOL_BINS)
	$(BUILD)/tools/iopt-bench
	BUILD=$(BUILD) $(PY) scripts/bench $(if $(filter-out 0,$(QUICK)),--quick) $(BENCH_ARGS)
	BUILD=$(BUILD) $(PY) scripts/bench-bochs $(if $(filter-out 0,$(QUICK)),--reps 1)

# On a terminal the guest gives a shell; otherwise it runs its demo script
# and `make run` exits 0 only if the demo passed.
run: deps guest $(IMAGE)
	@script=demo; [ -t 0 ] && script=shell; \
	scripts/shoji-qemu --edu --net --kernel $(BUILD)/guest/vmlinux \
		--initrd $(BUILD)/guest/initrd.cpio.gz \
		--append "console=ttyS0 iomem=relaxed shoji.script=$$script" $(RUN_ARGS) \
		| tee $(BUILD)/run.log; \
	rc=$${PIPESTATUS[0]}; [ $$rc -eq 0 ] || exit $$rc; \
	[ $$script = shell ] || grep -q "guest: script=demo status=ok" $(BUILD)/run.log

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/image $(BUILD)/host $(BUILD)/unit $(BUILD)/tools -type f -name '*.d' 2>/dev/null)
