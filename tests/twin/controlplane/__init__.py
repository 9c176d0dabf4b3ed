"""A real Kubernetes control plane (kine, kube-apiserver, kube-controller-manager, kube-scheduler)
built from Go modules (tools/go/kube*, tools/go/kine) and configured like Talos: see README.md."""

from .gotools import NotBuilt, binaries, kube_tool
from .launch import ControlPlane

__all__ = ["ControlPlane", "NotBuilt", "binaries", "kube_tool"]
