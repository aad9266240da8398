#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: ucserver_plan
short_description: Decide what the procall.msteams.ucserver role does on a host, and report it
version_added: 0.1.0
description:
  - Used by the C(procall.msteams.ucserver) role after its read-only probe. Decides the wanted C(msteams.cfg)
    (see the C(procall.msteams.msteams_cfg_merge) filter), whether a stopped service must be started although the
    file is up to date, and the permissions to ensure on the file and its backup.
  - Reports C(changed) and, in diff mode, the file before and after with the secrets masked, the service state and
    the access rules. The secret is an input only; the result never holds it.
  - Fails with one sentence for a host without UCServer or without its service.
  - Runs on the controller only; it does not contact the host.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  settings:
    description: The C(settings) returned by M(procall.msteams.ucserver_preflight).
    type: dict
    required: true
  client_secret:
    description: The client secret to deploy.
    type: str
    required: true
  location:
    description: The C(procall.msteams.ucserver_location) of the host.
    type: dict
    required: true
  dir_stat:
    description: The M(ansible.windows.win_stat) result of the install dir, when the service is missing.
    type: dict
    default: {}
  current:
    description: The base64 C(content) of M(ansible.windows.slurp) of msteams.cfg; omitted when there is no file.
    type: str
attributes:
  check_mode:
    support: full
    description: Reports what would happen.
  diff_mode:
    support: full
    description: Shows the file (secrets masked), the service state and the access rules.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Decide the wanted msteams.cfg and what to do on this host
  procall.msteams.ucserver_plan:
    settings: "{{ checked.settings }}"
    client_secret: "{{ ucserver_client_secret }}"
    location: "{{ service_info | procall.msteams.ucserver_location('') }}"
    current: "{{ slurped.content | default(omit) }}"
  register: plan
"""

RETURN = r"""
msg:
  description: One sentence on what the run does on this host.
  returned: success
  type: str
  sample: "msteams.cfg is up to date but eucsrv is stopped: starting it."
write:
  description: Whether msteams.cfg is written (the service is stopped and started around it).
  returned: success
  type: bool
start:
  description: Whether the service is started (after a write, or because it is not running).
  returned: success
  type: bool
restart:
  description: Whether a running service is stopped and started.
  returned: success
  type: bool
act:
  description: Whether the role's steps run at all (a write, a start or the access rules).
  returned: success
  type: bool
changed_keys:
  description: The msteams.cfg keys that change.
  returned: success
  type: list
  elements: str
reason:
  description: C(same_app), C(absent), C(invalid), C(other_app) or C(force_reset).
  returned: success
  type: str
mode:
  description: C(update) (merge into the same app's file) or C(reset) (the vendor template).
  returned: success
  type: str
integration_enabled:
  description: C(bEnabled) of the wanted file.
  returned: success
  type: bool
user_consent_pending:
  description: No token cache yet in the wanted file (a person must give the user consent).
  returned: success
  type: bool
backup:
  description: Whether the current file is backed up before the write.
  returned: success
  type: bool
backup_path:
  description: Path of the backup made before the write.
  returned: success
  type: str
acl_paths:
  description: Files whose permissions are ensured.
  returned: success
  type: list
  elements: str
acl_rules:
  description: The allow rules (C(user) as a SID or account name, C(rights)).
  returned: success
  type: list
  elements: dict
acl_entries:
  description: C(acl_rules) for each of C(acl_paths) (C(path), C(user), C(rights)).
  returned: success
  type: list
  elements: dict
service_account:
  description: The account the service runs as (from the service, or O(settings) C(service_account)).
  returned: success
  type: str
  sample: LocalSystem
install_dir:
  description: UCServer's install dir.
  returned: success
  type: str
config_path:
  description: Path of msteams.cfg.
  returned: success
  type: str
"""
