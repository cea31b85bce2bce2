"""Every benchmark of bench/ runs, so that a broken one fails the suite.

Each runs once at a tiny size (``bench/run.py NAME --size=tiny``: a few
records, seconds of measure) on a copy of the test database, while the
demo's ports are taken (``demo_ports``): the servers and mail servers a
benchmark starts take free ports. Its last line must be its ``RESULT
key=number ...`` line. The figures of a tiny run mean nothing and are not
judged.

The copies start from WEBO_BENCH_SOURCE, the fresh test database copied by
``make test`` (runtime/run_tests.py) before pytest; run alone, this module
builds that database first (minutes).
"""
import concurrent.futures
import importlib.metadata
import importlib.util
import math
import os
import re
import subprocess
import sys

import pytest

from odoo_process import drop_database

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
PYTHON = os.path.join(REPO, ".venv", "bin", "python")


def _load_runner():
    spec = importlib.util.spec_from_file_location("bench_runner", os.path.join(BENCH, "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCHMARKS = _load_runner().benchmarks()
# Two at a time: most of a tiny run is waiting (a server starting, the mail
# queue's minute); more would only share the same cores.
PARALLEL = 2
RESULT_LINE = re.compile(r"^RESULT( [a-z][a-z0-9_]*=\S+)+$")


def parse_result(line):
    """{key: float} of a RESULT line; AssertionError unless each value is a
    finite number."""
    assert RESULT_LINE.match(line), "not a RESULT line: %r" % line
    values = {}
    for pair in line.split()[1:]:
        key, value = pair.split("=", 1)
        values[key] = float(value)
        assert math.isfinite(values[key]), "%s=%s is not a number" % (key, value)
    return values


@pytest.fixture(scope="module")
def bench_source(database):
    given = os.environ.get("WEBO_BENCH_SOURCE")
    if given:
        yield given
        return
    name = database + "_bench"
    subprocess.run(["bash", os.path.join(REPO, "runtime", "database.sh"), name, "--with-demo",
                    "--log-level=warn", "--log-handler=odoo.modules.graph:CRITICAL"], check=True)
    try:
        yield name
    finally:
        drop_database(name)


@pytest.fixture(scope="module")
def tiny_runs(request, demo_ports, bench_source, database, output_dir):
    """{benchmark: (exit status, stdout, stderr)} of the tiny run of every
    benchmark whose test is selected (all of them, unless ``-k``)."""
    def run(name):
        copy = "%s_b_%s" % (database, name)
        try:
            process = subprocess.run(
                [PYTHON, os.path.join(BENCH, "run.py"), name, "--size=tiny", "--copy-of=" + bench_source],
                env=dict(os.environ, WEBO_BENCH_DB=copy), cwd=REPO,
                capture_output=True, text=True, timeout=900)
        finally:
            drop_database(copy)
        with open(output_dir / ("bench-tiny-%s.log" % name), "w", encoding="utf-8") as log:
            log.write(process.stdout + "\n--- stderr ---\n" + process.stderr)
        return process.returncode, process.stdout, process.stderr

    selected = {item.callspec.params["name"] for item in request.session.items
                if item.originalname == "test_benchmark_runs_to_its_result_line_at_a_tiny_size"}
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        futures = {name: pool.submit(run, name) for name in BENCHMARKS if name in selected}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_runs_to_its_result_line_at_a_tiny_size(tiny_runs, name):
    status, stdout, stderr = tiny_runs[name]
    assert status == 0, "bench %s exited with %s:\n%s" % (name, status, stderr[-3000:])
    lines = stdout.strip().splitlines()
    assert lines, "bench %s printed nothing" % name
    assert parse_result(lines[-1]), lines[-1]


def test_result_lines_are_checked():
    assert parse_result("RESULT ours_s=1.5 ratio=0.25 lost=0") == {"ours_s": 1.5, "ratio": 0.25,
                                                                  "lost": 0.0}
    for line in ("RESULT", "RESULT ours_s=", "RESULT ours_s=fast", "RESULT run_s=nan",
                 "ours_s=1.5", "RESULT ours_s=1 tail"):
        with pytest.raises((AssertionError, ValueError)):
            parse_result(line)


def _installed_top_level_names():
    """The importable top-level names the virtualenv's distributions give."""
    names = set()
    for dist in importlib.metadata.distributions():
        top_level = dist.read_text("top_level.txt")
        names.update((top_level or "").split())
        for path in dist.files or ():
            first = path.parts[0]
            if first.endswith(".py"):
                names.add(first[:-3])
            elif "." not in first and not first.startswith("__"):
                names.add(first)
        names.add(re.sub(r"[-.]+", "_", dist.metadata["Name"]).lower())
    return names


def test_no_module_of_bench_shadows_a_library():
    """A benchmark runs with bench/ first on its import path: a module of
    bench/ named like a library (bench/facturx.py once did, for factur-x)
    hides it from every benchmark and from the addons they load."""
    modules = {filename[:-3] for filename in os.listdir(BENCH) if filename.endswith(".py")}
    # What the venv's Python finds without bench/ on its path (the standard
    # library, the installed packages, runtime/ as the benchmarks get it).
    finder = ("import importlib.util, sys; sys.path.insert(0, %r); "
              "print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n)))"
              % os.path.join(REPO, "runtime"))
    found = subprocess.run([PYTHON, "-I", "-c", finder, *sorted(modules)], check=True,
                           capture_output=True, text=True, cwd="/").stdout.split()
    installed = _installed_top_level_names() | set(sys.stdlib_module_names)
    shadowing = sorted(set(found) | (modules & installed))
    assert shadowing == [], "modules of bench/ named like a library: rename them"


def test_the_shadow_check_sees_a_library():
    """The check above knows factur-x's module, which bench/facturx.py hid."""
    assert "facturx" in _installed_top_level_names()
