import uuid

from django.db import migrations, models


def first_token(apps, schema_editor):
    apps.get_model("courses", "ContentGeneration").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0004_scenario_crisis_room"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContentGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "génération du contenu publié"},
        ),
        migrations.RunPython(first_token, migrations.RunPython.noop),
    ]
