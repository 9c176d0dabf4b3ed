"""Where the control plane's binaries are: built once by tools/go/build.sh into TOOLS_CACHE.

``TWIN_KUBE_VERSION`` (default ``1.34``, Talos 1.11) selects the Kubernetes minor: ``1.34`` is the
Go tool ``kube``, another minor ``kube-<minor>`` (tools/go/kube-1.31, tools/go/kube-1.37).
"""

from __future__ import annotations

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.path.join(ROOT, "tools", "go", "build.sh")
DEFAULT_MINOR = "1.34"
NOT_BUILT = 3  # tools/go/build.sh's exit code with TOOLS_GO_CHECK_ONLY=1 when the key is not built


class NotBuilt(Exception):
    """The binaries are not in the cache and building was not asked for."""


def kube_tool(minor: str | None = None) -> str:
    minor = minor or os.environ.get("TWIN_KUBE_VERSION") or DEFAULT_MINOR
    return "kube" if minor == DEFAULT_MINOR else f"kube-{minor}"


def tool_dir(name: str, build: bool = True) -> str:
    """The folder of tool ``name``'s binaries; builds it first (progress on stderr) unless ``build`` is
    False, when a tool not yet built raises NotBuilt."""
    if not os.path.isfile(os.path.join(ROOT, "tools", "go", name, "go.mod")):
        raise ValueError(f"no Go tool tools/go/{name}")
    env = dict(os.environ)
    if not build:
        env["TOOLS_GO_CHECK_ONLY"] = "1"
    p = subprocess.run(["bash", BUILD, name], stdout=subprocess.PIPE, text=True, env=env, check=False)
    if p.returncode == NOT_BUILT and not build:
        raise NotBuilt(f"tools/go/{name} is not built yet: run tools/go/build.sh {name}")
    if p.returncode != 0:
        raise RuntimeError(f"tools/go/build.sh {name} failed ({p.returncode})")
    return p.stdout.strip().splitlines()[-1]


def binaries(minor: str | None = None, build: bool = True) -> tuple[str, str]:
    """(folder of kube-apiserver, kube-controller-manager, kube-scheduler; folder of kine)."""
    return tool_dir(kube_tool(minor), build), tool_dir("kine", build)
