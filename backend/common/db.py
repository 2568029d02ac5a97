"""The database handle and declarative base: the lowest floor, imported by every model.

Here rather than in backend/extensions.py so that backend/common (pagination, the outbox,
features) imports nothing of the application above it.
"""
import logging

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)

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


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request cleanup never fails the request.

    The session is removed (its transaction rolled back) at app-context teardown, after the
    response is formed; on a connection the server has dropped, that ROLLBACK raises, and
    an error there escapes every error handler (gunicorn then answers its HTML 500). The
    connection is already invalidated by SQLAlchemy and the pool replaces it: log, forget.
    """

    def _teardown_session(self, exc):
        try:
            super()._teardown_session(exc)
        except sa_exc.SQLAlchemyError as error:
            log.warning("session cleanup failed (connection lost?): %s", error)
            self.session.registry.clear()  # the next app context must not inherit it


db = Database(model_class=Base, session_options={"class_": Session})
