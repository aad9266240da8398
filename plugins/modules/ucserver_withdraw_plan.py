#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: ucserver_withdraw_plan
short_description: Decide how the procall.msteams.ucserver role takes a host off the own app registration
version_added: 0.1.0
description:
  - Used by the C(withdraw) entry point of the C(procall.msteams.ucserver) role. When msteams.cfg names the own app,
    restores the newest backup C(msteams.cfg.<UTC time>.bak) that does not name it, or removes msteams.cfg when there
    is none (the vendor procedure allows both); a file that names no own app is left as it is.
  - Reports C(changed) and, in diff mode, the file before and after with the secrets masked. No content is returned.
  - Runs on the controller only; it does not contact the host.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  client_id:
    description: Application (client) id of the own app registration.
    type: str
    required: true
  read:
    description:
      - The registered result of M(procall.msteams.ucserver_read) of the host (where msteams.cfg is, and its content).
      - Give either O(read), or O(location) with O(current).
    type: dict
  location:
    description: Where msteams.cfg is (C(config_path), C(service_state), C(service_name)), when O(read) is not given.
    type: dict
  current:
    description: The base64 C(content) of M(ansible.windows.slurp) of msteams.cfg; omitted when there is no file.
    type: str
  backups:
    description: The registered M(ansible.windows.slurp) loop results over the backups found by M(ansible.windows.win_find).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
    description: Reports what would happen.
  diff_mode:
    support: full
    description: Shows the file before and after, secrets masked.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Decide how this host goes off the own app
  procall.msteams.ucserver_withdraw_plan:
    client_id: "{{ app_id }}"
    read: "{{ host_read }}"
  register: withdraw
"""

RETURN = r"""
action:
  description: C(restore) (a backup from before the own app), C(remove) (no such backup) or C(none).
  returned: success
  type: str
act:
  description: Whether the role's steps run (the service is stopped and started around the change).
  returned: success
  type: bool
restore_from:
  description: The backup restored.
  returned: success
  type: str
backup_path:
  description: Where the own-app file is backed up before the change.
  returned: success
  type: str
msg:
  description: One sentence on the step.
  returned: success
  type: str
"""
