#!/usr/bin/python3
"""A stand-in for qemu-system-x86_64 that plays a scripted run, for testing
scripts/shoji-qemu's reset/power-off accounting without booting anything.

It takes QEMU's command line, serves QMP on the -qmp unix socket (wait=on:
the launcher must connect before the "machine" starts), then plays the
script named by FAKE_QEMU_SCRIPT, one step a line:
    say TEXT        a console line (stdout)
    event NAME R    a QMP event NAME (SHUTDOWN, RESET) with guest=true, reason R
    host NAME R     the same with guest=false (the host asked: quit, system_reset)
    exit N          end with status N"""
import json
import os
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    qmp = args[args.index("-qmp") + 1]
    path = qmp.split(",")[0].removeprefix("unix:")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    conn, _ = srv.accept()
    f = conn.makefile("rwb", buffering=0)
    f.write(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
    f.readline()
    f.write(b'{"return": {}}\r\n')
    for step in os.environ["FAKE_QEMU_SCRIPT"].split("\n"):
        word, _, rest = step.strip().partition(" ")
        if word == "say":
            sys.stdout.write(rest + "\r\n")
            sys.stdout.flush()
        elif word in ("event", "host"):
            name, reason = rest.split()
            ev = {"timestamp": {"seconds": int(time.time()), "microseconds": 0},
                  "event": name, "data": {"guest": word == "event", "reason": reason}}
            f.write(json.dumps(ev).encode() + b"\r\n")
            time.sleep(0.05)
        elif word == "exit":
            sys.stdout.flush()
            sys.exit(int(rest))


if __name__ == "__main__":
    main()
