"""Where things are: the repository, its topics in course order, their lab executables and
vendor scripts, and the versions each topic ships."""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_PRESETS = ("cuda", "hip", "cpu")  # the first that exists is used

_TOPIC_DIR = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)$")
_VERSION_FILE = re.compile(r"^(v\d+[a-z]?)(?:_(.*))?\.(?:cu|cuh|cpp|hpp)$")


class UsageError(Exception):
    """A bad command-line argument: one line naming it and the accepted values (exit 2)."""


@dataclass
class Version:
    id: str
    idea: str = ""
    source: str = ""  # "executable" or the file it was read from


@dataclass
class Topic:
    number: str        # "01"
    slug: str          # "fused-gelu"
    path: str          # absolute folder

    @property
    def name(self) -> str:  # "01-fused-gelu": also the journal's `lab` field
        return f"{self.number}-{self.slug}"

    @property
    def readme(self) -> str:
        return os.path.join(self.path, "README.md")

    @property
    def exe_name(self) -> str:
        return f"lab-{self.name}"

    def has_lab(self) -> bool:
        return os.path.exists(os.path.join(self.path, "CMakeLists.txt"))


def discover_topics(root: str = REPO_ROOT) -> List[Topic]:
    """topics/NN-slug folders in course order (by number)."""
    base = os.path.join(root, "topics")
    found: List[Topic] = []
    if os.path.isdir(base):
        for entry in os.listdir(base):
            m = _TOPIC_DIR.match(entry)
            if m and os.path.isdir(os.path.join(base, entry)):
                found.append(Topic(m.group(1), m.group(2), os.path.join(base, entry)))
    found.sort(key=lambda t: (int(t.number), t.slug))
    return found


def resolve_topics(arg: str, topics: List[Topic]) -> List[Topic]:
    """"all", "01", "1", "01-fused-gelu" or "fused-gelu" -> the topics it names."""
    if arg == "all":
        return list(topics)
    for t in topics:
        if arg in (t.number, t.name, t.slug) or (arg.isdigit() and int(arg) == int(t.number)):
            return [t]
    valid = ", ".join(t.name for t in topics) or "none found under topics/"
    raise UsageError(f"topic: unknown '{arg}' (valid: all, {valid}; or just the number or the slug)")


@dataclass
class Build:
    path: str      # absolute
    preset: str    # cuda | hip | cpu | custom


def find_build(root: str = REPO_ROOT, override: Optional[str] = None) -> Optional[Build]:
    """--build DIR, else $LABS_BUILD, else the first of build/cuda, build/hip, build/cpu."""
    chosen = override or os.environ.get("LABS_BUILD")
    if chosen:
        path = os.path.abspath(chosen)
        if not os.path.isabs(chosen) and not os.path.isdir(path):
            path = os.path.join(root, chosen)  # "build/cuda" means the repo's, from anywhere
        preset = os.path.basename(path.rstrip(os.sep)) if os.path.basename(path) in BUILD_PRESETS else "custom"
        return Build(path, preset) if os.path.isdir(path) else None
    for preset in BUILD_PRESETS:
        path = os.path.join(root, "build", preset)
        if os.path.isdir(path):
            return Build(path, preset)
    return None


BUILD_HINT = ("build it first: `cmake --preset cuda && cmake --build --preset cuda -j` "
              "(on a machine without a GPU: `cmake --preset cpu && cmake --build --preset cpu -j`)")


def lab_executable(topic: Topic, build: Build) -> str:
    return os.path.join(build.path, "topics", topic.name, topic.exe_name)


def vendor_scripts(topic: Topic, root: str = REPO_ROOT) -> List[str]:
    """scripts/vendor/NN_*.py for this topic, sorted."""
    base = os.path.join(root, "scripts", "vendor")
    if not os.path.isdir(base):
        return []
    return sorted(os.path.join(base, f) for f in os.listdir(base)
                  if f.startswith(topic.number + "_") and f.endswith(".py"))


def versions_from_sources(topic: Topic) -> List[Version]:
    """kernels/v*.cu: the id from the file name, the idea from its `/// @file` header."""
    kdir = os.path.join(topic.path, "kernels")
    out: List[Version] = []
    if not os.path.isdir(kdir):
        return out
    for f in os.listdir(kdir):
        m = _VERSION_FILE.match(f)
        if not m:
            continue
        idea = _file_header_summary(os.path.join(kdir, f)) or (m.group(2) or "").replace("_", " ")
        out.append(Version(m.group(1), idea, os.path.join("kernels", f)))
    out.sort(key=lambda v: version_sort_key(v.id))
    return out


def _file_header_summary(path: str) -> str:
    """The first sentence of the `/// @file` header: the text after the file name on that
    line, or the paragraph of comment lines right after it, without a leading "vN —"."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            lines = [next(f, "") for _ in range(40)]
    except OSError:
        return ""
    for i, line in enumerate(lines):
        s = line.strip()
        if "@file" not in s:
            continue
        after = s.split("@file", 1)[1].strip()
        parts = after.split(None, 1)
        names_file = bool(parts) and re.match(r"^[\w.-]+\.(cu|cuh|cpp|hpp|h)$", parts[0]) is not None
        text = [(parts[1].strip() if len(parts) > 1 else "") if names_file else after]
        if not text[0]:
            text = []
            for nxt in lines[i + 1:]:
                t = nxt.strip()
                if not (t.startswith("///") or t.startswith("//!") or t.startswith("*")):
                    break
                t = t.lstrip("/!* ").strip()
                if not t:
                    break  # end of the first paragraph
                text.append(t)
        return _first_sentence(" ".join(text))
    return ""


def _first_sentence(text: str, limit: int = 160) -> str:
    text = re.sub(r"^v\d+[a-z]?\s*[—:–-]+\s*", "", text.strip())
    m = re.search(r"[.;](\s|$)", text)
    if m:
        text = text[:m.start() + 1]
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def versions_from_executable(exe: str, timeout: float = 30.0) -> Optional[List[Version]]:
    """`<lab> --list --json`: a JSON array, an object with "versions", or JSON lines."""
    try:
        p = subprocess.run([exe, "--list", "--json"], capture_output=True, text=True, timeout=timeout,
                           cwd=REPO_ROOT)
    except (OSError, subprocess.SubprocessError):
        return None
    if p.returncode != 0:
        return None
    items = _parse_list_output(p.stdout)
    if items is None:
        return None
    out = []
    for it in items:
        if isinstance(it, dict):
            vid = it.get("id") or it.get("variant")
            if vid:
                out.append(Version(str(vid), str(it.get("idea") or it.get("description") or ""), "executable"))
    return out or None


def _parse_list_output(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        doc = json.loads(text)
        if isinstance(doc, list):
            return doc
        if isinstance(doc, dict):
            v = doc.get("versions") or doc.get("variants")
            return v if isinstance(v, list) else [doc]
    except json.JSONDecodeError:
        pass
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError:
            return None
    return items or None


def version_sort_key(vid: str) -> Tuple:
    """Natural order: v2 < v10, v3 < v3b; non-version names (vendors) after versions."""
    m = re.match(r"^v(\d+)(.*)$", vid)
    if m:
        return (0, int(m.group(1)), m.group(2))
    return (1, 0, vid)


def relpath_from_root(path: str, root: str = REPO_ROOT) -> str:
    path = os.path.abspath(path)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path
