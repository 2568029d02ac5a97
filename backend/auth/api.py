"""Login, token refresh, logout, the caller's own profile, and user management."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, request
from flask.views import MethodView

from backend.auth import lockout, service, users
from backend.auth.guard import current_actor, current_family_id, public
from backend.auth.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    RefreshSchema,
    TokenSchema,
    UserCreateSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from backend.common.blueprint import Blueprint
from backend.common.domain_errors import DomainError
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.extensions import db, limiter

auth_blp = Blueprint("auth", __name__, description="Log in, refresh and end sessions.")
users_blp = Blueprint("users", __name__, description="Accounts: admins manage all, supervisors their region.")


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_PER_IP"]


def _account_rate() -> str:
    return current_app.config["LOGIN_RATE_PER_ACCOUNT"]


def _login_account() -> str:
    """The per-account rate-limit key: the name being logged into, existing or not."""
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return "account:" + (lockout.normalise_username(username) if isinstance(username, str) else "")


def _commit_even_on_refusal(action):
    """Run a token action; a refusal (wrong password, reused token) still persists its
    bookkeeping (failure count, lockout, family revocation, audit) before it is answered."""
    try:
        result = action()
    except DomainError:
        db.session.commit()
        raise
    db.session.commit()
    return asdict(result)


@auth_blp.route("/auth/login")
class Login(MethodView):
    # Counted per client address and per account, in storage shared by every worker.
    decorators = [limiter.limit(_login_rate, methods=["POST"]),
                  limiter.limit(_account_rate, key_func=_login_account, methods=["POST"])]

    @public
    @auth_blp.doc(security=[])
    @auth_blp.arguments(LoginSchema)
    @auth_blp.response(200, TokenSchema)
    @auth_blp.problem_response(401, "Wrong username or password")
    @auth_blp.problem_response(429, "Too many attempts from this address, or account locked")
    def post(self, credentials):
        """Exchange username and password for an access and a refresh token."""
        def attempt():
            claim = service.claim_login_attempt(credentials["username"])
            # Committed before Argon2 runs, so concurrent guesses count each other's claims.
            db.session.commit()
            return service.login(claim, credentials["password"], ip=request.remote_addr)

        return _commit_even_on_refusal(attempt)


@auth_blp.route("/auth/refresh")
class Refresh(MethodView):
    # Not rate limited by address: refresh tokens cannot be guessed, and inspectors' phones
    # often share one carrier-NAT address.
    @public
    @auth_blp.doc(security=[])
    @auth_blp.arguments(RefreshSchema)
    @auth_blp.response(200, TokenSchema)
    @auth_blp.problem_response(401, "Unknown, expired, revoked or reused refresh token")
    def post(self, body):
        """Rotate a refresh token: the old one is used up, a new pair is returned."""
        return _commit_even_on_refusal(lambda: service.refresh(body["refresh_token"]))


@auth_blp.route("/auth/logout")
class Logout(MethodView):
    @auth_blp.response(204)
    def post(self):
        """End this session: its refresh token and access tokens stop working."""
        service.logout(current_actor(), current_family_id())
        db.session.commit()


@auth_blp.route("/me")
class Me(MethodView):
    @auth_blp.response(200, UserSchema)
    def get(self):
        """The signed-in user."""
        actor = current_actor()
        return users.get_user(actor, actor.id)


@auth_blp.route("/me/password")
class MyPassword(MethodView):
    @auth_blp.arguments(PasswordChangeSchema)
    @auth_blp.response(204)
    @auth_blp.forbidden("Current password wrong")
    def post(self, body):
        """Change one's own password; every session of the account ends."""
        actor = current_actor()
        users.change_own_password(actor, users.get_user(actor, actor.id),
                                  body["current_password"], body["new_password"])
        db.session.commit()


@users_blp.route("/users")
class Users(MethodView):
    @users_blp.forbidden()
    @users_blp.arguments(UserQueryArgsSchema, location="query")
    @users_blp.response(200, UserSchema(many=True))
    @users_blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, filters):
        """Users the caller manages (supervisors: their region)."""
        return users.users_query(current_actor(), **filters)

    @users_blp.forbidden()
    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @users_blp.alt_response(409, description="Username taken")
    def post(self, data):
        """Create an account."""
        user = users.create_user(current_actor(), **data)
        db.session.commit()
        return user


@users_blp.route("/users/<uuid:user_id>")
class UserById(MethodView):
    @users_blp.forbidden("Only administrators and supervisors read other users")
    @users_blp.etag
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return users.get_user(current_actor(), user_id)

    @users_blp.forbidden()
    @users_blp.etag
    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change a user (If-Match required). Deactivating or setting a password ends their sessions."""
        actor = current_actor()
        user = users.get_user(actor, user_id)
        users_blp.check_etag(user, UserSchema)
        user = users.update_user(actor, user, changes)
        db.session.commit()
        return user
