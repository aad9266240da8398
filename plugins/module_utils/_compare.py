# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one comparison and diff helper of the collection (after community.docker's DifferenceTracker).

For internal collection use only: the interface may change without notice.
Pure functions, no I/O: every module and the msteams.cfg filter decide "changed" and build
their ``diff`` with it, so a secret is masked the same way everywhere (REDACTED, as win_user does).
"""

from __future__ import annotations

REDACTED = "REDACTED"
CHANGED_REDACTED = "CHANGED REDACTED"


def normalize(value, unordered=False):
    """A comparable form: lists compared as sorted, de-duplicated sets when ``unordered``."""
    if unordered and isinstance(value, (list, tuple, set, frozenset)):
        return sorted({_freeze(v) for v in value}, key=repr)
    if isinstance(value, dict):
        return {k: normalize(v, unordered) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def values_differ(before, after, unordered=False):
    return normalize(before, unordered) != normalize(after, unordered)


class DifferenceTracker:
    """Collects (name, before, after) and answers "changed?" and the ``diff`` result."""

    def __init__(self):
        self._items = []

    def add(self, name, before=None, after=None, secret=False, unordered=False):
        """Record a property; returns True when it differs."""
        differs = values_differ(before, after, unordered)
        self._items.append({"name": name, "before": before, "after": after, "secret": secret, "differs": differs})
        return differs

    def has_changed(self):
        return any(item["differs"] for item in self._items)

    def changed_names(self):
        return [item["name"] for item in self._items if item["differs"]]

    def differences(self):
        """The changed items as a list of ``{name, before, after}`` (secrets masked)."""
        return [{"name": item["name"], "before": self._shown(item, "before"), "after": self._shown(item, "after")} for item in self._items if item["differs"]]

    @staticmethod
    def _shown(item, side):
        value = item[side]
        if not item["secret"] or value is None:
            return value
        if side == "after" and item["differs"]:
            return CHANGED_REDACTED
        return REDACTED

    def get_before_after(self, all_items=False):
        """``(before, after)`` dicts for Ansible's ``diff`` (only the changed names unless ``all_items``)."""
        before, after = {}, {}
        for item in self._items:
            if not (item["differs"] or all_items):
                continue
            before[item["name"]] = self._shown(item, "before")
            after[item["name"]] = self._shown(item, "after")
        return before, after

    def diff(self, all_items=False):
        before, after = self.get_before_after(all_items)
        return {"before": before, "after": after}
