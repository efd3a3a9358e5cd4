"""Errors the domain raises; each message is fit to show the user as it is."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    """Refused for who is asking; the caller audits these in a transaction of their own."""


class Conflict(DomainError):
    pass


class PacketInvalid(DomainError):
    """Hand-off packet problems, per field key, so a form can show each beside its input."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        listed = "; ".join(f"{key}: {why}" for key, why in errors.items())
        super().__init__(f"The hand-off packet is incomplete: {listed}")


class FormInvalid(DomainError):
    """Problems with a form's fields, keyed by field, so each shows beside its input."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))
