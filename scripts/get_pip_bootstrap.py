"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test creates its sanity-test virtual environments without pip and runs a cached
``get_pip_<version>.py`` with ``pip install`` arguments to put pip into them. That script is
downloaded from a host these machines cannot reach, so scripts/sanity.sh caches this file under
that name instead: it installs the pip bundled with CPython (ensurepip), then runs
``pip install <the same arguments>``, which fetches the requested pip version from PyPI.

ansible-test runs pip with a reduced environment, so a CA bundle given to pip through the
environment (PIP_CERT and friends) is lost; it is written into the virtual environment's own
pip.conf instead, where every later pip call of ansible-test finds it.
"""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
bundle = "/etc/ssl/certs/ca-certificates.crt"
if os.path.exists(bundle):
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as conf:
        conf.write("[global]\ncert = %s\n" % bundle)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# A new process, so that pip reads the pip.conf written above; ensurepip set
# PIP_CONFIG_FILE=/dev/null in this process's environment, which would hide it.
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args, env=env))
