"""The HTML report in a real headless browser (Debian's chromium), offline: it renders,
its charts are there and drawn, and a screenshot is taken."""
from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest

from chalicelib import report, report_html
from test_report import filled  # noqa: F401  (a fixture: the table the handlers filled)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        try:
            subprocess.run(["apt-get", "install", "-y", "chromium"], check=True,
                           capture_output=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            pytest.skip(f"chromium is missing and apt-get could not install it: {error}")
    return CHROMIUM


def _browser(chromium, *args: str) -> subprocess.CompletedProcess:
    # No network at view time: every proxy points nowhere, so a fetched asset would fail.
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                           *args], capture_output=True, text=True, timeout=120)


def sample() -> dict:
    now = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)
    records = []
    for n, (region, minutes, event) in enumerate([("us-east-1", 1, "dynamodb:CreateTable"),
                                                  ("ap-south-1", 90, "sqs:CreateQueue"),
                                                  ("sa-east-1", 3000, "scan")]):
        created = now - datetime.timedelta(minutes=minutes)
        records.append({"day": "2026-11-20", "at": f"2026-11-20T12:00:0{n}Z#T#r{n}#ab",
                        "action": "killed", "type": "AWS::SQS::Queue", "id": f"r{n}",
                        "region": region, "account": "123456789012", "event": event,
                        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "reason": "x"})
    start, end = report.period(month="2026-11", now=now)
    return report.build(records, start, end)


def test_the_report_renders_offline_with_drawn_charts(chromium, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(report_html.render(sample()), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = _browser(chromium, "--window-size=1000,2400", f"--screenshot={shot}",
                    page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    dom = _browser(chromium, "--dump-dom", page.as_uri()).stdout
    charts = re.findall(r"<svg.*?</svg>", dom, re.S)
    assert len(charts) >= 4
    for chart in charts:  # each chart has drawn shapes, not just axes
        assert re.search(r'<(path|rect)[^>]*class="[^"]*(rect|line|reactive)', chart), chart[:300]
    assert not re.search(r'(src|href)="https?:', dom)
    pdf = tmp_path / "report.pdf"  # printed (A4 by the page's print CSS)
    _browser(chromium, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    printed = pdf.read_bytes()
    assert printed.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45][.0-9]* 84[12]", printed)  # 210 x 297 mm


def test_an_empty_report_renders_and_says_so(chromium, tmp_path):
    start, end = report.period(month="2026-01")
    page = tmp_path / "empty.html"
    page.write_text(report_html.render(report.build([], start, end)), encoding="utf-8")
    dom = _browser(chromium, "--dump-dom", page.as_uri()).stdout
    assert "No verdicts in this period" in dom and "<svg" not in dom


def test_a_screenshot_of_the_report_the_handlers_filled(chromium, filled, tmp_path):
    """Also makes the README's picture: MONOCYTE_WRITE_DOCS=1 copies it to docs/."""
    import os
    import pathlib

    from test_report import records

    settings, _ = filled
    start, end = report.period("30d")
    page = tmp_path / "report.html"
    page.write_text(report_html.render(report.build(records(), start, end,
                                                    settings.exemptions)), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = _browser(chromium, "--window-size=900,1500", "--hide-scrollbars",
                    f"--screenshot={shot}", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    if os.environ.get("MONOCYTE_WRITE_DOCS"):
        shutil.copy(shot, pathlib.Path(__file__).parent.parent / "docs" / "report.png")
