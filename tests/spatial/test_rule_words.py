"""The rule words have one home (:data:`spatial.thresholds.RULE_WORDS`) that tables and the Sketch tally share."""

from __future__ import annotations

from boundaries.config import REPO_ROOT
from spatial.checks import RULES
from spatial.thresholds import RULE_LABELS, RULE_WORDS, rule_names


def test_every_rule_has_a_column_heading_and_a_name_each_unique():
    assert list(RULE_WORDS) == list(RULES)
    headings = [w[0] for w in RULE_WORDS.values()]
    names = [w[1] for w in RULE_WORDS.values()]
    assert len(set(headings)) == len(RULES) and len(set(names)) == len(RULES)  # a shared heading merges columns
    assert RULE_LABELS == dict(zip(RULES, headings))
    assert RULE_LABELS["care_flow"] == "Care flow" and rule_names()["care_flow"] == "Care-flow containment"


def test_the_2024_names_replace_only_the_2018_words():
    old, new = rule_names("2018"), rule_names("2024")
    assert new["boroughs"] == "Places / ICBs" and old["boroughs"] == "Boroughs"
    assert new["councils"] == "Councils wholly inside" and "councils" not in old
    assert {k: v for k, v in new.items() if k in old and v == old[k]}.keys() >= {"population", "care_flow"}


def test_no_page_defines_its_own_rule_words():
    for path in sorted((REPO_ROOT / "ui").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "RULE_LABELS = {" not in text and "RULE_NAMES = {" not in text, path
    from ui.tables import RULE_LABELS as shown

    assert shown is RULE_LABELS
