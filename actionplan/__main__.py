"""`python -m actionplan`: the same command line as the `actionplan` script."""

from actionplan.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
