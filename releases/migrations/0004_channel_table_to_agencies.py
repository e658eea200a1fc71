"""Channels move to `agencies` (an item names its target channels without knowing
delivery): first the table is renamed; agencies.0002 takes the model over in Django's state."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('releases', '0003_retractionrequest'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name='channel',
                                                            table='agencies_channel')],
        ),
    ]
