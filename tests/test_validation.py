"""Broken scenario files: each is refused with exit status 2 and exactly the messages below.

Every file in ``tests/broken/`` breaks one rule of ``docs/scenario-format.md`` (one file,
``several-problems.yaml``, breaks five and must list them all, in line order). The table gives the
full standard error of ``labfinance validate FILE``, run in ``tests/broken/``: one located message
per line, ``FILE:LINE: PATH: message``, the path written as a user writes a parameter path.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from labfinance.cli import main
from labfinance.model.loader import ScenarioError, load, parse_set, with_overrides

BROKEN = Path(__file__).parent / "broken"
MISSING = "does-not-exist.yaml"  # no such file: the one case without a file

EXPECTED: dict[str, list[str]] = {
    "advance-plus-retention.yaml": [
        ("advance-plus-retention.yaml:17: funding.erdf.payment: advance + retention is 1.1; it "
         "may not exceed 1"),
    ],
    "amount-none.yaml": [
        ("amount-none.yaml:9: costs.cameras: has no amount: give `amount` and `year` (one-off), "
         "`amount` per year (recurring, with optional `from`/`to`/`every`) or a `schedule`"),
    ],
    "amount-to-before-from.yaml": [
        "amount-to-before-from.yaml:13: costs.cameras.to: 2027 is before `from` (2029)",
    ],
    "amount-two-forms.yaml": [
        ("amount-two-forms.yaml:13: costs.cameras.schedule: comes with `amount` and `year`; keep "
         "exactly one amount form"),
    ],
    "amount-year-and-from.yaml": [
        ("amount-year-and-from.yaml:13: costs.cameras.from: cannot go with a one-off `year`; "
         "keep exactly one amount form"),
    ],
    "amount-year-without-amount.yaml": [
        ("amount-year-without-amount.yaml:11: costs.cameras.year: has no `amount` beside it; a "
         "one-off needs both"),
    ],
    "bad-category.yaml": [
        ("bad-category.yaml:10: costs.cameras.category: must be 'capex', 'opex', 'staff', "
         "'compliance' or 'other' (got 'hardware')"),
    ],
    "bad-currency.yaml": [
        ("bad-currency.yaml:5: currency: must be an ISO 4217 code of three capital letters (got "
         "'euro')"),
    ],
    "bad-id.yaml": [
        ("bad-id.yaml:9: costs[0].id: must be lowercase letters, digits, '_' or '-' (got "
         "'Cameras 1')"),
    ],
    "bad-kind.yaml": [
        ("bad-kind.yaml:7: stakeholders.city.kind: must be 'municipality', 'police', "
         "'national_government', 'province', 'eu', 'insurer', 'business', 'housing_corporation', "
         "'residents', 'knowledge_institution', 'vendor' or 'other' (got 'council')"),
    ],
    "committed-probability.yaml": [
        ("committed-probability.yaml:17: funding.erdf.probability: must be 1 for a committed "
         "source (got 0.5); set `status: expected` or `status: prospective`"),
    ],
    "cost-id-is-category.yaml": [
        ("cost-id-is-category.yaml:9: costs.capex.id: id 'capex' is a category name; a cost id "
         "must differ from capex, opex, staff, compliance and other"),
    ],
    "dist-missing-key.yaml": [
        "dist-missing-key.yaml:14: uncertainty.costs.cameras.amount.high: is required",
    ],
    "dist-triangular-low-above-mode.yaml": [
        ("dist-triangular-low-above-mode.yaml:14: uncertainty.costs.cameras.amount: needs low <= "
         "mode <= high with low < high (got 120000, 100000, 150000)"),
    ],
    "dist-unknown.yaml": [
        ("dist-unknown.yaml:14: uncertainty.costs.cameras.amount.dist: must be one of "
         "'triangular', 'pert', 'uniform', 'normal' (got 'lognormal')"),
    ],
    "duplicate-id.yaml": [
        ("duplicate-id.yaml:13: costs.cameras.id: id 'cameras' is used twice in costs (the first "
         "is line 9); ids must be unique in their list"),
    ],
    "eu-cofinancing-rate-above-1.yaml": [  # format 1.2 (issue 15)
        ("eu-cofinancing-rate-above-1.yaml:6: eu_cofinancing_rate: must be between 0 and 1 (got "
         "1.2)"),
    ],
    "expected-no-probability.yaml": [
        ("expected-no-probability.yaml:17: funding.erdf.status: is expected, so the source needs "
         "a `probability` (0..1)"),
    ],
    "funding-type-empty.yaml": [
        ("funding-type-empty.yaml:15: funding.levy.type: must be one of 'contribution', "
         "'revenue', 'grant', 'in_kind', 'loan', 'outcome_payment' (got nothing)"),
    ],
    "funding-type-missing.yaml": [
        ("funding-type-missing.yaml:14: funding.levy: needs a `type` (one of contribution, "
         "revenue, grant, in_kind, loan, outcome_payment)"),
    ],
    "funding-type-unknown.yaml": [
        ("funding-type-unknown.yaml:15: funding.levy.type: must be one of 'contribution', "
         "'revenue', 'grant', 'in_kind', 'loan', 'outcome_payment' (got 'donation')"),
    ],
    "grant-rates-above-1.yaml": [
        ("grant-rates-above-1.yaml:19: funding.regio_deal.rate: grant rates covering cost "
         "'cameras' in 2026 sum to 1.1 (erdf 0.4 + regio_deal 0.7); they may not exceed 1"),
    ],
    "horizon-from.yaml": [
        "horizon-from.yaml:12: costs.cameras.from: year 2025 is outside the horizon 2026-2030",
    ],
    "horizon-grant-window.yaml": [
        ("horizon-grant-window.yaml:18: funding.erdf.to: year 2031 is outside the horizon "
         "2026-2030"),
    ],
    "horizon-loan-year.yaml": [
        ("horizon-loan-year.yaml:17: funding.bank.year: year 2040 is outside the horizon "
         "2026-2030"),
    ],
    "horizon-one-off-year.yaml": [
        ("horizon-one-off-year.yaml:12: costs.cameras.year: year 2031 is outside the horizon "
         "2026-2030"),
    ],
    "horizon-schedule-year.yaml": [
        ("horizon-schedule-year.yaml:13: costs.cameras.schedule.2032: year 2032 is outside the "
         "horizon 2026-2030"),
    ],
    "horizon-to.yaml": [
        "horizon-to.yaml:12: costs.cameras.to: year 2035 is outside the horizon 2026-2030",
    ],
    "loan-balloon-above-1.yaml": [  # format 1.2 (issue 15): loans with grace and balloon
        ("loan-balloon-above-1.yaml:21: funding.bank.balloon: must be between 0 and 1 (got "
         "1.5)"),
    ],
    "loan-grace-negative.yaml": [
        ("loan-grace-negative.yaml:21: funding.bank.grace: must be a whole number of at least 0 "
         "(got -1)"),
    ],
    "loan-grace-not-below-term.yaml": [
        ("loan-grace-not-below-term.yaml:21: funding.bank.grace: is 4 years, but the term is 4: "
         "grace must be less than the term (0..term - 1), so that at least one year repays "
         "principal"),
    ],
    "life-on-opex.yaml": [
        "life-on-opex.yaml:13: costs.cameras.life: applies to capex only (this cost is opex)",
    ],
    "missing-beneficiary.yaml": [
        "missing-beneficiary.yaml:14: benefits.fewer_burglaries.beneficiary: is required",
    ],
    "missing-cost-id.yaml": [
        "missing-cost-id.yaml:9: costs[0].id: is required",
    ],
    "missing-costs.yaml": [
        "missing-costs.yaml:1: costs: is required",
    ],
    "missing-discount-rate.yaml": [
        "missing-discount-rate.yaml:1: discount_rate: is required",
    ],
    "missing-labfinance.yaml": [
        "missing-labfinance.yaml:1: labfinance: is required",
    ],
    "missing-name.yaml": [
        "missing-name.yaml:1: name: is required",
    ],
    "missing-stakeholder-kind.yaml": [
        "missing-stakeholder-kind.yaml:7: stakeholders.city.kind: is required",
    ],
    "missing-stakeholders.yaml": [
        "missing-stakeholders.yaml:1: stakeholders: is required",
    ],
    "missing-start-year.yaml": [
        "missing-start-year.yaml:1: start_year: is required",
    ],
    "missing-years.yaml": [
        "missing-years.yaml:1: years: is required",
    ],
    "negative-amount.yaml": [
        ("negative-amount.yaml:11: costs.cameras.amount: must not be negative (got -100000); "
         "money that flows the other way belongs in another section (a saving is a benefit, a "
         "fee is revenue)"),
    ],
    "negative-cap.yaml": [
        ("negative-cap.yaml:17: funding.erdf.cap: must not be negative (got -5000); money that "
         "flows the other way belongs in another section (a saving is a benefit, a fee is "
         "revenue)"),
    ],
    "negative-contingency-category.yaml": [
        ("negative-contingency-category.yaml:14: contingency.capex: must not be negative (got "
         "-0.1)"),
    ],
    "negative-contingency.yaml": [
        "negative-contingency.yaml:13: contingency: must not be negative (got -0.1)",
    ],
    "rate-discount.yaml": [
        "rate-discount.yaml:5: discount_rate: must be greater than -1 (got -1)",
    ],
    "rate-escalation.yaml": [
        "rate-escalation.yaml:13: costs.cameras.escalation: must be greater than -1 (got -2)",
    ],
    "rate-loan.yaml": [
        "rate-loan.yaml:18: funding.bank.rate: must be greater than -1 (got -1.5)",
    ],
    "ref-covers-unknown.yaml": [
        "ref-covers-unknown.yaml:17: funding.police_hours.covers: no cost with id 'operators'",
    ],
    "ref-eligible-unknown.yaml": [
        ("ref-eligible-unknown.yaml:17: funding.erdf.eligible.1: 'hardware' is neither a cost id "
         "nor a category (capex, opex, staff, compliance, other)"),
    ],
    "ref-outcome-no-quantity.yaml": [
        ("ref-outcome-no-quantity.yaml:17: funding.insurer_pays.benefit: benefit "
         "'fewer_burglaries' has no `quantity`; an outcome payment pays per unit"),
    ],
    "ref-outcome-unknown-benefit.yaml": [
        ("ref-outcome-unknown-benefit.yaml:17: funding.insurer_pays.benefit: no benefit with id "
         "'fewer_thefts'"),
    ],
    "ref-unknown-beneficiary.yaml": [
        ("ref-unknown-beneficiary.yaml:15: benefits.fewer_burglaries.beneficiary: no stakeholder "
         "'insurer' (known: city)"),
    ],
    "ref-unknown-stakeholder.yaml": [
        ("ref-unknown-stakeholder.yaml:16: funding.levy.stakeholder: no stakeholder 'biz' "
         "(known: city)"),
    ],
    "residual-without-life.yaml": [
        ("residual-without-life.yaml:13: costs.cameras.residual_value: needs a `life`: only "
         "assets with a life have a residual value"),
    ],
    "several-problems.yaml": [
        ("several-problems.yaml:11: costs.cameras.amount: must not be negative (got -100000); "
         "money that flows the other way belongs in another section (a saving is a benefit, a "
         "fee is revenue)"),
        ("several-problems.yaml:15: costs.operators.fte: needs `cost_per_fte` beside it (staff "
         "cost = fte × cost_per_fte)"),
        "several-problems.yaml:19: funding.erdf.rate: must be between 0 and 1 (got 1.4)",
        ("several-problems.yaml:20: funding.erdf.payment.advanse: unknown key (did you mean "
         "'advance'?)"),
        "several-problems.yaml:22: benefits.fewer_burglaries.beneficiary: is required",
    ],
    "share-advance.yaml": [
        ("share-advance.yaml:17: funding.erdf.payment.advance: must be between 0 and 1 (got "
         "-0.1)"),
    ],
    "share-deadweight.yaml": [
        ("share-deadweight.yaml:18: benefits.fewer_burglaries.deadweight: must be between 0 and "
         "1 (got 1.5)"),
    ],
    "share-grant-rate.yaml": [
        "share-grant-rate.yaml:16: funding.erdf.rate: must be between 0 and 1 (got 1.5)",
    ],
    "share-in-kind.yaml": [
        "share-in-kind.yaml:18: funding.police_hours.share: must be between 0 and 1 (got 1.5)",
    ],
    "share-probability.yaml": [
        "share-probability.yaml:18: funding.erdf.probability: must be between 0 and 1 (got 1.2)",
    ],
    "share-ramp-up.yaml": [
        ("share-ramp-up.yaml:18: benefits.fewer_burglaries.ramp_up.1: must be between 0 and 1 "
         "(got 1.3)"),
    ],
    "share-retention.yaml": [
        ("share-retention.yaml:17: funding.erdf.payment.retention: must be between 0 and 1 (got "
         "2)"),
    ],
    "staff-fte-without-cost.yaml": [
        ("staff-fte-without-cost.yaml:11: costs.cameras.fte: needs `cost_per_fte` beside it "
         "(staff cost = fte × cost_per_fte)"),
    ],
    "toml-schedule-year.toml": [
        ("toml-schedule-year.toml:23: costs.platform.schedule.2031: year 2031 is outside the "
         "horizon 2026-2030"),
    ],
    "toml-share.toml": [
        "toml-share.toml:19: funding.erdf.rate: must be between 0 and 1 (got 1.5)",
    ],
    "toml-syntax.toml": [
        "toml-syntax.toml:2: not valid TOML: illegal character '\\n' (column 23)",
    ],
    "toml-unknown-key.toml": [
        ("toml-unknown-key.toml:21: funding.erdf.payment.retension: unknown key (did you mean "
         "'retention'?)"),
    ],
    "type-bool-for-number.yaml": [
        "type-bool-for-number.yaml:5: discount_rate: must be a number (got true)",
    ],
    "type-date-for-year.yaml": [
        ("type-date-for-year.yaml:12: costs.cameras.year: must be a whole number (got the date "
         "2026-01-01)"),
    ],
    "type-float-for-int.yaml": [
        "type-float-for-int.yaml:4: years: must be a whole number (got 5.5)",
    ],
    "type-list-for-map.yaml": [
        "type-list-for-map.yaml:6: stakeholders: must be a map of keys (got a list)",
    ],
    "type-map-for-list.yaml": [
        "type-map-for-list.yaml:8: costs: must be a list (got a map)",
    ],
    "type-number-for-text.yaml": [
        ("type-number-for-text.yaml:2: name: must be text (got 2026; put it in quotes to keep it "
         "as text)"),
    ],
    "type-percent-string.yaml": [
        ("type-percent-string.yaml:5: discount_rate: must be a number (got '3%'; write shares "
         "and rates as fractions: 0.03)"),
    ],
    "type-string-for-list.yaml": [
        "type-string-for-list.yaml:17: funding.erdf.eligible: must be a list (got 'capex')",
    ],
    "type-string-for-number.yaml": [
        "type-string-for-number.yaml:11: costs.cameras.amount: must be a number (got '100k')",
    ],
    "uncertainty-base-outside.yaml": [
        ("uncertainty-base-outside.yaml:14: uncertainty.costs.cameras.amount: the scenario's own "
         "value 100000 lies outside the range 120000..150000; the file's value is the base case "
         "and must lie inside it"),
    ],
    "uncertainty-probability.yaml": [
        ("uncertainty-probability.yaml:20: uncertainty.funding.erdf.probability: names a "
         "probability, not a real-valued parameter; Monte Carlo already awards each "
         "non-committed source with its probability"),
    ],
    "uncertainty-unknown-id.yaml": [
        ("uncertainty-unknown-id.yaml:14: uncertainty.costs.camera.amount: costs has no item "
         "with id 'camera' (ids: cameras) (did you mean 'costs.cameras.amount'?)"),
    ],
    "uncertainty-year.yaml": [
        ("uncertainty-year.yaml:14: uncertainty.costs.cameras.year: names a year, not a "
         "real-valued parameter (a money amount, quantity, share or rate)"),
    ],
    "unknown-key-benefit.yaml": [
        ("unknown-key-benefit.yaml:17: benefits.fewer_burglaries.unit_valeu: unknown key (did "
         "you mean 'unit_value'?)"),
    ],
    "unknown-key-cost.yaml": [
        ("unknown-key-cost.yaml:10: costs.cameras.categroy: unknown key (did you mean "
         "'category'?)"),
    ],
    "unknown-key-funding.yaml": [
        ("unknown-key-funding.yaml:16: funding.levy.stakeholdr: unknown key (did you mean "
         "'stakeholder'?)"),
    ],
    "unknown-key-other-funding-type.yaml": [
        ("unknown-key-other-funding-type.yaml:17: funding.erdf.share: unknown key (a grant "
         "source has no `share`; in_kind sources do)"),
    ],
    "unknown-key-payment.yaml": [
        ("unknown-key-payment.yaml:18: funding.erdf.payment.advanse: unknown key (did you mean "
         "'advance'?)"),
    ],
    "unknown-key-stakeholder.yaml": [
        ("unknown-key-stakeholder.yaml:7: stakeholders.city.knd: unknown key (did you mean "
         "'kind'?)"),
    ],
    "unknown-key-top.yaml": [
        "unknown-key-top.yaml:13: inflaton: unknown key (did you mean 'inflation'?)",
    ],
    "variant-bad-name.yaml": [
        ("variant-bad-name.yaml:14: variants.Low cost: must be lowercase letters, digits, '_' or "
         "'-' (got 'Low cost')"),
    ],
    "variant-breaks-other-key.yaml": [
        ("variant-breaks-other-key.yaml:20: variants.uncertain_grant.set.funding.erdf.status: is "
         "expected, so the source needs a `probability` (0..1)"),
    ],
    "variant-invalid-value.yaml": [
        ("variant-invalid-value.yaml:17: variants.no_grant.set.discount_rate: must be a number "
         "(got '1.5x')"),
    ],
    "variant-named-base.yaml": [
        ("variant-named-base.yaml:14: variants.base: 'base' is the name of the file's own case; "
         "give the variant another name"),
    ],
    "variant-share-out-of-range.yaml": [
        ("variant-share-out-of-range.yaml:20: variants.generous.set.funding.erdf.rate: must be "
         "between 0 and 1 (got 1.5)"),
    ],
    "variant-through-number.yaml": [
        ("variant-through-number.yaml:17: variants.capex_overrun.set.contingency.capex: "
         "contingency is a single value (0.1), so there is no 'contingency.capex'; set "
         "contingency itself"),
    ],
    "variant-unknown-path.yaml": [
        ("variant-unknown-path.yaml:16: variants.cheap.set.costs.camera.amount: costs has no "
         "item with id 'camera' (ids: cameras)"),
    ],
    "version-2.yaml": [
        ("version-2.yaml:1: labfinance: must be 1, the format version this labfinance reads (got "
         "2)"),
    ],
    "wrong-suffix.json": [
        "wrong-suffix.json: a scenario file ends in .yaml, .yml or .toml (got .json)",
    ],
    "yaml-alias-bomb.yaml": [
        ("yaml-alias-bomb.yaml:3: the document expands to more than 200,000 values (aliases that "
         "repeat aliases?); a scenario is far smaller"),
    ],
    "yaml-bad-indentation.yaml": [
        ("yaml-bad-indentation.yaml:11: not valid YAML: the indentation does not line up with "
         "the lines above"),
    ],
    "yaml-comment-only.yaml": [
        "yaml-comment-only.yaml:1: the file is empty; a scenario starts with `labfinance: 1`",
    ],
    "yaml-deep-nesting.yaml": [
        "yaml-deep-nesting.yaml:13: the document nests deeper than 50 levels",
    ],
    "yaml-empty.yaml": [
        "yaml-empty.yaml:1: the file is empty; a scenario starts with `labfinance: 1`",
    ],
    "yaml-key-twice.yaml": [
        "yaml-key-twice.yaml:5: years: key given twice (the first is line 4)",
    ],
    "yaml-list.yaml": [
        ("yaml-list.yaml:1: a scenario is a map of keys, starting with `labfinance: 1` (got a "
         "list)"),
    ],
    "yaml-missing-colon.yaml": [
        ("yaml-missing-colon.yaml:4: not valid YAML: a line without ':'; write `key: value`, or "
         "check the indentation"),
    ],
    "yaml-not-utf8.yaml": [
        "yaml-not-utf8.yaml:2: the file is not UTF-8 text (byte 0xe9); save it as UTF-8",
    ],
    "yaml-python-tag.yaml": [
        ("yaml-python-tag.yaml:2: not valid YAML here: a tag ('!!python/object:os.system') is "
         "not allowed; a scenario holds plain values only"),
    ],
    "yaml-recursive-alias.yaml": [
        "yaml-recursive-alias.yaml:13: an alias (*name) refers to a value that contains it",
    ],
    "yaml-scalar.yaml": [
        ("yaml-scalar.yaml:1: a scenario is a map of keys, starting with `labfinance: 1` (got "
         "'labfinance')"),
    ],
    "yaml-tab.yaml": [
        "yaml-tab.yaml:11: not valid YAML: a tab character; YAML indents with spaces only",
    ],
    "yaml-two-documents.yaml": [
        ("yaml-two-documents.yaml:13: not valid YAML: a scenario file holds one YAML document; "
         "remove the second '---'"),
    ],
    "yaml-unclosed-quote.yaml": [
        "yaml-unclosed-quote.yaml:2: not valid YAML: a quote or bracket is not closed",
    ],
    "years-0.yaml": [
        "years-0.yaml:4: years: must be at least 1 (got 0)",
    ],
    "years-101.yaml": [
        "years-101.yaml:4: years: must be at most 100 (got 101)",
    ],
    # format 1.2: unit prices and declining social rates
    "cost-quantity-with-amount.yaml": [
        ("cost-quantity-with-amount.yaml:11: costs.cameras.quantity: comes with `amount`; keep "
         "exactly one of `amount`, `fte`/`cost_per_fte`, `quantity`/`unit_cost` and `schedule`"),
    ],
    "cost-quantity-schedule.yaml": [
        ("cost-quantity-schedule.yaml:13: costs.cameras.schedule: cannot go with "
         "`quantity`/`unit_cost`, which are one-off (with `year`) or recurring; keep exactly one "
         "of `amount`, `fte`/`cost_per_fte`, `quantity`/`unit_cost` and `schedule`"),
    ],
    "social-rate-first-step.yaml": [
        ("social-rate-first-step.yaml:7: social_discount_rate.0.from: the first step starts at "
         "year 0 (t = 0, the start year), not 1"),
    ],
    "social-rate-steps-order.yaml": [
        ("social-rate-steps-order.yaml:11: social_discount_rate.2.from: 2 is not after the "
         "previous step's `from` (3); steps run in increasing `from`"),
    ],
    "social-rate-preset.yaml": [
        ("social-rate-preset.yaml:6: social_discount_rate: must be a rate (a number), the preset "
         "'green_book' or a list of steps {from, rate} (got 'greenbook'; did you mean "
         "'green_book'?)"),
    ],
    "does-not-exist.yaml": [
        "does-not-exist.yaml: no such file",
    ],
}

PYDANTIC_WORDS = ("Input should", "function-after", "[key]", "dict[", "literal[", "Field required",
                  "Extra inputs", "Value error", "validation error")


def _assert_clean(output: str) -> None:
    assert "Traceback" not in output
    for word in PYDANTIC_WORDS:
        assert word not in output


def test_the_catalogue_covers_every_file_and_has_enough_cases():
    files = {p.name for p in BROKEN.iterdir()}
    assert files == set(EXPECTED) - {MISSING}
    assert len(EXPECTED) >= 45
    assert len([f for f in files if f.endswith(".toml")]) >= 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_prints_exactly_the_located_messages(name, monkeypatch):
    monkeypatch.chdir(BROKEN)
    result = CliRunner().invoke(main, ["validate", name])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == EXPECTED[name]
    _assert_clean(result.output)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_run_refuses_and_writes_no_workbook(name, tmp_path, monkeypatch):
    if (BROKEN / name).exists():
        shutil.copyfile(BROKEN / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for args in (["run", name, "-o", "out.xlsx"], ["run", name]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == EXPECTED[name]
        _assert_clean(result.output)
        assert sorted(os.listdir(tmp_path)) == before  # no out.xlsx, no FILE.xlsx, no temp file


@pytest.mark.parametrize("name", ["several-problems.yaml", "yaml-alias-bomb.yaml",
                                  "yaml-not-utf8.yaml", MISSING])
def test_a_real_process_exits_2_without_traceback(name):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "labfinance", "validate", name], cwd=BROKEN,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == EXPECTED[name]
    assert "Traceback" not in done.stdout + done.stderr
    assert time.monotonic() - started < 20


def test_validate_reports_every_file_of_a_batch(monkeypatch):
    monkeypatch.chdir(BROKEN)
    names = ["missing-name.yaml", "toml-share.toml", "yaml-tab.yaml"]
    result = CliRunner().invoke(main, ["validate", *names])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [m for n in names for m in EXPECTED[n]]


def test_the_alias_bomb_fails_fast():
    # processor time, not wall time: a bound on the work done (a billion-value expansion would
    # take minutes), which other load on the machine does not move
    started = time.process_time()
    with pytest.raises(ScenarioError):
        load(BROKEN / "yaml-alias-bomb.yaml")
    assert time.process_time() - started < 2


def test_a_folder_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError) as error:
        load(tmp_path)
    assert error.value.messages == [f"{tmp_path}: is a folder, not a scenario file"]


def test_the_loader_raises_the_same_messages(monkeypatch):
    monkeypatch.chdir(BROKEN)
    with pytest.raises(ScenarioError) as error:
        load("several-problems.yaml")
    assert error.value.messages == EXPECTED["several-problems.yaml"]
    assert str(error.value) == "\n".join(EXPECTED["several-problems.yaml"])


# ----------------------------------------------------------------------------- valid oddities

VALID = """\
labfinance: 1
name: "=SUM(A1:A3)"
start_year: 2026
years: 5
discount_rate: 0.03
stakeholders:
  city: {name: City, kind: municipality}
  police: {name: Police, kind: police}
costs:
  - id: cameras
    category: capex
    amount: 1.2e5
    year: 2026
    life: 8
  - id: ops
    category: opex
    schedule: {"2027": 5000, 2028: 5000}
benefits:
  - &burglaries
    id: burglaries
    beneficiary: city
    quantity: 10
    unit_value: 5e3
    deadweight: 0.2
  - <<: *burglaries
    id: police_time
    beneficiary: police
    unit_value: 500
variants:
  on:
    set:
      discount_rate: 4e-2
"""


def test_valid_oddities_load_as_written(tmp_path):
    path = tmp_path / "oddities.yaml"
    path.write_text(VALID, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert (result.exit_code, result.stdout) == (0, f"{path}: ok\n")
    scenario = load(path).scenario
    assert scenario.name == "=SUM(A1:A3)"  # a formula-like name is text, and fine
    assert scenario.costs[0].amount == 120000  # YAML 1.2 reads 1.2e5 as a number
    assert scenario.costs[1].schedule == {2027: 5000, 2028: 5000}  # a quoted year is a year
    police = scenario.benefits[1]  # `<<: *anchor` merges; keys written beside it win
    assert (police.id, police.beneficiary, police.quantity, police.unit_value, police.deadweight) \
        == ("police_time", "police", 10, 500, 0.2)
    assert list(scenario.variants) == ["on"]  # YAML 1.1 would read `on` as true
    assert scenario.variants["on"].set == {"discount_rate": 0.04}


TOML_TWIN = """\
labfinance = 1
name = "=SUM(A1:A3)"
start_year = 2026
years = 5
discount_rate = 0.03

[stakeholders]
city = { name = "City", kind = "municipality" }
police = { name = "Police", kind = "police" }

[[costs]]
id = "cameras"
category = "capex"
amount = 1.2e5
year = 2026
life = 8

[[costs]]
id = "ops"
category = "opex"
schedule = { 2027 = 5000, 2028 = 5000 }

[[benefits]]
id = "burglaries"
beneficiary = "city"
quantity = 10
unit_value = 5e3
deadweight = 0.2

[[benefits]]
id = "police_time"
beneficiary = "police"
quantity = 10
unit_value = 500
deadweight = 0.2

[variants.on.set]
discount_rate = 4e-2
"""


def test_toml_gives_the_same_scenario_as_yaml(tmp_path):
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "a.toml").write_text(TOML_TWIN, encoding="utf-8")
    assert load(tmp_path / "a.toml").scenario == load(tmp_path / "a.yaml").scenario


# ----------------------------------------------------------------------------- --set and --variant

SMALL = """\
labfinance: 1
name: Small
start_year: 2026
years: 5
discount_rate: 0.03
contingency: 0.1
stakeholders:
  city: {name: City, kind: municipality}
costs:
  - id: cameras
    category: capex
    amount: 100000
    year: 2026
funding:
  - id: x
    type: grant
    rate: 0.4
variants:
  cheap:
    set:
      costs.cameras.amount: 80000
"""


@pytest.mark.parametrize(("options", "expected"), [
    (["--set", "funding.x.rate=1.5"], ["--set: funding.x.rate: must be between 0 and 1 (got 1.5)"]),
    (["--set", "nonsense"], ["--set: nonsense: write it as PATH=VALUE, e.g. discount_rate=0.03"]),
    (["--set", "=1"], ["--set: '=1': name a parameter before '=', e.g. discount_rate=0.03"]),
    (["--set", "costs.unknown.amount=1"],
     ["--set: costs.unknown.amount: costs has no item with id 'unknown' (ids: cameras)"]),
    (["--set", "contingency.capex=0.3"],
     ["--set: contingency.capex: contingency is a single value (0.1), so there is no "
      "'contingency.capex'; set contingency itself"]),
    (["--set", "discount_rate=abc"], ["--set: discount_rate: must be a number (got 'abc')"]),
    (["--set", "discount_rate=3%"],
     ["--set: discount_rate: must be a number (got '3%'; write shares and rates as fractions: "
      "0.03)"]),
    (["--set", "funding.x.rat=0.5"],
     ["--set: funding.x.rat: unknown key (did you mean 'rate'?)"]),
    (["--set", "costs.cameras.year=2040"],
     ["--set: costs.cameras.year: year 2040 is outside the horizon 2026-2030"]),
    (["--set", "funding.x.status=expected"],
     ["--set: funding.x.status: is expected, so the source needs a `probability` (0..1)"]),
    (["--variant", "dear"], ["--variant: no variant 'dear' in small.yaml (known: base, cheap)"]),
    (["--variant", "cheap", "--set", "costs.cameras.amount=-1"],
     ["--set: costs.cameras.amount: must not be negative (got -1); money that flows the other "
      "way belongs in another section (a saving is a benefit, a fee is revenue)"]),
])
def test_bad_overrides_exit_2_with_the_path_named(options, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("small.yaml").write_text(SMALL, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "small.yaml", "-o", "out.xlsx", *options])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == expected
    _assert_clean(result.output)
    assert sorted(os.listdir(tmp_path)) == ["small.yaml"]


def test_overrides_apply_file_then_variant_then_set(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    loaded = load(path)
    assert with_overrides(loaded).costs[0].amount == 100000
    assert with_overrides(loaded, "base").costs[0].amount == 100000
    assert with_overrides(loaded, "cheap").costs[0].amount == 80000
    sets = [parse_set("costs.cameras.amount=1e4"), parse_set("contingency=0.2")]
    scenario = with_overrides(loaded, "cheap", sets)
    assert (scenario.costs[0].amount, scenario.contingency) == (10000, 0.2)
    # a key the file leaves out may be set, a contingency by category here
    path.write_text(SMALL.replace("contingency: 0.1\n", ""), encoding="utf-8")
    scenario = with_overrides(load(path), None, [parse_set("contingency.capex=0.3")])
    assert scenario.contingency == {"capex": 0.3}


def test_libyaml_and_pure_python_yaml_read_the_same(tmp_path, monkeypatch):
    """The loader composes with libyaml where PyYAML has it; without it, the same scenarios."""
    import yaml

    from labfinance.model import reading

    files = [*sorted(Path(__file__).resolve().parents[1].glob("scenarios/*.yaml"))]
    files.append(tmp_path / "oddities.yaml")
    files[-1].write_text(VALID, encoding="utf-8")
    with_libyaml = [reading.read_document(str(f)) for f in files]
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert [reading.read_document(str(f)) for f in files] == with_libyaml


@pytest.mark.parametrize("path, value", [
    ("costs.cameras.amount", 7.0),        # an existing leaf: only the maps and lists on the way
    ("costs.cameras.contingency", 0.2),   # a new key in an existing map
    ("contingency", 0.1),                 # a top-level key
    ("costs.cameras.schedule.2027", 5.0), # a map the file leaves out: the whole is copied first
])
def test_an_override_leaves_the_file_as_it_was_and_changes_only_its_path(path, value):
    from labfinance.model import paths

    raw = {"contingency": 0.0, "costs": [{"id": "cameras", "amount": 1.0, "year": 2026},
                                         {"id": "app", "amount": 2.0, "year": 2026}],
           "benefits": [{"id": "b", "quantity": 1.0}]}
    before = copy.deepcopy(raw)
    new, _ = paths.with_override(raw, path, value)
    assert raw == before  # the file's own document is untouched
    assert paths.get(new, path) == value
    expected = copy.deepcopy(before)
    container, key, _ = paths.locate(expected, path, create=True)
    container[key] = value
    assert new == expected  # and nothing else moved


def test_a_variant_is_valid_as_a_whole_and_a_wrong_set_of_it_is_named(tmp_path):
    # A loan of 4 years with 1 year of grace; the variant stretches it to 10 years with 5 of
    # grace. Setting the grace alone (5 >= 4) is invalid, the two together are not: the
    # variant loads, as with_overrides applies it (term 10, grace 5). A variant whose sets are
    # wrong together still names the set that is wrong, on its line.
    from helpers import scenario_file

    body = """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        funding:
          - {id: bank, type: loan, stakeholder: city, amount: 1000, year: 2026, rate: 0.04,
             term: 4, grace: 1}
        variants:
          stretched:
            set: {funding.bank.term: 10, funding.bank.grace: 5}
        """
    loaded = load(scenario_file(tmp_path, body))
    loan = loaded.variants["stretched"].funding[0]
    assert (loan.term, loan.grace) == (10, 5)
    assert with_overrides(loaded, "stretched") == loaded.variants["stretched"]
    wrong = scenario_file(tmp_path, body.replace("term: 10", "term: 3"), name="wrong.yaml")
    with pytest.raises(ScenarioError) as error:
        load(wrong)
    assert any("variants.stretched.set.funding.bank.grace" in m and "term" in m
               for m in error.value.messages), error.value.messages


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "scenarios")
                                        .glob("*.yaml")), ids=lambda p: p.stem)
def test_a_variant_lent_the_files_items_is_the_scenario_validated_afresh(path):
    # A variant's check reuses the file's validated items for each list it leaves alone; the
    # scenario must be exactly the one a full validation of the overridden file gives.
    from labfinance.model import paths
    from labfinance.model.scenario import Scenario

    loaded = load(path)
    assert loaded.variants
    for name, scenario in loaded.variants.items():
        raw = loaded.document.raw
        for set_path, value in loaded.scenario.variants[name].set.items():
            raw, _ = paths.with_override(raw, set_path, value)
        assert Scenario.model_validate(raw) == scenario, name


def test_a_variant_that_breaks_a_cost_line_is_still_caught(tmp_path):
    from helpers import scenario_file

    path = scenario_file(tmp_path, """
        costs:
          - {id: kit, category: capex, amount: 1000, year: 2026}
        variants:
          broken:
            set: {costs.kit.amount: -5}
        """)
    with pytest.raises(ScenarioError) as error:
        load(path)
    assert any("variants.broken.set.costs.kit.amount" in m for m in error.value.messages)
