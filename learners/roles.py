"""The groups that give people their role in the Wagtail admin.

Trainers ("Formateurs") reach the admin, edit the whole course tree and review essays;
learners and managers have no admin access at all."""

from django.contrib.auth.models import Group, Permission

TRAINERS_GROUP = "Formateurs"
PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
REVIEW_PERMISSIONS = [("quizzes", "review_answer")]  # the essays' review queue (quizzes.reviews)
MEDIA_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]


def question_permissions():
    """The question bank: trainers write, edit and delete questions of every type, and
    import GIFT files into it."""
    from quizzes.models import Question

    return [
        (model._meta.app_label, f"{action}_{model._meta.model_name}")
        for model in Question.types()
        for action in ("add", "change", "delete", "view")
    ] + [(Question._meta.app_label, "import_questions")]


def ensure_role_groups(**kwargs):
    """Create or complete the trainers' group. Repeated calls are a no-op."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    trainers, _created = Group.objects.get_or_create(name=TRAINERS_GROUP)
    for app_label, codename in [("wagtailadmin", "access_admin"), *question_permissions(), *REVIEW_PERMISSIONS]:
        if model_permission := permission(app_label, codename):
            trainers.permissions.add(model_permission)
    root = Page.get_first_root_node()
    if root is not None:
        for codename in PAGE_PERMISSIONS:
            if page_permission := permission("wagtailcore", codename):
                GroupPagePermission.objects.get_or_create(group=trainers, page=root, permission=page_permission)
    collection = Collection.get_first_root_node()
    if collection is not None:
        for app_label, codename in MEDIA_PERMISSIONS:
            if media_permission := permission(app_label, codename):
                GroupCollectionPermission.objects.get_or_create(
                    group=trainers, collection=collection, permission=media_permission
                )


def permission(app_label, codename):
    """The permission, or None where it does not exist (yet, or after a test flush)."""
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def is_privileged(user):
    """Whether `user` holds a role that reaches other people's data or the course
    content: administrator (superuser), trainer (the trainers' group) or manager of a
    team. These people must use two-factor authentication where it is required
    (settings.PASSERELLE_REQUIRE_2FA). One query, whatever the role."""
    from django.db.models import Q

    from learners.models import Membership, User

    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return User.objects.filter(
        Q(groups__name=TRAINERS_GROUP) | Q(memberships__role=Membership.Role.MANAGER), pk=user.pk
    ).exists()
