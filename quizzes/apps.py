from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quiz")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from quizzes.models import Question

        # Options (choices, pairs, items) are part of their question: changing one alone
        # changes the question's `updated_at`, which tells every process that a question
        # it loaded before is out of date (quizzes.selectors.load_questions).
        for model in Question.types():
            for relation in model.prefetch:
                option_model = model._meta.get_field(relation).related_model
                uid = f"touch-question-{option_model._meta.label}"
                post_save.connect(touch_question, sender=option_model, dispatch_uid=uid)
                post_delete.connect(touch_question, sender=option_model, dispatch_uid=f"{uid}-deleted")


def touch_question(sender, instance, **kwargs):
    from django.utils import timezone

    from quizzes.models import Question

    Question.objects.non_polymorphic().filter(pk=instance.question_id).update(updated_at=timezone.now())
