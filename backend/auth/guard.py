"""Authentication for every API request, deny by default.

Each request to a view must carry a valid access token unless the view is marked
`@public`; forgetting a decorator therefore locks an endpoint, never opens one.
Authorisation (role and scope) is decided in the services.
"""
from __future__ import annotations

import uuid

from flask import Flask, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request

from backend.auth.service import load_actor
from backend.common.actor import Actor
from backend.common.problems import problem
from backend.extensions import jwt

_PUBLIC = "_foodgrid_public"
# Blueprints that serve documentation and static assets, never data.
PUBLIC_BLUEPRINTS = {"api-docs", "docs_assets", "static"}


def public(func):
    """Mark a view (function or MethodView method) as open to anonymous callers."""
    setattr(func, _PUBLIC, True)
    return func


def _is_public(view_func, method: str) -> bool:
    view_class = getattr(view_func, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view_func
    return bool(getattr(handler, _PUBLIC, False))


def current_actor() -> Actor:
    return current_user


def current_family_id() -> str | None:
    return get_jwt().get("fam")


def init_guard(app: Flask) -> None:
    @app.before_request
    def _authenticate():
        if request.method == "OPTIONS" or request.endpoint is None:
            return None
        if request.blueprint in PUBLIC_BLUEPRINTS:
            return None
        view = app.view_functions.get(request.endpoint)
        if view is None or _is_public(view, request.method):
            return None
        verify_jwt_in_request()
        return None


def _unauthorized(code: str, detail: str):
    return problem(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="foodgrid"'})


def _uuid_claim(claims: dict, name: str) -> uuid.UUID | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@jwt.token_verification_loader
def _claims_well_formed(_header, claims) -> bool:
    # Signed by us does not mean well-formed: a claim of the wrong type (list, object,
    # number) is an invalid token, never a 500. Role and region come from the database,
    # not from the token, but a token carrying them must carry strings.
    return (_uuid_claim(claims, "sub") is not None and _uuid_claim(claims, "fam") is not None
            and all(isinstance(claims.get(name, ""), str) for name in ("role", "region")))


@jwt.token_verification_failed_loader
def _claims_malformed(_header, _claims):
    return _unauthorized("token_invalid", "The access token's claims are malformed.")


@jwt.user_lookup_loader
def _load_user(_header, claims):
    return load_actor(_uuid_claim(claims, "sub"), _uuid_claim(claims, "fam"))


@jwt.user_lookup_error_loader
def _user_gone(_header, _claims):
    return _unauthorized("token_revoked", "The session was ended or the account deactivated; log in again.")


@jwt.expired_token_loader
def _expired(_header, _claims):
    return _unauthorized("token_expired", "The access token has expired; refresh it.")


@jwt.invalid_token_loader
def _invalid(reason: str):
    return _unauthorized("token_invalid", f"The access token is invalid: {reason}.")


@jwt.unauthorized_loader
def _missing(reason: str):
    return _unauthorized("token_missing", "This endpoint needs an access token (Authorization: Bearer …).")


@jwt.revoked_token_loader
def _revoked(_header, _claims):
    return _unauthorized("token_revoked", "The access token was revoked.")
