"""Persistence of oresight's core types in a workspace database (SQLAlchemy 2, Alembic).

The embedded default is a SQLite file inside the workspace folder; a PostgreSQL URL serves teams.
The store knows core types only: it never imports a pillar.
"""
