"""The ``nvscope`` argument parser class: no abbreviated options, and an unknown option answered on the
sub-command's own usage with the closest known option ("--cels" -> "did you mean --cells?")."""

import argparse
import difflib


class NvscopeParser(argparse.ArgumentParser):
    """``allow_abbrev=False`` for the parser and, through argparse's ``parser_class``, every sub-command's, so
    that ``--cell 3`` is an error rather than a silent ``--cells 3``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def known_options(self):
        return sorted({s for action in self._actions for s in action.option_strings})

    def unknown_options_error(self, extras):
        """Exit (code 2) with the usage of this parser, naming each unknown argument and the closest option."""
        notes = []
        for arg in extras:
            name = arg.split("=", 1)[0]
            close = difflib.get_close_matches(name, self.known_options(), n=1, cutoff=0.6) if name[:1] == "-" else []
            notes.append(f"{arg} (did you mean {close[0]}?)" if close else arg)
        self.error(f"unrecognized arguments: {' '.join(notes)}. See '{self.prog} --help' for the options.")


def sub_parser_of(parser, command):
    """The sub-command parser ``command`` of ``parser`` (None if there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


def command_names(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()
