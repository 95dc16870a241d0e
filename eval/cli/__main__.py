"""``python -m eval.cli``: the ``khabar`` command."""

from eval.cli import main

main()
