// LinearAlgebra module: see ../shared/STYLE.md.
