// Pipeline module: see ../shared/STYLE.md.
