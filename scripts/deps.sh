#!/usr/bin/env bash
# Installs the Debian packages shoji needs to build, test and run. Idempotent
# and quick when everything is present: it asks dpkg first and calls apt-get
# only for what is missing. `make run`, `make test` and .ci/run call it.
set -euo pipefail

PACKAGES=(
	gcc make binutils             # image, host tests, tools
	libcmocka-dev                 # host unit tests
	python3 python3-pytest        # integration tests
	python3-cryptography          # independent AES-XTS checks in tests
	qemu-system-x86 qemu-utils    # the test platform
	acpica-tools                  # iasl: test tables, cross-check of dmar-inspect
	grub-pc-bin grub-common xorriso mtools   # make iso (GRUB Multiboot2 path)
	fdisk e2fsprogs               # make disk-image: sfdisk, mke2fs -d (docs/firmware-boot.md)
	musl-tools xz-utils cpio kmod gzip       # make guest (guest/README.md)
	gnuplot-nox                   # make bench: build/bench/ratios.png
	bochs bochsbios vgabios       # Intel VT-x tests (scripts/shoji-bochs)
)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ $p == \#* ]] && continue
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
