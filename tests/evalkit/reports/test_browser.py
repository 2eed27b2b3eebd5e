"""The viewer page in a real browser: headless Chromium, driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no port, no extra package), loads the page from disk; the tests
read its console, click, choose filters, type, and read the DOM.

Skipped, saying so, where no Chromium is installed (``.ci/run`` installs Debian's ``chromium``).
``scripts/view_bench.py`` drives the same :class:`Browser` for its load and filter timings.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         "--disable-extensions", "--mute-audio", "--window-size=1280,900")


def find_chromium() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools protocol on fds 3/4."""

    def __init__(self, binary: str, profile: Path, timeout: float = 60.0):
        self.timeout = timeout
        cmd_r, cmd_w = os.pipe()  # we write commands; Chromium reads its fd 3
        res_r, res_w = os.pipe()  # Chromium writes replies and events to its fd 4; we read
        # moved above 10 so that putting them on 3 and 4 in the child never overwrites the other
        child_in = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(res_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (cmd_r, res_w):
            os.close(fd)

        def on_fds_3_and_4() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=on_fds_3_and_4, close_fds=False)
        os.close(child_in)
        os.close(child_out)
        self.out, self.inp = cmd_w, res_r
        self.buffer = b""
        self.next_id = 0
        self.events: List[Dict[str, Any]] = []
        self.session: Optional[str] = None
        try:
            deadline = time.monotonic() + timeout
            while True:  # the first tab may appear a moment after the browser answers
                page = next((t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"), None)
                if page is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            if page is None:
                page = {"targetId": self.call("Target.createTarget", url="about:blank")["targetId"]}
            self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    # --- the protocol -------------------------------------------------------------------------------

    def _read(self, deadline: float) -> Dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no reply from Chromium in time")
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the pipe (exit code {self.proc.poll()})")
                self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, **params: Any) -> Dict[str, Any]:
        self.next_id += 1
        msg: Dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30.0) -> Dict[str, Any]:
        for i, e in enumerate(self.events):
            if e["method"] == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("method") == method:
                return reply
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float = 0.2) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                reply = self._read(deadline)
                if "method" in reply:
                    self.events.append(reply)
        except BrowserError:
            pass

    # --- what the tests do ----------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Load ``url`` afresh (also when only its fragment differs from the page shown)."""
        if url != "about:blank" and self.js("location.href").split("#")[0] == url.split("#")[0]:
            self.open("about:blank")
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """The value of ``expression`` in the page (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                      "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a <select> as a user does (the value changes, then 'change' fires)."""
        self.js(f"(() => {{ const s = document.querySelector({json.dumps(selector)}); s.focus();"
                f"s.value = {json.dumps(value)}; s.dispatchEvent(new Event('input', {{bubbles: true}}));"
                "s.dispatchEvent(new Event('change', {bubbles: true})); })()")

    def type(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def problems(self) -> List[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        self.pump(0.3)
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')} "
                           f"{(p['exceptionDetails'].get('exception') or {}).get('description', '')}")
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (getattr(self, "out", None), getattr(self, "inp", None)):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- the tests --------------------------------------------------------------------------------------

XSS_RUN = "A<img src=x onerror=window.pwned3=1>"
SCRIPT = "</script><script>window.pwned=1</script> B"
IMG = "<img src=x onerror=\"window.pwned=2\"> The answer is A"


@pytest.fixture(scope="module")
def chromium_binary() -> str:
    found = find_chromium()
    if not found:
        pytest.skip("no Chromium on PATH (.ci/run installs Debian's chromium; on Debian/Ubuntu: "
                    "apt-get install chromium): the viewer's browser tests are skipped")
    return found


@pytest.fixture
def browser(chromium_binary, tmp_path):
    with Browser(chromium_binary, tmp_path / "profile") as b:
        yield b


@pytest.fixture
def pages(cli, replay_run, videomme_targets, tmp_path):
    """Two replay runs (A's replies include a script and an <img> payload; its name holds markup)
    and a run that decoded 8 frames per video; the viewer page of all three."""
    a = dict(videomme_targets)
    a.update({"001-2": SCRIPT, "001-3": IMG, "002-3": "I cannot tell", "004-1": "A"})
    b = dict(videomme_targets)
    b.update({"001-1": "A", "003-1": "D"})
    run_a, run_b = replay_run(XSS_RUN, a), replay_run("B", b)
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=8", name="decoded")
    assert code == 0, out
    page = tmp_path / "site" / "view.html"
    code, out = cli("view", run_a, run_b, cli.output / "decoded", "--out", page)
    assert code == 0, out
    return page


def visible(b: Browser) -> List[str]:
    return b.js("Array.from(document.querySelectorAll('#list article.card')).map(c => c.dataset.id)")


def count(b: Browser) -> int:
    return int(b.js("document.getElementById('count').dataset.n"))


def data_of(page: Path) -> Dict[str, Any]:
    import re

    text = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="evalkit-data">(.*?)</script>', text, re.S).group(1))


def test_page_loads_from_disk_without_console_errors_and_its_thumbnails_load(browser, pages):
    browser.open(pages.as_uri())
    assert browser.js("document.body.dataset.ready") == "1"
    assert count(browser) == 12 and len(visible(browser)) == 12
    assert browser.js("document.querySelectorAll('#list .strip img').length") == 12  # one strip per sample
    for k in range(12):  # scroll each lazily loaded strip into view and wait for it
        ok = browser.js(f"(async () => {{ const img = document.querySelectorAll('#list .strip img')[{k}];"
                        "img.scrollIntoView(); for (let i = 0; i < 100 && !(img.complete && img.naturalWidth); i++)"
                        "  await new Promise(r => setTimeout(r, 50));"
                        "return [img.complete, img.naturalWidth, img.width, img.getAttribute('src')]; })()")
        assert ok[0] and ok[1] > 0 and ok[1] == ok[2], ok
        assert ok[3].startswith("view_files/") and ok[3].endswith(".jpg")
    labels = browser.js("Array.from(document.querySelectorAll('#list .strip .times')[0].children).map(s => s.textContent)")
    assert labels == ["0.75s", "2.25s", "3.75s", "5.25s", "6.75s", "8.25s", "9.75s", "11.25s"]
    assert browser.problems() == []


def test_script_payloads_in_responses_and_run_names_do_not_run(browser, pages):
    browser.open(pages.as_uri())
    browser.pump(0.5)
    assert browser.js("[typeof window.pwned, typeof window.pwned3]") == ["undefined", "undefined"]
    shown = browser.js("Array.from(document.querySelectorAll('.resp')).map(p => p.textContent)")
    assert SCRIPT in shown and IMG in shown  # shown as the text the model wrote
    assert browser.js("document.querySelectorAll('#list img:not(.strip img), #list script, img[src=\"x\"]').length") == 0
    assert XSS_RUN in browser.js("document.getElementById('runs').textContent")
    assert browser.js("document.title").startswith("evalkit samples: " + XSS_RUN)
    assert browser.problems() == []


def test_filters_change_the_visible_samples_and_their_counts(browser, pages):
    data = data_of(pages)
    browser.open(pages.as_uri())
    browser.choose("#f-facet-0", "long")  # duration
    assert visible(browser) == ["004-1", "004-2", "004-3"]
    assert "long (3)" in browser.js("Array.from(document.querySelectorAll('#f-facet-0 option')).map(o => o.textContent)")
    assert "duration=long" in browser.js("location.hash")
    browser.choose("#f-facet-0", "")
    # outcome of one run: what the page data says, run by run
    for j, run in enumerate(data["runs"]):
        browser.choose("#f-run", str(j))
        browser.choose("#f-outcome", "wrong")
        expect = [s["id"] for s in data["samples"] if s["R"][j]["o"]["official"] == "w"]
        assert visible(browser) == expect and count(browser) == len(expect), run["name"]
    browser.choose("#f-run", "0")
    browser.choose("#f-outcome", "unparsed")
    assert visible(browser) == ["002-3"]
    browser.choose("#f-outcome", "")
    # flips between A and B, both ways: A right and B wrong, then the reverse
    browser.choose("#f-a", "0")
    browser.choose("#f-b", "1")
    browser.choose("#f-flip", "down")
    assert visible(browser) == ["001-1", "003-1"]
    browser.choose("#f-flip", "up")
    assert visible(browser) == ["004-1"]
    browser.choose("#f-flip", "either")
    assert visible(browser) == ["001-1", "003-1", "004-1"]
    assert "right in A, wrong in B (B lower) (2)" in browser.js(
        "Array.from(document.querySelectorAll('#f-flip option')).map(o => o.textContent)")
    browser.choose("#f-b", "2")  # A against the decoding run: the flips follow the chosen pair
    expect = [s["id"] for s in data["samples"]
              if s["R"][0]["s"]["official"] is not None and s["R"][2]["s"]["official"] is not None
              and s["R"][0]["s"]["official"] != s["R"][2]["s"]["official"]]
    assert visible(browser) == expect
    browser.click("#f-reset")  # a real mouse click
    assert count(browser) == 12
    browser.type("#f-q", "PWNED=2")  # free text, any case
    browser.pump(0.4)
    assert visible(browser) == ["001-3"]
    assert browser.problems() == []


def test_url_fragment_sets_the_filters_and_paging_works(browser, pages, tmp_path):
    from evalkit.reports.viewer import hash_link, render

    url = pages.as_uri()
    browser.open(hash_link(url, facets={"task_type": "Counting Problem"}, flip="down", a=XSS_RUN, b="B"))
    assert visible(browser) == ["001-1", "003-1"]
    assert browser.js("document.getElementById('f-flip').value") == "down"
    browser.open(hash_link(url, id="002-2"))
    assert visible(browser) == ["002-2"]
    browser.js("location.hash = '#outcome=failed&run=any'")  # a fragment changed in place
    browser.pump(0.3)
    assert visible(browser) == [] and "No sample matches" in browser.js("document.getElementById('list').textContent")
    small = data_of(pages)
    small["page"] = 5
    (pages.parent / "paged.html").write_text(render(small), encoding="utf-8")
    browser.open((pages.parent / "paged.html").as_uri())
    assert visible(browser) == ["001-1", "001-2", "001-3", "002-1", "002-2"]
    browser.click("#pager-top button:last-child")
    assert visible(browser) == ["002-3", "003-1", "003-2", "003-3", "004-1"]
    assert "page=2" in browser.js("location.hash")
    browser.choose("#f-facet-0", "long")  # a new filter starts at its first page
    assert visible(browser) == ["004-1", "004-2", "004-3"]
    assert browser.problems() == []


def test_leaderboard_and_compare_links_open_the_filtered_samples(browser, cli, replay_run, videomme_targets, tmp_path):
    a = replay_run("a", videomme_targets)
    b = replay_run("b", {**videomme_targets, "004-1": "A", "004-2": "A"})
    board, cmp_page = tmp_path / "board.html", tmp_path / "cmp.html"
    assert cli("leaderboard", a.parent, "--format", "html", "--out", board, "--viewer", tmp_path / "samples.html")[0] == 0
    assert cli("compare", a, b, "--html", cmp_page, "--viewer", tmp_path / "cmp-samples.html")[0] == 0
    browser.open(board.as_uri())
    browser.js("document.querySelectorAll('details').forEach(d => d.open = true)")
    href = "samples.html#task=videomme&run=b&duration=long"
    browser.click(f'a[href="{href}"]')
    browser.wait_event("Page.loadEventFired")
    assert browser.js("location.pathname").endswith("/samples.html")
    assert visible(browser) == ["004-1", "004-2", "004-3"]
    assert browser.js("document.getElementById('f-run').selectedOptions[0].textContent") == "b"
    browser.open(cmp_page.as_uri())
    browser.click('a[href="cmp-samples.html#task=videomme&flip=down&a=a&b=b"]')
    browser.wait_event("Page.loadEventFired")
    assert visible(browser) == ["004-1", "004-2"]
    assert browser.problems() == []


def test_the_demo_opens_its_viewer_on_the_flipped_questions(browser, cli):
    code, out = cli("demo", "--output", cli.output)
    assert code == 0, out
    joined = "".join(out.splitlines())  # the link folds at the screen's width
    link = joined[joined.index("file://"):joined.index("flip=either") + len("flip=either")]
    browser.open(link)
    flipped = ["001-2", "002-2", "002-3", "003-2", "003-3", "004-2"]  # 5 up, 1 down
    assert visible(browser) == flipped and count(browser) == 6
    assert browser.js("document.getElementById('f-flip').value") == "either"
    for k in range(6):  # the frames each model saw, loaded
        ok = browser.js(f"(async () => {{ const img = document.querySelectorAll('#list .strip img')[{k}];"
                        "img.scrollIntoView(); for (let i = 0; i < 100 && !(img.complete && img.naturalWidth); i++)"
                        "  await new Promise(r => setTimeout(r, 50));"
                        "return img.naturalWidth; })()")
        assert ok > 0
    browser.js("location.hash = ''")  # no filter: the 12 samples, each with its strip
    browser.pump(0.3)
    assert count(browser) == 12 and browser.js("document.querySelectorAll('#list .strip img').length") == 12
    assert browser.problems() == []
