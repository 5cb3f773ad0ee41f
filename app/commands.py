"""Registry of the headless sub-commands; each lives in its own module and adds itself here."""

from . import acquire_command, analyze_command, fit_command, simulate_study_command, study_command

_MODULES = (acquire_command, fit_command, analyze_command, simulate_study_command, study_command)


def register(sub):
    """Add every implemented sub-command to the argparse sub-parsers; returns their names."""
    return {module.add_parser(sub) for module in _MODULES}
