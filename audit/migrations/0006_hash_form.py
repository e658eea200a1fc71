"""Events record the form of their hash. Those written so far are form 1: they get it as
the new column's default, so no row is updated (PostgreSQL's trigger would refuse it);
new events are written in form 2 (audit.hashing)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_generic_subject'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent', name='hash_form',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='哈希格式'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='auditevent', name='hash_form',
            field=models.PositiveSmallIntegerField(default=2, verbose_name='哈希格式'),
        ),
    ]
