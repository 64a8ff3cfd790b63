"""The migrations, run from an empty database, build exactly the schema the models describe.

The suite's SQLite databases are built from the models without running the migrations (conftest:
django_db_use_migrations), so this is where they run on SQLite: a migration that forgets a column, an
index or a constraint, or that seeds rows the models' schema does not have, fails here. (makemigrations
--check in CI compares the migrations with the models; this runs them.)
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What the suite does on SQLite (pytest-django's --no-migrations, Django's TEST["MIGRATE"] = False): every app's
# tables straight from its models, then post_migrate (content types, permissions).
FROM_THE_MODELS = """
import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

django.setup()
settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
"""

# post_migrate numbers these rows in whichever order the apps come; they are compared by what they name.
BY_NATURAL_KEY = {
    "django_content_type": "SELECT app_label, model FROM django_content_type",
    "auth_permission": (
        "SELECT t.app_label, t.model, p.codename, p.name FROM auth_permission p"
        " JOIN django_content_type t ON t.id = p.content_type_id"
    ),
}


def _build(tmp_path, name, command):
    path = tmp_path / f"{name}.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "test-only-secret-key-not-for-production-use-0123456789",
        "DEBUG": "0",
    }
    process = subprocess.Popen(  # noqa: S603 - our own manage.py and Python
        [sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return path, process


def _definitions(create_table):
    """The column and constraint definitions of a CREATE TABLE, in a stable order (a remade table reorders them)."""
    body = create_table[create_table.index("(") + 1 : create_table.rindex(")")]
    parts, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return sorted([*parts, current.strip()])


def _schema_and_rows(path):
    db = sqlite3.connect(path)
    try:
        schema, rows = {}, {}
        for kind, name, sql in db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ):
            if name == "django_migrations":  # the migrations' own bookkeeping
                continue
            schema[kind, name] = _definitions(sql) if kind == "table" else sql
            if kind == "table":
                query = BY_NATURAL_KEY.get(name, f'SELECT * FROM "{name}"')  # noqa: S608 - names from sqlite_master
                rows[name] = sorted(db.execute(query).fetchall(), key=repr)
        return schema, rows
    finally:
        db.close()


@pytest.mark.slow
def test_the_migrations_build_the_schema_the_suite_runs_on(tmp_path):
    # Both at once, in processes of their own: the suite's settings already have the migrations switched off.
    migrated, migrating = _build(tmp_path, "migrated", ["manage.py", "migrate", "--noinput", "-v0"])
    modelled, modelling = _build(tmp_path, "modelled", ["-c", FROM_THE_MODELS])
    for process in (migrating, modelling):
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output

    migrated_schema, migrated_rows = _schema_and_rows(migrated)
    modelled_schema, modelled_rows = _schema_and_rows(modelled)

    assert ("table", "franchise_partner") in migrated_schema  # the comparison compares something
    differ = sorted(set(migrated_schema) ^ set(modelled_schema)) + [
        key for key in migrated_schema.keys() & modelled_schema.keys() if migrated_schema[key] != modelled_schema[key]
    ]
    assert not differ, "\n".join(
        f"{kind} {name}:\n  migrations: {migrated_schema.get((kind, name))}\n  models: {modelled_schema.get((kind, name))}"
        for kind, name in differ
    )
    assert migrated_rows == modelled_rows
