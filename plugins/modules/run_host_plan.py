#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_host_plan
short_description: Decide the next step of one UCServer host in onboard and rotate_secret
version_added: 0.1.0
description:
  - Used by the playbooks of this collection, between the steps of one host.
  - V(start) before the host is touched (rollout halted, app registration failed or not created yet in check mode);
    V(secret) after reading the host (which O(mode) of M(procall.msteams.entra_app_secret)); V(deploy) after the
    secret step (deploy or not, which secrets to revoke afterwards). V(deploy) fails with the secret step's message
    when that step failed.
  - RV(proceed=false) ends the host's steps; RV(outcome) says why.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  step:
    description: Which decision.
    type: str
    required: true
    choices: [start, secret, deploy]
  mode:
    description: V(onboard) converges every host; V(rotate) touches a host only when its secret is renewed.
    type: str
    required: true
    choices: [onboard, rotate]
  settings:
    description: The host's result of M(procall.msteams.run_prepare) (V(start)).
    type: dict
  app_result:
    description:
      - The leader's result of M(procall.msteams.entra_app) or M(procall.msteams.entra_app_info) (V(start)).
      - Its C(secrets) and C(secrets_read_at) give this host its part of the one read of the app (RV(snapshot)).
    type: dict
  app_error:
    description: Why the leader's app registration step failed (V(start)).
    type: str
  leader:
    description: The leading host, for messages (V(start)).
    type: str
  halted:
    description: Why the rollout was halted before this host's batch (V(start)).
    type: str
  previous:
    description: The previous step's result of this module (V(secret), V(deploy)).
    type: dict
  current:
    description: The role's C(ucserver_current) (V(secret)).
    type: dict
  deployed_secret:
    description:
      - The secret deployed on the host (C(ucserver_current_secret)) (V(secret)); only whether there is one and its hint (first 3
        characters, as Graph's C(passwordCredential.hint)) are used, never returned.
    type: str
  secret_result:
    description: The result of M(procall.msteams.entra_app_secret) (V(deploy)); its secret value is not used.
    type: dict
  read:
    description:
      - With V(start) and O(mode=rotate), when the host proceeds, also read it (M(ansible.windows.win_service_info) and
        M(ansible.windows.slurp) of C(msteams.cfg), the read of the C(procall.msteams.ucserver) role's C(tasks_from=read)) and decide
        the secret step at once, as V(secret) would. A converged host then needs no other task. The deployed secret is compared by
        its hint only and never returned.
      - With O(mode=onboard) the host is not read here; the role runs on every host and its main entry reuses the read of its
        C(tasks_from=read), so the plan says RV(change) and the read and the secret step follow in the playbook.
      - The result also holds RV(start), the plan before the read, to decide again from a later read.
    type: bool
    default: false
  service_name:
    description: The UCServer service to read (O(read)), as C(ucserver_service_name) of the role.
    type: str
    default: eucsrv
  install_dir:
    description: The UCServer install folder (O(read)), as C(ucserver_install_dir) of the role; empty finds it from the service.
    type: str
    default: ""
extends_documentation_fragment:
  - procall.msteams.run_action
attributes:
  # Replaces the fragment's platform entry (a module's own attribute wins over the fragment's).
  platform:
    support: full
    platforms: all
    description: Runs on the controller; with O(read) it reads the host through its connection (C(ansible.windows) modules).
"""

EXAMPLES = r"""
- name: Read this host and decide its secret step
  procall.msteams.run_host_plan:
    step: start
    mode: rotate
    settings: "{{ __msteams_prepared }}"
    leader: "{{ __msteams_leader.host }}"
    app_result: "{{ hostvars[__msteams_leader.host].__msteams_app_result | default(omit) }}"
    read: true
    service_name: "{{ ucserver_service_name | default(omit) }}"
    install_dir: "{{ ucserver_install_dir | default(omit) }}"
  register: __msteams_plan

- name: Decide this host's secret step
  procall.msteams.run_host_plan:
    step: secret
    mode: rotate
    previous: "{{ __msteams_plan }}"
    current: "{{ ucserver_current }}"
    deployed_secret: "{{ ucserver_current_secret | default(omit) }}"
  register: __msteams_plan
"""

RETURN = r"""
start:
  description: The plan of V(start) before the host was read (O(read)), for V(secret) after a later read.
  returned: step is start, O(read) is true and the host was read
  type: dict
proceed:
  description: Whether the host's steps go on.
  returned: always
  type: bool
outcome:
  description: The host's final outcome (C(status), C(reason)) when RV(proceed) is false.
  returned: RV(proceed) is false
  type: dict
app:
  description: C(app_id), C(object_id), C(tenant_id) of the app registration.
  returned: success
  type: dict
same_app:
  description: Whether the host already runs this app (V(secret) and later).
  returned: RV(proceed) is true
  type: bool
secret_state:
  description: The O(procall.msteams.entra_app_secret#module:state) to use.
  returned: RV(proceed) is true
  type: str
send_current_secret:
  description: Whether to pass the deployed secret as O(procall.msteams.entra_app_secret#module:current_secret).
  returned: RV(proceed) is true
  type: bool
deploy:
  description: Whether the role deploys the secret (V(deploy)).
  returned: RV(proceed) is true and step is deploy
  type: bool
use_new_secret:
  description: Whether the role gets the new secret (else the deployed one).
  returned: RV(proceed) is true and step is deploy
  type: bool
check_mode_secret:
  description: A stand-in value the role gets in check mode, when the new secret does not exist yet.
  returned: RV(proceed) is true and step is deploy
  type: str
snapshot:
  description:
    - This host's part of the leader's read of the app (V(start)), with C(consumer) (the host's secret name), C(read_at) (Graph's clock)
      and C(credentials) (the consumer's secrets, no values); null when the leader's answer held no secrets.
  returned: RV(proceed) is true
  type: dict
secret_call:
  description:
    - Whether M(procall.msteams.entra_app_secret) runs for this host (V(secret)). False when the deployed secret's hint matches exactly
      one secret of the host with more than C(rotate_before_days) days left and no health check was asked for; the plan then already
      holds the deployment (RV(deploy), RV(revoke_key_ids)).
  returned: RV(proceed) is true and step is secret or deploy
  type: bool
change:
  description: Whether any step is left for this host after the secret step (the role deploys, or secrets are revoked).
  returned: RV(proceed) is true and RV(secret_call) is false, or step is deploy
  type: bool
revoke_key_ids:
  description:
    - Key ids to revoke after the deployment, never the one the host runs then, for it is passed to the revoke as
      O(procall.msteams.entra_app_secret#module:current_secret).
    - The secrets this run superseded (what the host ran when this run read it), and the host's replaced secrets older than
      C(msteams_secret_revoke_grace_minutes) (left behind by a failed or interrupted revoke of an earlier run).
  returned: RV(proceed) is true and step is deploy
  type: list
  elements: str
reread:
  description: Whether the host is read again before the revoke (a new secret was deployed and secrets are to be revoked).
  returned: RV(proceed) is true and step is deploy
  type: bool
"""
