"""Open a report in headless Chromium (Debian package ``chromium``): the DOM after the scripts
ran, the console messages, and the page's own ready time."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    dom: str
    console: list[str]
    ready_ms: float | None
    seconds: float


_CONSOLE = re.compile(r"CONSOLE\(\d+\)\]? ?\"?(.*)|:INFO:CONSOLE.*?\] \"(.*)\"")


def open_page(path: Path, timeout: float = 90.0) -> Page:
    """Load ``path`` (file URL) in headless Chromium; return its DOM and console lines."""
    import time

    exe = find()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="wattlab-chromium-") as profile:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
             path.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False)
        seconds = time.perf_counter() - t0
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    m = re.search(r'data-ready-ms="([\d.]+)"', proc.stdout)
    return Page(proc.stdout, console, float(m.group(1)) if m else None, seconds)
