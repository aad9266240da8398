#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: ucserver_preflight
short_description: Check the input of the procall.msteams.ucserver role
version_added: 0.1.0
description:
  - Used by the C(procall.msteams.ucserver) role before it contacts the host. Fails with one sentence per wrong
    option, naming the option and the allowed values (never the value given, which could be a secret in the wrong
    variable).
  - Refuses a WinRM or PSRP connection that would send the client secret unencrypted (http with basic/certificate
    authentication, or message encryption C(never)) unless O(allow_unencrypted_winrm) is true. The host's
    C(ansible_winrm_*) / C(ansible_psrp_*) variables are read from the task's variables.
  - Options that are not given count as unset; so do V(null) and an empty string (before ansible-core 2.19 a
    variable set to V(null) renders as an empty string).
  - Runs on the controller only; it does not contact the host.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  tenant_id:
    description: Directory (tenant) id, a GUID.
    type: raw
  client_id:
    description: Application (client) id, a GUID.
    type: raw
  client_secret:
    description: The client secret; only checked to be a non-empty string, never returned.
    type: raw
  get_from_teams:
    description: C(bGetFromTeams), 0/1, true/false or yes/no.
    type: raw
  send_to_teams:
    description: C(bSendToTeams), 0/1, true/false or yes/no.
    type: raw
  log_level:
    description: C(iLogLevel), a whole number from 0 to 10.
    type: raw
  polling_rate:
    description: C(iPollingRate), seconds, a whole number from 1 to 3600.
    type: raw
  force_reset:
    description: Write the vendor template even for the same app.
    type: raw
  install_dir:
    description: A local folder with a drive letter (no UNC path), or empty.
    type: raw
  service_name:
    description: Name of the UCServer service.
    type: raw
  admin_gui_process:
    description: Process name of the admin GUI.
    type: raw
  service_timeout:
    description: Seconds to wait for the stop, 1 to 3600.
    type: raw
  backups_keep:
    description: Backups to keep, 1 to 100.
    type: raw
  service_account:
    description: The account UCServer runs as; empty reads it from the service.
    type: raw
  file_acl:
    description: When to ensure the permissions of msteams.cfg and its backups, V(write), V(always) or V(never).
    type: raw
  allow_unencrypted_winrm:
    description: Accept a connection that does not encrypt the secret.
    type: raw
attributes:
  check_mode:
    support: full
    description: Checks the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Check the role's input
  procall.msteams.ucserver_preflight:
    tenant_id: "{{ ucserver_tenant_id }}"
    client_id: "{{ ucserver_client_id }}"
    client_secret: "{{ ucserver_client_secret }}"
    log_level: "{{ ucserver_log_level | default(omit) }}"
  register: checked
"""

RETURN = r"""
settings:
  description:
    - The normalised input, without the secret; C(cfg) holds the msteams.cfg options (V(null) = keep the host's value).
  returned: success
  type: dict
  sample:
    cfg: {tenant_id: 2f3c6a4e-0000-4000-8000-000000000001, client_id: 7d9b1c2a-0000-4000-8000-000000000002,
          get_from_teams: null, send_to_teams: null, log_level: 4, polling_rate: null, force_reset: false}
    install_dir: ""
    service_name: eucsrv
    admin_gui_process: SrvAdm
    service_timeout: 120
    backups_keep: 5
    service_account: null
    file_acl: write
    allow_unencrypted_winrm: false
unencrypted_transport:
  description: Why the connection is not encrypted (accepted through O(allow_unencrypted_winrm)), else V(null).
  returned: success
  type: str
  sample: winrm over http with plaintext authentication, which does not encrypt messages
"""
