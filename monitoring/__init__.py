"""The domain of poverty-relapse monitoring, in pure Python.

Nothing here imports telegram, sqlalchemy or any other package of this project.
"""
