#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_rollout_halt
short_description: Decide whether rotate_secret stops its rollout after a batch
version_added: 0.1.0
description:
  - Used by C(procall.msteams.rotate_secret) after each batch (C(serial)), with C(run_once).
  - Halts when every host of the batch that was tried failed, or once O(max_failed_hosts) hosts of the play failed.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  max_failed_hosts:
    description: C(msteams_max_failed_hosts); unset means no limit.
    type: raw
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Halt the rollout when this batch shows a bad secret or too many failures
  procall.msteams.run_rollout_halt:
    max_failed_hosts: "{{ msteams_max_failed_hosts | default(omit) }}"
  run_once: true
  register: __msteams_halt
"""

RETURN = r"""
halt:
  description: Whether the rollout stops.
  returned: always
  type: bool
reason:
  description: Why, for the hosts that are not attempted.
  returned: always
  type: str
"""
