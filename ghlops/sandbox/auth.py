"""Who may call what in the sandbox: token classes, scopes and the 401 answers GHL gives.

Operation security schemes (API notes 0.2) admit tokens by user type (``Location`` or
``Company``) and kind (Private Integration Token or OAuth token). A token provisioned with a
scope list is refused outside it, as GHL refuses a token not granted an operation's scope.
Messages are the live API's (API notes, appendix E).
"""

from __future__ import annotations

from ghlops.sandbox.errors import SandboxHTTPError
from ghlops.sandbox.spec import Operation
from ghlops.sandbox.store import TokenInfo

# Operation security schemes (notes 0.2) -> (user type they admit, OAuth tokens only). An
# operation admits a token when any of its schemes does; one that declares none but takes an
# Authorization header (store.json's shipping-rates) is treated as Location-Access.
SECURITY_SCHEMES: dict[str, tuple[str, bool]] = {
    "bearer": ("Location", False),
    "Location-Access": ("Location", False),
    "Location-Access-Only": ("Location", True),
    "Agency-Access": ("Company", False),
    "Agency-Access-Only": ("Company", True),
}
# Refusals of a valid token of the wrong class (401, as the live API answers; [3rd-party]
# observations): a PIT of the other user type, and an OAuth token of the other user type or a PIT
# where only OAuth tokens are admitted.
USER_TYPE_MISMATCH = "Token's user type mismatch!"
SCOPE_NOT_AUTHORIZED = "The token is not authorized for this scope."
INVALID_JWT = "Invalid JWT"
AUTH_CLASS_NOT_ALLOWED = (
    "This authClass type is not allowed to access this scope. "
    "Please verify your IAM configuration if this is not the case."
)


def admitted_tokens(op: Operation) -> frozenset[tuple[str, str]]:
    """The ``(user_type, kind)`` pairs of tokens the operation's security schemes admit."""
    names = {name for requirement in op.security or () for name in requirement}
    admitted: set[tuple[str, str]] = set()
    for name in names or {"Location-Access"}:
        user_type, oauth_only = SECURITY_SCHEMES.get(name, ("Location", False))
        admitted.add((user_type, "oauth"))
        if not oauth_only:
            admitted.add((user_type, "pit"))
    return frozenset(admitted)


def check_token_class(op: Operation, info: TokenInfo) -> None:
    """Refuse (401) a valid token whose user type or kind the operation does not admit."""
    admitted = admitted_tokens(op)
    if (info.user_type, info.kind) in admitted:
        return
    user_types = {user_type for user_type, _ in admitted}
    message = (
        USER_TYPE_MISMATCH
        if info.kind == "pit" and info.user_type not in user_types
        else AUTH_CLASS_NOT_ALLOWED
    )
    raise SandboxHTTPError(401, {"statusCode": 401, "message": message, "error": "Unauthorized"})


def required_scopes(op: Operation) -> frozenset[str]:
    """The scopes an operation's security requirements name (any one of them admits a token);
    empty when it names none (e.g. ``bearer: []``)."""
    return frozenset(
        s for requirement in op.security or () for v in requirement.values() for s in v
    )


def check_scopes(op: Operation, info: TokenInfo) -> None:
    """Refuse (401, as GHL: checked before the location) a token provisioned with a scope list
    that holds none of the scopes the operation requires."""
    granted = info.data.get("scopes")
    required = required_scopes(op)
    if granted is None or not required or required & set(granted):
        return
    raise SandboxHTTPError(
        401, {"statusCode": 401, "message": SCOPE_NOT_AUTHORIZED, "error": "Unauthorized"}
    )


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
