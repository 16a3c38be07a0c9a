"""Writes a Friedman #1 regression CSV with every value at full double precision (the shortest
text that reads back to the same double, as pandas and polars write them), so that the file is
several times the size of the binned rows Plumb keeps: x0..x19 ~ U(0, 1) and
y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1). Standard library only.

Usage: python3 gen_wide_csv.py OUT.csv ROWS [SEED]
"""
import math
import random
import sys


def main() -> None:
    out, rows = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261206)
    features = 20
    with open(out, "w", buffering=1 << 24) as f:
        f.write(",".join([f"x{j}" for j in range(features)] + ["y"]) + "\n")
        for _ in range(rows):
            x = [rng.random() for _ in range(features)]
            y = (10 * math.sin(math.pi * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4]
                 + rng.gauss(0, 1))
            f.write(",".join(map(repr, x)) + "," + repr(y) + "\n")


if __name__ == "__main__":
    main()
