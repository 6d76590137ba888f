"""``python -m oresight.sim OUT_DIR [--seed N]``: write a demo world."""

from oresight.sim.demo import main

raise SystemExit(main())
