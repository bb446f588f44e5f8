"""The editor's view of a stack, from the command line: ``stoppress preview``, ``history``,
``diff`` and ``rejected``.

They read a deployed stack (``--stack-name``) or ``stoppress dev``'s (``--state-file``),
and never write to either. ``target`` finds the stack, ``reader`` reads it through
the stages' own adapters, ``preview``, ``history`` and ``rejections`` answer the four
questions, ``worddiff`` shows a change, ``render`` prints the answers (text or
JSON), ``failures`` turns what goes wrong into one line, and ``commands`` wires them
to the command line.
"""

from stoppress_dev.editor.commands import add_editor_commands

__all__ = ["add_editor_commands"]
