"""finlora.tasks: typed financial tasks — prompt, answer parser, metric and data in one object.

    from finlora import tasks
    fpb = tasks.get("fpb")
    examples = fpb.load("test")
    fpb.score([fpb.parse_answer(text, ex) for text, ex in zip(outputs, examples)], examples)

Training and evaluation use the same task objects. This layer imports no torch.
"""

from finlora.tasks.answers import AnswerSpace, Choice, FreeText, Grounded, LabelLists, Labels
from finlora.tasks.base import Example, Split, Task
from finlora.tasks.classification import LabelTask
from finlora.tasks.finlora_xbrl import FinLoRAXBRL
from finlora.tasks.headline import Headline
from finlora.tasks.ner import NER
from finlora.tasks.registry import GROUPS, get, get_many, names, register
from finlora.tasks.sentiment import Sentiment
from finlora.tasks.xbrl_extraction import XBRLExtraction
from finlora.tasks.xbrl_tagging import XBRLTagging

__all__ = ["GROUPS", "NER", "AnswerSpace", "Choice", "Example", "FinLoRAXBRL", "FreeText",
           "Grounded", "Headline", "LabelLists", "LabelTask", "Labels", "Sentiment", "Split",
           "Task", "XBRLExtraction", "XBRLTagging", "get", "get_many", "names", "register"]
