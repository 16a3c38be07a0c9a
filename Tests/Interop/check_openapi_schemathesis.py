"""schemathesis (`--checks all`) against `plumb serve`'s /openapi.json, once with a regression
(numeric and categorical features) and once with a three-class classifier: every response must
match the document generated from the served model (status codes, content types, headers,
schemas), schema-valid requests must be accepted, invalid ones refused, and a method a path does
not have must be 405 with Allow. Zero failures pass."""
import os
import subprocess
import sys
from pathlib import Path

from plumbinterop import Server, Workspace, fail

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def run(ws, model, label):
    with Server(ws, model) as server:
        args = [SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{server.url}/openapi.json", "--checks", "all",
                "--max-examples", os.environ.get("PLUMB_SCHEMATHESIS_EXAMPLES", "30"), "--seed", "1",
                "--generation-database", "none", "--no-color", "--workers", "1"]
        p = subprocess.run(args, cwd=ws.dir, capture_output=True, text=True)
        summary = [line for line in p.stdout.splitlines() if "passed" in line or "failed" in line or "error" in line.lower()]
        if p.returncode != 0:
            print(p.stdout[-20000:])
            print(p.stderr[-5000:], file=sys.stderr)
            fail(f"schemathesis found failures against the {label} ({' '.join(args[1:])})")
        print(f"schemathesis --checks all, {label}: {summary[-1].strip() if summary else 'ok'}")


def main():
    with Workspace() as ws:
        run(ws, ws.regression_model, "regression")
        run(ws, ws.classifier_model, "classifier")


if __name__ == "__main__":
    main()
