"""scripts/shoji-qemu's accounting of machine resets and power-offs: QEMU's
QMP events (SHUTDOWN/RESET caused by the guest side) must each follow
shoji's announcement with the boot's token; anything else is exit status 3
with a message that says so. Played against a scripted stand-in for QEMU
(fake_qemu.py) so every case is exact and no boot is needed; the real runs
are in test_resets.py."""
import os
import subprocess

from conftest import LAUNCHER

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_qemu.py")
TOKEN = "0123456789abcdef"
BOOT = f"say shoji: shoji 0.1.0 starting (multiboot1, loader=qemu)\nsay shoji: announce token={TOKEN} source=rdrand"


def launch(script, *args):
    env = dict(os.environ, FAKE_QEMU_SCRIPT=script)
    p = subprocess.run([LAUNCHER, "--qemu", FAKE, "--timeout", "30", *args],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_announced_power_off_exits_0():
    rc, out, err = launch(f"{BOOT}\nsay shoji: machine power-off path=pm1a-cnt secrets=wiped "
                          f"token={TOKEN}\nevent SHUTDOWN guest-shutdown\nexit 0")
    assert rc == 0, (out, err)
    assert "FAILURE" not in err


def test_unannounced_reset_exits_3():
    rc, out, err = launch(f"{BOOT}\nsay guest: hello\nevent SHUTDOWN guest-reset\nexit 0")
    assert rc == 3, (rc, out, err)
    assert "the machine reset (QEMU event SHUTDOWN reason=guest-reset) without shoji " \
           "announcing it" in err, err


def test_unannounced_power_off_exits_3():
    rc, out, err = launch(f"{BOOT}\nevent SHUTDOWN guest-shutdown\nexit 0")
    assert rc == 3, (rc, out, err)
    assert "the machine powered off" in err, err


def test_guest_cannot_forge_the_announcement():
    """The guest shares the console: its copy of the line, with a token it
    guessed or a second token line of its own, does not count."""
    rc, _, err = launch(f"{BOOT}\nsay shoji: machine reset path=cf9 secrets=wiped "
                        f"token=ffffffffffffffff\nevent SHUTDOWN guest-reset\nexit 0")
    assert rc == 3, err
    rc, _, err = launch(f"{BOOT}\nsay shoji: announce token=ffffffffffffffff source=rdrand\n"
                        f"say shoji: machine reset path=cf9 secrets=wiped token=ffffffffffffffff\n"
                        f"event SHUTDOWN guest-reset\nexit 0")
    assert rc == 3, err


def test_one_announcement_covers_one_event():
    rc, _, err = launch(f"{BOOT}\nsay shoji: machine reset path=cf9 secrets=wiped token={TOKEN}\n"
                        f"event RESET guest-reset\n{BOOT}\nevent RESET guest-reset\nexit 0")
    assert rc == 3, err


def test_reset_loop_with_firmware_resets_and_host_quit():
    """With -action reboot=reset: shoji announces, the machine resets, the
    firmware resets it again before shoji runs (SeaBIOS does), the next boot
    has its own token; the host's own quit/system_reset are not the guest's."""
    second = BOOT.replace(TOKEN, "fedcba9876543210")
    rc, out, err = launch(
        f"{BOOT}\nsay shoji: machine reset path=cf9 secrets=wiped token={TOKEN}\n"
        f"event RESET guest-reset\nevent RESET guest-reset\nevent RESET guest-reset\n"
        f"{second}\nhost RESET host-qmp-system-reset\n"
        f"say shoji: machine power-off path=pm1a-cnt secrets=wiped token=fedcba9876543210\n"
        f"event SHUTDOWN guest-shutdown\nhost SHUTDOWN host-qmp-quit\nexit 0")
    assert rc == 0, (out, err)


def test_shoji_status_still_maps():
    rc, _, _ = launch(f"{BOOT}\nsay shoji: stopped status=failure\nexit 35")
    assert rc == 1
    rc, _, _ = launch(f"{BOOT}\nsay shoji: stopped status=ok\nexit 33")
    assert rc == 0
    rc, _, err = launch(f"{BOOT}\nevent SHUTDOWN guest-reset\nsay shoji: stopped status=ok\nexit 33")
    assert rc == 3, err


def test_help_documents_exit_codes():
    p = subprocess.run([LAUNCHER, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    for text in ("Exit status:", "3    the machine reset or powered off without shoji "
                 "announcing it", "124  --timeout"):
        assert text in p.stdout, p.stdout
