"""The app's log: a rotating file in the user's data folder (1 MB x 3 backups), so an error a user reports
can be read back afterwards. ``attach_log_file`` returns the handler so the window can detach it on close."""

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "nvscope.log"


def attach_log_file(log_dir, level=logging.INFO):
    """Log the "nvscope" loggers to ``log_dir/nvscope.log`` (created if missing); returns the handler."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(log_dir / LOG_NAME, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    handler.setLevel(level)
    logger = logging.getLogger("nvscope")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handler


def detach_log_file(handler):
    logging.getLogger("nvscope").removeHandler(handler)
    handler.close()
