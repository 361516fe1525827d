# smp: every CPU is the guest's and works (shoji.script=smp, shoji.cpus=N).
#  - nproc equals N and every CPU is online;
#  - a parallel workload: one sha256sum job pinned to each CPU at once
#    (taskset), each must finish with the expected digest;
#  - PCI CONFIG_ADDRESS written on one CPU is the one another CPU uses;
#  - CPU hot-unplug and replug of every AP: Linux parks the CPU, then
#    wakes it with INIT-SIPI-SIPI again, which under shoji is the
#    architectural "wait for SIPI" path of an already started CPU;
#  - the workload once more on the replugged CPUs.
cpus=${SHOJI_CPUS:-1}
echo "guest: smp start cpus=$(nproc) expected=$cpus online=$(cat /sys/devices/system/cpu/online) uptime=$(uptime_s)"
check smp-nproc [ "$(nproc)" = "$cpus" ]

# 8 MiB of zeros hashed on one CPU: the digest is fixed.
ZERO8M=2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74
parallel_work() {
	_tag=$1
	_n=$(nproc)
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		( taskset -c "$_i" sh -c "dd if=/dev/zero bs=1M count=8 2>/dev/null | sha256sum" \
			>/tmp/smp.$_i 2>&1 ) &
		_i=$((_i + 1))
	done
	wait
	_i=0
	_ok=0
	while [ "$_i" -lt "$_n" ]; do
		grep -q "^$ZERO8M" /tmp/smp.$_i && _ok=$((_ok + 1))
		_i=$((_i + 1))
	done
	echo "guest: smp work=$_tag jobs=$_n ok=$_ok"
	[ "$_ok" = "$_n" ]
}
check smp-parallel parallel_work first

replug() {
	for c in /sys/devices/system/cpu/cpu[1-9]*; do
		[ -e "$c/online" ] || continue
		echo 0 >"$c/online" || return 1
		[ "$(cat "$c/online")" = 0 ] || return 1
		echo 1 >"$c/online" || return 1
		[ "$(cat "$c/online")" = 1 ] || return 1
		echo "guest: smp replug cpu=${c##*cpu} online=$(cat "$c/online")"
	done
	[ "$(nproc)" = "$cpus" ]
}
# PCI CONFIG_ADDRESS (0xcf8) is the host bridge's, one per machine: an
# address written on CPU 0 is the one CPU 1 reads back, and CPU 1's data
# read returns that function's ID (00:00.0, the host bridge), natively and
# under shoji. Linux may move CF8 in between (its own type-1 accesses): a
# try counts only if CF8 still holds the address after the read.
pci_latch_shared() {
	_want=$(printf '0x%04x%04x' "$(cat /sys/bus/pci/devices/0000:00:00.0/device)" \
		"$(cat /sys/bus/pci/devices/0000:00:00.0/vendor)")
	for _try in 1 2 3 4 5 6 7 8; do
		taskset -c 0 ioport out32 0xcf8 0x80000000 >/dev/null || return 1
		_addr=$(taskset -c 1 ioport in32 0xcf8 | field value)
		_id=$(taskset -c 1 ioport in32 0xcfc | field value)
		[ "$(taskset -c 0 ioport in32 0xcf8 | field value)" = 0x80000000 ] && break
	done
	echo "guest: smp pci-latch cf8_on_cpu1=$_addr id_on_cpu1=$_id want=$_want try=$_try"
	[ "$_addr" = 0x80000000 ] && [ "$_id" = "$_want" ]
}
if [ "$cpus" -gt 1 ]; then
	check smp-pci-latch-shared pci_latch_shared
	check smp-replug replug
	check smp-parallel-after-replug parallel_work after-replug
else
	skip smp-replug one-cpu
fi

# shoji.smpdma=1 (an edu device, under shoji): the DMA attacker runs on the
# last CPU, the IOMMU's fault events go to the boot CPU (shoji's fault NMI):
# the edu device writes into and reads from the hypervisor region 20 times;
# shoji's checksum of itself must stay, the fault count must rise.
dma_from_other_cpu() {
	_cpu=$(($(nproc) - 1))
	_hv=$(shoji-ctl status | sed -n 's/.*status hv_base=//p')
	_before=$(shoji-ctl selfcheck | field checksum)
	_f0=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
	_i=0
	while [ "$_i" -lt 20 ]; do
		taskset -c "$_cpu" edu-dma write-to $((_hv + 0x80000)) 256 >/dev/null 2>&1
		taskset -c "$_cpu" edu-dma read-from $((_hv + 0x1000)) 256 >/dev/null 2>&1
		_i=$((_i + 1))
	done
	_after=$(shoji-ctl selfcheck | field checksum)
	_f1=$(shoji-ctl status | sed -n 's/.*status iommu_faults=//p')
	echo "guest: smp dma attacker_cpu=$_cpu faults_before=$_f0 faults_after=$_f1 selfcheck_before=$_before selfcheck_after=$_after"
	[ -n "$_before" ] && [ "$_before" = "$_after" ] && [ "$_f1" -gt "$_f0" ]
}
if [ "${SHOJI_SMPDMA:-0}" = 1 ]; then
	check smp-dma-other-cpu dma_from_other_cpu
fi

# shoji.smpdisk=sdX: verified random I/O from every CPU at once, two
# blkverify jobs pinned to each CPU on disjoint 4 MiB ranges (with an
# intercepted disk: every command encrypted or decrypted by shoji on the
# CPU whose exit issued it).
disk_jobs() {
	_n=$(nproc)
	_k=0
	_pids=
	while [ "$_k" -lt $((_n * 2)) ]; do
		( taskset -c $((_k % _n)) blkverify check "/dev/$SHOJI_SMPDISK" --bytes 2M \
			--offset $((1 + _k * 4))M --span 4M --seed $((20 + _k)) >/tmp/disk.$_k 2>&1 ) &
		_k=$((_k + 1))
	done
	wait
	_k=0
	_ok=0
	while [ "$_k" -lt $((_n * 2)) ]; do
		grep -q "guest: blkverify ok" /tmp/disk.$_k && _ok=$((_ok + 1))
		sed 's/^/guest: smp disk job='$_k' /' /tmp/disk.$_k | grep -v "^guest: smp disk job=[0-9]* guest: bench" | head -n 2
		_k=$((_k + 1))
	done
	echo "guest: smp disk jobs=$((_n * 2)) cpus=$_n ok=$_ok"
	# Under shoji with an intercepted disk: which CPUs moved (and
	# encrypted) the commands' data, and how often two did at once.
	shoji-ctl status 2>/dev/null | sed -n 's/.*status \(disk_parallel=.*\|disk_helped_pages=.*\|disk_cpu[0-9]*_pages=.*\)/guest: smp disk \1/p'
	[ "$_ok" = $((_n * 2)) ]
}
if [ -n "${SHOJI_SMPDISK:-}" ]; then
	check smp-disk-jobs disk_jobs
fi
checks_done
