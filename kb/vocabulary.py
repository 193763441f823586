"""Names the whole project shares, defined once: the slug pattern and the edge kinds.

Pure constants (no Django), so the planner core, the interchange schema, the
models and the API all read the same ones.
"""

# A slug: lowercase letters and digits in words joined by single hyphens.
SLUG_WORD = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_PATTERN = rf"^{SLUG_WORD}$"
SLUG_LIST_PATTERN = rf"^(?:{SLUG_WORD}(?:,{SLUG_WORD})*)?$"  # "a,b,c" or empty

# Edge kinds: a required prerequisite blocks its dependent; a recommended one helps.
REQUIRED = "required"
RECOMMENDED = "recommended"
EDGE_KINDS = (REQUIRED, RECOMMENDED)

# A practice concept rehearses one stage of the loop (the job talk, the coding round): an
# `interviewing` concept asked in exactly one stage. Interviewing concepts asked in several
# stages (the career story) are general preparation.
PRACTICE_AREA = "interviewing"
