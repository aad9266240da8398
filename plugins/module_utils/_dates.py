# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place that parses and formats dates of the Graph modules (pure functions).

For internal collection use only; the interface may change without notice.
Graph's ISO 8601 timestamps (0-7 fraction digits) and HTTP dates (``Date``, ``Retry-After``, RFC 9110).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
from email.utils import parsedate_to_datetime

UTC = datetime.timezone.utc

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def parse_http_date(value):
    """An HTTP date (RFC 9110 5.6.7) as aware UTC datetime, or None."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_graph_datetime(value):
    """Parse Graph's ISO 8601 timestamps (``Z``, offsets, 0-7 fraction digits) to aware UTC."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    m = _ISO.match(str(value).strip())
    if not m:
        raise ValueError("not an ISO 8601 timestamp: %r" % (value,))
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    result = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC)
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        result = result - sign * offset
    return result


def format_graph_datetime(value):
    """Aware datetime -> Graph's ``2026-05-26T03:00:00Z`` form."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
