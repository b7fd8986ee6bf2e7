#!/usr/bin/env python3
"""aafd(1), rendered from the binary's own command-line definitions (`aafd --experimental-dump-help`) and
packaging/man/*.txt (the sections the argument parser has no notion of: DESCRIPTION, FILES, EXIT STATUS, EXAMPLES,
SEE ALSO).

Issue 25: swift-argument-parser's generate-manual drops every non-ASCII character ("acadmie") and prints only the
options. Here every character outside ASCII becomes a groff \\[uXXXX] escape, so the page reads the same in any
locale, and text is escaped for roff (a leading dot or quote, backslashes).

Usage: scripts/man-page.py AAFD_BINARY DATE VERSION > aafd.1
"""
import json
import os
import subprocess
import sys


# Typography with a glyph of groff's own, which has a fallback on an ASCII terminal (lintian runs man with warnings).
GLYPHS = {"\u2026": "...", "\u2013": "\\(en", "\u2014": "\\(em", "\u2192": "\\(->", "\u2264": "\\(<=",
          "\u2265": "\\(>=", "\u00d7": "\\(mu", "\u2019": "'", "\u00a0": "\\ ", "\u202f": "\\ "}


def roff(text):
    """One line of text, escaped for roff."""
    out = []
    for ch in text.replace("\\", "\\e"):
        if ch in GLYPHS:
            out.append(GLYPHS[ch])
        elif ord(ch) < 128:
            out.append("\\-" if ch == "-" else ch)
        else:
            out.append("\\[u%04X]" % ord(ch))
    line = "".join(out)
    if line.startswith(".") or line.startswith("'"):
        line = "\\&" + line
    return line


def paragraph(text):
    """Text lines; an empty line starts a paragraph, an indented one a line of its own (a list item), and the
    first line after a list starts a line of its own too."""
    lines = []
    listing = False
    for raw in text.split("\n"):
        if not raw.strip():
            lines.append(".PP")
            listing = False
        elif raw.startswith("  "):
            lines.append(".br")
            lines.append(roff(raw.strip()))
            listing = True
        else:
            if listing:
                lines.append(".br")
            lines.append(roff(raw))
            listing = False
    return lines


def option_name(argument):
    names = []
    for n in argument.get("names", []):
        prefix = "-" if n["kind"] == "short" else "--"
        names.append(prefix + n["name"])
    if not names:
        return argument.get("valueName", "ARG").upper()
    value = "" if argument["kind"] == "flag" else " " + argument.get("valueName", "value").upper()
    return ", ".join(names) + value


def command(cmd, path, out):
    name = " ".join(path)
    out.append(".SS " + roff(name))
    if cmd.get("abstract"):
        out.extend(paragraph(cmd["abstract"]))
    if cmd.get("discussion"):
        out.append(".PP")
        out.extend(paragraph(cmd["discussion"]))
    for argument in cmd.get("arguments", []):
        names = {n["name"] for n in argument.get("names", [])}
        if not argument.get("shouldDisplay", True) or names & {"help", "version"}:
            continue
        out.append(".TP")
        out.append("\\fB" + roff(option_name(argument)) + "\\fR")
        text = argument.get("abstract", "")
        if argument.get("defaultValue") not in (None, "", "false"):
            text += " (default: %s)" % argument["defaultValue"]
        out.append(roff(text))
    for sub in cmd.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            command(sub, path + [sub["commandName"]], out)


def main():
    binary, date, version = sys.argv[1:4]
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    root = dump["command"]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packaging", "man")
    sections = {}
    for name in ("description", "files", "exit-status", "examples", "see-also"):
        with open(os.path.join(here, name + ".txt"), encoding="utf-8") as f:
            sections[name] = f.read().rstrip("\n")
    out = ['.TH AAFD 1 "%s" "aafd %s" "aafd manual"' % (date, version), ".SH NAME"]
    out.append("aafd \\- " + roff(root.get("abstract", "")))
    out.append(".SH SYNOPSIS")
    out.append("\\fBaafd\\fR \\fIcommand\\fR [\\fIoptions\\fR]")
    out.append(".SH DESCRIPTION")
    out.extend(paragraph(sections["description"]))
    out.append(".SH COMMANDS")
    for sub in root.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            command(sub, ["aafd", sub["commandName"]], out)
    for title, key in (("FILES", "files"), ("EXIT STATUS", "exit-status"), ("EXAMPLES", "examples"),
                       ("SEE ALSO", "see-also")):
        out.append(".SH " + title)
        out.extend(paragraph(sections[key]))
    sys.stdout.write("\n".join(line for line in out) + "\n")


main()
