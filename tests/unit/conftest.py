# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.talos_homelab.tracing`` importable for the unit tests.

``.build/collections/ansible_collections/talos_homelab/tracing`` is a symlink to the
repository root (``make collections``); it is created here when absent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "talos_homelab", "tracing")

if not os.path.lexists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
