"""Persistence: SQLAlchemy models, engine/session factories, repositories, roster import.

Repositories run queries and never commit: the caller (one handler step, one job run,
one CLI command) owns the transaction with `with session.begin(): ...`.
"""

from storage import (
    models_identities,  # noqa: F401  (its tables in the metadata)
    models_income,  # noqa: F401  (its table in the metadata)
    models_leads,  # noqa: F401  (its table in the metadata)
    models_measures,  # noqa: F401  (its table in the metadata)
    models_members,  # noqa: F401  (its table in the metadata)
    models_national,  # noqa: F401  (its table in the metadata)
    models_natural_end,  # noqa: F401  (its table in the metadata)
    models_platforms,  # noqa: F401  (its table in the metadata)
    models_runs,  # noqa: F401  (its tables in the metadata)
    models_team,  # noqa: F401  (its table in the metadata)
)
