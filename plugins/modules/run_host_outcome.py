#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_host_outcome
short_description: Record the outcome of one UCServer host in onboard and rotate_secret
version_added: 0.1.0
description:
  - Used by the playbooks of this collection, as the last step of a host, or in its C(rescue) with O(failed_task).
author:
  - procall.msteams contributors (@procall-msteams)
options:
  mode:
    description: The playbook's mode.
    type: str
    required: true
    choices: [onboard, rotate]
  plan:
    description: The last result of M(procall.msteams.run_host_plan).
    type: dict
  role_result:
    description: The role's C(ucserver_result), when it ran.
    type: dict
  revoke_result:
    description: The result of the revoking M(procall.msteams.entra_app_secret) task.
    type: dict
  failed_task:
    description: The name of the failed task; records a failure.
    type: str
  failed_msg:
    description: Its message.
    type: str
  withdraw_result:
    description: The result of withdrawing the unused new secret after a failure.
    type: dict
  readback_failed:
    description: The host could not be read back after the failure, so the new secret was kept.
    type: bool
    default: false
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Record the outcome of this host
  procall.msteams.run_host_outcome:
    mode: onboard
    plan: "{{ __msteams_plan }}"
    role_result: "{{ ucserver_result | default(omit) }}"
  register: __msteams_outcome
"""

RETURN = r"""
outcome:
  description:
    - The host's row of the summary and of the JSON report.
    - C(status) is one of C(configured), C(consent_pending), C(rotated), C(kept), C(skipped), C(not_attempted), C(failed).
  returned: always
  type: dict
"""
