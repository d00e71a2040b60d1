"""The README's and docs/'s examples, executed: when the docs drift from the code, these fail.

* The README's offline `dre evaluate` command is run as written (``.venv/bin/dre`` is this
  interpreter's ``-m cli``) and must print a valid EvaluateResponseV2.
* Every ``curl`` line in a fenced block of README.md or docs/*.md is sent, in document order, to
  one real `dre serve` (bench.live_server), started with the flags of the README's
  ``./scripts/serve`` line. The examples' ``http://127.0.0.1:8080`` becomes that server's URL;
  their API keys are served as the docs configure them (``DRE_API_KEYS=tenant:key[:admin]`` in
  the docs, or the service's default key, an admin key), so an example calling an admin-only
  route with a POS key fails with its 403. Each must answer 2xx.
* Commands named in the docs exist: ``.venv/bin/python -m <module>``, ``.venv/bin/dre <command>``
  and the ``examples/`` files they use; no bare ``python -m bench...`` (outside the venv it fails
  with ``No module named 'hdrh'``).

An example that cannot run against a test server (it needs Docker, say) is marked on its curl
line with ``# docs-test: skip (<reason>)``; none is at present.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from api.evaluate import EvaluateResponse
from bench.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOC_URL = re.compile(r"http://(?:127\.0\.0\.1|localhost):8080")
SKIP = "# docs-test: skip"
ENTRY = r"[\w-]+:[\w-]+(?::admin)?"  # a DRE_API_KEYS entry: tenant:key, or tenant:key:admin
API_KEYS = re.compile(rf"DRE_API_KEYS=({ENTRY}(?:,{ENTRY})*)")
FENCE = re.compile(r"^( *)```[\w-]*\n(.*?)^\1```", re.S | re.M)


@dataclass
class Curl:
    where: str  # file:line, for messages
    method: str = "GET"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def commands(path: Path) -> list[tuple[int, str, int]]:
    """(line number, command, block number) of every fenced block's lines, continuations joined,
    in order."""
    text = path.read_text()
    out = []
    for n, block in enumerate(FENCE.finditer(text)):
        first = text.count("\n", 0, block.start(2)) + 1
        pending, start = "", first
        for i, raw in enumerate(block.group(2).splitlines()):
            line = raw.strip()
            if not pending:
                start = first + i
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            if pending + line:
                out.append((start, pending + line, n))
            pending = ""
    return out


def parse_curl(where: str, command: str) -> Curl:
    """The request of a curl command line (the flags the docs use; anything else fails loudly)."""
    words = shlex.split(command, comments=True)
    while words and re.fullmatch(r"\w+=\S*", words[0]):  # VAR=value prefixes
        words.pop(0)
    assert words[0] == "curl", f"{where}: not a curl command"
    req, args = Curl(where), iter(words[1:])
    for word in args:
        if word in ("-s", "--silent", "-S", "--show-error", "-f", "--fail", "-i", "--include", "-v"):
            continue
        if word in ("-X", "--request"):
            req.method = next(args)
        elif word in ("-H", "--header"):
            name, _, value = next(args).partition(":")
            req.headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-binary", "--data-raw"):
            value = next(args)
            req.body = (ROOT / value[1:]).read_bytes() if value.startswith("@") and word != "--data-raw" \
                else value.encode()
            if req.method == "GET":
                req.method = "POST"
        elif word.startswith("-"):
            pytest.fail(f"{where}: curl flag {word} is not understood by {Path(__file__).name}; extend parse_curl")
        else:
            assert not req.url, f"{where}: two URLs"
            req.url = word
    assert req.url, f"{where}: no URL"
    return req


def doc_examples() -> list[tuple[str, str]]:
    """(file:line, curl command) of every curl example, README first, then docs/ by name."""
    found = []
    for path in DOCS:
        for line, command, _ in commands(path):
            if re.match(r"(\w+=\S*\s+)*curl\s", command):
                found.append((f"{path.relative_to(ROOT)}:{line}", command))
    return found


def documented_keys() -> str:
    """DRE_API_KEYS for the test server: the default key (what ./scripts/serve runs with) first, so
    its tenant gets the promotions file, then every ``DRE_API_KEYS=...`` the docs set."""
    from dre.config import DEFAULT_KEYS

    pairs = dict.fromkeys(DEFAULT_KEYS.split(","))
    for path in DOCS:
        for m in API_KEYS.finditer(path.read_text()):
            pairs.update(dict.fromkeys(m.group(1).split(",")))
    return ",".join(pairs)


def serve_args() -> list[str]:
    """The flags of the ``./scripts/serve ...`` line in the README's block of curl examples (the
    server they talk to)."""
    readme = commands(ROOT / "README.md")
    blocks = {n for _, c, n in readme if c.startswith("curl ")}
    lines = [c for _, c, n in readme if n in blocks and c.startswith("./scripts/serve")]
    assert len(lines) == 1, lines
    return shlex.split(lines[0], comments=True)[1:]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer({"DRE_API_KEYS": documented_keys(), "DRE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
                       "DRE_WORKERS": "1"}, serve_args())
    yield live
    live.stop()


# --- the offline command -------------------------------------------------------------------------

def test_readme_offline_evaluate_prints_a_priced_response():
    lines = [c for _, c, _ in commands(ROOT / "README.md") if c.startswith(".venv/bin/dre evaluate ")]
    assert len(lines) == 1, lines
    argv = [sys.executable, "-m", "cli", *shlex.split(lines[0], comments=True)[1:]]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    body = orjson.loads(result.stdout)
    EvaluateResponse.model_validate(body)
    request = orjson.loads((ROOT / argv[-1]).read_bytes())["request"]  # the request file comes last
    assert [li["lineReference"] for li in body["lineItems"]] == [i["lineReference"] for i in request["items"]]
    totals = body["totals"]
    assert totals["discount"] > 0 and round(totals["gross"] - totals["discount"], 2) == totals["net"]
    assert body["meta"]["header"]["transactionId"] == request["header"]["transactionId"]


# --- the curl examples ---------------------------------------------------------------------------

def test_the_docs_have_curl_examples():
    where = [w for w, _ in doc_examples()]
    assert any(w.startswith("README.md:") for w in where) and any(w.startswith("docs/") for w in where), where


def test_every_curl_example_answers_2xx(server):
    failures, ran = [], 0
    with httpx.Client(timeout=30) as http:
        for where, command in doc_examples():
            if SKIP in command:
                continue
            req = parse_curl(where, command)
            if not DOC_URL.match(req.url):
                failures.append(f"{where}: URL {req.url} is not the documented http://127.0.0.1:8080")
                continue
            r = http.request(req.method, DOC_URL.sub(server.url, req.url, count=1), headers=req.headers,
                             content=req.body)
            ran += 1
            if not 200 <= r.status_code < 300:
                failures.append(f"{where}: {req.method} {req.url} answered {r.status_code}: {r.text[:300]}")
            elif req.url.endswith("/pos/v2/evaluate"):
                EvaluateResponse.model_validate(r.json())  # a priced answer, not just any 2xx
            elif r.headers.get("content-type", "").startswith("application/json"):
                r.json()
    assert not failures, "\n".join(failures)
    assert ran >= 5


# --- commands named in the docs --------------------------------------------------------------------

def test_commands_named_in_the_docs_exist():
    from cli.main import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    problems = []
    for path in DOCS:
        text = path.read_text()
        name = path.relative_to(ROOT)
        for m in re.finditer(r"(?<![\w/.])python3? -m bench\b", text):
            problems.append(f"{name}: bare `{m.group(0)}` (use .venv/bin/python -m ...)")
        for module in re.findall(r"\.venv/bin/python -m ([\w.]+)", text):
            if importlib.util.find_spec(module) is None:
                problems.append(f"{name}: no module {module}")
        for sub in re.findall(r"\.venv/bin/dre (\w+)", text):
            if sub not in subcommands:
                problems.append(f"{name}: no `dre {sub}` command")
        for example in re.findall(r"(?<![\w/])examples/[\w./-]+\.json", text):
            if not (ROOT / example).is_file():
                problems.append(f"{name}: {example} does not exist")
    assert not problems, "\n".join(problems)
