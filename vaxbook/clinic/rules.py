"""The clinic's pure rules: screening outcome, dose numbering, intervals, the next dose.

No database, no clock: the services pass in the history, the catalogue and "today". Every refusal is
a stable code (the services turn it into a DomainError with a translated message).

Dose numbering. A person's valid doses, in date order, are numbered 1, 2, 3, ...: the primary series is
as long as the first dose's vaccine requires (Jcovden 1, Abdala 3, the others 2); what follows is a
booster. A primary dose n > 1 is allowed `min_interval_days` (of the previous dose's vaccine) after the
previous dose, with the first dose's vaccine or one of its listed alternatives (mixed schedules the
Ministry allowed: AstraZeneca then an mRNA vaccine; Pfizer and Moderna interchangeably). A booster is
allowed `booster_interval_days` (of the previous dose's vaccine) after the previous dose, with any
vaccine marked usable as a booster.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# Screening -----------------------------------------------------------------------------------

ELIGIBLE = "eligible"
PRECAUTION = "precaution"
POSTPONE = "postpone"
REFER = "refer"
OUTCOMES = (ELIGIBLE, PRECAUTION, POSTPONE, REFER)
#: the outcomes with which a person may be vaccinated (with precautions for the second)
VACCINABLE = frozenset({ELIGIBLE, PRECAUTION})

#: what a "yes" to a question leads to -> the outcome it contributes
YES_LEADS_TO = {"vaccinate": ELIGIBLE, "precaution": PRECAUTION, "postpone": POSTPONE, "refer": REFER}
_SEVERITY = {outcome: rank for rank, outcome in enumerate(OUTCOMES)}


@dataclass(frozen=True)
class QuestionRule:
    code: str
    yes_leads_to: str  # a key of YES_LEADS_TO


@dataclass(frozen=True)
class ScreeningResult:
    outcome: str
    reasons: tuple[str, ...]  # the codes of the questions answered "yes" that moved the outcome, worst first
    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unknown

    @property
    def vaccinable(self) -> bool:
        return self.outcome in VACCINABLE


def screening_outcome(answers: Mapping[str, bool | None], questions: Sequence[QuestionRule]) -> ScreeningResult:
    """The worst consequence of the "yes" answers; every question must be answered yes or no."""
    known = {q.code for q in questions}
    missing = tuple(q.code for q in questions if answers.get(q.code) is None)
    unknown = tuple(sorted(code for code in answers if code not in known))
    outcome = ELIGIBLE
    moved: list[tuple[int, int, str]] = []
    for order, q in enumerate(questions):
        if answers.get(q.code) is True:
            consequence = YES_LEADS_TO[q.yes_leads_to]
            if consequence != ELIGIBLE:
                moved.append((-_SEVERITY[consequence], order, q.code))
            if _SEVERITY[consequence] > _SEVERITY[outcome]:
                outcome = consequence
    reasons = tuple(code for _sev, _order, code in sorted(moved))
    return ScreeningResult(outcome=outcome, reasons=reasons, missing=missing, unknown=unknown)


# Doses ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VaccineRule:
    code: str
    primary_doses: int
    min_interval_days: int
    booster_interval_days: int
    booster_allowed: bool = True
    alternatives: frozenset[str] = field(default_factory=frozenset)
    active: bool = True


@dataclass(frozen=True)
class PriorDose:
    day: date
    vaccine_code: str


@dataclass(frozen=True)
class NextDose:
    number: int
    earliest: date | None  # None: any day
    vaccine_codes: tuple[str, ...]
    booster: bool

    def due_on(self, day: date) -> bool:
        return self.earliest is None or day >= self.earliest


@dataclass(frozen=True)
class DoseDecision:
    number: int | None = None
    refusal: str | None = None  # a stable code
    earliest: date | None = None
    later: int = 0  # valid doses dated after it (a back-entered dose from the paper backlog): renumbered +1

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _rule(catalogue: Mapping[str, VaccineRule], code: str) -> VaccineRule:
    # A dose of a vaccine unknown to the catalogue (entered elsewhere) counts as a one-dose series.
    return catalogue.get(code) or VaccineRule(code=code, primary_doses=1, min_interval_days=0, booster_interval_days=0)


def _allowed(
    history: Sequence[PriorDose], catalogue: Mapping[str, VaccineRule], *, active_only: bool
) -> tuple[frozenset[str], bool]:
    """The vaccines allowed for the next dose, and whether it is a booster."""
    if not history:
        pool = frozenset(r.code for r in catalogue.values() if r.active or not active_only)
        return pool, False
    first = _rule(catalogue, history[0].vaccine_code)
    if len(history) < first.primary_doses:
        pool = frozenset({first.code}) | first.alternatives
        return frozenset(c for c in pool if c in catalogue and (catalogue[c].active or not active_only)), False
    return frozenset(r.code for r in catalogue.values() if r.booster_allowed and (r.active or not active_only)), True


def next_dose(history: Iterable[PriorDose], catalogue: Mapping[str, VaccineRule]) -> NextDose:
    """What dose a person with this valid-dose history is due: number, earliest date, which vaccines."""
    doses = sorted(history, key=lambda d: d.day)
    codes, booster = _allowed(doses, catalogue, active_only=True)
    order = {code: i for i, code in enumerate(catalogue)}
    ordered = tuple(sorted(codes, key=lambda c: order.get(c, 0)))
    if not doses:
        return NextDose(number=1, earliest=None, vaccine_codes=ordered, booster=False)
    last = doses[-1]
    last_rule = _rule(catalogue, last.vaccine_code)
    wait = last_rule.booster_interval_days if booster else last_rule.min_interval_days
    return NextDose(
        number=len(doses) + 1,
        earliest=last.day + timedelta(days=wait),
        vaccine_codes=ordered,
        booster=booster,
    )


def check_dose(
    history: Iterable[PriorDose],
    vaccine_code: str,
    day: date,
    catalogue: Mapping[str, VaccineRule],
    *,
    back_entry: bool = False,
) -> DoseDecision:
    """May a dose of `vaccine_code` be given on `day` with this history? Its number, or a refusal code.

    Codes: dose_duplicate (a valid dose that day already), dose_out_of_order (dated before the latest
    valid dose), dose_too_soon / booster_not_due (with the earliest date), vaccine_not_allowed,
    dose_conflicts_with_later.

    A back-entered dose (the paper backlog) may be dated before doses recorded since: it takes its place
    in the history (`later` doses after it are renumbered one up), provided it follows the rules after
    the doses before it and every later dose still follows them with it before them; otherwise it is
    dose_conflicts_with_later (with the date of the first later dose it would break), for a person to
    check against the vaccination card (a dose recorded twice, or on a wrong date).
    """
    doses = sorted(history, key=lambda d: d.day)
    if any(d.day == day for d in doses):
        return DoseDecision(refusal="dose_duplicate")
    later = [d for d in doses if d.day > day]
    if later and not back_entry:
        return DoseDecision(refusal="dose_out_of_order", earliest=doses[-1].day)
    if later:
        decision = check_dose([d for d in doses if d.day < day], vaccine_code, day, catalogue)
        if not decision.ok:
            return decision
        chain = [*(d for d in doses if d.day < day), PriorDose(day=day, vaccine_code=vaccine_code)]
        for d in later:
            if not check_dose(chain, d.vaccine_code, d.day, catalogue).ok:
                return DoseDecision(refusal="dose_conflicts_with_later", earliest=d.day)
            chain.append(d)
        return DoseDecision(number=decision.number, later=len(later))
    nd = next_dose(doses, catalogue)
    if nd.earliest is not None and day < nd.earliest:
        return DoseDecision(refusal="booster_not_due" if nd.booster else "dose_too_soon", earliest=nd.earliest)
    # Doses already given are entered whatever the vaccine's current status: check against every vaccine.
    allowed, _booster = _allowed(doses, catalogue, active_only=False)
    if vaccine_code not in allowed:
        return DoseDecision(refusal="vaccine_not_allowed")
    return DoseDecision(number=nd.number)


# Time ------------------------------------------------------------------------------------------

#: a device clock a little ahead of the server's is not a dose "in the future"
CLOCK_SKEW = timedelta(minutes=5)
OBSERVATION = timedelta(minutes=30)
VOID_WINDOW = timedelta(days=7)


def administered_time_problem(
    administered_at: datetime, administered_on: date, *, now: datetime, date_of_birth: date
) -> str | None:
    if administered_at > now + CLOCK_SKEW:
        return "administered_in_future"
    if administered_on < date_of_birth:
        return "administered_before_birth"
    return None


def adverse_event_problems(
    *,
    administered_at: datetime,
    onset_at: datetime | None,
    symptoms: str | None,
    outcome: str | None,
    outcomes: Iterable[str],
    now: datetime,
) -> list[str]:
    """What is wrong with a reaction report, every problem at once, as codes. A value the caller could not
    read (None: a form field refused before) is not judged again."""
    problems = []
    if symptoms is not None and not symptoms.strip():
        problems.append("symptoms_required")
    if outcome is not None and outcome not in outcomes:
        problems.append("outcome_invalid")
    if onset_at is not None:
        if onset_at < administered_at:
            problems.append("onset_before_dose")
        elif onset_at > now + CLOCK_SKEW:
            problems.append("onset_in_future")
    return problems


def within_void_window(recorded_at: datetime, now: datetime) -> bool:
    return now - recorded_at <= VOID_WINDOW
