#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_prepare
short_description: Check a UCServer host's inventory variables and compute its settings for the playbooks
version_added: 0.1.0
description:
  - Used by the playbooks C(procall.msteams.onboard), C(procall.msteams.rotate_secret) and
    C(procall.msteams.status); pass the host's inventory variables as options.
  - A host without O(tenant_id), or with days that are not whole numbers, gets RV(proceed=false) and a failed
    RV(outcome) naming the variable; the task itself does not fail, so the run reports the host and goes on with the
    others.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  tenant_id:
    description: C(msteams_tenant_id), the directory (tenant) id.
    type: raw
  tenant_name:
    description: C(msteams_tenant_name), a label for reports (default the tenant id).
    type: raw
  app_unique_name:
    description: C(msteams_app_unique_name), the stable key of the app registration (default C(procall-msteams)).
    type: raw
  rotate_before_days:
    description: C(msteams_secret_rotate_before_days) (default 30).
    type: raw
  validity_days:
    description: C(msteams_secret_validity_days) (default 180).
    type: raw
  health_check:
    description:
      - C(msteams_secret_health_check) (default false). True confirms every kept secret with a token request (one per host per
        run); false keeps a secret that the app registration's own answer identifies (its hint matches exactly one secret of the
        host, with enough days left) without one.
    type: raw
  revoke_grace_minutes:
    description:
      - C(msteams_secret_revoke_grace_minutes) (default 60, from 0 to 10080). A replaced secret of a host is revoked by a later run only
        once it is older than this, so the new secret of an overlapping run is never revoked before it is deployed.
    type: raw
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Check the inventory of this host
  procall.msteams.run_prepare:
    tenant_id: "{{ msteams_tenant_id | default(omit) }}"
    app_unique_name: "{{ msteams_app_unique_name | default(omit) }}"
  register: __msteams_prepared
"""

RETURN = r"""
proceed:
  description: Whether the host can be handled.
  returned: always
  type: bool
targeted:
  description: Always true; marks the host as part of the run for the summary.
  returned: always
  type: bool
tenant:
  description: The tenant label for reports.
  returned: always
  type: str
tenant_id:
  description: The tenant id.
  returned: RV(proceed) is true
  type: str
app_unique_name:
  description: The app's unique name.
  returned: RV(proceed) is true
  type: str
app_key:
  description: C(<tenant id>/<unique name>) in lower case, the same for every host of one app registration; empty when RV(proceed) is false.
  returned: always
  type: str
rotate_before_days:
  description: Days left at which a secret is rotated.
  returned: RV(proceed) is true
  type: int
validity_days:
  description: Lifetime of a new secret in days.
  returned: RV(proceed) is true
  type: int
health_check:
  description: Whether kept secrets are confirmed with a token request.
  returned: RV(proceed) is true
  type: bool
revoke_grace_minutes:
  description: Minutes a replaced secret must be old before a later run revokes it.
  returned: RV(proceed) is true
  type: int
outcome:
  description: The host's final outcome (C(status), C(reason)) when RV(proceed) is false.
  returned: RV(proceed) is false
  type: dict
"""
