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

# ---- the disk attack scripts (ahci-attack.sh, ide-attack.sh) ----

# shoji_probe KEY: sets mode (shoji: shoji runs and its status names KEY,
# i.e. it intercepts the disk; passthrough: shoji runs without; native: no
# shoji), and under shoji hv (the hypervisor region's base), before (its
# selfcheck checksum) and faults_before (IOMMU faults so far).
shoji_probe() {
	hv=
	if shoji-ctl version >/dev/null 2>&1; then
		_status=$(shoji-ctl status)
		if echo "$_status" | grep -q "status $1="; then
			mode=shoji
		else
			mode=passthrough
		fi
		hv=$(echo "$_status" | sed -n 's/.*status hv_base=//p')
		before=$(shoji-ctl selfcheck | field checksum)
		faults_before=$(echo "$_status" | sed -n 's/.*status iommu_faults=//p')
	else
		mode=native
	fi
}

# unbind_driver DIR BDF: the PCI function (sysfs DIR) left without a driver.
unbind_driver() {
	[ -e "$1/driver" ] || return 0
	echo "$2" >"$1/driver/unbind"
	[ ! -e "$1/driver" ]
}

# attack_or_observe PROG TRIES NAME ARGS...: with the disk intercepted
# (mode=shoji) the check NAME of `run ARGS` (run: the script's function);
# otherwise who wins the race is observed: `run $observe_args ARGS` up to
# TRIES times until the attack had an effect (rc 3), then
# "guest: PROG observed mode=M variant=NAME rc=N attempts=K".
attack_or_observe() {
	_prog=$1
	_tries=$2
	_n=$3
	shift 3
	if [ "$mode" = shoji ]; then
		check "$_n" run "$@"
		return
	fi
	for _try in $(seq 1 "$_tries"); do
		# shellcheck disable=SC2086 # observe_args: several words
		run ${observe_args:-} "$@"
		_rc=$?
		[ "$_rc" -eq 3 ] && break
	done
	echo "guest: $_prog observed mode=$mode variant=$_n rc=$_rc attempts=$_try"
}

# hv_unchanged_checks PROG: after (the selfcheck checksum now) and
# faults_after, logged beside the values shoji_probe read, and the check
# hypervisor-unchanged (the checksum is the same).
hv_unchanged_checks() {
	after=$(shoji-ctl selfcheck | field checksum)
	faults_after=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
	echo "guest: $1 selfcheck before=$before after=$after"
	echo "guest: $1 iommu_faults before=$faults_before after=$faults_after"
	_unchanged() { [ -n "$before" ] && [ "$before" = "$after" ]; }
	check hypervisor-unchanged _unchanged
}

# no_new_fault: the IOMMU reported no fault since shoji_probe (its fault
# log is printed).
no_new_fault() {
	shoji-ctl faults
	[ -n "$faults_before" ] && [ "$faults_before" = "$faults_after" ]
}
