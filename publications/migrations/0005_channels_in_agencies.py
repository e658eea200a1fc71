from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0002_channel'),
        ('publications', '0004_publication_abolishes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='publication',
                    name='channels',
                    field=models.ManyToManyField(related_name='publications', to='agencies.channel', verbose_name='发布渠道'),
                ),
            ],
        ),
    ]
