"""Bringing a partner's existing volunteers and staff in from a spreadsheet (CSV), all rows or none.

`preview` reads the file and names every row's problems without writing anything; `import_people` writes
every row in one transaction through `services.create_person` and `services.transition_person` (the same
use cases that register and move one person), or writes nothing and raises ImportRefused with the preview.

Statuses a file may give: applicant, in training, shadowing, or none (staff, learners). Someone in training
or shadowing is registered as an applicant and moved on by the pathway's own transitions, recorded as made
by the importer. Active, paused and exited are refused: becoming active checks training, shadowing hours, a
background check and the policy acknowledgement, which Tandem holds no record of for someone just imported,
so they are imported as shadowing and activated from their page, where the checklist says what is missing.
"""

import datetime
import re
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.errors import DomainError
from core.tenancy import require_role
from franchise.models import Partner, normalise_email
from supervision.models import MentorStatus, Person
from supervision.people import services
from supervision.people.rules import partner_today

__all__ = [
    "HEADERS",
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportPreview",
    "ImportRefused",
    "RowPreview",
    "import_people",
    "preview",
    "template_csv",
]

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000

# The headers of the template, in its order; any of the aliases is read as the same column.
HEADERS = {
    "name": "Name",
    "email": "Email",
    "mentor_status": "Mentor status",
    "prior_learning_on": "Date prior learning was recognised",
    "background_check_on": "Background check date",
}
_ALIASES = {
    "name": ("name", "full name", "person"),
    "email": ("email", "email address", "e mail", "e mail address"),
    "mentor_status": ("mentor status", "status", "pathway status", "mentor pathway status"),
    "prior_learning_on": (
        "date prior learning was recognised",
        "prior learning date",
        "prior learning",
        "prior learning recognised",
        "prior learning recognised on",
        "prior learning on",
    ),
    "background_check_on": (
        "background check date",
        "background check",
        "background checked on",
        "background check on",
        "date of background check",
        "dbs check date",
        "dbs date",
    ),
}
_COLUMN_OF = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}

# Words a spreadsheet may hold for "not on the mentor pathway".
_OFF_PATHWAY = ("", "none", "staff", "not a mentor", "not on the pathway", "not on the mentor pathway", "n/a", "-")
_STATUS_OF = {
    **{word: None for word in _OFF_PATHWAY},
    "applicant": MentorStatus.APPLICANT,
    "in training": MentorStatus.IN_TRAINING,
    "training": MentorStatus.IN_TRAINING,
    "shadowing": MentorStatus.SHADOWING,
    "active": MentorStatus.ACTIVE,
    "active mentor": MentorStatus.ACTIVE,
    "paused": MentorStatus.PAUSED,
    "exited": MentorStatus.EXITED,
    "left": MentorStatus.EXITED,
}
# How each importable status is reached from an applicant, by the pathway's own transitions.
_STEPS_AFTER_APPLICANT = {
    MentorStatus.APPLICANT: (),
    MentorStatus.IN_TRAINING: (MentorStatus.IN_TRAINING,),
    MentorStatus.SHADOWING: (MentorStatus.IN_TRAINING, MentorStatus.SHADOWING),
}
_NOT_IMPORTABLE = {
    MentorStatus.ACTIVE: (
        "Someone cannot be imported as an active mentor: activation checks their training, shadowing hours, "
        "background check and policy acknowledgement, which Tandem has no record of yet. Import them as "
        "shadowing and activate them from their page."
    ),
    MentorStatus.PAUSED: (
        "Someone cannot be imported as paused: a pause needs a reason and a review date. Import them as "
        "shadowing and pause them from their page once active."
    ),
    MentorStatus.EXITED: "People who have left the programme are not imported; leave them out of the file.",
}
_DATE_FORMATS = (("%Y-%m-%d", "2024-03-31"), ("%d/%m/%Y", "31/03/2024"))
IMPORTED_REASON = "Imported from a spreadsheet."


def _words(text):
    return re.sub(r"[\s_\-]+", " ", (text or "").strip().lower()).strip()


@dataclass
class RowPreview:
    """One row of the file as it would be imported, and what stands in the way. `number` is the row as a
    spreadsheet numbers it (the headers are row 1)."""

    number: int
    name: str = ""
    email: str = ""
    mentor_status: str | None = None
    status_text: str = ""
    prior_learning_on: datetime.date | None = None
    background_check_on: datetime.date | None = None
    status_known: bool = True
    problems: list = field(default_factory=list)

    @property
    def status_label(self):
        if not self.status_known:
            return self.status_text
        if self.mentor_status is None:
            return "Not on the mentor pathway"
        return MentorStatus(self.mentor_status).label.capitalize()


@dataclass
class ImportPreview:
    """Every row with its problems, the problems of the file itself, and the columns nobody reads."""

    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)

    @property
    def rows_with_problems(self):
        return [row for row in self.rows if row.problems]

    @property
    def problem_count(self):
        return len(self.problems) + sum(len(row.problems) for row in self.rows)

    @property
    def ok(self):
        return bool(self.rows) and self.problem_count == 0


class ImportRefused(DomainError):
    """Nothing was imported; `preview` names every problem."""

    def __init__(self, preview, message=None):
        count = preview.problem_count
        super().__init__(
            message or f"Nothing was imported: the file has {count} problem{'s' if count != 1 else ''}.",
            code="import_refused",
            field="file",
        )
        self.preview = preview


def template_csv():
    """The CSV a coordinator fills in: the headers, and one example row of each kind."""
    data = tablib.Dataset(headers=list(HEADERS.values()))
    data.append(["Alex Example", "alex@example.org", "Applicant", "", ""])
    data.append(["Sam Staff", "sam@example.org", "", "", "2024-01-15"])
    return data.export("csv")


def _text_of(file_or_text):
    """The file as text, or a problem in words. Accepts str, bytes or a file object (an upload)."""
    content = file_or_text.read() if hasattr(file_or_text, "read") else file_or_text
    if isinstance(content, str):
        if len(content.encode("utf-8")) > MAX_BYTES:
            return None, f"The file is larger than {MAX_BYTES // 1024 // 1024} MB; split it into smaller files."
        return content.removeprefix("\ufeff"), None
    if len(content) > MAX_BYTES:
        return None, f"The file is larger than {MAX_BYTES // 1024 // 1024} MB; split it into smaller files."
    if b"\x00" in content:
        return None, "This is not a CSV file. Save the spreadsheet as 'CSV UTF-8' and upload that."
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "The file's characters could not be read. Save the spreadsheet as 'CSV UTF-8' and upload that."


def _date(value, what):
    value = (value or "").strip()
    if not value:
        return None, None
    for pattern, _example in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).date(), None  # noqa: DTZ007 - a date, not a moment
        except ValueError:
            continue
    examples = " or ".join(example for _pattern, example in _DATE_FORMATS)
    return None, f"{what} '{value}' is not a date; write it as {examples}."


def _read(text, result):
    """Rows of the file as dicts keyed by our column names, or None when the file itself cannot be read."""
    data = tablib.Dataset()
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to a European locale save "CSV" with semicolons between the values.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        data.load(text, format="csv", delimiter=delimiter)
    except Exception:  # tablib raises csv.Error, InvalidDimensions and others for a file that is not a CSV
        result.problems.append("This file could not be read as a CSV (rows of values separated by commas).")
        return None
    columns = {}
    for position, header in enumerate(data.headers or []):
        column = _COLUMN_OF.get(_words(header))
        if column is None:
            if (header or "").strip():
                result.ignored_columns.append(header.strip())
        elif column in columns:
            result.problems.append(f"Two columns are both read as '{HEADERS[column]}'; keep one of them.")
        else:
            columns[column] = position
    if "name" not in columns:
        headers = ", ".join(HEADERS.values())
        result.problems.append(f"The file has no 'Name' column. The first row should hold the headers: {headers}.")
        return None
    if data.height > MAX_ROWS:
        result.problems.append(f"The file has {data.height} rows; at most {MAX_ROWS} are imported at once.")
        return None
    return [
        {column: (row[position] or "").strip() for column, position in columns.items()}
        for row in data
        if any((cell or "").strip() for cell in row)
    ]


def _check_row(number, cells, today):
    row = RowPreview(number=number, name=cells.get("name", ""), email=normalise_email(cells.get("email", "")))
    if not row.name:
        row.problems.append("The name is missing.")
    elif len(row.name) > Person._meta.get_field("name").max_length:
        row.problems.append("The name is longer than 200 characters.")
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.problems.append(f"'{row.email}' is not an email address.")
    row.status_text = cells.get("mentor_status", "")
    words = _words(row.status_text)
    if words in _STATUS_OF or words.replace(" ", "_") in MentorStatus.values:
        row.mentor_status = _STATUS_OF.get(words, words.replace(" ", "_"))
        if row.mentor_status in _NOT_IMPORTABLE:
            row.problems.append(_NOT_IMPORTABLE[row.mentor_status])
    else:
        row.status_known = False
        row.problems.append(
            f"'{row.status_text}' is not a mentor status; use applicant, in training, shadowing, or leave it empty "
            "for someone not on the mentor pathway."
        )
    for column, what in (("prior_learning_on", "The prior learning date"), ("background_check_on", "The check date")):
        value, problem = _date(cells.get(column), what)
        if problem:
            row.problems.append(problem)
        elif value is not None and value > today:
            row.problems.append(f"{what} {value.isoformat()} is in the future.")
        setattr(row, column, value)
    return row


def _preview(partner, file_or_text):
    result = ImportPreview()
    text, problem = _text_of(file_or_text)
    if problem:
        result.problems.append(problem)
        return result
    rows = _read(text, result)
    if rows is None:
        return result
    if not rows:
        result.problems.append("The file has headers but no rows of people.")
        return result
    today = partner_today(partner)
    result.rows = [_check_row(number, cells, today) for number, cells in enumerate(rows, start=2)]

    first_row_of = {}
    for row in (row for row in result.rows if row.email):
        if row.email in first_row_of:
            row.problems.append(f"{row.email} is also on row {first_row_of[row.email]} of this file.")
        else:
            first_row_of[row.email] = row.number
    on_file = set(Person.objects.filter(partner=partner, email__in=list(first_row_of)).values_list("email", flat=True))
    for row in result.rows:
        if row.email in on_file:
            row.problems.append(f"{row.email} is already on file for someone at {partner.name}.")
    return result


def preview(partner, file_or_text, *, by):
    """Every row of the file with its problems named; writes nothing. Only the partner's coordinators (and the
    licensor) may preview, since the check tells who is already on file."""
    require_role(by, partner, services.PEOPLE_WRITERS, message="Only the partner's coordinators import people.")
    return _preview(partner, file_or_text)


def import_people(partner, file_or_text, *, by):
    """Register every row, or nothing: any problem (in the file or raised by the services) raises ImportRefused
    with every problem named and rolls back every row. Returns the people created, in file order.

    The partner's row is locked first, so two imports of the same file at once cannot both find an email
    "not yet on file" and register it twice. FOR NO KEY UPDATE: rows that merely refer to the partner (sessions,
    logs, people registered meanwhile) are still written while an import runs.
    """
    require_role(by, partner, services.PEOPLE_WRITERS, message="Only the partner's coordinators import people.")
    with transaction.atomic():
        partner = Partner.objects.select_for_update(no_key=True).get(pk=partner.pk)
        result = _preview(partner, file_or_text)
        if not result.ok:
            raise ImportRefused(result)
        created = []
        for row in result.rows:
            try:
                created.append(_register(partner, row, by))
            except ValidationError as error:
                row.problems += error.messages
            except DomainError as error:
                row.problems.append(error.message)
        if not result.ok:
            raise ImportRefused(result)  # leaving the atomic block by an exception rolls back every row
    return created


def _register(partner, row, by):
    """One row through the same services as registering one person. Each service runs in a savepoint of its own,
    and any failure refuses the whole import, so a row left half-done by a refused step is rolled back with it."""
    person = services.create_person(
        by=by,
        partner=partner,
        name=row.name,
        email=row.email,
        mentor_status=None if row.mentor_status is None else MentorStatus.APPLICANT,
        prior_learning_on=row.prior_learning_on,
        background_check_on=row.background_check_on,
    )
    for step in _STEPS_AFTER_APPLICANT.get(row.mentor_status, ()):
        person = services.transition_person(by=by, person=person, to=step, reason=IMPORTED_REASON)
    return person
