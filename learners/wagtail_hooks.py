from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from learners.models import Certificate
from learners.viewsets import CertificateViewSet, IssuedOnlyPolicy

register_permission_policy(Certificate, IssuedOnlyPolicy(Certificate))
register_snippet(CertificateViewSet)
