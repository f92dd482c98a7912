"""Which candidate facts become memories (engine/worth.py), and attribute prototypes by vote.

Unit tests use HashEmbedder (a text is nearest to itself, so the labelled examples vote for
their own label); the integration tests use the real MiniLM embedder on wordings that are in
no example list.
"""

from __future__ import annotations

import numpy as np
import pytest

from localmem import Memory
from localmem.backends.embeddings import HashEmbedder
from localmem.config import LLMConfig, MemoryConfig
from localmem.engine.attributes import Prototypes, head
from localmem.engine.decisions import Candidate, shared_slot
from localmem.engine.facts import Fact
from localmem.engine.worth import Worth
from localmem.engine.worth_examples import CHATTER, DURABLE
from tests.helpers import fake_memory


def fact(text: str, attribute: str | None = "", change: str = "new") -> Fact:
    return Fact(text, [0], "rule", attribute=attribute, change=change)


def test_the_examples_vote_for_their_own_label():
    worth = Worth(HashEmbedder())
    scores = worth.scores(["Teaches high school chemistry", "Could not stop laughing"])
    assert scores[0] > 0 > scores[1]
    assert worth.scores([]).shape == (0,)
    assert not set(DURABLE) & set(CHATTER)


def test_chatter_is_dropped_and_what_the_rules_place_is_kept_whatever_the_vote():
    worth = Worth(HashEmbedder())
    facts = [fact("Could not stop laughing"), fact("Teaches high school chemistry"),
             fact("Was so happy they cried", change="ended"),  # an ending ends something
             fact("Is so done with this week on 2024-03-02"),  # a date: an event of the past
             fact("Works as a nurse, felt proud for once"),  # a pattern names the job
             fact("Is a bit nervous now", change="changed"),  # a state said to hold now
             fact("Loves spicy ramen")]  # a taste for a named thing
    assert worth.keeps(facts) == [False, True, True, True, True, True, True]
    assert worth.keeps([fact("Was amazing"), fact("Is pretty cool")]) == [False, False]


def test_what_a_day_held_is_kept_and_a_clause_about_it_alone_is_dropped():
    worth = Worth(HashEmbedder())
    events = [fact("Had miso soup for lunch"), fact("Has a nosebleed"),  # REALTALK's events
              fact("Could not stop laughing at a show called bluey")]  # a lower-case name
    assert worth.keeps(events) == [True, True, True]
    assert worth.scores([events[2].text])[0] < 0 and not Worth.needs_vote(events[2])
    keen = Worth(HashEmbedder(), threshold=-10.0)  # a vote that keeps anything
    leaning = [fact("Back hates them"), fact("Wife basically runs it"), fact("Made it themselves")]
    assert keen.keeps(leaning) == [False] * 3  # what "it" is lies in the raw message before
    assert keen.keeps([fact("Watched it twice with their sister at the old drive-in")]) == [True]
    assert keen.keeps([fact("Works as a nurse, loves it")]) == [True]  # a pattern still places it


def test_a_chatter_clause_stays_in_the_raw_message_but_is_not_a_memory():
    memory = fake_memory()
    memory.add("I could not stop laughing. I teach high school chemistry.", user_id="u")
    items = memory.get_all(user_id="u")
    assert [m.text for m in items] == ["Teaches high school chemistry"]
    raw = [memory.get(-i).text for i in items[0].source_message_ids]
    assert any("could not stop laughing" in text for text in raw)  # nothing is lost


def test_keep_chatter_makes_every_clause_a_memory():
    said = "I could not stop laughing. I teach high school chemistry."
    kept = fake_memory(config=MemoryConfig(keep_chatter=True))
    kept.add(said, user_id="u")
    assert sorted(m.text for m in kept.get_all(user_id="u")) == [
        "Could not stop laughing", "Teaches high school chemistry"]
    assert MemoryConfig().keep_chatter is False  # the default leaves chatter in raw messages


def test_prototypes_vote_by_attribute_on_the_predicate_and_its_head():
    prototypes = Prototypes(HashEmbedder())
    named = prototypes.name(["Sister Ana plays bass in a cover band, lol so loud",
                             "Quantum chromodynamics lectures"])
    assert named == ["instrument", None]
    assert prototypes.name([]) == [] and prototypes.nearest(np.zeros((0, 8))) == []
    assert head("Loves horror movies, the gorier the better") == "Loves horror movies"


def test_a_stored_memory_without_an_attribute_joins_the_slot_it_leans_to():
    new = fact("Is the new shift supervisor", attribute="job", change="changed")
    old = Candidate(1, "Drives a forklift at a depot", 0.2, "user", "")
    other = Candidate(2, "Drives a forklift at a depot", 0.2, "friend mo", "")
    shared_slot(new, [old, other], lambda texts: ["job"] * len(texts))
    assert old.attribute == "job" and other.attribute == ""  # someone else's stays apart
    bare = fact("Uses the metro now", attribute="", change="changed")
    car = Candidate(3, "Drives a Honda Civic", 0.5, "user", "car")
    shared_slot(bare, [car], lambda texts: ["car"])
    assert bare.attribute == "car" and bare.single
    unchanged = fact("Uses the metro", attribute="")
    shared_slot(unchanged, [car], lambda texts: ["car"])
    assert unchanged.attribute == ""  # nothing said it changed: no slot taken


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    config = MemoryConfig(llm=LLMConfig(provider="fake"))
    memory = Memory(config, path=tmp_path_factory.mktemp("minilm"))
    yield memory.embedder
    memory.close()


@pytest.mark.integration
def test_unseen_chatter_is_dropped_and_unseen_durable_facts_kept(minilm):
    worth = Worth(minilm)
    chatter = ["Literally screamed in the car", "Is terrible", "Can finally breathe again"]
    durable = ["Adopted a dog", "Volunteers at an animal shelter on weekends",
               "Ran a charity 5k on 2024-03-10", "Is allergic to cats",
               "Cooked some ramen for dinner", "Got a really bad nosebleed at work"]
    assert worth.keeps([fact(t) for t in chatter]) == [False] * len(chatter)
    assert worth.keeps([fact(t) for t in durable]) == [True] * len(durable)


@pytest.mark.integration
def test_prototypes_meet_wordings_no_pattern_knows(minilm):
    prototypes = Prototypes(minilm)
    texts = ["Is running the whole cafe now", "Games on a custom-built desktop rig",
             "Got a tiny cottage by the sea and moved out there"]
    assert prototypes.name(texts) == ["job", "computer", "home"]


def test_a_clause_about_everything_leans_on_nothing_said():
    keen = Worth(HashEmbedder(), threshold=-10.0)  # a vote that keeps anything
    assert keen.keeps([fact("Can walk to everything"), fact("Tried anything once")]) == [False] * 2
    assert keen.keeps([fact("Can walk to the beach and the old harbour")]) == [True]


@pytest.mark.integration
def test_unseen_outings_and_troubles_kept_and_getting_by_dropped(minilm):
    worth = Worth(minilm)
    durable = ["Went for a swim at the lake with friends", "Coworker keeps taking credit for their work",
               "Played chess with their grandpa", "Made lasagna for the family",
               "Has a sore throat", "Watched a horror movie with friends"]
    assert worth.keeps([fact(t) for t in durable]) == [True] * len(durable)
    assert worth.keeps([fact("Just smiles and nods along")]) == [False]


def test_a_shouted_word_or_a_time_of_day_dates_nothing_and_a_standing_situation_is_kept():
    assert Worth.needs_vote(fact("Missed the bus AGAIN"))  # shouting, not a name
    assert Worth.needs_vote(fact("Stayed up till 3am"))  # a time of day
    assert Worth.needs_vote(fact("Waited 40 minutes for a table"))
    assert not Worth.needs_vote(fact("Works 10 hours a day"))  # hours may say a routine
    assert not Worth.needs_vote(fact("Ran a 5k on Sunday"))  # a name and a number still place
    assert not Worth.needs_vote(fact("Uncle keeps asking them for money"))  # someone, keeps
    assert Worth.needs_vote(fact("Keeps forgetting the charger"))  # the user's moment
