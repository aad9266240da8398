#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_status_host
short_description: Classify one UCServer host for the status report
version_added: 0.1.0
description:
  - Used by C(procall.msteams.status). Ties the deployed secret to one of the app's secrets (same hint, the host's
    own display name preferred), lists the host's problems and gives its state.
  - >-
    States: C(broken) (any problem), C(expiring) (fewer than O(min_days) days left), C(rotation_due) (O(due_days) or
    fewer), C(consent_pending) (integration not enabled or user consent missing), C(ok).
author:
  - procall.msteams contributors (@procall-msteams)
options:
  settings:
    description: The host's result of M(procall.msteams.run_prepare).
    type: dict
    required: true
  read_error:
    description: Why the host could not be read.
    type: str
  current:
    description: The role's C(ucserver_current).
    type: dict
  app_info:
    description: The result of M(procall.msteams.entra_app_info) for the app the host runs.
    type: dict
  deployed_secret:
    description: The secret deployed on the host (C(ucserver_current_secret)); only its hint is compared.
    type: str
  min_days:
    description: Fewer days left than this is C(expiring).
    type: int
    default: 14
  due_days:
    description: This many days left or fewer is C(rotation_due).
    type: int
    default: 30
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Match the deployed secret in Graph
  procall.msteams.run_status_host:
    settings: "{{ __msteams_prepared }}"
    current: "{{ ucserver_current }}"
    app_info: "{{ hostvars[__msteams_reader.host].__msteams_info }}"
    deployed_secret: "{{ ucserver_current_secret | default(omit) }}"
  register: __msteams_outcome
"""

RETURN = r"""
outcome:
  description: The host's status row (C(status), C(reason), C(client_id), C(secret_key_id), C(secret_days_left), ...).
  returned: always
  type: dict
"""
