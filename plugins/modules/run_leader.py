#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_leader
short_description: Pick the one host of the play that talks to Microsoft Graph for an app registration
version_added: 0.1.0
description:
  - Used by the playbooks of this collection. Among the hosts of the play (C(ansible_play_hosts), in inventory
    order) the first host of each app leads; the others reuse its registered result through C(hostvars).
  - V(app) groups hosts by the app registration they should get (from the registered result C(__msteams_prepared) of
    M(procall.msteams.run_prepare)); V(status) by the app their msteams.cfg names (the role's C(ucserver_current)).
author:
  - procall.msteams contributors (@procall-msteams)
options:
  by:
    description: What makes two hosts share an app.
    type: str
    required: true
    choices: [app, status]
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Pick one host per app registration to talk to Graph
  procall.msteams.run_leader:
    by: app
  register: __msteams_leader
"""

RETURN = r"""
host:
  description: The leading host of this host's app, empty when the host has none.
  returned: always
  type: str
key:
  description: The app key of this host.
  returned: always
  type: str
is_leader:
  description: Whether this host leads.
  returned: always
  type: bool
"""
