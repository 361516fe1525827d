# ide-attack: a hostile guest program drives the IDE controller's primary
# channel itself and races its bus master (shoji.script=ide-attack; the
# program is guest/src/ide-attack.c).
#
# Under shoji with the IDE disk intercepted (intercept=ide): every check
# must hold: the data and the PRD table rewritten right after the
# bus-master START change nothing (shoji copied both at START), a PRD at the
# hypervisor region is refused with an error, shoji's checksum and its IOMMU
# fault count stay the same, and the channel works afterwards.
# Without shoji: the rewrite variants are observations
# ("guest: ide-attack observed mode=native variant=V rc=N attempts=K"),
# tried up to 8 times until the attack had an effect (rc=3): QEMU's block
# layer reads write data from guest memory after START, so the rewritten
# data reaches the disk (reliably on a slow disk: the tests throttle it,
# scripts/shoji-qemu --disk-iops).
# Returns non-zero if any check failed.

seed=${SHOJI_SEED:-13}
echo "guest: ide-attack start uptime=$(uptime_s)"

ide=
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/class") in
	0x0101*) ide=$d; break ;;
	esac
done
if [ -z "$ide" ]; then
	echo "guest: ide-attack error: no IDE controller"
	checks_done
	exit 1
fi
bdf=${ide##*/}
bm=$(sed -n 5p "$ide/resource" | cut -d' ' -f1)

shoji_probe ide_commands
echo "guest: ide-attack mode=$mode device=$bdf bm=$bm hv_base=${hv:-none} seed=$seed"

check ide-unbound unbind_driver "$ide" "$bdf" || { checks_done; exit 1; }
echo 0 >/proc/sys/vm/compact_unevictable_allowed 2>/dev/null

run() {
	ide-attack --bdf "$bdf" --bm "$bm" --seed "$seed" "$@"
}

attack() {
	attack_or_observe ide-attack 8 "$@"
}

check ide-plain run plain
attack ide-write-rewrite write-rewrite
attack ide-read-rewrite --lba 6400 read-rewrite
if [ "$mode" = shoji ]; then
	check ide-read-hv run --hv "$hv" read-hv
	check ide-plain-after run --lba 6300 plain
	hv_unchanged_checks ide-attack
	check no-iommu-fault no_new_fault
	shoji-ctl status | grep -E "ide_" || true
fi
echo "guest: ide-attack end uptime=$(uptime_s)"
checks_done
