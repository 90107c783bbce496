"""The project's few exceptions: each knows its CLI exit code and HTTP status, so every edge translates them once."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error a user can cause or fix; the message names the value, the rule and the fix."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(QAError):
    """A question, filter, file or flag that breaks a documented rule."""

    exit_code = 2
    http_status = 400


class NotFound(QAError):
    """An unknown document or paragraph id."""

    http_status = 404


class IndexMissing(QAError):
    """No built index where the settings point: `qa index` builds one."""

    http_status = 503


class IndexOutdated(IndexMissing):
    """An index of an older format: `qa index` (or any command that builds) replaces it, reusing its vectors."""


class IndexDamaged(QAError):
    """The index on disk fails its checks: answering from it could cite the wrong text."""

    http_status = 503


class CorpusError(QAError):
    """The corpus folder or its manifest is unreadable or inconsistent."""

    http_status = 500


class Busy(QAError):
    """Another writer holds the lock on the index or corpus."""

    exit_code = 3
    http_status = 409


class ModelError(QAError):
    """The embedding model cannot be built or loaded."""

    http_status = 503
