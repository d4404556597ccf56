"""The report in a real browser: headless Chromium through Selenium (Debian's chromium,
chromium-driver and python3-selenium; scripts/install_deps.sh installs them).

At a 1,280 px wide window, on a report built from a natosim run of the policy study (16
scenarios, few replicates): every image loads (naturalWidth > 0), no element is wider than the
viewport (no clipped table), every figure has an alt text and a caption, and the browser logs no
JavaScript error. Skips with the reason when Chromium or Selenium is missing or cannot start.

NATOSIM_SCREENSHOTS=DIR saves a full-page screenshot of the report (DIR/report_<study>.png), to
look at what an analyst sees.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
PYTHON = "/usr/bin/python3"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH = 1280


def _driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        pytest.skip(f"python3-selenium is not installed ({error}); scripts/install_deps.sh "
                    f"installs it")
    if not Path(CHROMEDRIVER).exists():
        pytest.skip(f"{CHROMEDRIVER} is missing: install chromium and chromium-driver "
                    f"(scripts/install_deps.sh)")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={WIDTH},900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as error:  # noqa: BLE001 - any start-up failure is a skip, with its reason
        pytest.skip(f"Chromium could not start: {str(error).splitlines()[0]}")


@pytest.fixture(scope="module")
def browser():
    driver = _driver()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def policy_report(natosim_bin, source_dir, tmp_path_factory):
    """report.py on a natosim run of configs/policies.toml (16 scenarios, 30 replicates)."""
    folder = tmp_path_factory.mktemp("browser")
    results = folder / "policies.h5"
    done = subprocess.run([str(natosim_bin), "run", str(source_dir / "configs" / "policies.toml"),
                           "--replicates", "30", "-o", str(results), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([PYTHON, str(SCRIPTS / "report.py"), str(results), "-o",
                           str(folder / "report"), "--quiet"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return folder / "report" / "index.html"


def _open(browser, index):
    browser.set_window_size(WIDTH, 900)
    browser.get(index.as_uri())
    # Images load lazily: scroll through the page so every one is fetched.
    browser.execute_script("""
        const images = Array.from(document.images);
        images.forEach(img => { img.loading = 'eager'; img.scrollIntoView(); });
        window.scrollTo(0, 0);""")
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all(Array.from(document.images).map(img => img.complete ? null :
            new Promise(r => { img.onload = img.onerror = r; }))).then(() => done());""")


def test_report_renders_whole_in_chromium(browser, policy_report):
    _open(browser, policy_report)
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth,"
        " i.getAttribute('alt') || '']);")
    assert len(images) >= 5, images
    for src, natural, alt in images:
        assert natural > 0, f"image {src} did not load"
        assert alt.strip(), f"image {src} has no alt text"
    figures = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure')).map(f => "
        "[f.querySelectorAll('img').length, (f.querySelector('figcaption') || {}).textContent"
        " || '']);")
    assert len(figures) == len(images)
    for count, caption in figures:
        assert count == 1 and len(caption.strip()) > 20, caption
    viewport = browser.execute_script("return document.documentElement.clientWidth;")
    assert viewport <= WIDTH
    too_wide = browser.execute_script("""
        const w = document.documentElement.clientWidth, out = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (r.right > w + 0.5 || r.left < -0.5)
            out.push(el.tagName + ' ' + (el.className || '') + ' ' + Math.round(r.left) + '..'
                     + Math.round(r.right));
        }
        return out.concat(document.documentElement.scrollWidth > w ?
                          ['page scrolls sideways: ' + document.documentElement.scrollWidth] : []);
    """)
    assert not too_wide, f"wider than the {viewport} px viewport: {too_wide[:10]}"
    errors = [entry for entry in browser.get_log("browser") if entry.get("level") == "SEVERE"]
    assert not errors, errors
    shots = os.environ.get("NATOSIM_SCREENSHOTS")
    if shots:
        save_screenshot(browser, Path(shots) / "report_policies.png")


def save_screenshot(browser, path: Path):
    """A full-page screenshot at the window's width."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight;")
    browser.set_window_size(WIDTH, min(int(height) + 100, 30000))
    browser.save_screenshot(str(path))
    browser.set_window_size(WIDTH, 900)


def main(argv):
    """Screenshots of existing reports: test_report_browser.py INDEX.html OUT.png [...]"""
    driver = webdriver_or_exit()
    try:
        for index, out in zip(argv[0::2], argv[1::2]):
            _open(driver, Path(index).resolve())
            save_screenshot(driver, Path(out))
            print(out)
    finally:
        driver.quit()
    return 0


def webdriver_or_exit():
    try:
        return _driver()
    except pytest.skip.Exception as skip:
        print(f"cannot take screenshots: {skip}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
