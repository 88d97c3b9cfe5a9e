from django.db import migrations


def organisation_from_team(apps, schema_editor):
    """Every membership so far was a team's: its organisation is the team's."""
    Membership = apps.get_model("learners", "Membership")
    for membership in Membership.objects.select_related("team"):
        membership.organisation_id = membership.team.organisation_id
        membership.save(update_fields=["organisation"])


class Migration(migrations.Migration):

    dependencies = [
        ('learners', '0005_organisations_grow'),
    ]

    operations = [
        migrations.RunPython(organisation_from_team, migrations.RunPython.noop),
    ]
