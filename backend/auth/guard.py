"""Authentication for every API request, deny by default.

Each request to a view must carry a valid access token unless the view is marked
`@public`; forgetting a decorator therefore locks an endpoint, never opens one.
Authorisation (role and scope) is decided in the services.
"""
from __future__ import annotations

import uuid

from flask import Flask, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request

from backend.auth.actor import Actor
from backend.auth.service import load_actor
from backend.errors import problem
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


@jwt.user_lookup_loader
def _load_user(_header, claims):
    try:
        user_id = uuid.UUID(claims["sub"])
        family_id = uuid.UUID(claims["fam"])
    except (KeyError, ValueError, TypeError):
        return None
    return load_actor(user_id, family_id)


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
