"""The sandbox page in a real headless Chromium: register a helper by sharing the contact,
complete a check-in that ends red by pressing buttons and typing, see the red warning in the
village pane, run a job from the clock control, save a screenshot. And `make run` without a
token prints the page's address within 30 seconds."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_WITHIN = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_chromium() -> tuple[str, str]:
    """Debian's chromium and chromium-driver, installed here when missing (as root, or with
    sudo); the test is skipped, saying why, only where they can not be installed."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if all(found):
        return found  # type: ignore[return-value]
    if not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and there is no apt-get to install it")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        pytest.skip("chromium is not installed and installing it needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [*sudo, "apt-get", "update", "-qq"],
        [
            *sudo,
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
            "fonts-noto-color-emoji",  # the bot's 🔴 ✅ in the screenshot
        ],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.skip(f"could not install chromium: {result.stderr.strip()[-300:]}")
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found):
        pytest.skip("chromium-driver installed but chromium or chromedriver is not on PATH")
    return found  # type: ignore[return-value]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(extra)
    return env


def wait_for_line(process: subprocess.Popen[str], fragment: str, timeout: float) -> str:
    """The first line of the process's output containing `fragment` (read by a thread, so
    the output keeps draining afterwards)."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stream = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=min(left, 0.5))
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if fragment in line:
            return line
    raise AssertionError(f"no {fragment!r} within {timeout} s; output: {''.join(seen)[-2000:]!r}")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(autouse=True)
def once(database_url: str) -> None:
    """The page and `make run` use their own sandbox database: the PostgreSQL pass of the
    suite would run exactly the same thing again."""
    if not database_url.startswith("sqlite"):
        pytest.skip("uses the sandbox's own SQLite database; runs in the SQLite pass")


def page_process(tmp_path: Path, *extra: str) -> Iterator[str]:
    """`fangfanpin sandbox` in a process of its own; its page's address."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), *extra],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = wait_for_line(process, "Sandbox page:", ADDRESS_WITHIN)
        yield line.split("Sandbox page:")[1].split()[0]
    finally:
        stop(process)


@pytest.fixture
def sandbox_page(tmp_path: Path) -> Iterator[str]:
    yield from page_process(tmp_path)


@pytest.fixture
def browser() -> Iterator[object]:
    chromium, chromedriver = ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_red_checkin_through_the_page(sandbox_page: str, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 20)
    driver.get(sandbox_page)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=pane-private]")))
    assert (
        "李建国"
        in Select(
            driver.find_element(By.CSS_SELECTOR, "[data-testid=person]")
        ).first_selected_option.text
    )

    # The page redraws a pane on every event, so elements are read and clicked in one
    # JavaScript call rather than held between calls.
    def last_bot_text(key: str) -> str:
        return str(
            driver.execute_script(
                "const m = document.querySelectorAll("
                "`[data-testid=pane-${arguments[0]}] [data-testid=bot-message] .text`);"
                "return m.length ? m[m.length - 1].textContent : '';",
                key,
            )
        )

    def wait_bot(key: str, fragment: str) -> None:
        wait.until(lambda _d: fragment in last_bot_text(key), f"{fragment!r} in the {key} pane")

    def find_all(css: str) -> list[Any]:
        return list(driver.find_elements(By.CSS_SELECTOR, css))

    def job_output() -> str:
        return str(driver.find_element(By.CSS_SELECTOR, "[data-testid=job-output]").text)

    def in_view(element: Any) -> bool:
        return bool(
            driver.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "return r.top >= 0 && r.bottom <= window.innerHeight + 1;",
                element,
            )
        )

    def choose(name: str) -> None:
        driver.execute_script(
            "const s = document.querySelector('[data-testid=person]');"
            "s.value = [...s.options].find((o) => o.text.includes(arguments[0])).value;"
            "s.dispatchEvent(new Event('change'));",
            name,
        )
        wait.until(lambda _d: name in last_pane_title(), f"acting as {name}")

    def last_pane_title() -> str:
        return str(
            driver.execute_script(
                "const h = document.querySelector('[data-testid=pane-private] h2');"
                "return h ? h.textContent : '';"
            )
        )

    def type_in(key: str, text: str) -> None:
        field = driver.find_element(By.CSS_SELECTOR, f"[data-testid=input-{key}]")
        field.send_keys(text)
        driver.find_element(By.CSS_SELECTOR, f"[data-testid=send-{key}]").click()

    def press(label: str, then: str) -> None:
        """Press a button of the newest bot message that has it; wait for `then`."""
        click = (
            "const bubbles = [...document.querySelectorAll("
            "'[data-testid=pane-private] [data-testid=bot-message]')].reverse();"
            "for (const b of bubbles) { const button = [...b.querySelectorAll("
            "'[data-testid=button]')].find((x) => x.textContent.includes(arguments[0]));"
            "if (button) { button.click(); return true; } } return false;"
        )
        wait.until(lambda _d: driver.execute_script(click, label), f"a button {label!r}")
        wait_bot("private", then)

    type_in("private", "/start")
    wait_bot("private", "发送您的手机号")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=share-phone]").click()
    wait_bot("private", "常用命令")  # "…您已登记为帮扶责任人…", then the most used commands

    type_in("private", "/checkin")
    wait_bot("private", "请选择")
    press("LX01001", "本次走访方式")
    press("入户", "共同生活")  # members: unchanged
    press("仍为", "上次走访以来，家庭收入有明显变化")
    press("有变化", "近12个月工资性收入")  # not by source yet: the four figures, once
    type_in("private", "1.2万")  # 12,000 yuan for 5 people: below the red line
    for question in ("经营性净收入", "财产性收入", "转移性收入"):
        wait_bot("private", question)
        type_in("private", "0")
    wait_bot("private", "大额刚性支出")
    press("否", "吃饭有保障")
    press("有保障", "衣物")
    press("有保障", "义务教育阶段")
    press("否", "基本医疗保险")
    press("有保障", "看得起病")
    press("有保障", "住房安全")
    press("有保障", "饮水安全")
    press("有保障", "备注")
    press("跳过", "照片")
    press("跳过", "请核对")
    press("确认提交", "已保存")

    wait_bot("village", "🔴 红色预警")
    assert "LX01001" in last_bot_text("village")
    assert "500118197511021743" not in last_bot_text("village")
    wait_bot("township", "🔴 红色预警")

    # A press's answer is shown where the button was: a helper may not acknowledge.
    click_in_village = (
        "const b = [...document.querySelectorAll('[data-testid=pane-village] "
        "[data-testid=button]')].find((x) => x.textContent.includes(arguments[0]));"
        "if (b) b.click(); return Boolean(b);"
    )
    assert driver.execute_script(click_in_village, "确认收到")
    wait.until(
        lambda _d: "无权操作" in " ".join(t.text for t in find_all("[data-testid=toast]")),
        "the toast",
    )

    # The clock control runs a job as `fangfanpin jobs run NAME --at` does, named in the
    # page's language, and says what was delivered.
    Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=job]")).select_by_value("reminders")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=run-job]").click()
    wait.until(lambda _d: "已送达" in job_output(), "the job's report")
    assert job_output().startswith("走访提醒：已生成 1 条消息，已送达 1 条"), job_output()

    # The township staff's /summary: its chart opens enlarged on a tap.
    choose("杨振华")
    type_in("private", "/start")
    wait_bot("private", "发送您的手机号")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=share-phone]").click()
    wait_bot("private", "常用命令")
    type_in("private", "/summary")
    wait.until(lambda _d: find_all("[data-testid=pane-private] [data-testid=photo]"), "a chart")
    find_all("[data-testid=pane-private] [data-testid=photo]")[-1].click()
    lightbox = driver.find_element(By.CSS_SELECTOR, "[data-testid=lightbox]")
    wait.until(lambda _d: lightbox.is_displayed(), "the enlarged chart")
    lightbox.click()
    wait.until(lambda _d: not lightbox.is_displayed(), "the chart closed")

    shot = tmp_path / "sandbox.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    if target := os.environ.get("FANGFANPIN_SCREENSHOT"):
        shutil.copy(shot, target)

    # On a phone (390 × 844): one chat at a time, with tabs that count what is new. A reload
    # keeps who you are acting as.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    driver.refresh()
    wait.until(lambda _d: find_all("[data-testid=tab-village]"), "the tabs")
    person = Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=person]"))
    assert "杨振华" in person.first_selected_option.text  # remembered across the reload
    village = driver.find_element(By.CSS_SELECTOR, "[data-testid=pane-village]")
    private = driver.find_element(By.CSS_SELECTOR, "[data-testid=pane-private]")
    assert private.is_displayed() and not village.is_displayed()
    wait.until(lambda _d: find_all("[data-testid=unread-village]"), "the village tab's badge")
    field = driver.find_element(By.CSS_SELECTOR, "[data-testid=input-private]")
    assert field.is_displayed() and in_view(field), "the input box is on the screen"
    driver.find_element(By.CSS_SELECTOR, "[data-testid=tab-village]").click()
    assert village.is_displayed() and not private.is_displayed()
    assert not find_all("[data-testid=unread-village]")  # read now
    newest = find_all("[data-testid=pane-village] [data-testid=bot-message]")[-1]
    assert "🔴 红色预警" in newest.text and in_view(newest), "the newest warning is in view"
    phone_shot = tmp_path / "sandbox-phone.png"
    driver.save_screenshot(str(phone_shot))
    if target := os.environ.get("FANGFANPIN_SCREENSHOT_PHONE"):
        shutil.copy(phone_shot, target)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # The page's English switch: the page, and the bot for the person acted as; kept too.
    driver.find_element(By.CSS_SELECTOR, "[data-testid=language]").click()
    wait.until(lambda _d: "Share my phone number" in driver.page_source, "English labels")
    wait_bot("private", "The bot now speaks English with you")
    driver.get(sandbox_page)  # no ?lang: the language chosen last
    wait.until(lambda _d: "Share my phone number" in driver.page_source, "English kept")
    type_in("private", "/help")
    wait_bot("private", "Commands:")


def test_make_run_without_a_token_prints_the_page_address(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=ROOT,
        env=clean_env(FANGFANPIN_SANDBOX_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        line = wait_for_line(process, "Sandbox page:", ADDRESS_WITHIN)
        assert f"http://127.0.0.1:{port}/" in line
        assert time.monotonic() - started < ADDRESS_WITHIN
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


@pytest.fixture
def dingtalk_page(tmp_path: Path) -> Iterator[str]:
    yield from page_process(tmp_path, "--platform", "dingtalk")


def test_the_same_page_over_dingtalk(dingtalk_page: str, browser: object, tmp_path: Path) -> None:
    """`fangfanpin sandbox --platform dingtalk`: the person is found by their DingTalk mobile
    on their first message, and buttons are cards that a press updates in place."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 20)
    driver.get(dingtalk_page)
    wait.until(lambda _d: "钉钉" in driver.find_element(By.CSS_SELECTOR, ".hint").text)
    # No Telegram on this page, and no phone number to share: DingTalk knows it.
    private = "[data-testid=input-private]"
    wait.until(lambda _d: driver.find_elements(By.CSS_SELECTOR, private), "the private chat")
    assert "钉钉" in driver.title and "Telegram" not in driver.title
    assert "Telegram" not in driver.find_element(By.CSS_SELECTOR, "header h1").text
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid=share-phone]")

    def bot_texts() -> list[str]:
        return [
            str(t)
            for t in driver.execute_script(
                "return [...document.querySelectorAll("
                "'[data-testid=pane-private] [data-testid=bot-message] .text')]"
                ".map((m) => m.textContent);"
            )
        ]

    def type_in(text: str) -> None:
        driver.find_element(By.CSS_SELECTOR, "[data-testid=input-private]").send_keys(text)
        driver.find_element(By.CSS_SELECTOR, "[data-testid=send-private]").click()

    def press(label: str) -> None:
        click = (
            "const b = [...document.querySelectorAll('[data-testid=pane-private] "
            "[data-testid=button]')].reverse().find((x) => x.textContent.includes(arguments[0]));"
            "if (b) b.click(); return Boolean(b);"
        )
        wait.until(lambda _d: driver.execute_script(click, label), f"a button {label!r}")

    type_in("你好")
    wait.until(lambda _d: any("您已登记为" in t for t in bot_texts()), "registered by mobile")
    type_in("/checkin")
    press("LX01001")
    wait.until(lambda _d: any("本次走访方式" in t for t in bot_texts()), "the card's question")
    cards = len(bot_texts())
    press("入户")
    wait.until(lambda _d: any("共同生活" in t for t in bot_texts()), "the next question")
    assert len(bot_texts()) == cards  # the same card, updated in place
    shot = tmp_path / "sandbox-dingtalk.png"
    driver.save_screenshot(str(shot))
    if target := os.environ.get("FANGFANPIN_SCREENSHOT_DINGTALK"):
        shutil.copy(shot, target)
