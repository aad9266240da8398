#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: ucserver_plan
short_description: Read a UCServer host and decide what the procall.msteams.ucserver role does on it, and report it
version_added: 0.1.0
description:
  - Used by the C(procall.msteams.ucserver) role's main entry point. Reads the host as
    M(procall.msteams.ucserver_read) does (M(ansible.windows.win_service_info) and M(ansible.windows.slurp), two WinRM
    round trips on a converged host) unless O(read) holds a read of the same play that is
    still true; then it makes no round trip at all.
  - Decides the wanted C(msteams.cfg) (see the C(procall.msteams.msteams_cfg_merge) filter), whether a stopped service
    must be started although the file is up to date, and the permissions to ensure on the file and its backup.
  - Reports C(changed) and, in diff mode, the file before and after with the secrets masked, the service state and
    the access rules. The secret and the file are inputs only; the result never holds them.
  - Fails with one sentence for a host without UCServer or without its service, and for a C(msteams.cfg) that exists but
    cannot be read or is a folder.
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
  read:
    description:
      - The registered result of M(procall.msteams.ucserver_read) earlier in the play. Used instead of a new read when it
        is from this play, for the same service name and install dir, and no run of this action since may have written
        (see O(previous)); else the host is read again.
      - A playbook that changes the host by other means between the read and this task runs the read again.
    type: dict
  previous:
    description: The registered result of this action's previous run on the host in this play, if any.
    type: dict
requirements:
  - The C(ansible.windows) collection on the controller (M(ansible.windows.win_service_info), M(ansible.windows.slurp), M(ansible.windows.win_stat)).
attributes:
  check_mode:
    support: full
    description: Reads the host and reports what would happen.
  diff_mode:
    support: full
    description: Shows the file (secrets masked), the service state and the access rules.
  platform:
    support: full
    platforms: windows
    description: Reads a Windows host over its connection (WinRM), unless it reuses a read.
"""

EXAMPLES = r"""
- name: Read the host and decide the wanted msteams.cfg and what to do on it
  procall.msteams.ucserver_plan:
    settings: "{{ checked.settings }}"
    client_secret: "{{ ucserver_client_secret }}"
    read: "{{ earlier_read | default(omit) }}"
    previous: "{{ plan | default(omit) }}"
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
start_state:
  description:
    - The C(state) the role's start step asks win_service for. C(restarted) after a write (the service
      was stopped just before, so this restarts it only when an overlapping run started it meanwhile),
      else C(started).
  returned: success
  type: str
  choices: [started, restarted]
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
config_dir:
  description: The folder of msteams.cfg (and its backups).
  returned: success
  type: str
reused_read:
  description: Whether the read given in O(read) was used (no round trip to the host).
  returned: success
  type: bool
may_write:
  description: Whether the role's steps after this plan may change the host (C(act) outside check mode).
  returned: success
  type: bool
stamp:
  description: When the plan was made, on the controller's monotonic clock (orders it against a read's C(stamp)).
  returned: success
  type: int
"""
