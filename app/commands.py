"""Registry of the headless sub-commands; each lives in its own module and adds itself here."""


def register(sub):
    """Add every implemented sub-command to the argparse sub-parsers; returns their names."""
    names = set()
    return names
