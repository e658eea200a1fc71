"""The holiday calendar now belongs to `workdays` (workdays.0001 took the models over in
Django's state): only the state changes here, the tables and their rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("disclosure", "0003_statistics_indexes"),
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Holiday"),
                migrations.DeleteModel(name="HolidayYear"),
            ],
        ),
    ]
