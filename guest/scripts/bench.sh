# bench: guest-side figures (shoji.script=bench). The boot-to-/init time is
# the "guest: init uptime=" line that /init prints before any script.
#   shoji.disk=sdX|none    the scratch disk (default: first blank SATA disk)
#   shoji.benchsecs=T      seconds per disk test (default 2)

disk=$(scratch_disk)
if [ -n "$disk" ]; then
	check disk-bench blkverify bench "$disk" --offset 1M --seconds "${SHOJI_BENCHSECS:-2}"
else
	skip disk-bench no-scratch-disk
fi
# TODO: AES-XTS over memory inside the guest (AES-NI), the bound for the
# encrypted-disk figure (design.md, performance yardsticks).

checks_done
