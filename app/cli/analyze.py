"""``nvscope analyze``: detect and measure the cells of a session's field map, store the cell table."""

import sys


def add_parser(sub):
    p = sub.add_parser("analyze", help="detect cells in a session's field map and measure them (CNN + physics "
                       "refinement)", description="Detect the dipole signatures in the background-subtracted "
                       "field map (fitting the session first if it has no field map), measure each cell with the "
                       "CNN and the physics refinement, and store the cell table (with the model's identity) in "
                       "the session, replacing an earlier one.")
    p.add_argument("sessions", nargs="+", help="session files (.h5)")
    p.add_argument("--no-cnn", action="store_true", help="refine by physics alone (no diameter; flag NO_CNN)")
    p.add_argument("--no-covariance", action="store_true", help="when a fit is needed, leave the per-pixel "
                   "parameter covariance out of the file (smaller, faster to write; the errors are kept)")
    p.set_defaults(handler=run)
    return "analyze"


def run(args):
    from analysis.pipeline import fit_session_file
    from analysis.session import read_session
    from analysis.session.maps_reader import read_results, with_results
    from analysis.session_cells import analyse_session_cells
    from analysis.study.pipeline import needed_stages_of_file

    for path in args.sessions:
        # the frame sums are read (and decompressed) once: the fit's session, with the maps it wrote, goes on
        # to the cell stage; the cell table printed below is read alone
        session = read_session(path)
        if "fit" in needed_stages_of_file(path):
            fit_session_file(path, session=session, covariance=not args.no_covariance)
            session = with_results(session)
        n_cells = analyse_session_cells(path, session=session, use_cnn=not args.no_cnn)
        print(f"{path}: {n_cells} cells", file=sys.stderr)
        cells = read_results(path)["cells"]
        if cells is None:
            continue
        for rec in cells.records():
            print(f"  row {rec['row_px']:7.1f} col {rec['col_px']:7.1f} | z {rec['z_m'] * 1e6:5.1f} "
                  f"+/- {rec['z_m_err'] * 1e6:4.1f} um | d {rec['diameter_m'] * 1e6:5.1f} um | Fe "
                  f"{rec['iron_mass_g'] * 1e12:6.3f} +/- {rec['iron_mass_g_err'] * 1e12:5.3f} pg | normalised "
                  f"{rec['normalised_field_t'] * 1e6:5.2f} uT | {rec.get('flag_names', '')}", file=sys.stderr)
    return 0
