"""Extension instances, bound to the app in create_app()."""
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from backend.errors import ProblemApi

# Stable constraint and index names, so migrations never depend on server defaults.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Session(FlaskSession):
    """A session given an explicit bind (a Connection) uses it, as plain SQLAlchemy does.

    Flask-SQLAlchemy 3 always picks the app's engine; honouring `bind` lets the test
    suite join each test to an outer transaction that is rolled back afterwards.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper=mapper, clause=clause, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
api = ProblemApi()
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
