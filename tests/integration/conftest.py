"""Helpers for integration tests: boot shoji in QEMU through scripts/shoji-qemu
and parse its log. Every boot has a timeout, and tests check explicit
markers (a crashed or hung QEMU never passes)."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
LAUNCHER = os.path.join(ROOT, "scripts", "shoji-qemu")
IMAGE = os.path.join(BUILD, "shoji.elf")

END_MARKER = "shoji: ---- end of boot report ----"
STOP_OK = "shoji: stopped status=ok"
STOP_FAIL = "shoji: stopped status=failure"


def console_lines(out):
    """The serial console's lines. With several CPUs the guest (on one CPU)
    and shoji (handling an exit of another) write to the same UART at once,
    so a whole shoji line can land inside a guest line ('guest: edu-dshoji:
    warning: vtd fault ...'): it is split out onto a line of its own, as
    shoji wrote it (shoji's own lines are whole: one write under its log
    lock). The rest of the guest's line comes after shoji's newline, on the
    next line that is not shoji's: it is joined back to its start
    ('guest: check name=region-r' + 'eserved status=ok')."""
    lines = []
    cut = None	# index of a guest line whose rest is still to come
    for l in out.splitlines():
        l = l.rstrip("\r")
        if cut is not None and not l.startswith("shoji: "):
            if l and not l.startswith("guest: "):
                lines[cut] += l
                cut = None
                continue
            cut = None
        i = l.find("shoji: ", 1)
        if i > 0 and not l.startswith("shoji: "):
            lines += [l[:i], l[i:]]
            cut = len(lines) - 2
        else:
            lines.append(l)
    return lines


class Boot:
    """One finished QEMU run: exit status and the hypervisor's log lines."""

    def __init__(self, args, rc, out, err):
        self.args = args
        self.rc = rc
        self.out = out
        self.err = err
        self.lines = console_lines(out)

    def __repr__(self):
        return f"Boot(rc={self.rc}, args={self.args})\n--- log ---\n{self.out}\n--- stderr ---\n{self.err}"

    def has(self, text):
        return any(text in l for l in self.lines)

    def records(self, subject):
        """key=value dicts of the lines 'shoji: SUBJECT ...' (or 'guest: ...')."""
        out = []
        prefix = f"{subject} " if subject.startswith("guest:") else f"shoji: {subject} "
        for l in self.lines:
            if l.startswith(prefix):
                out.append(kv(l[len(prefix):]))
        return out

    def record(self, subject, key=None):
        """The one 'subject' line (having `key`, when given)."""
        recs = [r for r in self.records(subject) if key is None or key in r]
        assert len(recs) == 1, f"expected one '{subject}' line, got {len(recs)}\n{self}"
        return recs[0]


def kv(text):
    """Parse 'word k=v k2=v2' into {'_': ['word'], 'k': 'v', ...}."""
    d = {"_": []}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = v
        else:
            d["_"].append(tok)
    return d


def num(v):
    return int(v, 0)


def run_shoji(*args, timeout=60, expect_rc=None):
    """Boot shoji with launcher arguments; returns a Boot."""
    if not os.path.exists(IMAGE) and "--iso" not in args:
        pytest.fail(f"{IMAGE} missing: run 'make' first")
    cmd = [LAUNCHER, "--timeout", str(timeout), *args]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout + 30, errors="replace")
    b = Boot(args, p.returncode, p.stdout, p.stderr)
    assert b.rc != 124, f"QEMU timed out\n{b}"
    if expect_rc is not None:
        assert b.rc == expect_rc, f"exit status {b.rc}, expected {expect_rc}\n{b}"
    return b


@pytest.fixture(scope="session")
def default_boot():
    """One boot with the defaults (intel-iommu, 1 GiB), shared by tests that only read it."""
    return run_shoji(expect_rc=0)


# ---- live machines: a QEMU run in the background, read from the host ----------

GUEST = os.path.join(BUILD, "guest")
VMLINUX = os.path.join(GUEST, "vmlinux")
BZIMAGE = os.path.join(GUEST, "bzImage")
INITRD = os.path.join(GUEST, "initrd.cpio.gz")
EDU_DEVICE = "edu,dma_mask=0xffffffffffffffff"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def native_cmd(script, *, kernel=VMLINUX, append=(), disk=None, edu=True, net=True,
               devices=(), mem="1G", smp=1, iommu=None, monitor=None, hold_on_reset=False,
               qemu_args=()):
    """The QEMU command that boots the default guest WITHOUT shoji, on the same
    machine the launcher builds (q35, TCG, -cpu max), running shoji.script=SCRIPT.
    `disk` is a raw image attached to the q35 AHCI controller's port 0; `iommu`
    'intel' or 'amd' adds that IOMMU model (the guest then sees it)."""
    cmd = ["qemu-system-x86_64", "-accel", "tcg,thread=multi" if smp > 1 else "tcg",
           "-machine", "q35", "-cpu", "max",
           "-m", mem, "-smp", str(smp), "-nodefaults", "-display", "none", "-no-reboot",
           "-serial", "stdio", "-kernel", kernel, "-initrd", INITRD,
           "-append", " ".join(["console=ttyS0", "panic=-1", f"shoji.script={script}",
                                *append])]
    cmd += ["-monitor", f"unix:{monitor},server=on,wait=off"] if monitor else ["-monitor", "none"]
    if hold_on_reset:
        cmd += ["-action", "reboot=shutdown,shutdown=pause"]
    if iommu == "intel":
        cmd += ["-device", "intel-iommu,intremap=on"]
    elif iommu == "amd":
        cmd += ["-device", "amd-iommu"]
    if edu:
        cmd += ["-device", EDU_DEVICE]
    for d in devices:
        cmd += ["-device", d]
    if disk:
        cmd += ["-drive", f"id=d0,file={disk},format=raw,if=none",
                "-device", "ide-hd,drive=d0,bus=ide.0"]
    if net:
        cmd += ["-netdev", "user,id=n0,restrict=on", "-device", "e1000,netdev=n0"]
    return cmd + list(qemu_args)


def shoji_cmd(*args, timeout=120, monitor=None, hold_on_reset=False):
    """The launcher command for a live run (see run_shoji for a finished one)."""
    if not os.path.exists(IMAGE) and "--iso" not in args:
        pytest.fail(f"{IMAGE} missing: run 'make' first")
    cmd = [LAUNCHER, "--timeout", str(timeout), *args]
    if monitor:
        cmd += ["--monitor", monitor]
    if hold_on_reset:
        cmd.append("--hold-on-reset")
    return cmd


class LiveVM:
    """QEMU (raw or through the launcher) running in the background: its console
    lines collected as they come, and, when `monitor` names the unix socket the
    command opens, the QEMU monitor (HMP) for the host's view of the machine:

        with LiveVM(shoji_cmd(..., monitor=sock), monitor=sock) as vm:
            vm.wait_line(r"guest: attack done")
            ram = vm.pmemsave(0, 1 << 30)

    Everything has a timeout; a VM still running at the end is killed."""

    def __init__(self, cmd, monitor=None, timeout=180):
        import threading
        self.cmd, self.monitor_path, self.timeout = cmd, monitor, timeout
        self.lines = []
        self.rc = None
        self._cond = threading.Condition()
        self._sock = None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace",
                                     start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\r\n"))
                self._cond.notify_all()
        with self._cond:
            self.rc = self.proc.wait()
            self._cond.notify_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        tail = "\n".join(self.lines[-120:])
        return f"LiveVM(rc={self.rc})\n{' '.join(self.cmd)}\n--- console (tail) ---\n{tail}"

    @property
    def out(self):
        with self._cond:
            return "\n".join(self.lines)

    def has(self, text):
        with self._cond:
            return any(text in l for l in self.lines)

    def wait_line(self, regex, timeout=120, start=0):
        """The first console line (from index `start`) matching `regex`, as a
        re.Match; fails the test when QEMU ends or the time runs out first."""
        import time
        pat = re.compile(regex)
        deadline = time.monotonic() + timeout
        i = start
        with self._cond:
            while True:
                while i < len(self.lines):
                    m = pat.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                if self.rc is not None:
                    pytest.fail(f"QEMU ended (rc={self.rc}) before a line matching "
                                f"{regex!r}\n{self!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no line matching {regex!r} within {timeout} s\n{self!r}")
                self._cond.wait(min(left, 1.0))

    def wait_exit(self, timeout=120):
        """QEMU's exit status (fails the test if it is still running then)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"QEMU still running after {timeout} s\n{self!r}")
        self._reader.join(timeout=10)
        return self.rc if self.rc is not None else self.proc.returncode

    # -- the monitor -------------------------------------------------------
    def _connect(self, timeout=30):
        import socket
        import time
        if not self.monitor_path:
            pytest.fail("this LiveVM has no monitor socket")
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.monitor_path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    pytest.fail(f"cannot reach the QEMU monitor at {self.monitor_path}\n{self!r}")
                time.sleep(0.2)
        s.settimeout(timeout)
        self._sock = s
        self._recv_prompt(timeout)	# the banner

    def _recv_prompt(self, timeout):
        import time
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"(qemu) "):
            if time.monotonic() > deadline:
                pytest.fail(f"the QEMU monitor did not answer within {timeout} s: {buf!r}")
            chunk = self._sock.recv(65536)
            if not chunk:
                pytest.fail(f"the QEMU monitor closed the connection: {buf!r}\n{self!r}")
            buf += chunk
        return buf[:-len(b"(qemu) ")].decode(errors="replace")

    def hmp(self, command, timeout=60):
        """Runs one HMP command; returns its output (echo and escapes removed)."""
        if self._sock is None:
            self._connect()
        self._sock.sendall(command.encode() + b"\n")
        text = _ANSI.sub("", self._recv_prompt(timeout)).replace("\r", "")
        lines = text.split("\n")
        if lines and lines[0].strip().endswith(command.strip()):
            lines = lines[1:]	# the monitor echoes what it was sent
        return "\n".join(lines).strip("\n")

    def status(self):
        """'running', 'paused', 'paused (shutdown)', ... from 'info status'."""
        return self.hmp("info status").replace("VM status:", "").strip()

    def wait_paused(self, timeout=120):
        """Waits until the VM is paused (with --hold-on-reset: the guest reset or
        powered off); returns the status text."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if st.startswith("paused"):
                return st
            if time.monotonic() > deadline:
                pytest.fail(f"the VM did not pause within {timeout} s (status {st})\n{self!r}")
            time.sleep(0.5)

    def pmemsave(self, addr, size, timeout=120):
        """`size` bytes of guest-physical memory from `addr`, as the machine holds
        them (QEMU's pmemsave: the host's truth, not the hypervisor's report)."""
        import tempfile
        with tempfile.NamedTemporaryFile(prefix="pmem-", suffix=".bin", delete=False) as f:
            path = f.name
        try:
            out = self.hmp(f'pmemsave {addr:#x} {size:#x} "{path}"', timeout=timeout)
            if out.strip():
                pytest.fail(f"pmemsave failed: {out}")
            with open(path, "rb") as f:
                data = f.read()
        finally:
            os.unlink(path)
        assert len(data) == size, f"pmemsave returned {len(data)} bytes of {size}"
        return data

    def mtree(self):
        """'info mtree -f': what the CPU sees where (flat views)."""
        return self.hmp("info mtree -f")

    def cpu_view(self, start, end):
        """The ranges of the CPU's flat view (address space "cpu-memory-0")
        that overlap [start, end), as (first, last, kind, region-name) with
        kind 'ram', 'i/o', 'rom', 'romd'... e.g. to see whether anything but
        RAM decodes over the hypervisor region."""
        out, ours = [], False
        for line in self.mtree().splitlines():
            if line.startswith("FlatView"):
                ours = False
            elif re.match(r'\s*AS "', line):
                ours = ours or 'AS "cpu-memory-0"' in line
            elif ours:
                r = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) \(prio \S+, (\S+)\): (\S+)", line)
                if r and int(r.group(1), 16) < end and start <= int(r.group(2), 16):
                    out.append((int(r.group(1), 16), int(r.group(2), 16), r.group(3),
                                r.group(4)))
        return out

    def stop(self):
        """Ends the VM (monitor 'quit', else SIGKILL); returns QEMU's status."""
        if self.proc.poll() is None:
            try:
                if self.monitor_path:
                    if self._sock is None:
                        self._connect(timeout=5)
                    self._sock.sendall(b"quit\n")
                    self.proc.wait(timeout=10)
            except BaseException:
                pass
        import signal
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:	# the launcher kills its QEMU on SIGTERM
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._reader.join(timeout=10)
        return self.proc.returncode


@pytest.fixture
def monitor_sock(tmp_path):
    """A path for a QEMU monitor socket (short: unix socket paths are limited)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="shoji-mon-")
    yield os.path.join(d, "mon.sock")
    import shutil
    shutil.rmtree(d, ignore_errors=True)
