# Helpers for the guest scripts in /etc/shoji (sourced by /init before the script).

CHECKS_FAILED=0
CHECKS_RUN=0

# check NAME COMMAND...: runs COMMAND, prints "guest: check name=NAME status=ok|fail"
# and counts failures (see checks_done).
check() {
	_name=$1
	shift
	"$@"
	_rc=$?
	CHECKS_RUN=$((CHECKS_RUN + 1))
	if [ "$_rc" -eq 0 ]; then
		echo "guest: check name=$_name status=ok"
	else
		echo "guest: check name=$_name status=fail rc=$_rc"
		CHECKS_FAILED=$((CHECKS_FAILED + 1))
	fi
	return "$_rc"
}

# skip NAME REASON: a check that cannot run here.
skip() {
	echo "guest: check name=$1 status=skip reason=$2"
}

# checks_done: summary line; returns non-zero if any check failed.
checks_done() {
	echo "guest: checks run=$CHECKS_RUN failed=$CHECKS_FAILED"
	[ "$CHECKS_FAILED" -eq 0 ]
}

# expect_rc WANT COMMAND...: succeeds when COMMAND exits with status WANT.
expect_rc() {
	_want=$1
	shift
	"$@"
	_got=$?
	[ "$_got" -eq "$_want" ] && return 0
	echo "guest: expected exit status $_want, got $_got: $*"
	return 1
}

# field KEY: the value of KEY=... in the line on stdin (first match).
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -n 1
}

# uptime_s: seconds since boot.
uptime_s() {
	read -r _up _ </proc/uptime
	echo "$_up"
}

# pci_find VENDOR DEVICE: sysfs directory of the first such PCI device.
pci_find() {
	for _d in /sys/bus/pci/devices/*; do
		[ "$(cat "$_d/vendor" 2>/dev/null)" = "$1" ] &&
			[ "$(cat "$_d/device" 2>/dev/null)" = "$2" ] && { echo "$_d"; return 0; }
	done
	return 1
}

has_edu() { pci_find 0x1234 0x11e8 >/dev/null; }

# sata_disks: /dev names of the disks behind an ATA (AHCI) controller.
sata_disks() {
	for _b in /sys/block/sd*; do
		[ -e "$_b" ] || continue
		case $(readlink -f "$_b") in
		*/ata[0-9]*) echo "/dev/${_b##*/}" ;;
		esac
	done
}

# disk_named NAME: /dev path of a disk named on the command line: sdX,
# /dev/sdX, or pci-DOMAIN:BUS:DEV.FN (the first disk behind that PCI
# function, e.g. pci-0000:00:1f.2 for q35's AHCI: names like sda depend on
# which driver probed first when there are two controllers).
disk_named() {
	case $1 in
	pci-*)
		for _b in /sys/block/sd*; do
			case $(readlink -f "$_b") in
			*/${1#pci-}/*) echo "/dev/${_b##*/}"; return 0 ;;
			esac
		done
		echo "/dev/no-disk-behind-${1#pci-}"
		return 1 ;;
	/dev/*) echo "$1" ;;
	*) echo "/dev/$1" ;;
	esac
}

# scratch_disk: the disk that tests and benchmarks may overwrite. With
# shoji.disk=NAME on the kernel command line, that disk (shoji.disk=none:
# no disk); otherwise the first SATA disk that has no partition table or
# filesystem signature (blkverify probe). Prints nothing if there is none.
scratch_disk() {
	case ${SHOJI_DISK:-} in
	none) return 1 ;;
	"") ;;
	/dev/*) echo "$SHOJI_DISK"; return 0 ;;
	*) echo "/dev/$SHOJI_DISK"; return 0 ;;
	esac
	for _d in $(sata_disks); do
		if blkverify probe "$_d" >/dev/null; then
			echo "$_d"
			return 0
		fi
		echo "guest: disk $_d has a partition table or filesystem: not used (shoji.disk=${_d#/dev/} forces it)" >&2
	done
	return 1
}
