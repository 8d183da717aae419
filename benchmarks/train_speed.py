"""Training-step cost of contrastive, EPIC and text ICL at equal batch and K (default training set,
built on first use). Prints a table.

    python benchmarks/train_speed.py [--model PATH] [--batch-size 16] [--k 5] [--repeats 3] [--threads 2]

Same as ``epic bench train ...``.
"""

import sys

from epic.cli import main

if __name__ == "__main__":
    main(["bench", "train", *sys.argv[1:]])
