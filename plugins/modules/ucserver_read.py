#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: ucserver_read
short_description: Read a UCServer host's service and msteams.cfg with ansible.windows modules
version_added: 0.1.0
description:
  - Used by the C(procall.msteams.ucserver) role (C(tasks_from=read) and C(tasks_from=withdraw)). Runs read-only
    C(ansible.windows) modules itself, over the task's connection; a converged host costs two WinRM round trips,
    M(ansible.windows.win_service_info) (exists, state, binary path, the account it runs as) and M(ansible.windows.slurp)
    of C(msteams.cfg).
  - Only where those two cannot tell, M(ansible.windows.win_stat) runs too, once each at most; for the install dir when the
    service is missing, and for C(msteams.cfg) when slurp failed (missing, a folder, or unreadable).
  - Only C(ansible.windows) modules, no PowerShell script of its own, so every step is one the collection's tests run.
  - The install dir is O(install_dir), else the folder of the service's executable, else C(C:\Program Files\estos\UCServer).
  - Fails with one sentence when C(msteams.cfg) exists but cannot be read, or is a folder.
  - The result holds the deployed client secret (RV(secret), and the file in RV(probe)); it is marked C(no_log) by the
    action itself, so callbacks show it censored. A failure holds no secret and shows its message.
  - Runs also in check mode; it changes nothing.
author:
  - procall.msteams contributors (@procall-msteams)
options:
  service_name:
    description: The name (not the display name) of UCServer's Windows service.
    type: str
    default: eucsrv
  install_dir:
    description: A local folder with a drive letter that overrides the service's binary path; empty to derive it.
    type: str
    default: ""
requirements:
  - The C(ansible.windows) collection on the controller (M(ansible.windows.win_service_info), M(ansible.windows.slurp), M(ansible.windows.win_stat)).
attributes:
  check_mode:
    support: full
    description: Reads the host also in check mode (the modules it runs are read-only and support check mode).
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
  platform:
    support: full
    platforms: windows
    description: Reads a Windows host over its connection (WinRM).
"""

EXAMPLES = r"""
- name: Read the host
  procall.msteams.ucserver_read:
    service_name: eucsrv
  register: read

- name: Keep the deployed secret for later steps
  ansible.builtin.set_fact:
    current: "{{ read.current }}"
    deployed_secret: "{{ read.secret }}"
  no_log: true
"""

RETURN = r"""
current:
  description: What the host runs, without the secret (the C(ucserver_current) fact of the role's README).
  returned: success
  type: dict
secret:
  description: The client secret in C(msteams.cfg), or V(null).
  returned: success
  type: str
probe:
  description:
    - What the host answered, for the role's main entry point to reuse in the same play (C(content) is C(msteams.cfg) in
      base64, with the secret); C(stamp) and C(play) tell when it was read.
  returned: success
  type: dict
"""
