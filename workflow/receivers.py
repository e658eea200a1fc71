"""Claims follow the people who hold them: the one place where changing a person or a
section releases review claims (`services.release_lost_claims`).

Who may hold a claim is a fact of `agencies` (a person's `is_active`, roles, agency, the
sections they head or cover), which is changed in the Django admin, by
`services.deactivate_person` and by anything else that saves a person or a section.
`agencies` sits below `workflow` and cannot call it, so `workflow` listens here, connected
in `WorkflowConfig.ready`:

- a person saved (not created) with `is_active`, `roles` or `agency` possibly changed
  (any save without `update_fields`, or one naming them; a login's `last_login` update is
  not looked at);
- people taken off a section's heads or leaders (either side of the relation).

The work runs inside the save's transaction (the admin's; a save in autocommit mode gets
its own). The event names `changed_by` as the actor when the caller set it on the saved
object (the agency admin pages do, `deactivate_person` does); otherwise the system.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save

from agencies.models import Section, User

from .services import release_lost_claims

ACCESS_FIELDS = {"is_active", "roles", "agency", "agency_id"}


def release_after_person_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or kwargs.get("raw"):
        return
    if update_fields is not None and not ACCESS_FIELDS & set(update_fields):
        return
    with transaction.atomic():
        release_lost_claims(actor=getattr(instance, "changed_by", None), people=[instance.pk])


def release_after_section_ties_removed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_remove", "post_clear"):
        return
    actor = getattr(instance, "changed_by", None)
    with transaction.atomic():
        if reverse:  # person.headed_sections / person.covered_sections changed
            release_lost_claims(actor=actor, people=[instance.pk])
        else:  # section.heads / section.leaders changed
            release_lost_claims(actor=actor, sections=[instance.pk])


def connect() -> None:
    post_save.connect(release_after_person_saved, sender=User,
                      dispatch_uid="workflow.release_after_person_saved")
    for through in (Section.heads.through, Section.leaders.through):
        m2m_changed.connect(release_after_section_ties_removed, sender=through,
                            dispatch_uid=f"workflow.release_after_ties_removed.{through.__name__}")
