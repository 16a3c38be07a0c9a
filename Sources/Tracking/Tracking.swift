// Tracking module: see ../shared/STYLE.md.
