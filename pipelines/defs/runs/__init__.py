"""How the assets run: named selections, the jobs built from them, their schedules and run config."""
