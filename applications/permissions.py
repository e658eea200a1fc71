"""Who may see and do what with applications and cases.

* Application handlers (依申请公开承办人; registrars hold the role too) of the agency see every
  application of their agency and act on it: registering, routing, the clock's steps,
  drafting replies, filing cases. Their work needs the applicant's full data.
* A leader sees the applications of the sections they cover and approves their replies and
  extensions — never a reply they drafted themselves.
* Auditors and agency administrators read every application of their agency, with the
  applicant's personal data masked; agency administrators also file and update cases.
* Anyone else — and everyone for another agency's records — finds nothing (404).
"""

from django.db.models import Q

from agencies.models import Role, holding_role

from .models import Application, Case


def is_handler(user) -> bool:
    return user.has_role(Role.APPLICATION_HANDLER)


def visible_applications(user):
    if not user.is_authenticated or not user.is_active or user.agency_id is None:
        return Application.objects.none()
    mine = Application.objects.filter(agency_id=user.agency_id)
    if is_handler(user) or user.has_role(Role.AUDITOR) or user.has_role(Role.AGENCY_ADMIN):
        return mine
    if user.has_role(Role.LEADER):
        return mine.filter(section__in=user.covered_sections.all())
    return Application.objects.none()


def sees_personal_data(user, application) -> bool:
    """Whether `user` works on `application` and so sees the applicant's data in full."""
    return application.agency_id == user.agency_id and (
        is_handler(user) or covers(user, application))


def sees_personal_data_of(user):
    """`sees_personal_data` as a test for many applications, with at most one query (the
    sections a leader covers), for lists."""
    if is_handler(user):
        return lambda application: application.agency_id == user.agency_id
    covered = (set(user.covered_sections.values_list("pk", flat=True))
               if user.has_role(Role.LEADER) else set())
    return lambda application: (application.agency_id == user.agency_id
                                and application.section_id in covered)


def covers(user, application) -> bool:
    """A leader covering the application's section."""
    return (user.has_role(Role.LEADER) and application.section_id is not None
            and user.covered_sections.filter(pk=application.section_id).exists())


def visible_cases(user):
    if not user.is_authenticated or not user.is_active or user.agency_id is None:
        return Case.objects.none()
    if any(user.has_role(r) for r in (Role.APPLICATION_HANDLER, Role.AGENCY_ADMIN, Role.LEADER,
                                      Role.AUDITOR)):
        return Case.objects.filter(agency_id=user.agency_id)
    return Case.objects.none()


def manages_cases(user) -> bool:
    return is_handler(user) or user.has_role(Role.AGENCY_ADMIN)


def leaders_covering(section_id) -> Q:
    """People who approve the replies and extensions of the section."""
    return holding_role(Role.LEADER) & Q(is_active=True, covered_sections__pk=section_id)
