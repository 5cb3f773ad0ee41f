"""Registry of the headless sub-commands; each lives in its own module and adds itself here."""

from app.cli import acquire, analyze, exchange, fit, recover, simulate_study, study

_MODULES = (acquire, fit, analyze, exchange, simulate_study, study, recover)


def register(sub):
    """Add every implemented sub-command to the argparse sub-parsers; returns their names (a module's
    ``add_parser`` returns one name, or a tuple when it adds several)."""
    names = set()
    for module in _MODULES:
        added = module.add_parser(sub)
        names.update(added if isinstance(added, tuple) else (added,))
    return names
