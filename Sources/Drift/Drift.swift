// Drift module: see ../shared/STYLE.md.
