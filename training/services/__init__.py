"""Training use cases that write: courses and sessions, enrolment and attendance, assessment and
internal verification, certificates, and the train-the-trainer path.

Who may do what (DESIGN, "Who uses it"): a partner's coordinators manage its
courses and enrolments; a trainer manages the course they lead, and any trainer
of a course (lead or co) records attendance and assesses; an accredited trainer
of the partner verifies; the licensor grants, suspends and revokes accreditations
and certificates. Licensor admins may do everything a coordinator may.

One module per sub-domain; callers use ``from training import services`` and ``services.<use case>``.
"""

from training.services._common import course_trainer, person_of, require_course_manager, require_course_trainer
from training.services.accreditations import (
    grant_accreditation,
    lapse_accreditations,
    promote_accreditation,
    renew_accreditation,
    set_accreditation_status,
)
from training.services.assessment import (
    ASSESSABLE,
    assess,
    record_criterion,
    record_decisions,
    update_assessment,
    verify_enrolment,
)
from training.services.certificates import (
    new_certificate_code,
    require_certificate_printer,
    revoke_certificate,
    verification_url,
)
from training.services.courses import COURSE_EDITABLE, COURSE_RECHECKED, create_course, transition_course, update_course
from training.services.enrolments import enrol, transition_enrolment
from training.services.records import (
    delete_cpd,
    delete_teaching_record,
    log_cpd,
    log_teaching,
    records_to_sign_off,
    sign_off_stage,
    sign_off_teaching,
)
from training.services.sessions import create_session, delete_session, record_attendance, update_session

__all__ = [
    "person_of",
    "require_course_manager",
    "course_trainer",
    "require_course_trainer",
    "create_course",
    "COURSE_EDITABLE",
    "COURSE_RECHECKED",
    "update_course",
    "transition_course",
    "create_session",
    "update_session",
    "delete_session",
    "record_attendance",
    "enrol",
    "transition_enrolment",
    "ASSESSABLE",
    "assess",
    "update_assessment",
    "record_decisions",
    "record_criterion",
    "verify_enrolment",
    "new_certificate_code",
    "revoke_certificate",
    "verification_url",
    "require_certificate_printer",
    "grant_accreditation",
    "promote_accreditation",
    "renew_accreditation",
    "set_accreditation_status",
    "lapse_accreditations",
    "log_teaching",
    "sign_off_teaching",
    "records_to_sign_off",
    "sign_off_stage",
    "delete_teaching_record",
    "log_cpd",
    "delete_cpd",
]
