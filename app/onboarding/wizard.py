"""The guided set-up of a township: steps, what each keeps, how each is checked, and the finish.

Each step stores what was typed in the draft before it is checked, so leaving, coming back or a
validation error never loses anything. Finishing turns the draft into a township profile and
loads it with `load_profile` (the same all-or-nothing path as the CLI), then grants or invites
the first administrator.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.operations import find_user
from app.divisions import catalog
from app.extensions import db
from app.onboarding.models import OnboardingDraft
from app.service_models import REGISTRY, SettingsError, parse_settings
from app.townships.models import Township
from app.townships.operations import SLUG_RE
from app.townships.profiles import ProfileError, load_profile
from app.validation import phone_error

STEPS = ("place", "villages", "admin", "centres", "services", "review")
DEFAULT_CENTRES = ("经济发展服务中心", "社会事务服务中心", "综治信访服务中心")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,60}$")


def profiles_dir() -> Path:
    return Path(current_app.root_path).parent / "tenants"


def available_profiles() -> list[tuple[str, str]]:
    """(file name, township name) of every profile in tenants/."""
    found = []
    for path in sorted(profiles_dir().glob("*.toml")):
        try:
            name = tomllib.loads(path.read_text(encoding="utf-8"))["township"]["name"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            continue
        found.append((path.name, name))
    return found


def start(owner, profile: str | None = None) -> OnboardingDraft:
    """A new draft, empty or set up like a profile in tenants/ (its people are not copied)."""
    data: dict[str, Any] = {"place": {}, "villages": [], "admin": {},
                            "centres": list(DEFAULT_CENTRES), "services": {}, "catalogue": [],
                            "settings": {}, "source": None}
    if profile:
        names = dict(available_profiles())
        if profile not in names:
            raise ValueError("没有这个样板")
        source = tomllib.loads((profiles_dir() / profile).read_text(encoding="utf-8"))
        data["source"] = names[profile]
        data["villages"] = [{"name": v["name"], "division_code": v.get("division_code") or "",
                             "is_community": bool(v.get("is_community")),
                             "grids": list(v.get("grids", []))}
                            for v in source.get("villages", [])]
        data["centres"] = [c["name"] for c in source.get("centres", [])]
        data["services"] = {key: dict(values) for key, values in
                            (source.get("services") or {}).items()}
        data["catalogue"] = list(source.get("service_items", []))
        data["settings"] = dict(source.get("settings") or {})
    draft = OnboardingDraft(owner_id=owner.id, data=data)
    db.session.add(draft)
    db.session.flush()
    return draft


def _save(draft: OnboardingDraft, key: str, value) -> None:
    data = dict(draft.data)
    data[key] = value
    draft.data = data  # a new dict, so the JSON column is written


# ---------------------------------------------------------------- place

def save_place(draft: OnboardingDraft, form: dict[str, str], user=None) -> dict[str, str]:
    """With `user`: the township must also be one `user` may set up (may_onboard)."""
    place = {k: (form.get(k) or "").strip() for k in
             ("province", "city", "county", "township", "name", "slug", "code", "phone",
              "address")}
    link = _link(draft)
    if link is not None and link.division_code:
        # A link names its township: the place is that one, whatever was sent.
        kept = draft.data.get("place", {})
        for level in ("province", "city", "county"):
            place[level] = kept.get(level, "")
        place["township"] = link.division_code
    place["slug"] = place["slug"].lower()
    place["code"] = place["code"].upper()
    picked = catalog.get(place["township"]) if place["township"] else None
    if picked is not None and picked.level == 4:
        if not place["name"]:
            place["name"] = picked.name
        # Picking (another) township replaces the villages with its official list.
        if draft.data.get("villages_from") != picked.code:
            _save(draft, "villages", [
                {"name": v.short_name, "division_code": v.code, "is_community": v.is_community,
                 "grids": []} for v in catalog.children(picked.code)])
            _save(draft, "villages_from", picked.code)
        chain = catalog.path_to(picked.code)
        place["county_name"] = "".join(d.name for d in chain[:3] if d.name not in (
            "市辖区", "县", "省直辖县级行政区划"))
    _save(draft, "place", place)
    errors = {}
    refusal = _place_refusal(draft, place, user, link)
    if refusal:
        errors["township"] = refusal
    if not place["name"]:
        errors["name"] = "请填写乡镇（街道）名称，或从区划中选择。"
    if not SLUG_RE.match(place["slug"]):
        errors["slug"] = "网址代码须为 3–40 位小写字母、数字或连字符，以字母开头。"
    elif db.session.scalar(select(Township.id).where(Township.slug == place["slug"])):
        errors["slug"] = "该网址代码已被使用。"
    if not re.fullmatch(r"[A-Z]{2,8}", place["code"]):
        errors["code"] = "编号前缀须为 2–8 位大写字母，如 HGZ。"
    return errors


def _link(draft: OnboardingDraft):
    from app.onboarding.models import OnboardingLink

    return db.session.get(OnboardingLink, draft.link_id) if draft.link_id else None


def _place_refusal(draft, place, user, link) -> str | None:
    """Why this township cannot be set up here: its division code already has a township, or
    it is not one `user` may set up."""
    from app.onboarding.access import may_onboard

    code = place.get("township") or ""
    if code:
        owner = db.session.scalar(select(Township.name).where(Township.division_code == code))
        if owner:
            return f"区划代码 {code} 已属于{owner}，一个乡镇只能开通一次。"
    if user is None or user.is_operator:
        return None
    if link is not None and not link.division_code:
        return None  # a link naming the township without the division list
    if not code:
        return "请在区划中选择您所管县（区）的乡镇。"
    if not may_onboard(user, code):
        return "这个乡镇不在您所管的县（区）内。"
    return None


# ---------------------------------------------------------------- villages

def save_villages(draft: OnboardingDraft, form) -> dict[str, str]:
    rows = []
    for index in range(int(form.get("count") or 0)):
        if not form.get(f"keep-{index}"):
            continue
        rows.append({"name": (form.get(f"name-{index}") or "").strip(),
                     "division_code": (form.get(f"code-{index}") or "").strip(),
                     "is_community": bool(form.get(f"community-{index}")),
                     "grids": [g.strip() for g in (form.get(f"grids-{index}") or "").split("、")
                               if g.strip()]})
    for line in (form.get("extra") or "").splitlines():
        if line.strip():
            rows.append({"name": line.strip(), "division_code": "", "is_community": False,
                         "grids": []})
    _save(draft, "villages", rows)
    errors = {}
    names = [r["name"] for r in rows]
    if not rows:
        errors["villages"] = "至少保留一个村（社区）。"
    elif "" in names:
        errors["villages"] = "每个村（社区）都要有名称。"
    elif len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        errors["villages"] = f"村名重复：{'、'.join(dupes)}。"
    bad = [r["name"] for r in rows if r["division_code"] and
           not re.fullmatch(r"\d{12}", r["division_code"])]
    if bad and "villages" not in errors:
        errors["villages"] = f"区划代码须为 12 位数字：{'、'.join(bad)}。"
    return errors


# ---------------------------------------------------------------- the first administrator

def save_admin(draft: OnboardingDraft, form, owner) -> dict[str, str]:
    admin = {k: (form.get(k) or "").strip() for k in ("name", "username", "phone")}
    if draft.link_id:
        # Through a link, the first administrator is the person it was issued to: the owner.
        admin = {"name": owner.name, "username": owner.username,
                 "phone": admin["phone"] or owner.phone or ""}
    _save(draft, "admin", admin)
    errors = {}
    if not admin["name"]:
        errors["name"] = "请填写管理员姓名。"
    if not USERNAME_RE.match(admin["username"]):
        errors["username"] = "用户名须为 3–60 位字母、数字、下划线、点或连字符。"
    elif admin["username"] != owner.username and find_user(admin["username"]) is not None:
        errors["username"] = "该用户名已被使用；若是您本人，请填写您自己的用户名。"
    if phone_error(admin["phone"]):
        errors["phone"] = phone_error(admin["phone"])
    return errors


# ---------------------------------------------------------------- centres and services

def save_centres(draft: OnboardingDraft, form) -> dict[str, str]:
    centres = [line.strip() for line in (form.get("centres") or "").splitlines()
               if line.strip()]
    _save(draft, "centres", centres)
    if len(set(centres)) != len(centres):
        return {"centres": "中心名称重复。"}
    if any(len(c) > 60 for c in centres):
        return {"centres": "中心名称不超过 60 字。"}
    return {}


def save_services(draft: OnboardingDraft, values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """`values`: per model key, {"enabled": bool, <setting>: value, ...} as submitted."""
    _save(draft, "services", values)
    errors = {}
    for key, entry in values.items():
        if not entry.get("enabled"):
            continue
        settings = {k: v for k, v in entry.items() if k != "enabled"}
        try:
            parse_settings(REGISTRY[key].settings_class, settings)
        except SettingsError as exc:
            errors[key] = "；".join(f"{k}: {v}" for k, v in exc.errors.items())
    if values.get("one_stop", {}).get("enabled") and not draft.data.get("centres"):
        errors["one_stop"] = "一站三中心须至少设一个中心（上一步）。"
    return errors


# ---------------------------------------------------------------- finishing

def check_all(draft: OnboardingDraft, owner) -> dict[str, dict[str, str]]:
    """Every step checked again against what is stored (someone may have taken the slug).

    The steps' own checks run on a copy outside the session, so checking stores nothing.
    """
    data = draft.data
    probe = OnboardingDraft(data=dict(data), link_id=draft.link_id)
    problems = {}
    for step, check in (("place", lambda: save_place(probe, data.get("place", {}), owner)),
                        ("admin", lambda: save_admin(probe, data.get("admin", {}), owner)),
                        ("centres", lambda: save_centres(
                            probe, {"centres": "\n".join(data.get("centres", []))})),
                        ("services", lambda: save_services(probe, data.get("services", {})))):
        errors = check()
        if errors:
            problems[step] = errors
    village_errors = _check_villages(data.get("villages", []))
    if village_errors:
        problems["villages"] = village_errors
    return problems


def _check_villages(rows) -> dict[str, str]:
    form = {"count": str(len(rows))}
    for i, row in enumerate(rows):
        form.update({f"keep-{i}": "1", f"name-{i}": row["name"],
                     f"code-{i}": row.get("division_code", ""),
                     f"community-{i}": "1" if row.get("is_community") else "",
                     f"grids-{i}": "、".join(row.get("grids", []))})
    probe = OnboardingDraft(data={"villages": rows})
    return save_villages(probe, form)


def as_profile(draft: OnboardingDraft) -> dict[str, Any]:
    """The draft in the township-profile format of tenants/ (see tenants/README.md)."""
    data = draft.data
    place, admin = data["place"], data["admin"]
    centres = list(data.get("centres", []))
    info = {k: v for k, v in {
        "name": place["name"], "slug": place["slug"], "code": place["code"],
        "division_code": place.get("township") or None,
        "county": place.get("county_name") or None, "phone": place.get("phone") or None,
        "address": place.get("address") or None}.items() if v}
    return {
        "township": info,
        "settings": data.get("settings", {}),
        "services": {key: {**entry, "enabled": bool(entry.get("enabled"))}
                     for key, entry in data.get("services", {}).items()},
        "centres": [{"name": c} for c in centres],
        "service_items": [i for i in data.get("catalogue", []) if i.get("centre") in centres],
        "villages": [{k: v for k, v in row.items() if v not in ("", None, [])} | {
            "name": row["name"]} for row in data.get("villages", [])],
        "staff": [{"name": admin["name"], "username": admin["username"],
                   **({"phone": admin["phone"]} if admin.get("phone") else {}),
                   "roles": [Role.TOWNSHIP_ADMIN.value]}],
    }


def finish(draft: OnboardingDraft, owner):
    """Create the township. Returns (township, admin user). Raises ProfileError on a problem."""
    if draft.created_township is not None:
        raise ProfileError("这个草稿已经建成乡镇了。")
    problems = check_all(draft, owner)
    if problems:
        raise ProfileError("还有未通过检查的步骤：" + "、".join(problems))
    township = load_profile(as_profile(draft), with_people=True)
    if township.division_code and township.county_id is None:
        from app.counties.models import County

        township.county_id = db.session.scalar(select(County.id).where(
            County.code == township.division_code[:6]))
    admin = find_user(draft.data["admin"]["username"])  # made (or found) by load_profile
    draft.created_township = township.id
    draft.step = "done"
    db.session.flush()
    return township, admin
