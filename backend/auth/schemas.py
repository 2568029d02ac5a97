import marshmallow as ma
from marshmallow import fields, validate

from backend.auth.models import ROLES
from backend.auth.passwords import MIN_PASSWORD_LENGTH
from backend.common.blueprint import QueryArgsSchema
from backend.regions.schemas import REGION_CODE

USERNAME = validate.Regexp(r"^[A-Za-z0-9._-]{3,64}$", error="3-64 letters, digits, '.', '_' or '-'.")
PASSWORD = validate.Length(min=MIN_PASSWORD_LENGTH, max=1024)


class LoginSchema(ma.Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class RefreshSchema(ma.Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(ma.Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires."})


class UserSchema(ma.Schema):
    id = fields.UUID(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    region_code = fields.String()
    is_active = fields.Boolean()
    locked_until = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class UserCreateSchema(ma.Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    region_code = fields.String(required=True, validate=REGION_CODE)
    password = fields.String(required=True, validate=PASSWORD, load_only=True)


class UserUpdateSchema(ma.Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=128))
    role = fields.String(validate=validate.OneOf(ROLES))
    region_code = fields.String(validate=REGION_CODE)
    is_active = fields.Boolean()
    password = fields.String(validate=PASSWORD, load_only=True,
                             metadata={"description": "Sets a new password and ends the user's sessions."})


class UserQueryArgsSchema(QueryArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    region_code = fields.String(validate=REGION_CODE)
    is_active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Part of username or name."})


class PasswordChangeSchema(ma.Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD)
