"""Extension objects, created unbound and attached to the app in `create_app`."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Named constraints let Alembic's batch mode rebuild SQLite tables and drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# expire_on_commit=False: a write answers with the state it committed, not with a re-read that
# could already show a concurrent request's change.
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                session_options={"expire_on_commit": False})
migrate = Migrate()
