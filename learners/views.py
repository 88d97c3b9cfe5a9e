from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Page

from courses.models import CoursePage
from courses.serving import page_from_rows
from home.middleware import answers_json
from home.redirects import requested_next
from learners import certificates, exercises, notices, progress, two_factor
from learners.forms import ProfileForm, SignupForm
from learners.models import Certificate
from learners.selectors import dashboard_rows, learner_dashboard
from learners.throttling import rate_limited


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return HttpResponseRedirect(requested_next(request, "/"))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Bienvenue, %(name)s ! Votre compte est créé.") % {"name": user.first_name})
        return HttpResponseRedirect(requested_next(request, "/"))
    return render(request, "registration/signup.html", {"form": form, "next": requested_next(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Votre profil est enregistré."))
        response = redirect("profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        return response
    return render(request, "learners/profile.html", {"form": form, "two_factor_enabled": two_factor.is_enabled(request.user)})


# --- Progress -------------------------------------------------------------------------


@login_required
@require_POST
def enroll(request, course_id):
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    enrollment = progress.enroll(user=request.user, course=course)
    messages.success(request, _("Vous êtes inscrit à « %(course)s ». Bonne formation !") % {"course": course.title})
    return redirect(enrollment.resume_step.url if enrollment.resume_step else course.url)


@login_required
@require_POST
def complete_step(request, page_id):
    page = get_object_or_404(Page.objects.live(), pk=page_id).specific
    completion = progress.complete_step(user=request.user, page=page)
    enrollment = completion.enrollment
    if enrollment.is_completed:
        messages.success(request, _("Bravo, vous avez terminé la formation ! Votre certificat vous attend."))
        return redirect("dashboard")
    messages.success(request, _("Étape « %(title)s » terminée.") % {"title": page.title})
    next_step = completion.next_step
    return redirect(next_step.url if next_step else enrollment.course.url)


@login_required
@require_POST
def finish_exercise(request, page_id, block_id):
    """« J'ai terminé : comparer »: the learner's answer stored, back to the exercise (PRG)."""
    page = get_object_or_404(Page.objects.live(), pk=page_id).specific
    exercises.finish_exercise(user=request.user, page=page, block_id=block_id, answer=request.POST.get("answer", ""))
    return redirect(exercise_url(page, block_id))


@login_required
@require_POST
def assess_exercise(request, page_id, block_id):
    """The criteria the learner ticks after comparing; back to the exercise (PRG)."""
    page = get_object_or_404(Page.objects.live(), pk=page_id).specific
    exercises.assess_exercise(
        user=request.user, page=page, block_id=block_id, checked=request.POST.getlist("criterion")
    )
    return redirect(exercise_url(page, block_id))


def exercise_url(page, block_id):
    return f"{page.url}#exercice-{block_id}"


@answers_json
@login_required
@require_POST
def record_time(request, page_id):
    """Receives the active time the lesson page measured (sendBeacon); answers 204."""
    page = get_object_or_404(Page.objects.live(), pk=page_id)
    progress.record_time_spent(user=request.user, page=page, seconds=request.POST.get("seconds", ""))
    return HttpResponse(status=204)


@login_required
def dashboard(request):
    user, today = request.user, timezone.localdate()
    rows = dashboard_rows(user)
    unseen = notices.unseen_notices(user)
    shown = [(notice.pk, notice.kind, notice.subject, notice.percent, notice.url) for notice in unseen]
    return page_from_rows(
        request, "dashboard", (rows, shown, user.first_name, user.email, today.isoformat()), "learners/dashboard.html",
        lambda: {"dashboard": learner_dashboard(user, rows, today=today), "notices": unseen},
    )


@login_required
@require_POST
def notice_seen(request, notice_id):
    """« J'ai vu » on a notice of the dashboard: it is not shown again."""
    notices.mark_seen(user=request.user, notice_id=notice_id)
    return redirect("dashboard")


# --- Certificates ---------------------------------------------------------------------


def owned_certificate(request, code):
    """The certificate with `code`, if it is the viewer's own (404 otherwise: a code
    someone else was given reveals nothing here; the public page is /certificats/verifier/)."""
    return get_object_or_404(Certificate, code=code, user=request.user)


@login_required
def certificate_detail(request, code):
    certificate = owned_certificate(request, code)
    verify_url = request.build_absolute_uri(reverse("certificate_verify", args=[certificate.code]))
    return render(request, "learners/certificate.html", {"certificate": certificate, "verify_url": verify_url})


@login_required
def certificate_pdf(request, code):
    certificate = owned_certificate(request, code)
    verify_url = request.build_absolute_uri(reverse("certificate_verify", args=[certificate.code]))
    response = HttpResponse(certificates.render_pdf(certificate, verify_url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificat-{certificate.code}.pdf"'
    return response


@rate_limited("certificate_verify")
def certificate_verify(request, code=None):
    """Public: anyone with a code can check that a certificate is genuine and valid."""
    typed = code or request.GET.get("code", "")
    normalised = certificates.normalise_code(typed) if typed else None
    certificate = Certificate.objects.filter(code=normalised).first() if normalised else None
    status = 404 if typed and certificate is None else 200
    return render(
        request, "learners/certificate_verify.html", {"certificate": certificate, "code": typed}, status=status
    )
