"""The audit rows lose their index on user_id alone: the (user, -created) index leads with the user and serves its lookups.

Django's own AlterField would drop the foreign key, drop the index and add the key back, and adding a foreign key back
on PostgreSQL checks every row of the table under a lock that holds off new rows. Only the index goes: its name is
found in the database (it is the only index on user_id alone), and a plain DROP INDEX takes a moment on any size.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "signer_issuedcredential"


def user_only_indexes(schema_editor: Any) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, constraint in constraints.items()
        if constraint["index"] and not constraint["unique"] and constraint["columns"] == ["user_id"]
    ]


def drop_index(apps: Any, schema_editor: Any) -> None:
    for name in user_only_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_index(apps: Any, schema_editor: Any) -> None:
    if not user_only_indexes(schema_editor):
        model = apps.get_model("signer", "IssuedCredential")
        schema_editor.add_index(model, models.Index(fields=["user"], name="signer_issu_user_id_only_idx"))


class Migration(migrations.Migration):
    dependencies = [
        ("signer", "0009_translated_names_of_new_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="issuedcredential",
                    name="user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index, elidable=False)],
        ),
    ]
