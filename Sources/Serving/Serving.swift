// Serving module: see ../shared/STYLE.md.
