"""Typed errors the services raise; the web layer maps each to one HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class ValidationFailed(ServiceError):
    """Input broke a rule; `errors` maps each field to its messages."""

    code = "validation_failed"

    def __init__(self, errors: dict[str, list[str]], message: str = "some fields are not valid"):
        self.errors = errors
        super().__init__(f"{message}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


class UnsafeDocument(ValidationFailed):
    """An office document refused for what its archive holds; `reason` names the kind of danger."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__({"file": [message]}, "the file is not accepted")


class TransitionNotAllowed(ServiceError):
    code = "transition_not_allowed"

    def __init__(self, trigger: str, status: str, allowed: list[str]) -> None:
        self.trigger, self.status, self.allowed = trigger, status, allowed
        super().__init__(
            f"{trigger!r} is not allowed from {status!r}; allowed now: {', '.join(allowed) or 'none'}"
        )


class GuardFailed(ServiceError):
    code = "guard_failed"

    def __init__(self, trigger: str, failures: list[tuple[str, str]]) -> None:
        self.trigger, self.failures = trigger, failures
        self.guards = [name for name, _ in failures]
        super().__init__(
            f"{trigger!r} is blocked by " + "; ".join(f"{n}: {why}" for n, why in failures)
        )


class Conflict(ServiceError):
    """Someone else changed the case first; `current_version` and `current_status` say to what."""

    code = "conflict"

    def __init__(self, message: str, current_version: int | None = None,
                 current_status: str | None = None) -> None:
        self.current_version, self.current_status = current_version, current_status
        super().__init__(message)


class StaleVersion(Conflict):
    """The caller named a version of the case (If-Match, a form's hidden version) it is no longer at."""

    code = "precondition_failed"


class UnsupportedType(ServiceError):
    """A file whose content is none of the accepted types, whatever its name says."""

    code = "unsupported_media_type"


class TooLarge(ServiceError):
    code = "payload_too_large"
