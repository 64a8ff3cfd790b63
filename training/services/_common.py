"""Who may act on a course, and the helpers shared by several of the training use-case modules."""

from django.apps import apps
from django.utils import timezone

from core.errors import NotPermitted
from core.tenancy import COORDINATOR, TRAINER, access_for, can_write, require_role
from training.models import TrainerAccreditation


def _person_model():
    return apps.get_model("supervision", "Person")


def person_of(user, partner_id):
    """The user's Person in the partner, or None."""
    return _person_model().objects.filter(partner_id=partner_id, user_id=user.pk).first()


def _is_lead(by, course):
    return (
        course.lead_trainer.user_id is not None
        and course.lead_trainer.user_id == by.pk
        and access_for(by).has_role(course.partner_id, (TRAINER, COORDINATOR))
    )


def require_course_manager(by, course):
    """Coordinators of the course's partner, licensor admins, and the course's lead trainer manage a course."""
    if can_write(by, course.partner_id, (COORDINATOR,)) or _is_lead(by, course):
        return
    require_role(
        by,
        course.partner_id,
        (COORDINATOR,),
        message="Only the partner's coordinators and the course's lead trainer manage this course.",
    )


def course_trainer(by, course):
    """The caller's Person when they are the lead or a co-trainer of the course, else None."""
    if not access_for(by).has_role(course.partner_id, (TRAINER, COORDINATOR)):
        return None
    person = person_of(by, course.partner_id)
    if person is None:
        return None
    if person.pk == course.lead_trainer_id or course.co_trainers.filter(pk=person.pk).exists():
        return person
    return None


def require_course_trainer(by, course, message="Only the trainers of this course may do this."):
    person = course_trainer(by, course)
    if person is None:
        require_role(by, course.partner_id, (TRAINER, COORDINATOR), licensor=False, message=message)
        raise NotPermitted(message)
    return person


def _lock(model, pk):
    """Lock one row until the transaction ends, so that read-then-write checks on it are not raced."""
    return model.objects.select_for_update().get(pk=pk)


def _set_enrolment_status(enrolment, status, now):
    enrolment.status, enrolment.status_changed_at = status, now
    enrolment.save(update_fields=["status", "status_changed_at", "updated_at"])


def _accreditation_in_force(person, programme, stage, on_date=None):
    on_date = on_date or timezone.localdate()
    return (
        TrainerAccreditation.objects.filter(person=person, programme=programme)
        .at_least(stage)
        .in_force_through(on_date)
        .first()
    )
