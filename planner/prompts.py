"""Self-test prompts for a concept, from its interview questions and its summary. Pure.

A self-test asks what an interviewer would: the concept's own interview
questions first (real questions beat generated ones), then what its summary
says a candidate should be able to explain. Summaries in the shipped graph
follow CONTENT.md's pattern "<what it is>. Interviewers probe/ask <a, b and
c>." or "Know/Expect to explain <...>.", so the items after such a cue become
prompts one by one; a two-minute explanation of the concept is always among
them. The same concept always gets the same prompts, in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_PROMPTS = 3
MAX_PROMPTS = 5
MAX_QUESTIONS = 3  # leave room for at least the two-minute explanation and one summary item

# A sentence that says what a candidate should be able to explain, and where that list begins.
_CUE = re.compile(
    r"^(?:interviewers\s+(?:often\s+|usually\s+|also\s+)?"
    r"(?:probe|ask(?:\s+(?:for|about|how|why|what|which|when))?|expect|check|test|want)"
    r"|know|expect\s+to\s+(?:explain|know|derive|discuss|compare)|be\s+ready\s+to\s+\w+"
    r"|you\s+should\s+be\s+able\s+to\s+\w+)\b[:,]?\s*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_QUESTION_WORDS = ("how", "why", "what", "which", "when", "where", "whether", "who")
# Items that are already an instruction ("choose a storage format", "derive the gradient").
_VERBS = frozenset(
    ("choose", "compare", "derive", "describe", "design", "estimate", "explain", "frame",
     "implement", "justify", "name", "pick", "reason", "sketch", "state", "walk", "write")
)  # fmt: skip
_WHO_CAN = re.compile(r"^that\s+(?:candidates|you|a\s+candidate)\s+(?:can|could)\s+", re.I)


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def _split_list(text: str) -> list[str]:
    """'a, b (x, y), and c' -> ['a', 'b (x, y)', 'c']: commas and a final 'and' outside
    brackets separate the items."""
    items, depth, current = [], 0, []
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char in ",;" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    parts: list[str] = []
    for raw in items:
        item = raw.strip().rstrip(".").strip()
        item = re.sub(r"^(?:and|or)\s+", "", item)
        if item:
            parts.append(item)
    return parts


def _explain(item: str, cue: str) -> str:
    """One listed item as a prompt: 'why ReLU eased training' -> 'Explain why ReLU eased
    training.'; the cue's own question word is kept ('ask how ...' -> 'Explain how ...')."""
    item = _WHO_CAN.sub("", item)
    first = item.split()[0].lower()
    if first in _VERBS:
        return f"{item[0].upper()}{item[1:]}."
    asked = cue.strip().rstrip(":,").split()[-1].lower()
    if asked in _QUESTION_WORDS and not item.lower().startswith(_QUESTION_WORDS):
        item = f"{asked} {item}"
    return f"Explain {item}."


def _two_minutes(title: str) -> str:
    """The opening prompt. A title that names an activity ("Explaining your research
    simply", "Structuring the research job talk") is something to do, not to explain."""
    words = title.split()
    if len(words) > 1 and words[0].endswith("ing") and words[1] in _ACTIVITY_OBJECTS:
        activity = f"{title[0].lower()}{title[1:]}"
        return (
            f"In two minutes, without notes: how would you go about {activity}, "
            "and why does it matter in the interview?"
        )
    return f"Explain {title} in two minutes, without notes: what it is and why it matters."


# "Explaining your research", "Structuring the job talk", "Handling questions ...": the
# word after an -ing that makes the title an activity ("Scaling laws" stays a topic).
_ACTIVITY_OBJECTS = frozenset({"your", "the", "a", "an", "questions", "what", "how"})


def summary_prompts(title: str, summary: str) -> list[str]:
    """What the summary says one should be able to explain, as prompts (the two-minute
    explanation first)."""
    prompts = [_two_minutes(title)]
    for sentence in _sentences(summary):
        cue = _CUE.match(sentence)
        if cue is None:
            continue
        rest = sentence[cue.end() :]
        for item in _split_list(rest):
            if len(item.split()) >= 2:  # a lone word is rarely a question of its own
                prompts.append(_explain(item, cue.group(0)))
    return prompts


def fallback_prompts(title: str) -> list[str]:
    """Generic prompts for a concept whose questions and summary give fewer than three."""
    return [
        f"Give a concrete example where {title} is the right tool, and one where it is not.",
        f"What would an interviewer's first follow-up question on {title} be? Answer it.",
    ]


def self_test_prompts(title: str, summary: str, questions: Sequence[str]) -> list[str]:
    """3 to 5 prompts: interview questions first (at most MAX_QUESTIONS, in the order
    given), then the summary's, then generic ones up to MIN_PROMPTS; no duplicates."""
    chosen: list[str] = []
    candidates = [
        *[q.strip() for q in questions if q.strip()][:MAX_QUESTIONS],
        *summary_prompts(title, summary),
    ]
    for prompt in candidates:
        if prompt not in chosen:
            chosen.append(prompt)
    for prompt in fallback_prompts(title):
        if len(chosen) >= MIN_PROMPTS:
            break
        chosen.append(prompt)
    return chosen[:MAX_PROMPTS]
