"""Choosing what goes into a search result: the top ``limit`` items, or a word budget.

Candidates come scored and sorted (``retrieval``). Without a budget the rule is the old one:
facts and raw messages by score, less a raw message behind one of the top facts. With a budget:

- Facts of one subject and attribute (Kate's hobbies, told in five sessions) form a group; the
  second and later members of a group step down a little per member already ahead of them, so
  a list question still gets several, but one topic does not crowd out every other.
- A raw message fills in only what the facts packed before it don't say: it is left out when a
  packed fact came from it, or when the packed texts already hold most of its content words.
- Each step takes the best candidate less ``REPEAT_COST`` times the share of its content words
  already packed, so a list question gets new things rather than the same one said again.
- An item longer than what is left of the budget is skipped for shorter ones below it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from localmem.engine.textutil import content_words

__all__ = ["Candidate", "select", "GROUP_STEP", "COVERED_SHARE", "REPEAT_COST"]

# REALTALK tune chats, facts at raw's words (scripts/eval_memory.py --chats tune --model fake):
# neither 0.564; COVERED_SHARE 0.8 alone 0.569; both 0.571 (GROUP_STEP 0.15: 0.569). Few rule
# facts carry an attribute, so the groups matter more with a model that names them.
GROUP_STEP = 0.05  # score each earlier member of the same subject + attribute costs
COVERED_SHARE = 0.8  # a raw message whose content words are this much in the context adds nothing
# REPEAT_COST on the same chats at 167 words: 0 0.5666, 0.1 0.5684 (category 1 0.527 -> 0.535),
# 0.3 0.5673.
REPEAT_COST = 0.1  # score a candidate loses when the packed texts already hold all its words


@dataclass
class Candidate:
    """One scored row: a fact (``kind="fact"``) or a raw message (``kind="message"``)."""

    score: float
    kind: str
    rid: int
    row: dict[str, Any]
    sources: list[int] = field(default_factory=list)  # raw message ids behind it

    @property
    def text(self) -> str:
        return self.row["text"] if self.kind == "fact" else self.row["content"]

    @property
    def group(self) -> tuple[str, str] | None:
        """("owner/subject", attribute) of a fact with an attribute; None otherwise."""
        if self.kind != "fact" or not self.row.get("attribute"):
            return None
        return (f"{self.row.get('user_id')}/{(self.row.get('subject') or '').lower()}",
                self.row["attribute"])


def select(ranked: list[Candidate], limit: int, budget: int | None) -> list[Candidate]:
    """The candidates to return, in order (see the module docstring)."""
    if budget is None:
        return _top(ranked, limit)
    return _packed(_spread(ranked), limit, budget)


def _top(ranked: list[Candidate], limit: int) -> list[Candidate]:
    top_facts = [c for c in ranked if c.kind == "fact"][:limit]
    covered = {m for c in top_facts for m in c.sources}
    return [c for c in ranked if c.kind == "fact" or c.rid not in covered][:limit]


def _spread(ranked: list[Candidate]) -> list[Candidate]:
    """Later members of a subject + attribute group step down (their score shows it), then
    all are sorted again."""
    ahead: dict[tuple[str, str], int] = defaultdict(int)
    out = []
    for c in ranked:
        group = c.group
        if group is not None:
            c = replace(c, score=c.score - GROUP_STEP * ahead[group])
            ahead[group] += 1
        out.append(c)
    out.sort(key=lambda c: -c.score)  # stable: ties keep their rank order
    return out


def _packed(ranked: list[Candidate], limit: int, budget: int) -> list[Candidate]:
    """Greedy: each step takes the best candidate still allowed, its score less
    ``REPEAT_COST`` times the share of its content words the packed texts already hold."""
    out: list[Candidate] = []
    shown: set[int] = set()  # raw messages behind the facts packed so far
    said: set[str] = set()  # content words of the texts packed so far
    left = [(c, content_words(c.text), len(c.text.split())) for c in ranked]
    while left and len(out) < limit:
        left = [(c, mine, size) for c, mine, size in left if size <= budget and not (
            c.kind == "message" and (c.rid in shown or _covered(mine, said)))]
        if not left:
            break
        pick = max(range(len(left)), key=lambda i: (left[i][0].score - REPEAT_COST * _share(
            left[i][1], said), -i)) if REPEAT_COST and said else 0
        c, mine, size = left.pop(pick)
        budget -= size
        out.append(c)
        if c.kind == "fact":
            shown.update(c.sources)
        said.update(mine)
    return out


def _share(mine: list[str], said: set[str]) -> float:
    return sum(w in said for w in mine) / len(mine) if mine else 1.0


def _covered(mine: list[str], said: set[str]) -> bool:
    return bool(mine) and _share(mine, said) >= COVERED_SHARE
