"""Signal or noise: SPC (XmR), funnel plots, and the signals built on them."""
