#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: run_report
short_description: Summarize a playbook run as printed lines, JSON and CSV report and the failure sentence
version_added: 0.1.0
description:
  - Used by the playbooks of this collection on C(localhost) after the per-host plays. Reads each targeted host's
    outcome through C(hostvars).
author:
  - procall.msteams contributors (@procall-msteams)
options:
  run:
    description: Which playbook ran.
    type: str
    required: true
    choices: [onboard, rotate_secret, status, decommission]
  min_days:
    description: The C(status) threshold, for the failure sentence.
    type: int
    default: 14
  due_days:
    description: The C(status) rotation window (C(msteams_secret_rotate_before_days)), for the Nagios perfdata thresholds.
    type: int
    default: 30
extends_documentation_fragment:
  - procall.msteams.run_action
"""

EXAMPLES = r"""
- name: Summarize the run
  procall.msteams.run_report:
    run: onboard
  register: __msteams_report
"""

RETURN = r"""
rows:
  description: One row per host.
  returned: always
  type: list
  elements: dict
lines:
  description: The summary or status table, line by line.
  returned: always
  type: list
  elements: str
json:
  description: The JSON report.
  returned: always
  type: str
csv:
  description: The CSV report (RFC 4180 quoting).
  returned: run is status
  type: str
prometheus:
  description:
    - The status as a Prometheus textfile-collector file (text exposition format), gauges
      C(procall_msteams_secret_days_left), C(procall_msteams_host_status), C(procall_msteams_orphan_secret_days_left),
      C(procall_msteams_status_hosts) and C(procall_msteams_status_last_run_timestamp_seconds).
  returned: run is status
  type: str
nagios:
  description: The Nagios/Icinga plugin result, two lines; the plugin output line and its exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
  returned: run is status
  type: str
nagios_exit_code:
  description: The exit code of the Nagios/Icinga plugin result.
  returned: run is status
  type: int
nagios_line:
  description: The output line of the Nagios/Icinga plugin result (summary and perfdata).
  returned: run is status
  type: str
fail_msg:
  description: Why the run fails, or empty.
  returned: always
  type: str
failing_hosts:
  description: The hosts that fail the run (C(failed); for status C(broken) or C(expiring)), in inventory order.
  returned: always
  type: list
  elements: str
fail_hosts:
  description:
    - The hosts the playbook's last task fails, with O(run)'s C(fail_msg). The failing hosts still in the play, so the recap and AWX's host
      summary mark exactly them failed; the host that ran the report when none of them is in the play any more (they left it unreachable).
  returned: always
  type: list
  elements: str
"""
