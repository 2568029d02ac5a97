"""Extension instances, bound to the app in create_app(). The database handle is
backend/common/db.py's, re-exported here for the models and services above common."""
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate

from backend.common.db import NAMING_CONVENTION, Base, Database, Session, db
from backend.errors import ProblemApi

__all__ = ["NAMING_CONVENTION", "Base", "Database", "Session", "db", "migrate", "api", "jwt", "limiter"]

migrate = Migrate()
api = ProblemApi()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
