"""Bring a control plane up by hand: ``python -m tests.twin.controlplane STATE_DIR`` (Ctrl-C stops it)."""

from __future__ import annotations

import json
import signal
import sys
import time

from . import ControlPlane, binaries


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.twin.controlplane STATE_DIR", file=sys.stderr)
        return 2
    kube_bin, kine_bin = binaries()
    cp = ControlPlane(argv[0], kube_bin, kine_bin).start()
    try:
        waited = cp.wait_service_account()
        print(json.dumps({"KUBECONFIG": cp.kubeconfig, "version": cp.version(), "seconds": cp.timings,
                          "serviceaccount_seconds": round(waited, 1), "rss_kib": cp.rss_kib()}), flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except KeyboardInterrupt:
        pass
    finally:
        t = time.monotonic()
        codes = cp.stop()
        print(json.dumps({"stopped": codes, "seconds": round(time.monotonic() - t, 1)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
