from wagtail.snippets.models import register_snippet

from quizzes.viewsets import QuestionBank

register_snippet(QuestionBank)
