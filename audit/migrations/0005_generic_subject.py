"""An event names its subject by kind and id instead of a foreign key to the item.

Every event written so far is about an item, so existing rows get the item's kind. No
row is updated (PostgreSQL's trigger would refuse it): the column is renamed and the kind
comes in as the new column's default. Hashes are unchanged (audit.hashing, form 1).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_refuse_truncate'),
    ]

    operations = [
        migrations.RemoveIndex(model_name='auditevent', name='audit_audit_publica_c56626_idx'),
        migrations.AlterField(
            model_name='auditevent', name='publication',
            field=models.BigIntegerField(blank=True, null=True, db_column='publication_id'),
        ),
        migrations.RenameField(model_name='auditevent', old_name='publication',
                               new_name='subject_id'),
        migrations.AlterField(
            model_name='auditevent', name='subject_id',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='对象编号'),
        ),
        migrations.AddField(
            model_name='auditevent', name='subject_type',
            field=models.CharField(blank=True, default='publications.publication',
                                   max_length=64, verbose_name='对象类型'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='auditevent', name='subject_type',
            field=models.CharField(blank=True, default='', max_length=64,
                                   verbose_name='对象类型'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['subject_type', 'subject_id', 'seq'],
                               name='audit_subject'),
        ),
    ]
