import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0002_channel'),
        ('publications', '0005_channels_in_agencies'),
        ('releases', '0004_channel_table_to_agencies'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='release',
                    name='channel',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='releases', to='agencies.channel', verbose_name='发布渠道'),
                ),
                migrations.DeleteModel(name='Channel'),
            ],
        ),
    ]
