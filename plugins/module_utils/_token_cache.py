# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared token cache of the Graph modules: encrypted, mode 0600, under a file lock.

For internal collection use only: the interface may change without notice.

Forks of one run (parallel hosts) and later tasks share one token per credential: the
exclusive lock is held from loading the cache until the new token is saved, so the first
fork asks the token service and the others read its token. The file is Fernet-encrypted with
a key derived (HKDF-SHA256) from the credential itself, so only a holder of the credential can
read it, and its name is derived the same way, so a rotated secret never meets the old cache.
Files nobody used for PRUNE_AFTER_SECONDS (retired credentials) are removed.

The file also keeps msal's ``http_cache`` entries for the tenant discovery GET (public
metadata msal keeps for 24 h), so a task with a cached token makes no login request at all.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import stat
import time
import uuid

from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphConfigError

try:
    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - msal depends on cryptography
    HAS_CRYPTOGRAPHY = False

try:
    import fcntl

    HAS_FCNTL = True
except ImportError:  # pragma: no cover - Windows controllers are not supported by Ansible
    HAS_FCNTL = False

# Tokens live about an hour and msal keeps discovery metadata a day: a file untouched for two
# days holds nothing usable, most likely for a secret that was rotated away.
PRUNE_AFTER_SECONDS = 2 * 86400
_HTTP_INDEX = "_index_"  # msal.individual_cache._ExpiringMapping keeps its expiry index under this key


def _owned_by_me(st):
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def prepare_directory(directory):
    """Create the cache directory (0700) or fail clearly; it must belong to this user."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory)
    except OSError as exc:
        raise GraphConfigError(
            "token_cache_path %s cannot be created (%s): set token_cache_path to a directory this user may write, or to false" % (directory, exc.strerror)
        ) from None
    if not stat.S_ISDIR(st.st_mode):
        raise GraphConfigError("token_cache_path %s is not a directory: set token_cache_path to a directory, or to false" % directory)
    if not _owned_by_me(st):
        raise GraphConfigError(
            "token_cache_path %s belongs to another user (uid %d): set token_cache_path to a directory of the user running Ansible, or to false"
            % (directory, st.st_uid)
        )


def _open_private(path, flags):
    """Open a cache or lock file without following a symlink; it must belong to this user."""
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise GraphConfigError(
                "the token cache file %s is a symlink, which is never followed: remove it, or set token_cache_path to false" % path
            ) from None
        raise
    if not _owned_by_me(os.fstat(fd)):
        os.close(fd)
        raise GraphConfigError("the token cache file %s belongs to another user: remove it, or set token_cache_path to another directory" % path)
    return fd


def prune(directory, keep, now=None):
    """Remove cache files (and their locks) of this user that nobody used for PRUNE_AFTER_SECONDS."""
    now = time.time() if now is None else now
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for name in names:
        if not (name.endswith(".cache") or name.endswith(".lock") or name.endswith(".tmp")):
            continue
        path = os.path.join(directory, name)
        if path.startswith(keep):
            continue
        try:
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and _owned_by_me(st) and now - st.st_mtime > PRUNE_AFTER_SECONDS:
                os.unlink(path)
                removed.append(name)
        except OSError:
            continue
    return removed


class TokenCacheFile:
    """An msal ``SerializableTokenCache`` persisted encrypted, mode 0600, under an fcntl lock."""

    VERSION = 2

    def __init__(self, directory, key_material, token_cache, http_cache=None):
        hkdf_name = HKDF(algorithm=hashes.SHA256(), length=16, salt=b"procall.msteams token cache", info=b"file name")
        hkdf_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"procall.msteams token cache", info=b"fernet key")
        material = key_material.encode("utf-8")
        self.directory = directory
        self.path = os.path.join(directory, "%s.cache" % hkdf_name.derive(material).hex())
        self._fernet = Fernet(base64.urlsafe_b64encode(hkdf_key.derive(material)))
        self.token_cache = token_cache
        self.http_cache = http_cache if http_cache is not None else {}
        self._http_snapshot = None

    @contextlib.contextmanager
    def locked(self):
        """Load both caches under the lock; on exit save them when they changed."""
        prepare_directory(self.directory)
        lock_fd = _open_private(self.path + ".lock", os.O_RDWR | os.O_CREAT)
        try:
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._load()
            yield self.token_cache
            if self.token_cache.has_state_changed or _dump_http_cache(self.http_cache) != self._http_snapshot:
                self._save()
        finally:
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)

    def _load(self):
        blob = None
        try:
            fd = _open_private(self.path, os.O_RDONLY)
        except FileNotFoundError:
            fd = None
        if fd is not None:
            with os.fdopen(fd, "rb") as handle:
                blob = handle.read()
        data = {}
        if blob:
            try:
                data = json.loads(self._fernet.decrypt(blob).decode("utf-8"))
            except (InvalidToken, ValueError):
                # Unreadable (corrupted, or a hash collision of names): start empty; rewritten on save.
                data = {}
        if isinstance(data, dict) and data.get("v") == self.VERSION:
            self.token_cache.deserialize(data.get("tokens") or "{}")
            _load_http_cache(self.http_cache, data.get("http") or {})
        self.token_cache.has_state_changed = False
        self._http_snapshot = _dump_http_cache(self.http_cache)

    def _save(self):
        payload = {"v": self.VERSION, "tokens": self.token_cache.serialize(), "http": _dump_http_cache(self.http_cache)}
        blob = self._fernet.encrypt(json.dumps(payload).encode("utf-8"))
        tmp = "%s.%s.tmp" % (self.path, uuid.uuid4().hex)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.token_cache.has_state_changed = False
        prune(self.directory, keep=self.path)


def _dump_http_cache(http_cache):
    """The successful discovery GETs of msal's http_cache as JSON-able data (public metadata only)."""
    try:
        index = http_cache.get(_HTTP_INDEX)
        if not index:
            return {}
        _sequence, timestamps = index
        entries = {}
        for key, stamps in timestamps.items():
            value = http_cache.get(key)
            if not (isinstance(key, str) and key.startswith("GET ") and value is not None):
                continue
            entries[key] = {"stamps": list(stamps), "status": value.status_code, "text": value.text, "headers": dict(value.headers or {})}
        return entries
    except (TypeError, ValueError, AttributeError):  # another msal layout: just do not persist it
        return {}


def _load_http_cache(http_cache, entries):
    try:
        from msal.throttled_http_client import NormalizedResponse
    except ImportError:  # pragma: no cover
        return
    sequence, timestamps = [], {}
    for key, entry in (entries or {}).items():
        try:
            raw = _RawResponse(int(entry["status"]), entry["text"], entry["headers"])
            http_cache[key] = NormalizedResponse(raw)
            expires_at, created = int(entry["stamps"][0]), int(entry["stamps"][1])
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        sequence.append([expires_at, created, key])
        timestamps[key] = [expires_at, created]
    if timestamps:
        sequence.sort()
        http_cache[_HTTP_INDEX] = (sequence, timestamps)


class _RawResponse:
    def __init__(self, status_code, text, headers):
        self.status_code = status_code
        self.text = text
        self.headers = headers
