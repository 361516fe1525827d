# irq: a hostile guest forges interrupts with the edu device
# (shoji.script=irq; the program is guest/src/irq-attack.c).
# shoji.irq=SOURCE:MODE:DEST[:VECTOR][+...] lists the attacks, run in order, e.g.
# shoji.irq=msi:init:0+ioapic:nmi:0 (SOURCE msi|ioapic|dma|msix|hpet, MODE
# fixed|lowest|smi|nmi|init|startup|extint, DEST a physical APIC id).
# After each: "guest: irq alive after=SOURCE:MODE:DEST shoji=ok|none" once
# the guest has gone on (and, under shoji, VMMCALL status answered), so a
# test sees what survived. Natively an INIT resets the machine: the line
# after "irq-attack sent" never comes.

echo "guest: irq start uptime=$(uptime_s) attacks=${SHOJI_IRQ:-none}"
# An e1000e (MSI-X) gets its address by DHCP first: its interrupts work.
for n in /sys/class/net/eth*; do
	[ "$(cat "$n/device/device" 2>/dev/null)" = 0x10d3 ] || continue
	if udhcpc -i "${n##*/}" -n -q -f -t 5 -T 1 -s /lib/shoji/udhcpc.script >/dev/null 2>&1; then
		echo "guest: irq dhcp dev=${n##*/} driver=e1000e status=ok"
	else
		echo "guest: irq dhcp dev=${n##*/} driver=e1000e status=fail"
	fi
done
irq-attack nmis
for a in $(echo "${SHOJI_IRQ:-}" | tr '+' ' '); do
	set -- $(echo "$a" | tr ':' ' ')
	irq-attack "$@"
	rc=$?
	refused=
	if shoji-ctl version >/dev/null 2>&1; then
		if st=$(shoji-ctl status); then
			s=ok
			refused=" irq_refused=$(echo "$st" | sed -n 's/.*status irq_refused=//p')"
		else
			s=fail
		fi
	else
		s=none
	fi
	echo "guest: irq alive after=$a rc=$rc shoji=$s$refused"
done
irq-attack nmis
grep -E "NMI|edu|ahci|eth|ERR" /proc/interrupts | sed 's/^/guest: irq interrupts /'
echo "guest: irq all-done"
