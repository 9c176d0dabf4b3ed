"""Child processes of the launcher: in its own process group, each one stopped by its pid.

Each child gets PR_SET_PDEATHSIG=SIGKILL, so a launcher killed without its clean-up still takes its
control plane down with it at once (with SIGTERM, kube-apiserver's graceful termination against a
kine that died too took about 30 s).
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class Child:
    """One started process and its log file."""

    name: str
    argv: list[str]
    log: str
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started: float = 0.0

    def start(self) -> Child:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - argv is ours
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        self.started = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def rss_kib(self) -> int:
        """Resident memory of the process now (VmRSS), 0 when it is gone."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM to this pid, SIGKILL after ``grace`` seconds; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode
