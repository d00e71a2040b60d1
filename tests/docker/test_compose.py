"""docker/: compose files, nginx.conf, Dockerfile, health check, sample promotions.

Every compose file gets a structural check with PyYAML (always), and `docker compose config`
as well when a compose CLI is installed (this machine has only the docker client, no compose
plugin and no engine; `config` needs no engine).
"""
from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from dre.promotion.parse import parse_promotions

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILES = sorted(DOCKER.glob("compose*.yaml"))
SERVICE_ENV = {"DRE_API_KEYS", "DRE_REDIS_URL", "DRE_DATA_DIR", "DRE_PROMOTIONS_FILE", "DRE_SHARDS",
               "DRE_WORKERS", "DRE_PORT", "DRE_HOST", "DRE_MAX_BODY_BYTES"}
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
ENTRYPOINT = ["dre", "serve"]  # no --host/--port: DRE_HOST/DRE_PORT decide (see the image tests)
VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


# --- helpers -----------------------------------------------------------------------------------

def interpolate(value):
    """Compose-style ``${VAR:-default}`` with an empty environment (defaults only)."""
    if isinstance(value, str):
        return VAR.sub(lambda m: m.group(2) or "", value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


def load(path: Path) -> dict:
    return interpolate(yaml.safe_load(path.read_text()))


def compose_cli() -> list[str] | None:
    """The compose command if one works here, else None."""
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            if subprocess.run([*cmd, "version"], capture_output=True, timeout=10).returncode == 0:
                return cmd
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuations joined and comments dropped."""
    out, buf = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        buf += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            op, _, args = buf.partition(" ")
            out.append((op.upper(), args.strip()))
            buf = ""
    return out


def final_stage(instructions):
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def builds_service_image(service: dict) -> bool:
    return isinstance(service.get("build"), dict) and service["build"].get("dockerfile") == "docker/Dockerfile"


def container_ports(service: dict) -> list[int]:
    return [int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in service.get("ports", [])]


# --- every compose file --------------------------------------------------------------------------

def test_there_are_three_compose_files():
    assert [p.name for p in COMPOSE_FILES] == ["compose.cluster.yaml", "compose.scale.yaml", "compose.yaml"]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_config_accepts_the_file(path, tmp_path):
    cli = compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI here; the structural test below covers the file")
    result = subprocess.run([*cli, "-f", str(path), "config", "--quiet"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_structure(path):
    doc = load(path)
    assert isinstance(doc.get("name"), str) and doc["name"].startswith("dre")
    services = doc["services"]
    declared_volumes = set(doc.get("volumes") or {})
    assert services and all(isinstance(s, dict) for s in services.values())
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        if "build" in svc:
            context = (path.parent / svc["build"]["context"]).resolve()
            assert context == ROOT, f"{name}: build context must be the repository"
            assert (context / svc["build"]["dockerfile"]).is_file()
        deps = svc.get("depends_on", {})
        deps = {d: {"condition": "service_started"} for d in deps} if isinstance(deps, list) else deps
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec["condition"] in DEPENDS_CONDITIONS
            if spec["condition"] == "service_healthy":
                target = services[dep]
                # healthy needs a health check: in the compose file or in our image's Dockerfile
                assert "healthcheck" in target or builds_service_image(target), f"{dep} has no health check"
        for mount in svc.get("volumes", []):
            source, target = mount.split(":")[:2]
            assert target.startswith("/")
            if source.startswith("."):
                assert (path.parent / source).exists(), f"{name}: bind source {source} missing"
            else:
                assert source in declared_volumes, f"{name}: volume {source} not declared"
        for port in svc.get("ports", []):
            assert re.fullmatch(r"(127\.0\.0\.1:|0\.0\.0\.0:)?\d+:\d+", str(port)), port
            assert str(port).startswith("127.0.0.1:"), "publish on loopback unless DRE_PUBLISH says otherwise"
        if svc.get("image", "").startswith("redis:") and "cluster" not in " ".join(map(str, svc.get("command", []))):
            assert svc["image"] == "redis:7"

    dre = services["dre"]
    assert builds_service_image(dre) and dre["image"] == "dre:local"
    env = dre["environment"]
    assert isinstance(env, dict) and set(env) <= SERVICE_ENV, set(env) - SERVICE_ENV
    assert {"DRE_API_KEYS", "DRE_REDIS_URL", "DRE_PORT"} <= set(env)
    assert all(":" in pair for pair in env["DRE_API_KEYS"].split(","))
    redis_host = re.fullmatch(r"redis://([\w-]+):6379/0", env["DRE_REDIS_URL"]).group(1)
    assert redis_host in services and services[redis_host]["image"] == "redis:7"
    assert env["DRE_PORT"] == "8080" and env["DRE_HOST"] == "0.0.0.0"
    promo_dir = str(Path(env["DRE_PROMOTIONS_FILE"]).parent)
    assert any(m.split(":")[1] == promo_dir for m in dre["volumes"]), "promotions file not mounted"
    assert all(p == 8080 for p in container_ports(dre))


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_redis_persists_with_appendonly(path):
    services = load(path)["services"]
    servers = {n: s for n, s in services.items() if s.get("image") == "redis:7" and "command" in s
               and s["command"][0] == "redis-server"}
    assert servers
    for name, svc in servers.items():
        cmd = svc["command"]
        assert cmd[cmd.index("--appendonly") + 1] == "yes", name
        assert any(m.endswith(":/data") for m in svc["volumes"]), f"{name}: /data not on a volume"


# --- per profile -------------------------------------------------------------------------------

def test_single_instance_compose():
    services = load(DOCKER / "compose.yaml")["services"]
    assert set(services) == {"dre", "redis"}
    assert services["dre"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert container_ports(services["dre"]) == [8080]


def test_scale_compose_puts_replicas_behind_nginx():
    doc = load(DOCKER / "compose.scale.yaml")
    dre, lb = doc["services"]["dre"], doc["services"]["lb"]
    assert int(dre["deploy"]["replicas"]) >= 2
    assert "ports" not in dre and dre["expose"] == ["8080"]  # only the balancer is published
    assert lb["image"].startswith("nginx:")
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in lb["volumes"]
    assert lb["depends_on"]["dre"]["condition"] == "service_healthy"

    conf = (DOCKER / "nginx.conf").read_text()
    assert conf.count("{") == conf.count("}")
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, re.S)
    assert re.search(rf"proxy_pass http://{upstream.group(1)};", conf)
    assert re.search(r"server dre:8080 resolve;", upstream.group(2))
    assert "zone " in upstream.group(2) and "resolver 127.0.0.11" in conf  # what `resolve` needs
    assert re.search(r"listen (\d+);", conf).group(1) == "8080" and container_ports(lb) == [8080]
    assert 'proxy_set_header Connection "";' in conf and "proxy_http_version 1.1;" in conf


NGINX_SIZE = re.compile(r"(\d+)([kKmMgG]?)")


def nginx_bytes(size: str) -> float:
    """An nginx size (``2m``, ``1g``, ``512k``, bytes) in bytes; ``0`` (no limit) is infinite."""
    number, unit = NGINX_SIZE.fullmatch(size).groups()
    n = int(number) * 1024 ** " kmg".index(unit.lower() or " ")
    return n or float("inf")


def nginx_server_block(conf: str) -> tuple[str, dict[str, str]]:
    """The server block's own directives (locations cut out) and each location's body by path."""
    server = conf[conf.index("server {"):]
    locations = {m.group(2): m.group(3) for m in re.finditer(r"location\s+(=\s*)?(\S+)\s*\{(.*?)\}", server, re.S)}
    own = re.sub(r"location\s+(=\s*)?\S+\s*\{.*?\}", "", server, flags=re.S)
    return own, locations


def test_nginx_lets_dre_answer_every_413_itself():
    """nginx's own 413 is an HTML page; each nginx body limit must be above DRE's for that route
    (DRE's defaults, and the compose file's values), so the client gets DRE's error shape. The
    batch import (up to DRE_MAX_IMPORT_BYTES, 512 MiB by default) has its own, larger limit."""
    from api.articles import LARGE_BODY_PATHS
    from dre.config import DEFAULT_MAX_BODY, DEFAULT_MAX_IMPORT

    env = load(DOCKER / "compose.scale.yaml")["services"]["dre"]["environment"]
    max_body = int(env.get("DRE_MAX_BODY_BYTES") or DEFAULT_MAX_BODY)
    max_import = int(env.get("DRE_MAX_IMPORT_BYTES") or DEFAULT_MAX_IMPORT)
    conf = (DOCKER / "nginx.conf").read_text()
    own, locations = nginx_server_block(conf)

    def limit(block: str) -> float:
        found = re.findall(r"client_max_body_size (\S+);", block)
        assert len(found) <= 1
        return nginx_bytes(found[0]) if found else 1024 ** 2  # nginx's default: 1m

    default = limit(own)
    assert "client_max_body_size" not in locations["/"] and default > max(max_body, DEFAULT_MAX_BODY)
    for path in LARGE_BODY_PATHS:
        assert path in locations, f"no nginx location for {path}: nginx's {default:.0f} bytes would cut it"
        assert limit(locations[path]) > max(max_import, DEFAULT_MAX_IMPORT), path
        assert "proxy_request_buffering off;" in locations[path]  # streamed, not spooled to disk
    upstream = re.search(r"upstream (\w+) \{", conf).group(1)
    for path, body in locations.items():
        assert f"proxy_pass http://{upstream};" in body, path
        # a location with a proxy_set_header of its own would drop the server-level ones
        assert "proxy_set_header" not in body, path
    assert 'proxy_set_header Connection "";' in own and "proxy_http_version 1.1;" in own


def test_cluster_compose_forms_three_masters_with_a_replica_each():
    services = load(DOCKER / "compose.cluster.yaml")["services"]
    nodes = sorted(n for n in services if re.fullmatch(r"redis-\d", n))
    assert nodes == [f"redis-{i}" for i in range(1, 7)]
    volumes = set()
    for n in nodes:
        cmd = services[n]["command"]
        assert cmd[cmd.index("--cluster-enabled") + 1] == "yes"
        assert cmd[cmd.index("--cluster-announce-hostname") + 1] == n
        assert "healthcheck" in services[n]
        volumes.add(services[n]["volumes"][0].split(":")[0])
    assert len(volumes) == 6  # each node keeps its own nodes.conf and AOF

    init = services["redis-cluster-init"]
    assert set(init["depends_on"]) == set(nodes)
    assert all(d["condition"] == "service_healthy" for d in init["depends_on"].values())
    script = init["command"][0]
    assert "--cluster create" in script and "--cluster-replicas 1" in script and "--cluster-yes" in script
    assert all(n in script for n in nodes)
    # `$$` is compose's escape for a literal `$`; the unescaped script must be valid sh.
    assert re.search(r"(?<!\$)\$(?!\$)", script) is None, "unescaped $ would be interpolated by compose"
    sh = shutil.which("sh")
    if sh:
        result = subprocess.run([sh, "-n", "-c", script.replace("$$", "$")], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    dre = services["dre"]
    assert dre["depends_on"] == {"redis-cluster-init": {"condition": "service_completed_successfully"}}
    assert re.fullmatch(r"redis://(redis-\d):6379/0", dre["environment"]["DRE_REDIS_URL"]).group(1) in nodes


# --- image -------------------------------------------------------------------------------------

def test_dockerfile_installs_like_the_readme_and_runs_as_non_root():
    steps = dockerfile_instructions(DOCKER / "Dockerfile")
    args = {op: a for op, a in steps if op == "ARG"}
    assert "PYTHON_IMAGE=python:3.11-slim" in args.values()
    assert all(a.split()[0] in ("${PYTHON_IMAGE}", "python:3.11-slim") for op, a in steps if op == "FROM")

    runs = [a for op, a in steps if op == "RUN"]
    installs = [r for r in runs if "pip install" in r]
    assert installs == ["pip install ."], installs  # the repo itself, not editable, no extras
    # The README installs through scripts/serve|test -> scripts/bootstrap: the same target (the
    # repository root), there editable for development and with extras for the tests.
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text()
    target = re.search(r"pip install (?:-q )?-e \"?(\.)", bootstrap)
    assert target and target.group(1) == installs[0].split()[-1]
    readme = ROOT / "README.md"
    if readme.exists():
        assert "scripts/" in readme.read_text()

    final = final_stage(steps)
    users = [a for op, a in final if op == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    user = users[-1]
    assert any(op == "RUN" and "useradd" in a and user in a.split() for op, a in final)
    env = " ".join(a for op, a in final if op == "ENV")
    cache = re.search(r"NUMBA_CACHE_DIR=(\S+)", env).group(1)
    setup = next(a for op, a in final if op == "RUN" and "useradd" in a)
    assert cache in setup and f"chown -R {user}:{user}" in setup  # the cache dir is the user's

    order = [op + " " + a for op, a in final]
    warm = order.index("RUN dre warmup")
    assert order.index(f"USER {user}") < warm  # cache files belong to the service user
    assert max(i for i, s in enumerate(order) if "NUMBA_CACHE_DIR=" in s) < warm
    assert ("EXPOSE", "8080") in final
    # exec form (JSON): dre is PID 1 and gets SIGTERM itself for a graceful shutdown
    assert json.loads(next(a for op, a in final if op == "ENTRYPOINT")) == ENTRYPOINT
    health = next(a for op, a in final if op == "HEALTHCHECK")
    assert "/usr/local/bin/dre-healthcheck" in health
    assert ("COPY", "docker/healthcheck.py /usr/local/bin/dre-healthcheck") in final


def image_env(final) -> dict[str, str]:
    """The final stage's ENV (``KEY=value`` form), as a container starts with it."""
    env = {}
    for op, args in final:
        if op == "ENV":
            for word in shlex.split(args):
                key, sep, value = word.partition("=")
                assert sep, f"ENV {args}: use the KEY=value form"
                env[key] = value
    return env


def serve_config(argv: list[str], env: dict[str, str]):
    """The Config `dre serve` builds from this command line (the image's ENTRYPOINT + CMD +
    `docker run` arguments) and environment, as api.serve does."""
    from api.serve import FLAGS
    from cli.main import build_parser
    from dre.config import load_config

    assert argv[0] == "dre"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"
    return load_config(env, **{k: getattr(args, k, None) for k in FLAGS})


def test_image_env_decides_the_bind_address_and_the_health_check_probes_it():
    """DRE_HOST / DRE_PORT, not flags baked into ENTRYPOINT/CMD, decide where the server listens,
    and healthcheck.py probes 127.0.0.1:$DRE_PORT: a container run with -e DRE_PORT=9090 listens
    on 9090 and its health check knocks there."""
    final = final_stage(dockerfile_instructions(DOCKER / "Dockerfile"))
    argv = json.loads(next(a for op, a in final if op == "ENTRYPOINT"))
    argv += json.loads(next((a for op, a in final if op == "CMD"), "[]"))
    assert not {"--host", "--port"} & {a.split("=")[0] for a in argv}, argv
    env = image_env(final)
    assert (env["DRE_HOST"], env["DRE_PORT"]) == ("0.0.0.0", "8080")
    assert ("EXPOSE", env["DRE_PORT"]) in final

    # run without DRE_API_KEYS, the container would serve the public development key on
    # 0.0.0.0: refused at start (one line, exit code 2); `docker run -e DRE_API_KEYS=...` it is
    from dre.errors import DREError

    with pytest.raises(DREError, match="development key 'dev-key'"):
        serve_config(argv, env)
    env = {**env, "DRE_API_KEYS": "demo:demo-key"}
    config = serve_config(argv, env)
    assert (config.host, config.port) == ("0.0.0.0", 8080)
    for run_env, extra in (({"DRE_PORT": "9090"}, []), ({"DRE_PORT": "9090"}, ["--workers", "2"]),
                           ({"DRE_HOST": "127.0.0.1", "DRE_PORT": "8181"}, [])):
        config = serve_config(argv + extra, {**env, **run_env})
        assert config.port == int(run_env["DRE_PORT"]) and config.host == run_env.get("DRE_HOST", "0.0.0.0")

    # The health check finds a server listening where that Config says (and only there).
    from actors.redis_server import free_port

    hc = load_healthcheck()
    run_env = {**env, "DRE_PORT": str(free_port()), "DRE_API_KEYS": "t1:k1"}
    config = serve_config(argv, run_env)
    assert config.host in ("0.0.0.0", "127.0.0.1")  # reachable on the 127.0.0.1 the check probes
    server = ThreadingHTTPServer(("127.0.0.1", config.port), Heartbeat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert hc.check(run_env) == 0
        assert hc.check({**run_env, "DRE_PORT": str(free_port())}) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_dockerignore_keeps_what_the_build_copies():
    ignored = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
               if ln.strip() and not ln.startswith("#")]
    assert ".git" in ignored and ".venv" in ignored
    for needed in ("pyproject.toml", "README.md", "dre", "kernels", "actors", "api", "bench", "docker/healthcheck.py"):
        assert not any(Path(needed).match(pattern) or needed == pattern for pattern in ignored), needed


def test_sample_promotions_are_valid():
    promotions = parse_promotions(json.loads((DOCKER / "promotions" / "promotions.json").read_text()))
    assert len(promotions) == 3


# --- the health check script ---------------------------------------------------------------------

def load_healthcheck():
    spec = importlib.util.spec_from_file_location("dre_healthcheck", DOCKER / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Heartbeat(BaseHTTPRequestHandler):
    key = "k1"
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's naming)
        ok = self.path == "/pos/heartbeat" and self.headers.get("Authorization") == f"Bearer {self.key}"
        self.send_response(self.status if ok else 401)
        self.end_headers()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def heartbeat_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Heartbeat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    Heartbeat.status = 200


def test_healthcheck_authenticates_and_judges_the_answer(heartbeat_port):
    hc = load_healthcheck()
    port = str(heartbeat_port)
    assert hc.api_key({"DRE_API_KEYS": "t1:k1,t2:k2"}) == "k1"
    assert hc.api_key({"DRE_API_KEYS": "t1:k1:admin,t2:k2"}) == "k1"  # the key, not its role
    assert hc.api_key({"DRE_API_KEYS": "t1:k1", "DRE_HEALTHCHECK_KEY": "hk"}) == "hk"
    assert hc.api_key({}) is None and hc.api_key({"DRE_API_KEYS": "garbage"}) is None
    assert hc.check({"DRE_PORT": port, "DRE_API_KEYS": "t1:k1"}) == 0
    assert hc.check({"DRE_PORT": port, "DRE_API_KEYS": "t1:wrong"}) == 1  # 401 with a key: unhealthy
    assert hc.check({"DRE_PORT": port}) == 0  # no key: an answer (401) proves the server is up
    Heartbeat.status = 503
    assert hc.check({"DRE_PORT": port, "DRE_API_KEYS": "t1:k1"}) == 1


def test_healthcheck_fails_when_nothing_listens():
    hc = load_healthcheck()
    with socket.socket() as s:  # a port that was free a moment ago and is closed now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert hc.check({"DRE_PORT": str(port), "DRE_API_KEYS": "t:k"}) == 1

