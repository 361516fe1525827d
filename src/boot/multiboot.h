/* Multiboot v1 and v2 constants (Multiboot Specification 0.6.96, section 3;
 * Multiboot2 Specification 1.0, section 3). */
#ifndef SHOJI_BOOT_MULTIBOOT_H
#define SHOJI_BOOT_MULTIBOOT_H

#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_BOOT_MAGIC 0x2BADB002
#define MB1_FLAG_PAGE_ALIGN (1 << 0)	/* modules on page boundaries */
#define MB1_FLAG_MEMINFO (1 << 1)	/* mem_* and mmap_* fields */
#define MB1_FLAG_ADDRESS (1 << 16)	/* header/load/entry address fields valid */

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_BOOT_MAGIC 0x36D76289
#define MB2_ARCH_I386 0
#define MB2_HTAG_END 0
#define MB2_HTAG_INFO_REQ 1
#define MB2_HTAG_ADDRESS 2
#define MB2_HTAG_ENTRY 3
#define MB2_HTAG_MODULE_ALIGN 6

#endif
