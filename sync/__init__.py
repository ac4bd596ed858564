"""Lead copies, merging returns into the master, the watch folder and the `actionplan` CLI."""
