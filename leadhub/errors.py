"""The exception a service raises when it refuses a write, shared by every app's services."""


def errors_message(errors: dict) -> str:
    """One sentence from messages per field: `field: message ...`, the body-wide ones alone."""
    if list(errors) == ["non_field_errors"]:
        return " ".join(errors["non_field_errors"])
    return " ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())


class ServiceRefusal(Exception):
    """A refused write: `reason` for people, `code` for machines, `errors` per field. Subclasses
    set `code`; the API layer turns all three into its 4xx body."""

    code = "error"
    # What ops' logs keep (a rejected submission's `reason_code`) when more precise than `code`.
    stored_code = None

    def __init__(self, reason, *, errors=None, fields=None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}
        self.fields = fields or {}  # body fields the answer carries beside the error (the lead a conflict names)


class ServiceConflict(ServiceRefusal):
    """A refused write that clashes with what is stored (the API answers 409, not 422)."""

    code = "conflict"
