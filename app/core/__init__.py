"""The app's Qt-free core, shared by the GUI (app.gui) and the command line (app.cli): the acquisition
controller (the sweep engine's events feed the session file, the live fit and the views' buffer), session
analysis (fit, background, field maps, cells) with one cell record, the study report, and the instrument glue."""
