"""The pure rules: screening outcome, dose numbering, intervals, next dose. No database."""

from datetime import UTC, date, datetime, timedelta

import pytest

from vaxbook.clinic import rules
from vaxbook.clinic.rules import PriorDose, QuestionRule, VaccineRule

AZ, CS, PF, MO, JJ, AB, VC = (
    "EU/1/21/1529",
    "Covishield",
    "EU/1/20/1528",
    "EU/1/20/1507",
    "EU/1/20/1525",
    "Abdala",
    "BBIBP-CorV",
)

CATALOGUE = {
    AZ: VaccineRule(AZ, 2, 28, 90, True, frozenset({CS, PF, MO})),
    CS: VaccineRule(CS, 2, 28, 90, True, frozenset({AZ, PF, MO})),
    PF: VaccineRule(PF, 2, 21, 90, True, frozenset({MO})),
    MO: VaccineRule(MO, 2, 28, 90, True, frozenset({PF})),
    JJ: VaccineRule(JJ, 1, 0, 90, False),
    AB: VaccineRule(AB, 3, 14, 90, False),
    VC: VaccineRule(VC, 2, 21, 90, True, active=False),
}

QUESTIONS = [
    QuestionRule("anaphylaxis_history", "refer"),
    QuestionRule("fever", "postpone"),
    QuestionRule("pregnant", "precaution"),
    QuestionRule("age_65_plus", "precaution"),
    QuestionRule("harmless", "vaccinate"),
]

D0 = date(2021, 8, 2)


def no(**yes: bool) -> dict[str, bool]:
    return {q.code: yes.get(q.code, False) for q in QUESTIONS}


# Screening ----------------------------------------------------------------------------------------


def test_all_no_is_eligible() -> None:
    result = rules.screening_outcome(no(), QUESTIONS)
    assert (result.outcome, result.reasons, result.complete) == ("eligible", (), True)


def test_a_yes_that_leads_to_vaccinate_stays_eligible() -> None:
    assert rules.screening_outcome(no(harmless=True), QUESTIONS).outcome == "eligible"


@pytest.mark.parametrize(
    ("yes", "outcome", "reasons"),
    [
        ({"pregnant": True}, "precaution", ("pregnant",)),
        ({"fever": True, "pregnant": True}, "postpone", ("fever", "pregnant")),
        (
            {"pregnant": True, "anaphylaxis_history": True, "fever": True},
            "refer",
            ("anaphylaxis_history", "fever", "pregnant"),
        ),
        ({"age_65_plus": True, "pregnant": True}, "precaution", ("pregnant", "age_65_plus")),
    ],
)
def test_the_outcome_is_the_worst_yes(yes: dict[str, bool], outcome: str, reasons: tuple[str, ...]) -> None:
    result = rules.screening_outcome(no(**yes), QUESTIONS)
    assert result.outcome == outcome
    assert result.reasons == reasons


def test_missing_and_unknown_answers_are_reported() -> None:
    answers: dict[str, bool | None] = {"fever": False, "pregnant": None, "made_up": True}
    result = rules.screening_outcome(answers, QUESTIONS)
    assert result.missing == ("anaphylaxis_history", "pregnant", "age_65_plus", "harmless")
    assert result.unknown == ("made_up",)
    assert not result.complete


def test_vaccinable_outcomes() -> None:
    assert {"eligible", "precaution"} == rules.VACCINABLE


# Next dose ------------------------------------------------------------------------------------------


def test_a_person_without_doses_is_due_dose_one_of_any_active_vaccine_now() -> None:
    nd = rules.next_dose([], CATALOGUE)
    assert (nd.number, nd.earliest, nd.booster) == (1, None, False)
    assert VC not in nd.vaccine_codes and set(nd.vaccine_codes) == {AZ, CS, PF, MO, JJ, AB}
    assert nd.due_on(D0)


def test_dose_two_follows_the_interval_of_the_first_vaccine() -> None:
    nd = rules.next_dose([PriorDose(D0, PF)], CATALOGUE)
    assert (nd.number, nd.earliest, nd.booster) == (2, D0 + timedelta(days=21), False)
    assert set(nd.vaccine_codes) == {PF, MO}
    assert not nd.due_on(D0 + timedelta(days=20))
    assert nd.due_on(D0 + timedelta(days=21))


def test_astrazeneca_may_be_followed_by_an_mrna_vaccine() -> None:
    nd = rules.next_dose([PriorDose(D0, AZ)], CATALOGUE)
    assert set(nd.vaccine_codes) == {AZ, CS, PF, MO}
    assert nd.earliest == D0 + timedelta(days=28)


def test_after_the_primary_series_comes_a_booster_of_a_booster_vaccine() -> None:
    nd = rules.next_dose([PriorDose(D0, PF), PriorDose(D0 + timedelta(days=21), PF)], CATALOGUE)
    assert (nd.number, nd.booster, nd.earliest) == (3, True, D0 + timedelta(days=111))
    assert set(nd.vaccine_codes) == {AZ, CS, PF, MO}  # boosters allowed and active


def test_jcovden_is_a_one_dose_series() -> None:
    nd = rules.next_dose([PriorDose(D0, JJ)], CATALOGUE)
    assert (nd.number, nd.booster, nd.earliest) == (2, True, D0 + timedelta(days=90))


def test_abdala_is_a_three_dose_series_14_days_apart() -> None:
    history = [PriorDose(D0, AB), PriorDose(D0 + timedelta(days=14), AB)]
    nd = rules.next_dose(history, CATALOGUE)
    assert (nd.number, nd.booster, nd.earliest, nd.vaccine_codes) == (3, False, D0 + timedelta(days=28), (AB,))


def test_history_order_does_not_matter() -> None:
    a = rules.next_dose([PriorDose(D0 + timedelta(days=30), PF), PriorDose(D0, PF)], CATALOGUE)
    b = rules.next_dose([PriorDose(D0, PF), PriorDose(D0 + timedelta(days=30), PF)], CATALOGUE)
    assert a == b


# Checking a dose ------------------------------------------------------------------------------------


def test_dose_one_is_number_one() -> None:
    assert rules.check_dose([], PF, D0, CATALOGUE) == rules.DoseDecision(number=1)


def test_dose_two_on_the_earliest_day_is_number_two() -> None:
    assert rules.check_dose([PriorDose(D0, PF)], MO, D0 + timedelta(days=21), CATALOGUE).number == 2


@pytest.mark.parametrize(
    ("history", "vaccine", "day", "code", "earliest"),
    [
        ([PriorDose(D0, PF)], PF, D0, "dose_duplicate", None),
        ([PriorDose(D0, PF)], PF, D0 - timedelta(days=30), "dose_out_of_order", D0),
        ([PriorDose(D0, PF)], PF, D0 + timedelta(days=20), "dose_too_soon", D0 + timedelta(days=21)),
        ([PriorDose(D0, AZ)], PF, D0 + timedelta(days=27), "dose_too_soon", D0 + timedelta(days=28)),
        (
            [PriorDose(D0, PF), PriorDose(D0 + timedelta(days=21), PF)],
            PF,
            D0 + timedelta(days=60),
            "booster_not_due",
            D0 + timedelta(days=111),
        ),
        ([PriorDose(D0, JJ)], PF, D0 + timedelta(days=30), "booster_not_due", D0 + timedelta(days=90)),
        ([PriorDose(D0, PF)], AZ, D0 + timedelta(days=30), "vaccine_not_allowed", None),
        ([PriorDose(D0, AB)], PF, D0 + timedelta(days=30), "vaccine_not_allowed", None),
        (
            [PriorDose(D0, PF), PriorDose(D0 + timedelta(days=21), PF)],
            JJ,
            D0 + timedelta(days=200),
            "vaccine_not_allowed",
            None,
        ),
    ],
)
def test_refusals(history: list[PriorDose], vaccine: str, day: date, code: str, earliest: date | None) -> None:
    decision = rules.check_dose(history, vaccine, day, CATALOGUE)
    assert (decision.refusal, decision.earliest, decision.number) == (code, earliest, None)
    assert not decision.ok


def test_an_inactive_vaccine_may_still_be_back_entered() -> None:
    assert rules.check_dose([], VC, D0, CATALOGUE).number == 1
    assert rules.check_dose([PriorDose(D0, VC)], VC, D0 + timedelta(days=21), CATALOGUE).number == 2


def test_a_dose_of_a_vaccine_unknown_to_the_catalogue_counts_as_a_one_dose_series() -> None:
    nd = rules.next_dose([PriorDose(D0, "Some-Foreign-Vaccine")], CATALOGUE)
    assert (nd.number, nd.booster) == (2, True)


# Time ------------------------------------------------------------------------------------------------

NOW = datetime(2021, 8, 2, 3, 0, tzinfo=UTC)


def test_administered_time_problems() -> None:
    dob = date(1990, 1, 1)
    assert rules.administered_time_problem(NOW, NOW.date(), now=NOW, date_of_birth=dob) is None
    assert rules.administered_time_problem(NOW + timedelta(minutes=4), NOW.date(), now=NOW, date_of_birth=dob) is None
    late = NOW + timedelta(minutes=6)
    assert rules.administered_time_problem(late, late.date(), now=NOW, date_of_birth=dob) == "administered_in_future"
    assert (
        rules.administered_time_problem(NOW, NOW.date(), now=NOW, date_of_birth=date(2021, 8, 3))
        == "administered_before_birth"
    )


def test_void_window_is_seven_days() -> None:
    assert rules.within_void_window(NOW, NOW + timedelta(days=7))
    assert not rules.within_void_window(NOW, NOW + timedelta(days=7, seconds=1))


def test_a_back_entered_dose_takes_its_place_before_later_doses() -> None:
    """The paper backlog: a dose dated before doses recorded since is numbered by the doses before it
    and shifts the later ones, if every later dose still follows the rules with it before them."""
    history = [PriorDose(D0 + timedelta(days=60), PF)]
    assert rules.check_dose(history, PF, D0, CATALOGUE).refusal == "dose_out_of_order"  # a live dose
    assert rules.check_dose(history, PF, D0, CATALOGUE, back_entry=True) == rules.DoseDecision(number=1, later=1)
    two = [PriorDose(D0, PF), PriorDose(D0 + timedelta(days=120), PF)]  # dose 1, and a booster
    assert rules.check_dose(two, PF, D0 + timedelta(days=30), CATALOGUE, back_entry=True) == rules.DoseDecision(
        number=2, later=1
    )
    # The later dose would come 10 days after it (Pfizer wants 21): for a person to check.
    too_close = rules.check_dose(history, PF, D0 + timedelta(days=50), CATALOGUE, back_entry=True)
    assert (too_close.refusal, too_close.earliest) == ("dose_conflicts_with_later", D0 + timedelta(days=60))
    # Itself too soon after the dose before it: its own refusal.
    assert rules.check_dose(two, PF, D0 + timedelta(days=5), CATALOGUE, back_entry=True).refusal == "dose_too_soon"
    # Not allowed after the doses before it (Jcovden does not continue a Pfizer series).
    assert rules.check_dose(two, JJ, D0 + timedelta(days=30), CATALOGUE, back_entry=True).refusal == (
        "vaccine_not_allowed"
    )
    assert rules.check_dose(two, PF, D0, CATALOGUE, back_entry=True).refusal == "dose_duplicate"


def test_an_adverse_event_report_s_problems_come_all_at_once_and_only_for_what_was_read() -> None:
    given = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    now = given + timedelta(hours=2)
    outcomes = ("recovered", "ongoing")
    assert rules.adverse_event_problems(
        administered_at=given,
        onset_at=given - timedelta(minutes=1),
        symptoms=" ",
        outcome="x",
        outcomes=outcomes,
        now=now,
    ) == ["symptoms_required", "outcome_invalid", "onset_before_dose"]
    assert rules.adverse_event_problems(
        administered_at=given,
        onset_at=now + rules.CLOCK_SKEW + timedelta(seconds=1),
        symptoms="sốt",
        outcome="ongoing",
        outcomes=outcomes,
        now=now,
    ) == ["onset_in_future"]
    assert (
        rules.adverse_event_problems(
            administered_at=given, onset_at=None, symptoms=None, outcome=None, outcomes=outcomes, now=now
        )
        == []
    )
