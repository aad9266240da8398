#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: msteams_cfg_diff
short_description: Report a decided msteams.cfg change with a masked diff
version_added: 0.1.0
description:
  - Used by the C(procall.msteams.ucserver) role. Reports O(changed) and, in diff mode, the file before and after
    as given in O(before) and O(after), which must already have their secrets masked
    (see the C(procall.msteams.msteams_cfg_merge) filter).
  - Runs on the controller only; it does not contact the host.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  path:
    description: Path of the file on the host, shown as the diff header.
    type: str
    required: true
  changed:
    description: Whether the file will change.
    type: bool
    required: true
  before:
    description: The current file, secrets masked.
    type: str
    default: ""
  after:
    description: The wanted file, secrets masked.
    type: str
    default: ""
  warnings:
    description: Warnings to show with the result.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports the same in check mode.
  diff_mode:
    support: full
    description: Shows O(before) and O(after).
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Report the change (secrets masked)
  procall.msteams.msteams_cfg_diff:
    path: C:\Program Files\estos\UCServer\config\msteams.cfg
    changed: "{{ plan.changed }}"
    before: "{{ plan.diff.before }}"
    after: "{{ plan.diff.after }}"
"""

RETURN = r"""
path:
  description: The path given.
  returned: always
  type: str
  sample: C:\Program Files\estos\UCServer\config\msteams.cfg
"""
