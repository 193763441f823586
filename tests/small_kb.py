"""A small NLP corner of the knowledge base, in the interchange format, for tests."""

STAGES = [
    {"slug": "recruiter-screen", "title": "Recruiter screen", "typical_minutes": 30, "order": 1},
    {"slug": "ml-coding", "title": "ML coding", "typical_minutes": 45, "order": 2},
    {"slug": "ml-concepts", "title": "ML concepts", "typical_minutes": 45, "order": 3},
    {"slug": "ml-system-design", "title": "ML system design", "typical_minutes": 45, "order": 4},
    {"slug": "research-talk", "title": "Research talk", "typical_minutes": 60, "order": 5,
     "research_only": True},
    {"slug": "hiring-manager", "title": "Hiring manager", "typical_minutes": 30, "order": 6},
]  # fmt: skip


def concept(slug: str, hours: float, area: str = "nlp") -> dict:
    return {
        "slug": slug,
        "title": slug.replace("-", " ").capitalize(),
        "area": area,
        "hours": hours,
    }


def loop(stage: str, minutes: int) -> dict:
    return {"stage": stage, "minutes": minutes}


# A small NLP corner of the graph: softmax and linear algebra under attention,
# attention under the transformer, the transformer under BERT.
SMALL_KB = {
    "format": "prepgraph/1",
    "stages": STAGES,
    "concepts": [
        concept("linear-algebra", 2, "math"),
        concept("softmax", 0.5, "fundamentals"),
        concept("self-attention", 3),
        concept("transformer", 4),
        concept("bert", 2),
        concept("tokenization", 1.5),
        concept("k-means", 2, "fundamentals"),
    ],
    "edges": [
        {"from": "linear-algebra", "to": "self-attention"},
        {"from": "softmax", "to": "self-attention"},
        {"from": "self-attention", "to": "transformer"},
        {"from": "transformer", "to": "bert"},
        {"from": "tokenization", "to": "bert", "kind": "recommended"},
    ],
    "resources": [
        {"title": "Attention paper", "url": "https://arxiv.org/abs/1706.03762", "kind": "paper",
         "minutes": 90, "concepts": ["self-attention", "transformer"]},
        {"title": "Linear algebra notes", "url": "https://example.org/la", "kind": "book",
         "minutes": 120, "concepts": ["linear-algebra", "softmax", "tokenization", "k-means"]},
        {"title": "BERT paper", "url": "https://arxiv.org/abs/1810.04805", "kind": "paper",
         "minutes": 60, "concepts": ["bert"]},
    ],
    "questions": [
        {"slug": "implement-attention", "text": "Implement attention in PyTorch.",
         "stage": "ml-coding", "concepts": ["self-attention", "softmax"]},
        {"slug": "what-is-bert", "text": "What is BERT?", "stage": "ml-concepts",
         "concepts": ["bert", "transformer"]},
    ],
    "tracks": [
        {"slug": "nlp", "title": "NLP", "concepts": [
            {"concept": "bert", "weight": 1.0}, {"concept": "transformer", "weight": 0.9},
            {"concept": "tokenization", "weight": 0.5}]},
        {"slug": "ml-fundamentals", "title": "Fundamentals", "concepts": [
            {"concept": "k-means", "weight": 0.6}, {"concept": "softmax", "weight": 0.4}]},
    ],
    "teams": [
        {"slug": "llm-research", "name": "LLM research", "role": "research-scientist",
         "tracks": [{"track": "nlp", "weight": 1.0}, {"track": "ml-fundamentals", "weight": 0.3}],
         "loop": [loop("recruiter-screen", 30), loop("ml-coding", 45), loop("ml-concepts", 45),
                  loop("research-talk", 60), loop("hiring-manager", 30)]},
        {"slug": "ads-ranking", "name": "Ads ranking", "role": "ml-engineer",
         "tracks": [{"track": "ml-fundamentals", "weight": 1.0}],
         "loop": [loop("ml-coding", 45), loop("ml-system-design", 45),
                  loop("research-talk", 60)]},
    ],
    # Knows softmax and the math area (linear algebra), is rusty on self-attention.
    "backgrounds": [
        {"slug": "ml-engineer", "title": "ML engineer",
         "description": "Trains and ships models; rusty on attention.",
         "known_concepts": ["softmax"], "shaky_concepts": ["self-attention"],
         "known_areas": ["math"]},
    ],
}  # fmt: skip
