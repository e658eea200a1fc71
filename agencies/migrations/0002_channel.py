"""`Channel` now belongs to agencies; its table was renamed by releases.0004. Only Django's
state changes here, and the content type (so granted permissions stay granted)."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='agencies', model='channel').exists():
        ContentType.objects.filter(app_label='releases', model='channel').update(
            app_label='agencies')


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('releases', '0004_channel_table_to_agencies'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Channel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=64, verbose_name='代码')),
                        ('name', models.CharField(max_length=200, verbose_name='名称')),
                        ('kind', models.CharField(choices=[('site', '政府信息公开专栏'), ('wechat', '微信公众号'), ('webhook', '媒体平台接口'), ('manual', '人工发布（报刊、公告栏等）')], max_length=16, verbose_name='类型')),
                        ('config', models.JSONField(blank=True, default=dict, verbose_name='配置')),
                        ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='channels', to='agencies.agency', verbose_name='机关')),
                    ],
                    options={
                        'verbose_name': '发布渠道',
                        'verbose_name_plural': '发布渠道',
                        'ordering': ['agency', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('agency', 'code'), name='channel_code_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
    ]
