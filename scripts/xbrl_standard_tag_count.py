"""How many FinLoRA XBRL test prompts the standard-tag choice (finlora_xbrl) answers without
the model, and how many of those are right; no model is loaded.

    python scripts/xbrl_standard_tag_count.py [OUT.json]
"""

from __future__ import annotations

import json
import sys

from finlora import tasks
from finlora.tasks.answers import Grounded, Labels

out = {}
for name in ("xbrl_tags", "xbrl_value", "xbrl_formula"):
    t = tasks.get(name)
    exs = t.load("test")
    free = right = model = model_choices = 0
    for ex in exs:
        space = t.answer_space(ex)
        if isinstance(space, Labels):
            if len(space.labels) == 1:
                free += 1
                right += t.is_correct(t.parse_answer(space.labels[0], ex), ex)
            else:
                model += 1
                model_choices += 1
        elif isinstance(space, Grounded):
            multi = [c for c in space.choices if len(c.labels) > 1]
            if not multi:
                free += 1
                text = space.answer(tuple(c.labels[0] for c in space.choices)) or ""
                right += t.is_correct(t.parse_answer(text, ex) if text else None, ex)
            else:
                model += 1
                model_choices += len(multi)
        else:
            model += 1
    out[name] = {"n": len(exs), "no_model": free, "no_model_right": right, "need_model": model,
                 "model_choices": model_choices}
    print(name, out[name], flush=True)
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as handle:
        json.dump(out, handle, indent=1)
