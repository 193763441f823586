"""Which interview questions a plan practises, and after which topic.

A question can be asked once every concept it tests is studied in the plan (learned, or
refreshed when shaky) or is something the plan rests on (a required prerequisite of what
is studied, or of what the candidate knows). It is practised once, after the topic whose
study completes it: the last of its concepts studied. The planner sizes its practice
blocks by these questions and the plan lists the same ones (Summary.practice).

Before, a block was sized by every question that mentions its topic, and the questions
were matched to blocks only when the plan was shown: over 165 plans of the shipped teams,
56% of the practice minutes came with no question that could be asked by that day
("answer its self-test prompts aloud"), because a question about attention also tests
self-attention, learned three days later, or a topic the plan cuts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any


def questions_by_topic(
    questions: Mapping[str, Collection[str]],
    studied: Mapping[str, Any],
    rests_on: Collection[str],
) -> dict[str, list[str]]:
    """Topic -> the questions (by slug, sorted) its study completes.

    `questions`: question -> the concepts it tests. `studied`: concept -> when it is
    studied, any comparable key ((day, learning position) in a plan: the later of two
    concepts studied the same day completes the question). `rests_on`: concepts not
    studied here that a question may also test, known or beneath what is. A question
    testing anything else (a cut topic, one the plan never touches) is not practised, and
    neither is one testing only what the plan rests on: no study of the plan leads to it.
    """
    found: defaultdict[str, list[str]] = defaultdict(list)
    for question, concepts in questions.items():
        here = [c for c in concepts if c in studied]
        if not here or any(c not in studied and c not in rests_on for c in concepts):
            continue
        found[max(here, key=lambda c: (studied[c], c))].append(question)
    return {topic: sorted(found[topic]) for topic in found}
