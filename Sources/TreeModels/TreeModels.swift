// TreeModels module: see ../shared/STYLE.md.
