#!/bin/sh
# Install the Ceph packages the twin's real RGW needs (domain-facts.md section 6):
# Debian's ceph-mon ceph-osd radosgw ceph-common (Ceph 16.2 on bookworm), no recommends.
# Idempotent: does nothing when radosgw is already installed.  When apt is unavailable
# (not Debian, not root, no network) it exits 0 with a loud message: the twin then falls
# back to moto, which it announces again at start-up (S3_BACKEND=moto in the env file).
set -u
if command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 \
   && command -v ceph-osd >/dev/null 2>&1 && command -v radosgw-admin >/dev/null 2>&1; then
    echo "install-ceph: Ceph RGW already installed ($(radosgw --version 2>/dev/null | head -1))"
    exit 0
fi
loud() {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    echo "!! install-ceph: $1" >&2
    echo "!! The twin will use the moto S3 fallback (S3_BACKEND=moto): weaker tests." >&2
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
}
if ! command -v apt-get >/dev/null 2>&1; then
    loud "apt-get not found; cannot install ceph-mon ceph-osd radosgw ceph-common"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        loud "not root and no password-less sudo; cannot run apt-get"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update; then
    loud "apt-get update failed"
    exit 0
fi
if ! $SUDO apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common; then
    loud "apt-get install of the Ceph packages failed"
    exit 0
fi
echo "install-ceph: installed $(radosgw --version 2>/dev/null | head -1)"
