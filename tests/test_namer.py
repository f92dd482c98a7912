"""The attribute classifier (``engine/namer.py``), its use by ``Prototypes`` and soft slot
matching (``decisions.soft_slot``)."""

from __future__ import annotations

import numpy as np
import pytest

from localmem.backends.embeddings import HashEmbedder
from localmem.engine.attributes import Prototypes, is_hypothetical
from localmem.engine.decisions import Candidate, ending_targets, soft_slot
from localmem.engine.facts import Fact
from localmem.engine.namer import Classifier, overlap, pick


def _clusters(seed: int = 0, per: int = 20) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Unit vectors around three orthogonal centres, labelled by centre; and the centres."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8, dtype=np.float32)[:3]
    points, labels = [], []
    for centre, label in zip(centres, ["car", "job", ""]):
        for _ in range(per):
            v = centre + 0.25 * rng.standard_normal(8).astype(np.float32)
            points.append(v / np.linalg.norm(v))
            labels.append(label)
    return np.stack(points), labels, centres


def test_the_classifier_learns_separable_classes_with_probabilities():
    vectors, labels, centres = _clusters()
    classifier = Classifier().fit(vectors, labels)
    assert classifier.keys == ["", "car", "job"]
    probs = classifier.proba(centres)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert classifier.predict(centres) == ["car", "job", ""]
    assert classifier.predict(centres, abstain="") == ["car", "job", None]  # the none class


def test_the_classifier_abstains_between_two_classes():
    vectors, labels, centres = _clusters()
    classifier = Classifier().fit(vectors, labels)
    between = (centres[0] + centres[1]) / np.linalg.norm(centres[0] + centres[1])
    probs = classifier.proba(between[None])[0]
    assert max(probs) < 0.6  # it says it is unsure ...
    assert classifier.predict(between[None], threshold=0.6) == [None]  # ... and names nothing
    assert pick(np.array([[0.5, 0.3, 0.2]]), ["a", "b", "c"], 0.6) == [None]
    assert pick(np.array([[0.7, 0.2, 0.1]]), ["a", "b", "c"], 0.6) == ["a"]


def test_the_classifier_is_deterministic():
    vectors, labels, centres = _clusters(seed=3)
    first = Classifier().fit(vectors, labels).proba(centres)
    again = Classifier().fit(vectors, labels).proba(centres)
    assert np.array_equal(first, again)


def test_the_classifier_says_what_is_wrong_with_its_input():
    vectors, labels, _ = _clusters()
    with pytest.raises(ValueError, match="labels"):
        Classifier().fit(vectors, labels[:-1])
    with pytest.raises(ValueError, match="two classes"):
        Classifier().fit(vectors, ["car"] * len(vectors))
    with pytest.raises(RuntimeError, match="fit"):
        Classifier().proba(vectors)


def test_distributions_agree_for_the_same_attribute_only():
    assert overlap(np.array([0.9, 0.1]), np.array([0.8, 0.2])) == pytest.approx(0.74)
    assert overlap(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 0.0


def test_the_classifier_names_what_the_nearest_prototypes_leave_unnamed():
    embedder = HashEmbedder()
    knn_only = Prototypes(embedder, confident=2.0)  # no probability reaches 2: no classifier
    both = Prototypes(embedder)
    text = "Follows the Celtics every season"
    assert knn_only.name([text]) == [None]
    assert both.name([text]) == ["sport_team"]
    assert both.name(["Quantum chromodynamics lectures", "Has Celtics season tickets"]) == [
        None, None]  # unsure: it abstains
    dists = both.distributions([text, "Supports the Celtics"])
    assert np.allclose(dists.sum(axis=1), 1.0)
    assert both.keys[int(np.argmax(dists[0]))] == "sport_team"
    fan, hiker = both.agreement(text, ["Roots for the Celtics", "Loves hiking"])
    assert fan > 0.5 > 0.1 > hiker  # the same attribute, and another


def _fact(text: str, attribute: str, change: str) -> Fact:
    fact = Fact(text, [0], "rule")
    fact.subject, fact.attribute, fact.change = "user", attribute, change
    fact.single = True
    return fact


def _agree(scores: dict[str, float]):
    return lambda text, others: [scores[o] for o in others]


def test_a_change_joins_a_stored_fact_of_an_agreeing_attribute_to_its_slot():
    old = Candidate(1, "Commutes in an old Subaru", 0.2, "user", "car")
    other = Candidate(2, "Plays the cello", 0.1, "user", "instrument")  # not single-valued
    fact = _fact("Takes the tram from now on", "commute", "changed")
    soft_slot(fact, [old, other], _agree({old.text: 0.6, other.text: 0.9}))
    assert (old.attribute, other.attribute) == ("commute", "instrument")


def test_soft_matching_leaves_disagreeing_facts_and_plain_new_facts_apart():
    old = Candidate(1, "Commutes in an old Subaru", 0.2, "user", "car")
    soft_slot(_fact("Takes the tram from now on", "commute", "changed"), [old],
              _agree({old.text: 0.2}))
    assert old.attribute == "car"  # they disagree
    soft_slot(_fact("Takes the tram on Sundays", "commute", "new"), [old],
              _agree({old.text: 0.9}))
    assert old.attribute == "car"  # nothing says it changed


def test_a_changed_fact_without_an_attribute_takes_the_agreeing_stored_one_s():
    old = Candidate(1, "Best friend Kenji lives 5 min away", 0.3, "user", "home")
    fact = _fact("Moved back to Osaka", "", "changed")
    soft_slot(fact, [old], _agree({old.text: 0.5}))
    assert (fact.attribute, fact.single) == ("home", True)


def test_an_ending_that_names_no_value_ends_every_value_of_a_single_valued_slot():
    slot = [Candidate(1, "Job is driving them crazy", 0.3, "user", "job"),
            Candidate(2, "Is a nurse at St. Mary's", 0.2, "user", "job")]
    assert [c.id for c in ending_targets("Quit the hospital", True, slot, [])] == [1, 2]
    assert ending_targets("Quit the hospital", False, slot, []) == []


def test_the_month_may_is_no_maybe():
    assert not is_hypothetical("Bought a house in Portland and moved there in May")
    assert not is_hypothetical("Started in May 2023")
    assert is_hypothetical("May move to Lisbon next year")
