"""The holiday calendar moves here from `disclosure`: Django's state only, on the tables
disclosure.0001 created and disclosure.0002 seeded (still named after `disclosure`);
disclosure.0004 lets go of the models and workdays.0002 renames the tables."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("disclosure", "0002_seed_holidays"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Holiday',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='日期')),
                        ('kind', models.CharField(choices=[('holiday', '放假'), ('workday', '调休上班')], help_text='放假：该日休息（含周末）；调休上班：该周末日上班', max_length=16, verbose_name='类型')),
                        ('name', models.CharField(blank=True, help_text='如：春节、国庆节', max_length=100, verbose_name='节日名称')),
                        ('source', models.CharField(choices=[('chinesecalendar', 'chinesecalendar 数据包'), ('admin', '管理员录入')], default='admin', max_length=32, verbose_name='来源')),
                    ],
                    options={
                        'verbose_name': '节假日安排',
                        'verbose_name_plural': '节假日安排',
                        'ordering': ['date'],
                        'db_table': 'disclosure_holiday',
                    },
                ),
                migrations.CreateModel(
                    name='HolidayYear',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='年份')),
                        ('complete', models.BooleanField(default=False, help_text='该年国务院办公厅节假日安排通知已全部录入。未勾选的年份按仅周末休息计算，且期限计算会标明“超出已知节假日数据”。', verbose_name='已完整录入')),
                        ('note', models.CharField(blank=True, help_text='如通知的文号和发布日期', max_length=300, verbose_name='备注')),
                    ],
                    options={
                        'verbose_name': '节假日年度',
                        'verbose_name_plural': '节假日年度',
                        'ordering': ['-year'],
                        'db_table': 'disclosure_holidayyear',
                    },
                ),
            ],
        ),
    ]
