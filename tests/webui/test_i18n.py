"""Chinese first, English on request: the catalogues, their compilation and the switch."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from tests.i18n_check import english_words
from webui.translations import catalogues

BASE_DIR = Path(settings.BASE_DIR)
ENGLISH = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
VENDOR_CHINESE = BASE_DIR / "locale_vendor" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """`make test` compiles before pytest starts; a bare pytest run compiles here, and then
    drops the translations Django has already loaded without the new .mo files."""
    stale = [catalogue.mo for catalogue in catalogues() if catalogue.is_stale]
    call_command("compile_translations", verbosity=0)
    for mo in stale:
        translation_file_changed(sender=None, file_path=mo)


# ------------------------------------------------------------------ the checker

def test_checker_finds_english_words_among_chinese():
    assert english_words("<p>请填写标题。Log out</p><button>Save changes</button>") == [
        "Log", "out", "Save", "changes"]


def test_checker_reads_labels_people_see_but_not_markup():
    html = ('<input type="search" placeholder="Search" data-testid="search-box">'
            '<input type="hidden" name="next" value="dashboard">'
            '<input type="submit" value="Go on">'
            '<a href="/app/items/" class="webui-button" aria-label="目录">目录</a>'
            '<i class="material-icons">description</i>'
            '<button class="material-icons" aria-label="Open menu">menu</button>'
            '<script>window.Turbo = {drive: false};</script><style>body { color: red; }</style>')
    assert english_words(html) == ["Search", "Go", "on", "Open", "menu"]


def test_checker_allows_product_names_and_single_letters():
    text = "导出 PDF、Excel 或 CSV；订阅（Atom）；外部任务 ID；English；第 A 项"
    assert english_words(text) == []


def test_checker_ignores_data_the_page_shows():
    text = ("经办人 zhang.san@example.gov.cn，链接 https://www.example.gov.cn/gk/item/3 与 "
            "/app/items/12/edit，内容指纹 3f9a0c1e77b2d4aa，文件 report2024.docx，"
            "用户名 drafter_office")
    assert english_words(text) == []


def test_checker_takes_words_of_data_a_test_created():
    assert english_words("经办人：wang wei") == ["wang", "wei"]
    assert english_words("经办人：wang wei", extra_allowed=["Wang Wei"]) == []


# ------------------------------------------------------------------ catalogues

def test_english_catalogue_translates_every_chinese_string():
    catalogue = polib.pofile(str(ENGLISH))
    assert catalogue.metadata["Language"] == "en"
    assert not catalogue.metadata_is_fuzzy
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert catalogue.percent_translated() == 100


def test_vendor_catalogue_gives_chinese_for_every_viewflow_string():
    import viewflow

    catalogue = polib.pofile(str(VENDOR_CHINESE))
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    shipped = polib.pofile(str(Path(viewflow.__file__).parent / "locale" / "zh_Hans"
                               / "LC_MESSAGES" / "django.po"))
    ours = {(e.msgctxt, e.msgid) for e in catalogue}
    assert {(e.msgctxt, e.msgid) for e in shipped} - ours == set()


def test_viewflow_labels_read_in_chinese_and_ours_in_english():
    # LOCALE_PATHS come before the apps' catalogues: ours win over viewflow's empty zh_Hans
    # and over Django's own wording (its admin says 注销 for "Log out")
    with translation.override("zh-hans"):
        assert translation.gettext("Applications") == "应用"
        assert translation.gettext("Log out") == "退出登录"
        assert translation.pgettext("STATUS", "Done") == "已完成"
    with translation.override("en"):
        assert translation.gettext("退出登录") == "Log out"
        assert translation.ngettext("%(count)s 条", "%(count)s 条", 2) == "%(count)s items"


def test_placeholders_survive_translation():
    for path in (ENGLISH, VENDOR_CHINESE):
        for entry in polib.pofile(str(path)):
            written = list(entry.msgstr_plural.values()) or [entry.msgstr]
            for text in written:
                assert _placeholders(text) <= _placeholders(entry.msgid) | _placeholders(
                    entry.msgid_plural or ""), (path.name, entry.msgid)


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\(\w+\)(?:\.\d+)?[sdf]|%[sd]|%\.\d+f|\{\w*(?:\.\w+)*\}", text))


def test_compiled_catalogues_are_up_to_date_after_compiling():
    call_command("compile_translations")
    call_command("compile_translations", "--check")
    assert [m for m in run_checks(tags=["translations"]) if m.id == "webui.W001"] == []


def test_a_changed_catalogue_is_reported_until_compiled(settings, tmp_path, capsys):
    po = tmp_path / "en" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="登录", msgstr="Log in"))
    catalogue.save(str(po))
    settings.LOCALE_PATHS = [tmp_path]

    with pytest.raises(CommandError):
        call_command("compile_translations", "--check")
    assert not po.with_suffix(".mo").exists()
    [warning] = run_checks(tags=["translations"])
    assert warning.id == "webui.W001" and "compile_translations" in warning.hint

    call_command("compile_translations")
    assert str(po.with_suffix(".mo")) in capsys.readouterr().out
    assert polib.mofile(str(po.with_suffix(".mo"))).find("登录").msgstr == "Log in"
    call_command("compile_translations", "--check")
    assert run_checks(tags=["translations"]) == []


# ------------------------------------------------------------------ the pages

def test_login_page_is_chinese_whatever_the_browser_asks_for(client, db):
    html = client.get("/app/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "用户名" in html and "密码" in html and "登录" in html
    assert english_words(html) == []


def test_login_page_is_english_for_a_person_who_chose_english(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/app/login/").content.decode()
    assert "Username" in html and "Password" in html and "Log in" in html
    assert "用户名" not in html


def test_language_switch_sets_the_choice_for_later_pages(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/app/login/"})
    assert response.status_code == 302 and response["Location"] == "/app/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Username" in client.get("/app/login/").content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/app/login/"})
    assert "用户名" in client.get("/app/login/").content.decode()


def test_drafters_list_has_no_english_in_chinese(client, org):
    drafter = org["drafter_office"]
    client.force_login(drafter)
    html = client.get("/app/items/").content.decode()
    assert "我的信息" in html
    assert english_words(html, extra_allowed=[drafter.username]) == []


def test_drafters_list_is_english_in_english(client, org):
    client.force_login(org["drafter_office"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/app/items/").content.decode()
    assert "My items" in html and "Log out" in html and "我的信息" not in html


def test_the_english_catalogue_is_valid_for_gettext_tools():
    """makemessages merges with msgmerge, which stops at any syntax error (such as a stale
    `#| msgid_plural` comment without its `#| msgid`): nobody could add strings then."""
    import shutil
    import subprocess

    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext is not installed")
    check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(ENGLISH)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
