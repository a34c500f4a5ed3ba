"""Field accuracy of the rule parser on labelled descriptions.

Two kinds of sets: the parser authors' own (devset, holdout) and the corpus
written independently from the field schema and the catalog (corpus_dev, the
set the rules were first tuned on; corpus_dev2, by a second author, scored once
as a held-out set at 94.1 % and since then used for development).
The thresholds are the figures docs/parser.md reports, rounded down.
"""

from pathlib import Path

import pytest

from desim.llm import RuleBasedParser, evaluate, load_labelled
from desim.llm.config import ProsumerConfig
from desim.llm.evaluate import field_matches

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name, minimum", [("devset.jsonl", 60), ("holdout.jsonl", 25)])
def test_labelled_sets_are_large_enough_and_well_formed(name, minimum):
    rows = load_labelled(DATA / name)
    assert len(rows) >= minimum
    assert len({r["text"] for r in rows}) == len(rows)


def test_holdout_texts_do_not_appear_in_the_devset():
    dev = {r["text"] for r in load_labelled(DATA / "devset.jsonl")}
    assert not dev & {r["text"] for r in load_labelled(DATA / "holdout.jsonl")}


@pytest.mark.parametrize("name", ["corpus_dev.jsonl", "corpus_dev2.jsonl"])
def test_independent_corpus_is_large_enough_and_well_formed(name):
    rows = load_labelled(DATA / name)
    assert len(rows) == 160
    assert len({r["text"] for r in rows}) == len(rows)
    assert len({r["style"] for r in rows}) == 7


def test_corpus_halves_share_no_text():
    dev = {r["text"] for r in load_labelled(DATA / "corpus_dev.jsonl")}
    assert not dev & {r["text"] for r in load_labelled(DATA / "corpus_dev2.jsonl")}


# corpus_dev2 was scored once as a held-out set (94.1 % and 87.6 %, docs/parser.md);
# it is development material now, so its threshold follows the current figures
@pytest.mark.parametrize("name, fields, labelled", [("corpus_dev.jsonl", 0.99, 0.99),
                                                    ("corpus_dev2.jsonl", 0.94, 0.87)])
def test_rule_parser_on_the_independent_corpus(name, fields, labelled):
    score = evaluate(RuleBasedParser(), load_labelled(DATA / name))
    assert score.accuracy >= fields, score.errors
    assert score.labelled_accuracy >= labelled, score.errors


@pytest.mark.parametrize("name", ["devset.jsonl", "holdout.jsonl"])
def test_rule_parser_gets_at_least_95_percent_of_fields_right(name):
    score = evaluate(RuleBasedParser(), load_labelled(DATA / name))
    assert score.accuracy >= 0.95, score.errors
    assert score.labelled_accuracy >= 0.90, score.errors


class _EmptyParser:
    def parse(self, text):
        return ProsumerConfig()


def test_scorer_counts_unset_fields_as_wrong_where_labels_set_them():
    rows = load_labelled(DATA / "holdout.jsonl")
    score = evaluate(_EmptyParser(), rows)
    assert score.labelled_accuracy == 0.0
    assert score.n_fields - score.n_right == score.n_labelled


@pytest.mark.parametrize("expected, got, ok", [
    (13.5, 13.5, True), (13.5, 13.6, True), (13.5, 14.0, False), (None, 0.0, False),
    (0, None, False), (True, 1, False), ("07:00", "07:00", True), ("07:00", "7:00", False),
    (0.15, 0.15000001, True), (0.15, 0.16, True), (0.15, 0.17, False)])
def test_field_matches_tolerates_one_percent_or_a_hundredth(expected, got, ok):
    assert field_matches(expected, got) is ok
