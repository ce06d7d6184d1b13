"""Checks PowerShell scripts for syntax errors with the tree-sitter PowerShell grammar, which
runs on Linux (there is no PowerShell here). Prints each error as file:line:column and exits 1.

Usage: python check_powershell.py FILE...  (EC2 user data's <powershell> tags are ignored)
"""
import sys

import tree_sitter
import tree_sitter_powershell

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def errors(source: bytes):
    found = []

    def walk(node):
        if node.is_error or node.is_missing:
            line, column = node.start_point
            what = "missing " + node.type if node.is_missing else "unexpected " + repr(node.text[:40].decode("utf-8", "replace"))
            found.append((line + 1, column + 1, what))
        elif node.has_error:
            for child in node.children:
                walk(child)

    walk(PARSER.parse(source).root_node)
    return found


def main(paths):
    failed = False
    for path in paths:
        text = open(path, "rb").read()
        # EC2Launch's wrapper tags are not PowerShell; blank them out, keeping line numbers.
        text = text.replace(b"<powershell>", b"").replace(b"</powershell>", b"")
        for line, column, what in errors(text):
            print(f"{path}:{line}:{column}: {what}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
