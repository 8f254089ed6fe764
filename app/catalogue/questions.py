"""A service item's own intake questions (e.g. 种植面积 for a seed subsidy), asked wherever the
item is taken in: at the hall's window, at the village station (the proxy errand form) and online.

Every channel uses the same three pieces, so an item asks the same questions everywhere:

- in a template, the macro `questions` of `templates/catalogue/_questions.html` renders the
  fields: ``{% from "catalogue/_questions.html" import questions %}{{ questions(item, values,
  errors) }}`` (`values` the answers typed so far, `errors` from `read_answers`);
- in the view, `read_answers(item, request.form)` gives ``(answers, errors)``: `errors` maps a
  question's key to its message (re-render with status 422), `answers` is what to store;
- `store_answers(extra, answers)` puts them on the matter (``Matter.extra["answers"]``, with each
  question's label, so the record reads the same after the item's questions change), and
  `answers_of(matter)` / `answers_text(matter)` read them back for the receipt and the Excel export.

A question is a dict in ``ServiceItem.questions``: ``{"key": "q1", "label": "种植面积（亩）",
"kind": "number", "required": true, "choices": []}``; kinds are text, number, date and choice.
Administrators write them one per line on the catalogue page (`parse_questions`), e.g.
``种植面积（亩）|数字|必填`` or ``作物|选项|必填|玉米/水稻/大豆``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

KINDS = {"text": _l("文字"), "number": _l("数字"), "date": _l("日期"), "choice": _l("选项")}
# What administrators may type for a kind, in either language.
KIND_WORDS = {"文字": "text", "文本": "text", "text": "text", "数字": "number",
              "number": "number", "日期": "date", "date": "date", "选项": "choice",
              "选择": "choice", "choice": "choice"}
REQUIRED_WORDS = {"必填", "required", "是"}
MAX_QUESTIONS = 12
FIELD_PREFIX = "answer-"


class QuestionError(ValueError):
    """A line of the questions that cannot be read; the message is for the administrator."""


def parse_questions(text: str | None) -> list[dict]:
    """Questions from the catalogue form's lines ``标签|类型|必填|选项1/选项2``.

    Type and 必填 are optional (text, not required). Keys are q1, q2 … in order.
    """
    questions = []
    for number, line in enumerate((text or "").splitlines(), 1):
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if not parts[0]:
            continue
        label = parts[0][:60]
        kind = KIND_WORDS.get((parts[1] if len(parts) > 1 else "").lower() or "text")
        if kind is None:
            raise QuestionError(_("第 %(n)s 行：类型只能是文字、数字、日期或选项。", n=number))
        required = len(parts) > 2 and parts[2].lower() in REQUIRED_WORDS
        choices = [c.strip() for c in (parts[3] if len(parts) > 3 else "").replace("、", "/")
                   .split("/") if c.strip()]
        if kind == "choice" and len(choices) < 2:
            raise QuestionError(_("第 %(n)s 行：选项题至少要有两个选项，用 / 分开。", n=number))
        questions.append({"key": f"q{len(questions) + 1}", "label": label, "kind": kind,
                          "required": required, "choices": choices if kind == "choice" else []})
    if len(questions) > MAX_QUESTIONS:
        raise QuestionError(_("每个事项最多 %(n)s 个问题。", n=MAX_QUESTIONS))
    return questions


def questions_text(questions: list[dict] | None) -> str:
    """The lines `parse_questions` reads, for editing."""
    words = {"text": "文字", "number": "数字", "date": "日期", "choice": "选项"}
    lines = []
    for q in questions or []:
        parts = [q["label"], words.get(q.get("kind"), "文字"), "必填" if q.get("required") else ""]
        if q.get("choices"):
            parts.append("/".join(q["choices"]))
        lines.append("|".join(parts).rstrip("|"))
    return "\n".join(lines)


def questions_of(item) -> list[dict]:
    return list(getattr(item, "questions", None) or []) if item is not None else []


def field_name(question: dict) -> str:
    return FIELD_PREFIX + question["key"]


def typed_values(item, formdata) -> dict[str, str]:
    """What was typed for each question (to re-render a form keeping it)."""
    return {q["key"]: (formdata.get(field_name(q)) or "").strip() for q in questions_of(item)}


def read_answers(item, formdata) -> tuple[list[dict], dict[str, str]]:
    """The item's answers from submitted form data, checked by type: (answers, errors)."""
    answers, errors = [], {}
    for q in questions_of(item):
        raw = (formdata.get(field_name(q)) or "").strip()[:200]
        if not raw:
            if q.get("required"):
                errors[q["key"]] = _("请填写“%(label)s”。", label=q["label"])
            continue
        kind = q.get("kind", "text")
        value: str = raw
        if kind == "number":
            try:
                number = Decimal(raw.replace(",", "").replace("，", ""))
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors[q["key"]] = _("“%(label)s”须填写数字。", label=q["label"])
                continue
            value = format(number.normalize(), "f")
        elif kind == "date":
            try:
                value = date.fromisoformat(raw).isoformat()
            except ValueError:
                errors[q["key"]] = _("“%(label)s”须填写日期（如 2026-03-01）。", label=q["label"])
                continue
        elif kind == "choice" and raw not in (q.get("choices") or []):
            errors[q["key"]] = _("请从“%(label)s”的选项中选择。", label=q["label"])
            continue
        answers.append({"key": q["key"], "label": q["label"], "kind": kind, "value": value})
    return answers, errors


def store_answers(extra: dict | None, answers: list[dict]) -> dict:
    """`extra` with the answers set (a new dict: JSON columns notice a new value)."""
    out = dict(extra or {})
    if answers:
        out["answers"] = answers
    return out


def answers_of(matter) -> list[dict]:
    return list((getattr(matter, "extra", None) or {}).get("answers") or [])


def answers_text(matter) -> str:
    """「种植面积（亩）：12；作物：玉米」 for a spreadsheet cell."""
    return "；".join(f"{a['label']}：{a['value']}" for a in answers_of(matter))
