#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_decommission
short_description: The decisions of the decommission playbook and of the prune switch of rotate_secret
version_added: 0.1.0
description:
  - Used by C(procall.msteams.decommission) and C(procall.msteams.rotate_secret) (C(msteams_prune)). Each O(step)
    is one decision; none contacts a host or Graph, none returns a secret.
  - V(select) refuses a run that names its hosts neither with C(--limit) nor with C(msteams_decommission_hosts).
    V(start) checks the host's inventory and reads C(msteams_host_gone). V(revoke) decides whether the host's secrets
    may go now. V(app) decides the opt-in delete of the app registration. V(outcome) is the host's summary row.
    V(prune) lists the app's secrets whose consumer is no host of the inventory.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  step:
    description: Which decision.
    type: str
    required: true
    choices: [select, start, revoke, app, outcome, prune]
  selected:
    description: C(msteams_decommission_hosts) (V(select)).
    type: raw
  settings:
    description: The host's C(procall.msteams.run_prepare) result (V(start), V(app), V(prune)).
    type: dict
  leader:
    description: The host that read the app registration (V(start)).
    type: str
  app_result:
    description: The leader's M(procall.msteams.entra_app_info) result (V(start)).
    type: dict
  app_error:
    description: Why the leader's app step failed (V(start)).
    type: str
  gone:
    description: C(msteams_host_gone) of the host (V(start)).
    type: raw
    default: false
  previous:
    description: The plan of the previous step (V(revoke), V(outcome)).
    type: dict
  withdraw:
    description: C(ucserver_withdraw_result) of the role (V(revoke), V(outcome)).
    type: dict
  current:
    description: C(ucserver_current) read after the file step (V(revoke), V(outcome)).
    type: dict
  revoke_result:
    description: The M(procall.msteams.entra_app_secret) result of the revocation (V(outcome)).
    type: dict
  opt_in:
    description: C(msteams_decommission_delete_app) (V(app)).
    type: raw
    default: false
  app_info:
    description: M(procall.msteams.entra_app_info) read after the revocations (V(app), V(prune)).
    type: dict
  app_decision:
    description: The V(app) answer, for the leader's row (V(outcome)).
    type: dict
  failed_task:
    description: The task that failed (V(outcome)).
    type: str
  failed_msg:
    description: Its message (V(outcome)).
    type: str
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Refuse a run that does not name its hosts
  procall.msteams.run_decommission:
    step: select
    selected: "{{ msteams_decommission_hosts | default(omit) }}"
"""

RETURN = r"""
revoke:
  description: Whether the host's secrets are revoked now (V(revoke)).
  returned: step is revoke
  type: bool
delete:
  description: Whether the app registration is deleted (V(app)).
  returned: step is app
  type: bool
outcome:
  description: The host's summary row (V(outcome)).
  returned: step is outcome
  type: dict
key_ids:
  description: The orphaned secrets' key ids (V(prune)).
  returned: step is prune
  type: list
  elements: str
"""
