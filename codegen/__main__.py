"""python -m codegen [--spec PATH] [--out DIR]"""

import argparse
from pathlib import Path

from .render import write

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--spec", default=ROOT / "spec" / "amqp0-9-1.xml", type=Path)
    parser.add_argument("--out", default=ROOT / "aioamqp" / "_generated", type=Path)
    args = parser.parse_args()
    for path in write(args.spec, args.out):
        print(path)


main()
