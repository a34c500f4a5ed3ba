"""Field accuracy of the rule parser on labelled descriptions.

Two kinds of sets: the parser authors' own (devset, holdout) and the corpus written
independently from the field schema and the catalog by three authors: corpus_dev (the
set the rules were first tuned on), corpus_dev2 (scored once as a held-out set at
94.1 %, then used for development) and corpus_heldout (a third author's set, scored
once, with the parser final and committed). The thresholds are the figures
docs/parser.md reports, rounded down to a whole percent; they were set after that one
scoring and nothing was tuned afterwards.
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


@pytest.mark.parametrize("name, size", [("corpus_dev.jsonl", 160), ("corpus_dev2.jsonl", 160),
                                        ("corpus_heldout.jsonl", 200)])
def test_independent_corpus_is_large_enough_and_well_formed(name, size):
    rows = load_labelled(DATA / name)
    assert len(rows) == size
    assert len({r["text"] for r in rows}) == len(rows)
    assert len({r["style"] for r in rows}) == 7


@pytest.mark.parametrize("first, second", [("corpus_dev.jsonl", "corpus_dev2.jsonl"),
                                           ("corpus_dev.jsonl", "corpus_heldout.jsonl"),
                                           ("corpus_dev2.jsonl", "corpus_heldout.jsonl")])
def test_corpus_sets_share_no_text(first, second):
    texts = {r["text"] for r in load_labelled(DATA / first)}
    assert not texts & {r["text"] for r in load_labelled(DATA / second)}


# measured figures rounded down: corpus_dev 100 % / 100 %, corpus_dev2 99.9 % / 100 %,
# corpus_heldout (scored once) 95.7 % / 87.9 % (all / labelled fields; docs/parser.md)
@pytest.mark.parametrize("name, fields, labelled", [("corpus_dev.jsonl", 1.00, 1.00),
                                                    ("corpus_dev2.jsonl", 0.99, 1.00),
                                                    ("corpus_heldout.jsonl", 0.95, 0.87)])
def test_rule_parser_on_the_independent_corpus(name, fields, labelled):
    score = evaluate(RuleBasedParser(), load_labelled(DATA / name))
    assert score.accuracy >= fields, score.errors
    assert score.labelled_accuracy >= labelled, score.errors


@pytest.mark.parametrize("name", ["devset.jsonl", "holdout.jsonl"])
def test_rule_parser_on_the_authors_own_sets(name):
    score = evaluate(RuleBasedParser(), load_labelled(DATA / name))
    assert score.accuracy >= 1.00, score.errors  # measured 100 % and 100 %
    assert score.labelled_accuracy >= 1.00, score.errors


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
