# power: the guest's reset, power-off and sleep paths (shoji.script=power).
#   shoji.power=reboot       reboot(2): the kernel's reboot= method
#                            (reboot=pci|kbd|triple|acpi on the command line)
#   shoji.power=port92       port 0x92 fast reset (bit 0)
#   shoji.power=kbd-outport  8042 command 0xd1, then output port bit 0 low
#   shoji.power=cf9          one byte 0x06 to 0xcf9 (RST_CPU)
#   shoji.power=sleep        echo mem > /sys/power/state (ACPI S3), then go on
#   shoji.power=poweroff     nothing: /init powers off (ACPI S5)
#   shoji.power=debug-exit   QEMU's isa-debug-exit (port 0xf4) written with
#                            shoji's "stopped ok" value; "guest: power
#                            debug-exit survived" if the machine is still up
#   shoji.power=string-io    REP OUTSB to 0xcf9 (shoji cannot emulate it and
#                            stops: a guest-triggerable stop)
# shoji.wait=N (default 2): seconds between "guest: power armed" and the act,
# so a test can dump memory while the guest still runs.
method=${SHOJI_POWER:-poweroff}
wait=${SHOJI_WAIT:-2}
echo "guest: power armed method=$method wait=$wait"
sleep "$wait"
echo "guest: power go method=$method"
case $method in
reboot) reboot -f ;;
port92)
	cur=$(ioport in8 0x92 | sed -n 's/.*value=//p')
	ioport out8 0x92 $((cur | 1)) ;;
kbd-outport) ioport out8 0x64 0xd1 0x60 0xfe ;;
cf9) ioport out8 0xcf9 0x06 ;;
sleep)
	echo mem > /sys/power/state
	echo "guest: power sleep returned rc=$?"
	exit 0 ;;
poweroff) exit 0 ;;
string-io) ioport outsb 0xcf9 0 ;;
debug-exit)
	ioport out32 0xf4 0x10
	sleep 1
	echo "guest: power debug-exit survived"
	exit 0 ;;
*) echo "guest: power error unknown method=$method"; exit 1 ;;
esac
sleep 5
echo "guest: power still-running method=$method"
exit 1
