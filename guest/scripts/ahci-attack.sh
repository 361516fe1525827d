# ahci-attack: a hostile guest program drives the AHCI controller itself and
# rewrites a command's PRDT while the command is in flight
# (shoji.script=ahci-attack; the program is guest/src/ahci-attack.c).
#
# Under shoji with the disk intercepted (intercept=ahci): every check must
# hold. The PRD rewritten after the PxCI write to another guest buffer or to
# the hypervisor region changes nothing: shoji copied the command at the PxCI
# write; shoji's checksum and its IOMMU fault count stay the same.
# Under shoji with the disk passed through (no intercept=): the attack reaches
# guest buffers, and the IOMMU blocks every access to the hypervisor region
# (faults logged with the controller's BDF); the checksum stays the same.
# Without shoji: the guest-buffer variants only (the hypervisor's address is
# ordinary RAM there).
# Outside the intercepted mode the attack variants report what the device did
# ("guest: ahci-attack observed mode=M variant=V rc=N attempts=K", and the
# program's result lines) instead of counting as checks: who wins the race is
# what is being observed there. Like a real attacker, each is tried up to 5
# times until something happened (rc=3: a buffer, the disk or the IOMMU fault
# count is not as it would be without the attack), and with more decoys (30
# of 512 KiB instead of 24 of 256 KiB): the rewrite races the device, and a
# busy host can delay the guest's rewrite past its window.
#
# Disk data: blkverify's pattern, seed shoji.seed (default 11), gen 0, at
# sectors 2048.. (8, the attacked reads) and 4096.. (1024, read by the
# decoys), put there by the host; shoji.ahciprep=1 makes the program write it
# first. The write variants write gen 1 at sector 6144 and gen 2 at 6160.
# Returns non-zero if any check failed.

seed=${SHOJI_SEED:-11}
echo "guest: ahci-attack start uptime=$(uptime_s)"

ahci=$(pci_find 0x8086 0x2922) || ahci=
if [ -z "$ahci" ]; then
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010601 ] && { ahci=$d; break; }
	done
fi
if [ -z "$ahci" ]; then
	echo "guest: ahci-attack error: no AHCI controller"
	checks_done
	exit 1
fi
bdf=${ahci##*/}

shoji_probe disk_commands
echo "guest: ahci-attack mode=$mode device=$bdf hv_base=${hv:-none} seed=$seed"

# The program is the controller's only driver from here on.
check ahci-unbound unbind_driver "$ahci" "$bdf" || { checks_done; exit 1; }
# Keep the program's locked pages where pagemap said they are.
echo 0 >/proc/sys/vm/compact_unevictable_allowed 2>/dev/null

run() {
	ahci-attack --device "$bdf" --seed "$seed" "$@"
}

if [ "${SHOJI_AHCIPREP:-0}" = 1 ]; then
	check ahci-prepare run --decoy-sectors 1024 prepare
fi

# attack NAME ARGS...: a check when the disk is intercepted, an observation
# otherwise (with more decoys), tried ${tries:-5} times.
observe_args="--decoy-slots 30 --decoy-sectors 1024"
attack() {
	attack_or_observe ahci-attack "${tries:-5}" "$@"
}

# race NAME ARGS...: the cross-CPU race (shoji.racecpu). Natively an
# observation like attack(). Under shoji one check over up to 10 tries,
# every one of which must hold; it stops at the first try in which the race
# was on (the rewriter wrote while the command was still queued: rewrites>0
# and the command's PxCI bit still set after the first rewrite). A try in
# which shoji's doorbell handling outlasted the command leaves the other CPU
# nothing to race: it proves nothing either way, so another is made.
race() {
	if [ "$mode" != shoji ]; then
		tries=30 attack "$@"
		return
	fi
	_n=$1
	shift
	check "$_n" race_tries "$@"
}
race_tries() {
	for _t in 1 2 3 4 5 6 7 8 9 10; do
		run "$@" >/tmp/race.out 2>&1
		_rc=$?
		cat /tmp/race.out
		[ "$_rc" -eq 0 ] || return "$_rc"
		_w=$(sed -n 's/.*ahci-attack race .*rewrites=\([0-9]*\).*/\1/p' /tmp/race.out)
		_ci=$(sed -n 's/.*ahci-attack result .*ci_after_rewrite=\(0x[0-9a-f]*\).*/\1/p' /tmp/race.out)
		if [ "${_w:-0}" -gt 0 ] && [ -n "$_ci" ] && [ "$((_ci))" -ne 0 ]; then
			echo "guest: ahci-attack race-on tries=$_t"
			return 0
		fi
	done
	echo "guest: ahci-attack race-never-on tries=10"
	return 0
}

check ahci-plain run plain
attack ahci-read-buffer read-buffer
attack ahci-read-buffer-single --decoy-slots 0 read-buffer
attack ahci-write-buffer --write-lba 6144 --gen 1 write-buffer
# shoji.racecpu=N (an SMP guest): the rewrite from another CPU, in a tight
# loop from the doorbell on, while this CPU issues the command (issue 15).
if [ -n "${SHOJI_RACECPU:-}" ]; then
	# Natively up to 30 tries: the other CPU is a host thread, which a busy
	# host may not run within the device's window (10 were not always
	# enough with other QEMUs running beside the test).
	race ahci-read-buffer-race --rewrite-cpu "$SHOJI_RACECPU" read-buffer
fi
if [ "$mode" != native ]; then
	attack ahci-read-hv --hv "$hv" read-hv
	attack ahci-read-hv-single --hv "$hv" --decoy-slots 0 read-hv
	attack ahci-write-hv --hv "$hv" --write-lba 6160 --gen 2 write-hv
	attack ahci-hv-at-issue --hv "$hv" hv-at-issue
	if [ -n "${SHOJI_RACECPU:-}" ]; then
		race ahci-read-hv-race --rewrite-cpu "$SHOJI_RACECPU" --hv "$hv" read-hv
	fi
	# Once more after the refusal: the port works again.
	check ahci-plain-after run plain

	hv_unchanged_checks ahci-attack
	if [ "$mode" = shoji ]; then
		check no-iommu-fault no_new_fault
	else
		# Every access toward the hypervisor was the controller's, and blocked.
		blocked() {
			_f=$(shoji-ctl faults)
			echo "$_f"
			[ "$faults_after" -gt "$faults_before" ] &&
				! echo "$_f" | grep -v "sid=${bdf#0000:} addr=$hv " | grep -q .
		}
		check iommu-blocked-hv blocked
	fi
	shoji-ctl status | grep -E "disk_|npt_hole|exits_npf|exits_mmio" || true
fi

# Give the disk back to Linux: it resets the controller and finds the disk.
rebind() {
	echo "$bdf" >/sys/bus/pci/drivers/ahci/bind || return 1
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		[ -n "$(sata_disks)" ] && { echo "guest: ahci-attack rebound disks=$(sata_disks)"; return 0; }
		sleep 0.5
	done
	return 1
}
check ahci-rebind rebind
echo "guest: ahci-attack end uptime=$(uptime_s)"
checks_done
