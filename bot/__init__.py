"""The application core every platform plugs into: the CLI, settings, the services built once
(`core.py`), the one outbox drain over a platform's `Transport` (`outbox.py`, `transport.py`),
the scheduler runtime (`schedule.py`), the platforms by name (`plugins.py`), logs and the
catalogs. It imports no platform: `bot/plugins.py` loads one by name."""
