# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one reading of an on/off switch, for every input of the collection: as Ansible reads a boolean.

For internal collection use only; the interface may change without notice.

An inventory variable, a role input or a vendor flag that says ``yes`` means what a module's
``type: bool`` option makes of it (``ansible.module_utils.parsing.convert_bool``), so a value that
works in one place works in every other. Each caller raises its own error with ``FLAG_VALUES``,
naming its option; the value is never echoed (a value in the wrong variable may be a secret).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

FLAG_VALUES = "true or false (yes/no, on/off, 1/0)"


def read_flag(value):
    """True or False as Ansible reads a boolean, or None when ``value`` is none of its spellings."""
    try:
        return boolean(value, strict=True)
    except TypeError:  # strict: an unknown spelling (its message would echo the value)
        return None
