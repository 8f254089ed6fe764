"""Township profiles: all-or-nothing loading with errors that name the line; export and reload."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.townships.models import Township
from app.townships.profiles import PROFILE_DIR

BAD = """[township]
name = "坏镇"
slug = "huaizhen"
code = "HZ"

[[centres]]
name = "社会事务服务中心"

[[villages]]
name = "东村"

[[households]]
village = "东村"
head = "张三"

[[households]]
village = "西村"
head = "李四"
"""


def test_a_bad_profile_names_the_line_and_leaves_nothing(app, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["minqing", "load-profile", str(path),
                                                "--with-people"])
    assert result.exit_code != 0
    assert "第 16 行" in result.output and "西村" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Township)) == 0


def test_export_then_load_as_another_town(app, tmp_path):
    runner = app.test_cli_runner()
    demo = PROFILE_DIR / "baodi-haogezhuang.toml"
    assert runner.invoke(args=["minqing", "load-profile", str(demo)]).exit_code == 0
    exported = runner.invoke(args=["minqing", "export-profile", "haogezhuang"]).output
    assert "经济发展服务中心" in exported and "[services.one_stop]" in exported
    copy = tmp_path / "copy.toml"
    copy.write_text(exported, encoding="utf-8")
    result = runner.invoke(args=["minqing", "load-profile", str(copy), "--slug", "xinzhen",
                                 "--name", "新镇", "--code", "XZ"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.catalogue.models import ServiceItem
        from app.tenancy import bind_township

        town = db.session.scalar(select(Township).where(Township.slug == "xinzhen"))
        bind_township(db.session, town.id)
        assert town.service_enabled("one_stop") and town.service_enabled("proxy")
        assert db.session.scalar(select(func.count()).select_from(ServiceItem)) == 5
        # An item's own intake questions travel with the profile.
        dibao = db.session.scalar(select(ServiceItem).where(ServiceItem.name == "最低生活保障申请"))
        assert [q["label"] for q in dibao.questions] == ["家庭人口", "致贫原因"]
        assert dibao.questions[1]["choices"] == ["因病", "因残", "缺劳力", "其他"]
