"""The domain's exceptions; `service/api/errors.py` maps each to an HTTP status."""


class ModqError(Exception):
    """Base of every error the domain raises on purpose."""


class CommentNotFoundError(ModqError):
    """No comment with that id belongs to the caller's site."""


class DecisionConflictError(ModqError):
    """The comment already carries exactly this moderator decision."""


class AuthenticationError(ModqError):
    """No credentials, or credentials that match no live key."""


class PermissionDeniedError(ModqError):
    """Valid credentials of a kind that may not use this endpoint."""


class StorageUnavailableError(ModqError):
    """Storage cannot take or give data now (down, full, or unsafe); nothing was written."""


class WebhookURLError(ModqError):
    """A webhook URL modq will not post to (its message says why)."""


class NoWebhookError(ModqError):
    """The site has no webhook."""
