// LinearModels module: see ../shared/STYLE.md.
