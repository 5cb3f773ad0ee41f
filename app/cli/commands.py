"""Registry of the headless sub-commands; each lives in its own module and adds itself here."""

from app.cli import acquire, analyze, fit, simulate_study, study

_MODULES = (acquire, fit, analyze, simulate_study, study)


def register(sub):
    """Add every implemented sub-command to the argparse sub-parsers; returns their names."""
    return {module.add_parser(sub) for module in _MODULES}
