/* Where the image is linked and loaded. Shared by C, assembly and (by
 * value) the linker script.
 *
 * The image is linked at KERNEL_VMA (top 2 GiB, -mcmodel=kernel) and loaded
 * by the boot loader at LOAD_PA. Early boot maps KERNEL_VMA -> LOAD_PA; once
 * the hypervisor region is chosen, shoji copies itself to the region's start
 * and maps KERNEL_VMA -> region base, so nothing of it stays in memory the
 * guest will own. Physical memory is also identity-mapped (VA == PA). */
#ifndef SHOJI_BOOT_LAYOUT_H
#define SHOJI_BOOT_LAYOUT_H

#define KERNEL_VMA 0xFFFFFFFF80000000
#define LOAD_PA 0x200000		/* 2 MiB: lets early boot use 2 MiB pages */
#define BOOT_STACK_SIZE 0x8000		/* 32 KiB */
#define IST_STACK_SIZE 0x4000		/* 16 KiB, for #DF/#NMI/#MC */
#define BOOT_HIGH_MAP_PAGES 8		/* 2 MiB pages mapped at KERNEL_VMA early: 16 MiB */

#endif
