"""The exception a service raises when it refuses a write, shared by every app's services."""


class ServiceRefusal(Exception):
    """A refused write: `reason` for people, `code` for machines, `errors` per field. Subclasses
    set `code`; the API layer turns all three into its 4xx body."""

    code = "error"

    def __init__(self, reason, *, errors=None, fields=None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}
        self.fields = fields or {}  # body fields the answer carries beside the error (the lead a conflict names)


class ServiceConflict(ServiceRefusal):
    """A refused write that clashes with what is stored (the API answers 409, not 422)."""

    code = "conflict"
