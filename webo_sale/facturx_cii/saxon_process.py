"""Saxon's process: runs the schematrons (XSLT) for the Odoo process that
started it (see rules.py), one request after another, until its standard
input closes.

Saxon (``saxonche``) is a GraalVM native image that reserves tens of GB of
address space when it starts: it cannot start inside an Odoo prefork worker,
whose address space is capped (``limit_memory_hard``), and its size would
make the worker recycle itself after every request (``limit_memory_soft``).
This process lifts the cap for itself, within the hard limit the system
gives, and holds the compiled schematrons.

A request: one JSON line ``{"stylesheet": path, "size": n, "compile": bool}``
then the ``n`` bytes of the XML. The answer: one JSON line ``{"size": m}``
then the ``m`` bytes of the SVRL report (UTF-8), or ``{"error": text}``.
Run by this file's path: it imports neither Odoo nor the addon.
"""
import json
import os
import resource
import sys


def _lift_address_space_limit():
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _answer(channel, header, body=b""):
    channel.write(json.dumps(header).encode("utf-8") + b"\n" + body)
    channel.flush()


def serve(requests, answers):
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executables = {}
    while True:
        line = requests.readline()
        if not line:
            return
        request = json.loads(line)
        xml = requests.read(request["size"])
        try:
            stylesheet = request["stylesheet"]
            if stylesheet not in executables:
                # Compiled from its file: the code lists it reads with
                # document() are found beside it.
                executables[stylesheet] = compiler.compile_stylesheet(stylesheet_file=stylesheet)
            report = b""
            if not request.get("compile"):
                document = processor.parse_xml(xml_text=xml.decode("utf-8"))
                report = executables[stylesheet].transform_to_string(xdm_node=document).encode("utf-8")
        except Exception as error:  # Saxon's errors have no common class
            _answer(answers, {"error": "%s: %s" % (type(error).__name__, error)})
            continue
        _answer(answers, {"size": len(report)}, report)


def main():
    _lift_address_space_limit()
    # The answers go on a copy of standard output; what Saxon itself may
    # print goes to standard error, never into an answer.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
